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
	for round := range 5 { // wraps around the buffer several times
		base := uint64(round * 10)
		for j := range uint64(3) {
			l.push(entry{seq: base + j})
		}
		if !l.full() || l.len() != 3 {
			t.Fatalf("round %d: full %v len %d", round, l.full(), l.len())
		}
		l.drop(1)
		if got := l.at(0).seq; got != base+1 {
			t.Fatalf("round %d: oldest %d, want %d", round, got, base+1)
		}
		l.drop(2)
		if l.len() != 0 {
			t.Fatalf("round %d: len %d after dropping all", round, l.len())
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("push on a full ledger did not panic")
		}
	}()
	for range 4 {
		l.push(entry{})
	}
}

func TestRanges(t *testing.T) {
	t.Parallel()
	var got []Range
	r := NewRanges(func(x Range) { got = append(got, x) })
	r.Checked(Verified, 3, 0, 2)
	r.Checked(Verified, 1, 3, 3)
	r.Checked(Lost, 2, 4, 5)
	r.Checked(Lost, 250, 6, 255)
	r.Checked(Verified, 1, 256, 256)
	r.Flush()
	r.Flush() // nothing open: no event
	want := []Range{{Verified, 4, 0, 3}, {Lost, 252, 4, 255}, {Verified, 1, 256, 256}}
	if len(got) != len(want) {
		t.Fatalf("ranges %v, want %v", got, want)
	}
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("range %d = %+v, want %+v", j, got[j], want[j])
		}
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
