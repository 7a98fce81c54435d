package probe

// slotState is what the probe knows of the latest acknowledged write in one
// ring slot.
type slotState uint8

const (
	slotEmpty     slotState = iota // no write of this run yet, or one outside the sample: nothing to read
	slotUnchecked                  // acknowledged, awaiting its first check
	slotVerified                   // found intact, and never found otherwise: read again by every sweep
	slotReported                   // reported lost, stale or corrupted: never reported again
)

// slotBytes is the ledger's memory per ring slot: the acknowledgement time
// (8 bytes) and the state (1 byte). The sequence number is not stored: writes
// are acknowledged one at a time, in order, so slot j holds the latest write
// below next with seq mod Keys = j.
const slotBytes = 9

// IntegrityMemory returns the bytes an integrity probe's ledger takes for a
// ring of keys keys: allocated once, when the probe is made. Besides it, the
// probe holds at most MaxReadBatch replies of ValueSize bytes in flight
// (IntegrityBatchBytes), and saving a state file builds its text, a few
// bytes per run of equal slots.
func IntegrityMemory(keys int) int64 { return int64(max(keys, 0)) * slotBytes }

// IntegrityBatchBytes returns the bytes of the replies to one read batch of
// the integrity probe at most: MaxReadBatch values of valueSize bytes and
// their protocol framing.
func IntegrityBatchBytes(valueSize int) int64 {
	const framing = 16 // "$<len>\r\n" … "\r\n"
	return int64(MaxReadBatch) * (int64(max(valueSize, 0)) + framing)
}

// ledger is the state of every ring slot. Its memory is allocated once: the
// probe runs for hours and must not grow.
type ledger struct {
	keys  uint64
	state []slotState
	at    []int64 // unix nanoseconds of the acknowledgement; meaningful while unchecked
}

func newLedger(keys int) *ledger {
	return &ledger{keys: uint64(keys), state: make([]slotState, keys), at: make([]int64, keys)}
}

// The accessors take the write's sequence number; the caller keeps it in the
// ring's window [next-Keys, next), where each slot holds exactly one write.
func (l *ledger) get(seq uint64) slotState       { return l.state[seq%l.keys] }
func (l *ledger) set(seq uint64, s slotState)    { l.state[seq%l.keys] = s }
func (l *ledger) ackAt(seq uint64) int64         { return l.at[seq%l.keys] }
func (l *ledger) setAckAt(seq uint64, ns int64)  { l.at[seq%l.keys] = ns }
func (l *ledger) windowStart(next uint64) uint64 { return next - min(next, l.keys) }
