package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// stateVersion is the state file format version.
const stateVersion = 1

// state is the integrity probe's state file: enough to resume a run after a
// restart of ecbench without reporting its writes as lost.
//
//	{"version":1,"prefix":"ecbench:probe:integrity:","keys":10000,
//	 "epoch":"9f3c1a2b4d5e6f70","next_seq":12345,
//	 "pending":[[12245,1767225600123],[12246,1767225600223]]}
//
// pending holds [seq, acknowledgement time in unix milliseconds] of every
// acknowledged write not yet read back, oldest first.
//
// A crash loses at most the last second of state. That is harmless: the
// resumed run rewrites the sequence numbers after next_seq with the very same
// bytes, and a pending write whose key already holds a later record of the
// same epoch (checked by the crashed run, which then moved on) is verified,
// not stale.
type state struct {
	Version int         `json:"version"`
	Prefix  string      `json:"prefix"`
	Keys    int         `json:"keys"`
	Epoch   string      `json:"epoch"` // 16 hex digits: JSON numbers lose precision above 2^53 in many tools
	NextSeq uint64      `json:"next_seq"`
	Pending [][2]uint64 `json:"pending"`
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
	epoch, err := strconv.ParseUint(st.Epoch, 16, 64)
	if err != nil || st.Version != stateVersion {
		return fmt.Errorf("probe: state file %s: not a version %d integrity state (epoch %q, version %d)",
			i.o.StateFile, stateVersion, st.Epoch, st.Version)
	}
	for j, p := range st.Pending {
		if p[0] >= st.NextSeq || (j > 0 && p[0] <= st.Pending[j-1][0]) {
			return fmt.Errorf("probe: state file %s: pending[%d] = seq %d is out of order or not below next_seq %d",
				i.o.StateFile, j, p[0], st.NextSeq)
		}
	}
	if st.Prefix != i.o.Prefix || st.Keys != i.o.Keys || len(st.Pending) > i.o.Window {
		// Written for another ring (or a larger window): its keys mean
		// something else now. Start a new run and say what goes unchecked.
		if n := len(st.Pending); n > 0 {
			i.discarded = Range{Result: Unchecked, N: n, From: st.Pending[0][0], To: st.Pending[n-1][0]}
		}
		return nil
	}
	i.epoch, i.next = epoch, st.NextSeq
	for _, p := range st.Pending {
		i.l.push(entry{seq: p[0], at: time.UnixMilli(int64(p[1])).UnixNano()})
	}
	return nil
}

// save writes the state file atomically: a temporary file in the same
// directory, synced, then renamed over the old one, so that a crash leaves
// either the old state or the new one, never half of either.
func (i *Integrity) save() (err error) {
	st := state{
		Version: stateVersion,
		Prefix:  i.o.Prefix,
		Keys:    i.o.Keys,
		Epoch:   string(appendHex(nil, i.epoch, 16)),
		NextSeq: i.next,
		Pending: make([][2]uint64, i.l.len()),
	}
	for j := range st.Pending {
		e := i.l.at(j)
		st.Pending[j] = [2]uint64{e.seq, uint64(time.Unix(0, e.at).UnixMilli())}
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
