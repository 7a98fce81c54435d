package results

// Stats summarises a series.
type Stats struct {
	Ops uint64 // ok + miss: requests answered as expected
	// Throughput is ok+miss per second over the measured window (Seconds):
	// what the engine achieved, whole run. A run by request count ends when
	// its last answer arrives, so it is exact there; a timed run also counts
	// the answers to requests in flight at its end, a fraction of a percent
	// of a run of many seconds. The per-interval samples behind the verdict
	// are IntervalValues(Throughput). 0 when Seconds is 0.
	Throughput float64

	// Latency from the intended start of answered requests (ok and miss)
	// and of dropped requests' lower bounds (Series.LowerBounds), in
	// seconds, from the Latency histogram (within 0.1%). Errors are not in
	// it: see Series.ErrorLatency.
	Mean, P50, P95, P99, P999, Max float64
	// Service time of answered requests from the actual send, in seconds.
	ServiceP50, ServiceP99 float64

	ErrorRate float64 // errors / (ok + miss + errors); 0 when nothing completed
	Dropped   uint64
}

// Stats returns the series' summary statistics.
func (s *Series) Stats() Stats {
	st := Stats{
		Ops:        s.OK + s.Miss,
		Mean:       s.Latency.Mean(),
		P50:        s.Latency.Quantile(0.50),
		P95:        s.Latency.Quantile(0.95),
		P99:        s.Latency.Quantile(0.99),
		P999:       s.Latency.Quantile(0.999),
		Max:        s.Latency.Max(),
		ServiceP50: s.Service.Quantile(0.50),
		ServiceP99: s.Service.Quantile(0.99),
		Dropped:    s.Dropped,
	}
	if done := s.OK + s.Miss + s.Errors; done > 0 {
		st.ErrorRate = float64(s.Errors) / float64(done)
	}
	if s.Seconds > 0 {
		st.Throughput = float64(st.Ops) / s.Seconds
	}
	return st
}

// Quantity is a per-interval value of a series.
type Quantity int

// The quantities IntervalValues returns.
const (
	Throughput Quantity = iota // ok+miss per second
	Mean                       // latency from intended start, seconds
	P50
	P95
	P99
	P999
	Max
)

// Quantities lists every Quantity.
var Quantities = []Quantity{Throughput, Mean, P50, P95, P99, P999, Max}

var quantityNames = []string{"throughput", "mean", "p50", "p95", "p99", "p999", "max"}

// String returns the quantity's name as in the CSV columns, without unit.
func (q Quantity) String() string {
	if q >= 0 && int(q) < len(quantityNames) {
		return quantityNames[q]
	}
	return "unknown"
}

// IntervalValues returns one value of q per interval, in order: the samples
// for comparing two series interval by interval (with the same
// IntervalSeconds: see Rebin).
//
// Throughput has a value for every interval, 0 for intervals without
// answers: a stalled server shows as zeros. The latency quantities skip
// intervals without latency values (no request answered, no lower bound),
// since there is no latency to report, so they may be shorter. It returns
// nil for an unknown q.
func (s *Series) IntervalValues(q Quantity) []float64 {
	if q < Throughput || q > Max {
		return nil
	}
	out := make([]float64, 0, len(s.Intervals))
	secs := s.IntervalLength()
	for _, iv := range s.Intervals {
		if q == Throughput {
			out = append(out, float64(iv.OK+iv.Miss)/secs)
			continue
		}
		// Every recorded latency is at least 1 µs, so Max is 0 only for an
		// interval without one.
		if iv.Max == 0 {
			continue
		}
		out = append(out, iv.value(q))
	}
	return out
}

// value returns the interval's latency quantity q.
func (iv *Interval) value(q Quantity) float64 {
	switch q {
	case Mean:
		return iv.Mean
	case P50:
		return iv.P50
	case P95:
		return iv.P95
	case P99:
		return iv.P99
	case P999:
		return iv.P999
	case Max:
		return iv.Max
	}
	return 0
}

// IntervalLength is the interval length in seconds: IntervalSeconds, or 1
// when unset (files written before it was recorded, all of 1 s rows).
func (s *Series) IntervalLength() float64 {
	if s.IntervalSeconds > 0 {
		return s.IntervalSeconds
	}
	return 1
}
