package probe_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/probe"
)

// The state file: a restarted ecbench resumes the ledger (version 2, and
// version 1 files), refuses a file for another ring, and fails at once on
// a file it cannot use.

// TestRestartOfEcbench: with a state file, a second probe (a restarted
// ecbench) takes over the first one's ledger, reports none of its writes as
// lost, even when it resumes from a state saved a while before the first
// one stopped (a crash), and goes on watching the writes the first one
// verified: one deleted while ecbench was down is reported by the resume
// sweep.
func TestRestartOfEcbench(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, e)
			opts := killOpts
			opts.Keys = 300 // the ring wraps during the test
			opts.Interval = 5 * time.Millisecond
			opts.VerifyDelay = 500 * time.Millisecond
			opts.SweepRate = 300
			opts.StateFile = filepath.Join(t.TempDir(), "integrity.json")

			var first checks
			in1 := newIntegrity(t, probeClient(t, s.Addr), opts, &first)
			stop1 := runIntegrity(t, in1)
			time.Sleep(1200 * time.Millisecond)
			// A crash would leave the state as of the last periodic save:
			// keep a copy of the state then, and put it back at the end.
			crashState, err := os.ReadFile(opts.StateFile)
			if err != nil {
				t.Fatal(err)
			}
			var saved struct {
				Version int    `json:"version"`
				Slots   string `json:"slots"`
			}
			if err := json.Unmarshal(crashState, &saved); err != nil || saved.Version != 2 || !strings.Contains(saved.Slots, "u") {
				t.Fatalf("the state saved while running (%v) has no write awaiting its first check: %s", err, crashState)
			}
			time.Sleep(500 * time.Millisecond)
			if err := stop1(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: first run: %d writes, %d pending at exit, verdicts %v", e, in1.Next(), in1.Pending(), first.byResult())
			first.verify(t)

			for _, tc := range []struct {
				name  string
				state []byte
			}{{"clean stop", nil}, {"crash", crashState}} {
				if tc.state != nil {
					if err := os.WriteFile(opts.StateFile, tc.state, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				var second checks
				in2 := newIntegrity(t, probeClient(t, s.Addr), opts, &second)
				from, pending := in2.Next(), in2.Pending()
				// The oldest write in the ring, which the first run
				// verified, deleted while ecbench was down.
				gone := ringOf(opts, from)
				if err := s.Client().Del(ctxFor(t, time.Second), opts.Prefix+strconv.FormatUint(gone%uint64(opts.Keys), 10)).Err(); err != nil {
					t.Fatal(err)
				}
				stop2 := runIntegrity(t, in2)
				waitFor(t, 5*time.Second, func() bool { return in2.Next() > from+100 }, "writes by the second run")
				if err := stop2(); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %s: resumed at seq %d with %d pending; verdicts %v, lost found by %v", e, tc.name, from, pending, second.byResult(), second.foundBy(probe.Lost))
				got := second.byResult()
				if got["stale"] != 0 || got["corrupted"] != 0 || got["unchecked"] != 0 {
					t.Errorf("%s: verdicts %v, want only verified and the one lost", tc.name, got)
				}
				if lost := second.seqs(probe.Lost, 0, in2.Next()); !slices.Equal(lost, []uint64{gone}) {
					t.Errorf("%s: lost %v, want [%d], the write deleted while ecbench was down", tc.name, lost, gone)
				}
				if second.foundBy(probe.Lost)["resume sweep"] != 1 {
					t.Errorf("%s: the loss was found by %v, want the resume sweep", tc.name, second.foundBy(probe.Lost))
				}
				if v := second.count(probe.Verified, 0, from); v < pending {
					t.Errorf("%s: verified %d, want at least the %d resumed", tc.name, v, pending)
				}
				second.verify(t)
			}
		})
	}
}

// TestResumeVersion1: a version 1 state file (next_seq and the writes
// pending read-back) is resumed: its pending writes await their first check,
// and every other write in the ring is watched as verified.
func TestResumeVersion1(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Valkey)
	opts := killOpts
	opts.StateFile = filepath.Join(t.TempDir(), "integrity.json")
	// A run that writes 150 records (the ring of 100 wraps).
	in1 := newIntegrity(t, probeClient(t, s.Addr), opts, &checks{})
	stop1 := runIntegrity(t, in1)
	waitFor(t, 5*time.Second, func() bool { return in1.Next() >= 150 }, "writes")
	if err := stop1(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(opts.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	var v2 struct {
		Epoch   string `json:"epoch"`
		NextSeq uint64 `json:"next_seq"`
	}
	if err := json.Unmarshal(b, &v2); err != nil {
		t.Fatal(err)
	}
	// The same run as version 1 wrote it: the last 10 writes pending, the
	// rest of the ring read back before.
	n := v2.NextSeq
	var pending strings.Builder
	for seq := n - 10; seq < n; seq++ {
		if pending.Len() > 0 {
			pending.WriteByte(',')
		}
		pending.WriteString("[" + strconv.FormatUint(seq, 10) + ",1767225600000]")
	}
	v1 := `{"version":1,"prefix":"it:","keys":100,"epoch":"` + v2.Epoch + `","next_seq":` + strconv.FormatUint(n, 10) + `,"pending":[` + pending.String() + `]}`
	if err := os.WriteFile(opts.StateFile, []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	gone := n - 50 // a write version 1 had verified, lost since
	if err := s.Client().Del(ctxFor(t, time.Second), opts.Prefix+strconv.FormatUint(gone%100, 10)).Err(); err != nil {
		t.Fatal(err)
	}

	var ck checks
	in2 := newIntegrity(t, probeClient(t, s.Addr), opts, &ck)
	if in2.Next() != n || in2.Pending() != 10 {
		t.Fatalf("resumed at %d with %d pending, want %d and 10", in2.Next(), in2.Pending(), n)
	}
	stop2 := runIntegrity(t, in2)
	waitFor(t, 5*time.Second, func() bool { return ck.sweepsDone(probe.ResumeSweep) > 0 }, "the resume sweep")
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	t.Logf("version 1 state resumed at %d: verdicts %v", n, ck.byResult())
	if got := ck.count(probe.Verified, n-10, n); got != 10 {
		t.Errorf("verified %d of the 10 pending writes, want all", got)
	}
	if got := ck.seqs(probe.Lost, 0, n); !slices.Equal(got, []uint64{gone}) {
		t.Errorf("lost %v, want [%d]", got, gone)
	}
	if got := ck.count(probe.Verified, 0, n-10); got != 0 {
		t.Errorf("%d writes outside pending verified again, want 0: they were verified by version 1", got)
	}
	b, err = os.ReadFile(opts.StateFile)
	if err != nil || !strings.Contains(string(b), `"version":2`) {
		t.Errorf("state file after the resumed run: %s, %v; want version 2", b, err)
	}
	ck.verify(t)
}

// TestStateFileForAnotherRing: a state file written for another ring is not
// resumed; its writes awaiting their first check are reported unchecked,
// not lost.
func TestStateFileForAnotherRing(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Valkey)
	opts := killOpts
	opts.Keys = 100000
	opts.VerifyDelay = time.Minute
	opts.StateFile = filepath.Join(t.TempDir(), "integrity.json")
	c1 := probeClient(t, s.Addr)
	in1 := newIntegrity(t, c1, opts, &checks{})
	stop := runIntegrity(t, in1)
	waitFor(t, 5*time.Second, func() bool { return in1.Next() >= 10 }, "writes")
	_ = c1.Close() // the final sweep cannot read: everything is saved unchecked
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n := in1.Next()

	opts.Keys++
	var ck checks
	in2 := newIntegrity(t, probeClient(t, s.Addr), opts, &ck)
	if in2.Next() != 0 || in2.Pending() != 0 {
		t.Errorf("resumed at %d with %d pending, want a fresh run", in2.Next(), in2.Pending())
	}
	stop = runIntegrity(t, in2)
	waitFor(t, 5*time.Second, func() bool { return ck.count(probe.Unchecked, 0, n) > 0 }, "the discarded ledger reported")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := ck.count(probe.Unchecked, 0, n); got != int(n) || ck.foundBy(probe.Unchecked)["resume sweep"] != int(n) {
		t.Errorf("unchecked %d (found by %v), want the %d pending in the discarded state", got, ck.foundBy(probe.Unchecked), n)
	}
}

// TestStateFileErrors: an unwritable state file fails NewIntegrity at once,
// and so does one that is not a state file.
func TestStateFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o := killOpts
	o.StateFile = filepath.Join(dir, "missing", "state.json")
	if _, err := probe.NewIntegrity(nil, o, nil); err == nil {
		t.Error("NewIntegrity with a state file in a missing directory succeeded")
	}
	o.StateFile = filepath.Join(dir, "bad.json")
	for _, tc := range []struct{ content, want string }{
		{"{", "unexpected end of JSON input"},
		{`{"version":3,"keys":100,"epoch":"00"}`, "not a version 1 or 2 integrity state (epoch \"00\", version 3, keys 100)"},
		{`{"version":1,"keys":100,"epoch":"1","next_seq":3,"pending":[[5,1]]}`, "pending[0] = seq 5 is out of order or not in the ring [0, next_seq 3)"},
		{`{"version":2,"prefix":"it:","keys":100,"epoch":"1","next_seq":3,"slots":"v2"}`, "slots: describes 2 writes, want 3 (min(next_seq, keys))"},
		{`{"version":2,"prefix":"it:","keys":100,"epoch":"1","next_seq":3,"slots":"v2q1"}`, `slots: 'q' at offset 2: want one of - u v x`},
		{`{"version":2,"prefix":"it:","keys":100,"epoch":"1","next_seq":3,"slots":"v9"}`, `slots: run "v9" at offset 0: want a count from 1 to the 3 writes left of the ring`},
		{`{"version":2,"prefix":"it:","keys":100,"epoch":"1","next_seq":3,"slots":"u3","unchecked_at":[1]}`, "slots has 3 writes awaiting their first check, unchecked_at has 1 times"},
	} {
		if err := os.WriteFile(o.StateFile, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := probe.NewIntegrity(nil, o, nil)
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("NewIntegrity with state %s: error %v, want one ending in %q", tc.content, err, tc.want)
		}
	}
}
