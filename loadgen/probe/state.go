package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// stateVersion is the version of the state files save writes; resume also
// reads version 1.
const stateVersion = 2

// state is the integrity probe's state file: enough to resume a run after a
// restart of ecbench without reporting its writes as lost, and to go on
// watching the writes it had verified.
//
//	{"version":2,"prefix":"ecbench:probe:integrity:","keys":10000,
//	 "epoch":"9f3c1a2b4d5e6f70","next_seq":12345,
//	 "slots":"v9797x3u200","unchecked_at":[1767225600123,1767225600223,…]}
//
// slots is the state of every write in the ring, oldest (next_seq - keys, or
// 0) first, run-length encoded: a letter and how many writes in a row are in
// that state. v is verified (read again by every sweep), x reported lost,
// stale or corrupted, u awaiting its first check, - not sampled.
// unchecked_at holds the acknowledgement time in unix milliseconds of each u
// write, in order. A ring that is all verified but for the last verify_delay
// is a few bytes plus 14 bytes per write awaiting its first check.
//
// Version 1 files had next_seq and "pending":[[seq, ack ms], …], the writes
// awaiting read-back: resumed, those await their first check and every
// other sampled write in the ring counts as verified (a write that version 1
// had reported lost is reported once more if it is still missing).
//
// A crash loses at most the last second of state. That is harmless: the
// resumed run rewrites the sequence numbers after next_seq with the very same
// bytes, and a write whose key already holds a later record of the same
// epoch (written by the crashed run, which then moved on) is verified, not
// stale.
type state struct {
	Version     int         `json:"version"`
	Prefix      string      `json:"prefix"`
	Keys        int         `json:"keys"`
	Epoch       string      `json:"epoch"` // 16 hex digits: JSON numbers lose precision above 2^53 in many tools
	NextSeq     uint64      `json:"next_seq"`
	Slots       string      `json:"slots"`
	UncheckedAt []int64     `json:"unchecked_at"`
	Pending     [][2]uint64 `json:"pending,omitempty"` // version 1
}

// slotLetters are the letters of state.Slots, indexed by slotState.
var slotLetters = [...]byte{slotEmpty: '-', slotUnchecked: 'u', slotVerified: 'v', slotReported: 'x'}

// slotRun is a run of writes in one state in state.Slots.
type slotRun struct {
	state slotState
	n     uint64
}

// resume loads the state file, if there is one.
func (i *Integrity) resume() error {
	b, err := os.ReadFile(i.o.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("probe: state file: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("probe: state file %s: %w", i.o.StateFile, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("probe: state file %s: "+format, append([]any{i.o.StateFile}, args...)...)
	}
	epoch, err := strconv.ParseUint(st.Epoch, 16, 64)
	if err != nil || (st.Version != 1 && st.Version != 2) || st.Keys < 1 {
		return bad("not a version 1 or 2 integrity state (epoch %q, version %d, keys %d)", st.Epoch, st.Version, st.Keys)
	}
	// Written for another ring: its keys mean something else now. Start a
	// new run and say what goes unchecked.
	other := st.Prefix != i.o.Prefix || st.Keys != i.o.Keys
	if st.Version == 1 {
		return i.resumeV1(st, epoch, other, bad)
	}
	window := min(st.NextSeq, uint64(st.Keys))
	runs, err := parseSlots(st.Slots, window)
	if err != nil {
		return bad("slots: %v", err)
	}
	var unchecked uint64
	for _, r := range runs {
		if r.state == slotUnchecked {
			unchecked += r.n
		}
	}
	if unchecked != uint64(len(st.UncheckedAt)) {
		return bad("slots has %d writes awaiting their first check, unchecked_at has %d times", unchecked, len(st.UncheckedAt))
	}
	seq, at := st.NextSeq-window, st.UncheckedAt
	if other {
		for _, r := range runs {
			if r.state == slotUnchecked {
				i.discarded = append(i.discarded, Check{Result: Unchecked, N: int(r.n), From: seq, To: seq + r.n - 1, Sweep: Sweep{Kind: ResumeSweep}})
			}
			seq += r.n
		}
		return nil
	}
	i.epoch, i.next, i.resumed = epoch, st.NextSeq, true
	i.firstSeq = seq
	for _, r := range runs {
		for range r.n {
			i.l.set(seq, r.state)
			if r.state == slotUnchecked {
				i.l.setAckAt(seq, time.UnixMilli(at[0]).UnixNano())
				at = at[1:]
				i.unchecked++
			}
			seq++
		}
	}
	return nil
}

// resumeV1 loads a version 1 state: its pending writes await their first
// check, every other sampled write in the ring counts as verified.
func (i *Integrity) resumeV1(st state, epoch uint64, other bool, bad func(string, ...any) error) error {
	lo := st.NextSeq - min(st.NextSeq, uint64(st.Keys))
	for j, p := range st.Pending {
		if p[0] >= st.NextSeq || p[0] < lo || (j > 0 && p[0] <= st.Pending[j-1][0]) {
			return bad("pending[%d] = seq %d is out of order or not in the ring [%d, next_seq %d)", j, p[0], lo, st.NextSeq)
		}
	}
	if other {
		for _, p := range st.Pending {
			if d := len(i.discarded) - 1; d >= 0 && i.discarded[d].To+1 == p[0] {
				i.discarded[d].N++
				i.discarded[d].To = p[0]
				continue
			}
			i.discarded = append(i.discarded, Check{Result: Unchecked, N: 1, From: p[0], To: p[0], Sweep: Sweep{Kind: ResumeSweep}})
		}
		return nil
	}
	i.epoch, i.next, i.resumed = epoch, st.NextSeq, true
	i.firstSeq = lo
	for s := lo; s < st.NextSeq; s++ {
		if i.sampled(s) {
			i.l.set(s, slotVerified)
		}
	}
	for _, p := range st.Pending {
		i.l.set(p[0], slotUnchecked)
		i.l.setAckAt(p[0], time.UnixMilli(int64(p[1])).UnixNano())
		i.unchecked++
	}
	return nil
}

// parseSlots decodes state.Slots, which must describe exactly window writes.
func parseSlots(s string, window uint64) ([]slotRun, error) {
	var (
		runs  []slotRun
		total uint64
	)
	for pos := 0; pos < len(s); {
		letter := s[pos]
		st := slices.Index(slotLetters[:], letter)
		if st < 0 {
			return nil, fmt.Errorf("%q at offset %d: want one of - u v x", letter, pos)
		}
		end := pos + 1
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		n, err := strconv.ParseUint(s[pos+1:end], 10, 64)
		if err != nil || n == 0 || n > window-total {
			return nil, fmt.Errorf("run %q at offset %d: want a count from 1 to the %d writes left of the ring", s[pos:end], pos, window-total)
		}
		runs = append(runs, slotRun{slotState(st), n})
		total += n
		pos = end
	}
	if total != window {
		return nil, fmt.Errorf("describes %d writes, want %d (min(next_seq, keys))", total, window)
	}
	return runs, nil
}

// appendSlots encodes the ring's window for state.Slots and appends the
// acknowledgement times of the writes awaiting their first check to at.
func (i *Integrity) appendSlots(dst []byte, at []int64) ([]byte, []int64) {
	var run slotRun
	flush := func() {
		if run.n > 0 {
			dst = append(dst, slotLetters[run.state])
			dst = strconv.AppendUint(dst, run.n, 10)
		}
	}
	for s := i.l.windowStart(i.next); s < i.next; s++ {
		st := i.l.get(s)
		if st == slotUnchecked {
			at = append(at, time.Unix(0, i.l.ackAt(s)).UnixMilli())
		}
		if run.n > 0 && run.state == st {
			run.n++
			continue
		}
		flush()
		run = slotRun{st, 1}
	}
	flush()
	return dst, at
}

// save writes the state file atomically: a temporary file in the same
// directory, synced, then renamed over the old one, so that a crash leaves
// either the old state or the new one, never half of either.
func (i *Integrity) save() (err error) {
	slots, at := i.appendSlots(nil, make([]int64, 0, i.unchecked))
	st := state{
		Version:     stateVersion,
		Prefix:      i.o.Prefix,
		Keys:        i.o.Keys,
		Epoch:       string(appendHex(nil, i.epoch, 16)),
		NextSeq:     i.next,
		Slots:       string(slots),
		UncheckedAt: at,
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("probe: state file: %w", err)
	}
	dir, base := filepath.Split(i.o.StateFile)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".*.tmp")
	if err != nil {
		return fmt.Errorf("probe: state file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
			err = fmt.Errorf("probe: state file %s: %w", i.o.StateFile, err)
		}
	}()
	if _, err = f.Write(append(b, '\n')); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), i.o.StateFile); err != nil {
		return err
	}
	i.dirty, i.saved = false, i.now()
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable, as far as the system allows: some
// cannot open or sync a directory, and the file itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
