package runner

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// timerfdSleeper sleeps on a Linux timerfd. The fd is non-blocking, so
// os.NewFile registers it with Go's poller: a read parks the goroutine, not
// the thread, and the poller wakes it when the timer expires, with the
// kernel's timer precision rather than epoll's millisecond timeout.
type timerfdSleeper struct {
	fd  int
	f   *os.File
	buf [8]byte // the expiration count a read returns
}

func newPreciseSleeper() (preciseSleeper, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &timerfdSleeper{fd: fd, f: os.NewFile(uintptr(fd), "timerfd")}, nil
}

func (s *timerfdSleeper) sleep(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(max(d, time.Nanosecond)))}
	if err := unix.TimerfdSettime(s.fd, 0, &spec, nil); err != nil {
		return err
	}
	_, err := s.f.Read(s.buf[:])
	return err
}

func (s *timerfdSleeper) close() error { return s.f.Close() }
