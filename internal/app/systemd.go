package app

import (
	"time"

	sdnotify "github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
)

// systemd tells the service manager, when there is one (NOTIFY_SOCKET set by
// a Type=notify unit), that the daemon is ready (every target answered),
// alive (the watchdog) and stopping. Without a service manager every method
// does nothing.
type systemd struct {
	log  *zap.Logger
	tick <-chan time.Time // nil: no watchdog
}

func newSystemd(log *zap.Logger) *systemd {
	s := &systemd{log: log}
	if every, err := sdnotify.SdWatchdogEnabled(false); err != nil {
		log.Warn("systemd watchdog settings are invalid; not sending keep-alives", zap.Error(err))
	} else if every > 0 {
		s.tick = time.NewTicker(every / 2).C
	}
	return s
}

func (s *systemd) notify(state string) {
	if _, err := sdnotify.SdNotify(false, state); err != nil {
		s.log.Warn("cannot notify systemd", zap.String("state", state), zap.Error(err))
	}
}

func (s *systemd) ready() {
	s.log.Info("ready: every target has answered and the preloads are done")
	s.notify(sdnotify.SdNotifyReady)
}

func (s *systemd) alive()    { s.notify(sdnotify.SdNotifyWatchdog) }
func (s *systemd) stopping() { s.notify(sdnotify.SdNotifyStopping) }

// watchdog fires when a keep-alive is due; it never fires without a watchdog.
func (s *systemd) watchdog() <-chan time.Time { return s.tick }
