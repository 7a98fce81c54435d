package probe

// entry is one acknowledged write awaiting read-back.
type entry struct {
	seq uint64
	at  int64 // unix nanoseconds of the acknowledgement
}

// ledger is a fixed-capacity FIFO of entries in sequence order (writes are
// acknowledged one at a time, in order). Its memory is allocated once: the
// probe runs for hours and must not grow.
type ledger struct {
	buf  []entry
	head int // index of the oldest entry
	n    int
}

func newLedger(capacity int) *ledger { return &ledger{buf: make([]entry, capacity)} }

func (l *ledger) len() int   { return l.n }
func (l *ledger) full() bool { return l.n == len(l.buf) }

// at returns the i-th oldest entry.
func (l *ledger) at(i int) entry { return l.buf[(l.head+i)%len(l.buf)] }

// push appends e; it panics when full (the caller makes room first).
func (l *ledger) push(e entry) {
	if l.full() {
		panic("probe: ledger overflow")
	}
	l.buf[(l.head+l.n)%len(l.buf)] = e
	l.n++
}

// drop removes the k oldest entries.
func (l *ledger) drop(k int) {
	l.head = (l.head + k) % len(l.buf)
	l.n -= k
}
