package target

// DialCounts returns how many real dials of t's clients failed and how many
// dials the back-off refused without dialling, so that tests can hold the
// error classes of requests against what was really sent.
func DialCounts(t *Target) (failed, backedOff uint64) {
	return t.dialer.failed.Load(), t.dialer.backedOff.Load()
}

// RedialInterval is redialInterval, for tests' bounds.
const RedialInterval = redialInterval
