package loghist

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	if Buckets != 3899 || Buckets > math.MaxUint16 {
		t.Fatalf("Buckets = %d", Buckets)
	}
	// Every value reads back as its bucket's midpoint within 0.39%, and
	// indexes grow with values.
	prev := -1
	for ns := lowest; ns <= highest; ns = ns + ns/997 + 1 {
		i := Index(ns)
		if i < prev || i >= Buckets {
			t.Fatalf("Index(%d) = %d after %d", ns, i, prev)
		}
		prev = i
		if rel := math.Abs(Midpoint(i)-float64(ns)) / float64(ns); rel > 1.0/256 {
			t.Fatalf("Midpoint(Index(%d)) = %v: %.4f%% off", ns, Midpoint(i), rel*100)
		}
	}
	if Index(0) != Index(lowest) || Index(math.MaxInt64) != Index(highest) {
		t.Error("values outside 1µs..100s are not clamped")
	}
}

func TestQuantileAndMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b, all Builder
	var parts []Histogram
	var values []int64
	for range 10 {
		for range 1000 {
			v := int64(math.Exp(rng.NormFloat64()*0.5) * float64(200*time.Microsecond))
			values = append(values, v)
			b.Record(v, 1)
			all.Record(v, 1)
		}
		parts = append(parts, b.Histogram())
	}
	whole := all.Histogram()
	if m := Merge(parts...); !m.Equal(whole) {
		t.Fatal("merged parts differ from one histogram of every value")
	}
	if whole.Count() != 10000 {
		t.Fatalf("Count = %d", whole.Count())
	}
	slices.Sort(values)
	for _, q := range []float64{0.5, 0.95, 0.99, 0.999} {
		exact := float64(values[Rank(q, 10000)-1]) / 1e9
		if got := whole.Quantile(q); math.Abs(got-exact)/exact > 1.0/256 {
			t.Errorf("Quantile(%v) = %v, exact %v", q, got, exact)
		}
	}
	if (Histogram{}).Quantile(0.5) != 0 || (Histogram{}).Count() != 0 {
		t.Error("empty histogram")
	}
}

// TestBuilderReuse: a Builder filled by AddHistogram holds what Add of
// every value gives, and after Histogram it starts empty again, whatever
// buckets it used before.
func TestBuilderReuse(t *testing.T) {
	values := []int64{5000, 1e6, 1e9}
	var b Builder
	for _, ns := range values {
		b.Record(ns, 2)
	}
	old := b.Histogram()
	for _, tt := range []struct {
		name string
		add  func(b *Builder)
		want []int64 // each recorded twice
	}{
		{"Add, after a reset", func(b *Builder) { b.Record(3000, 2); b.Record(7e6, 2) }, []int64{3000, 7e6}},
		{"AddHistogram and an empty one", func(b *Builder) { b.AddHistogram(old); b.AddHistogram(Histogram{}) }, values},
		{"Add then AddHistogram", func(b *Builder) { b.Record(2e9, 2); b.AddHistogram(old) }, append([]int64{2e9}, values...)},
		{"nothing", func(*Builder) {}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.add(&b)
			var want Builder
			for _, ns := range tt.want {
				want.Add(Index(ns), 2)
			}
			if got, w := b.Histogram(), want.Histogram(); !got.Equal(w) {
				t.Errorf("got %d buckets (%d values), want %d (%d)", got.Len(), got.Count(), w.Len(), w.Count())
			}
		})
	}
}

func TestTextRoundTrip(t *testing.T) {
	var b Builder
	for _, ns := range []int64{1, 1000, 1001, 5000, 1e6, 1e6, 1e11, 3e11} {
		b.Record(ns, 3)
	}
	b.Add(Index(1e9), math.MaxUint32+10) // saturates
	h := b.Histogram()
	text, err := h.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var got Histogram
	if err := got.UnmarshalText(text); err != nil || !got.Equal(h) {
		t.Fatalf("round trip: %v, equal %v", err, got.Equal(h))
	}
	var empty Histogram
	if text, _ := (Histogram{}).MarshalText(); len(text) != 0 || empty.UnmarshalText(text) != nil || empty.Count() != 0 {
		t.Error("empty histogram does not round-trip as \"\"")
	}
}

func TestUnmarshalRejects(t *testing.T) {
	for name, text := range map[string]string{
		"not base64":     "!!!",
		"truncated":      "gA",       // a varint cut short
		"zero count":     "AQA",      // index 1, count 0
		"repeated index": "AQEAAQ",   // index 1, then delta 0
		"index too high": "/////w8B", // a huge delta
	} {
		var h Histogram
		if err := h.UnmarshalText([]byte(text)); err == nil {
			t.Errorf("%s: %q decoded as %v", name, text, h)
		}
	}
}

func FuzzUnmarshalText(f *testing.F) {
	f.Add("AQE")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		var h Histogram
		if h.UnmarshalText([]byte(text)) != nil {
			return
		}
		if h.Len() > Buckets {
			t.Fatalf("%d buckets", h.Len())
		}
		again, _ := h.MarshalText()
		var h2 Histogram
		if err := h2.UnmarshalText(again); err != nil || !h2.Equal(h) {
			t.Fatalf("re-encoding %q: %v", text, err)
		}
	})
}

func BenchmarkBuilder(b *testing.B) {
	var bl Builder
	rng := rand.New(rand.NewPCG(1, 2))
	vals := make([]int64, 1000)
	for i := range vals {
		vals[i] = int64(math.Exp(rng.NormFloat64()*0.5) * 2e5)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range vals {
			bl.Record(v, 1)
		}
		_ = bl.Histogram()
	}
}
