package probe

import (
	"strings"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	for _, size := range []int{MinValueSize, MinValueSize + 1, MinValueSize + 12, 128, 4096} {
		rec := appendRecord(nil, "k:7", 0x0123456789abcdef, 42, 9, size)
		if len(rec) != size {
			t.Errorf("size %d: record is %d bytes", size, len(rec))
		}
		epoch, seq, ok := parseRecord("k:7", string(rec))
		if !ok || epoch != 0x0123456789abcdef || seq != 42 {
			t.Errorf("size %d: parseRecord(%q) = %x, %d, %v", size, rec, epoch, seq, ok)
		}
	}
	if got, want := string(appendRecord(nil, "k", 1, 2, 3, MinValueSize)), "ecb1:0000000000000001:0000000000000002:"; !strings.HasPrefix(got, want) {
		t.Errorf("record %q, want prefix %q", got, want)
	}
}

// A record is a function of (key, epoch, seq, seed, size): rewriting a write
// that failed writes the same bytes.
func TestRecordDeterministic(t *testing.T) {
	t.Parallel()
	a := appendRecord(nil, "k", 5, 77, 3, 200)
	b := appendRecord([]byte("junk"), "k", 5, 77, 3, 200)
	if string(a) != string(b[4:]) {
		t.Errorf("records differ:\n%s\n%s", a, b[4:])
	}
	if c := appendRecord(nil, "k", 5, 78, 3, 200); string(c[headerLen:]) == string(a[headerLen:]) {
		t.Error("seq 77 and 78 have the same payload")
	}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	const key, epoch = "p:3", 0xfeed
	rec := func(key string, epoch, seq uint64) string { return string(appendRecord(nil, key, epoch, seq, 1, 64)) }
	flip := func(s string, i int) string { b := []byte(s); b[i] ^= 1; return string(b) }
	good := rec(key, epoch, 13)
	tests := []struct {
		name  string
		v     string
		found bool
		want  CheckResult
	}{
		{"the acknowledged record", good, true, Verified},
		{"a later record of the run", rec(key, epoch, 23), true, Verified},
		{"missing", "", false, Lost},
		{"an earlier record", rec(key, epoch, 3), true, Stale},
		{"a record of another run", rec(key, epoch+1, 13), true, Stale},
		{"a record of another key", rec("p:4", epoch, 13), true, Corrupted},
		{"a flipped payload bit", flip(good, headerLen+2), true, Corrupted},
		{"a flipped seq bit", flip(good, headerLen-2), true, Corrupted},
		{"a flipped checksum bit", flip(good, len(good)-1), true, Corrupted},
		{"truncated", good[:len(good)-1], true, Corrupted},
		{"not a record", strings.Repeat("x", 64), true, Corrupted},
		{"empty", "", true, Corrupted},
	}
	for _, tt := range tests {
		if got := judge(key, tt.v, tt.found, epoch, 13); got != tt.want {
			t.Errorf("%s: judge = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLedger(t *testing.T) {
	t.Parallel()
	l := newLedger(3)
	for seq := range uint64(10) { // wraps round the slots several times
		l.set(seq, slotUnchecked)
		l.setAckAt(seq, int64(seq))
		if l.get(seq) != slotUnchecked || l.ackAt(seq) != int64(seq) {
			t.Fatalf("seq %d: state %d at %d", seq, l.get(seq), l.ackAt(seq))
		}
		if seq >= 3 && l.ackAt(seq-3) != int64(seq) {
			t.Fatalf("seq %d does not share its slot with seq %d", seq, seq-3)
		}
	}
	for _, tt := range []struct{ next, want uint64 }{{0, 0}, {2, 0}, {3, 0}, {4, 1}, {10, 7}} {
		if got := l.windowStart(tt.next); got != tt.want {
			t.Errorf("windowStart(%d) = %d, want %d", tt.next, got, tt.want)
		}
	}
	if got, want := IntegrityMemory(10000), int64(90000); got != want {
		t.Errorf("IntegrityMemory(10000) = %d, want %d", got, want)
	}
	if got, want := IntegrityBatchBytes(128), int64(512*(128+16)); got != want {
		t.Errorf("IntegrityBatchBytes(128) = %d, want %d", got, want)
	}
}

func TestRanges(t *testing.T) {
	t.Parallel()
	var got []Check
	r := NewRanges(func(x Check) { got = append(got, x) })
	first := Sweep{Kind: FirstCheck}
	rec1 := Sweep{Kind: RecoverySweep, ID: 1}
	rec2 := Sweep{Kind: RecoverySweep, ID: 2}
	pass := Sweep{Kind: ContinuousSweep, ID: 3}
	r.Checked(Check{Verified, 3, 0, 2, first})
	r.Checked(Check{Lost, 100, 10, 109, rec1})
	r.Checked(Check{Verified, 1, 3, 3, first}) // merges across the recovery sweep's checks
	r.Checked(Check{Lost, 50, 110, 159, rec1}) // the next batch of the same sweep
	r.Checked(Check{Lost, 5, 170, 174, rec1})  // a gap: writes in between were intact
	r.Checked(Check{Lost, 2, 175, 176, rec2})  // another sweep
	r.Checked(Check{Stale, 1, 300, 300, pass})
	r.SweepDone(SweepReport{Sweep: rec1}) // rec1's run is closed already
	r.SweepDone(SweepReport{Sweep: rec2})
	r.Checked(Check{Lost, 2, 4, 5, first})
	r.Flush()
	r.Flush() // nothing open: no event
	want := []Check{
		{Lost, 150, 10, 159, rec1},
		{Lost, 5, 170, 174, rec1},
		{Lost, 2, 175, 176, rec2},
		{Verified, 4, 0, 3, first},
		{Lost, 2, 4, 5, first},
		{Stale, 1, 300, 300, pass},
	}
	if len(got) != len(want) {
		t.Fatalf("ranges\n got %+v\nwant %+v", got, want)
	}
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("range %d = %+v, want %+v", j, got[j], want[j])
		}
	}
}

func TestSweepKindNames(t *testing.T) {
	t.Parallel()
	for k := range numSweepKinds {
		if name := k.String(); name == "" || name == "unknown" {
			t.Errorf("kind %d has no name", k)
		}
		if k.Full() != (k == RecoverySweep || k == RequestedSweep || k == ResumeSweep || k == FinalSweep) {
			t.Errorf("%s: Full() = %v", k, k.Full())
		}
	}
	if got := SweepKind(200).String(); got != "unknown" {
		t.Errorf("out-of-range kind = %q", got)
	}
}

func TestCheckResultNames(t *testing.T) {
	t.Parallel()
	want := []string{"verified", "lost", "stale", "corrupted", "unchecked"}
	for j, r := range CheckResults {
		if r.String() != want[j] {
			t.Errorf("CheckResults[%d] = %q, want %q", j, r, want[j])
		}
	}
	if got := CheckResult(200).String(); got != "unknown" {
		t.Errorf("out-of-range verdict = %q", got)
	}
}

// The sample is a hash of (seed, seq): about the configured share, the same
// for every probe with the same seed.
func TestSample(t *testing.T) {
	t.Parallel()
	a, err := NewIntegrity(nil, IntegrityOptions{Sample: 0.25, Seed: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewIntegrity(nil, IntegrityOptions{Sample: 0.25, Seed: 7}, nil)
	n := 0
	for seq := range uint64(100000) {
		if a.sampled(seq) != b.sampled(seq) {
			t.Fatalf("seq %d: sampled differs between probes with the same seed", seq)
		}
		if a.sampled(seq) {
			n++
		}
	}
	if n < 24000 || n > 26000 {
		t.Errorf("sampled %d of 100000 at 0.25", n)
	}
}
