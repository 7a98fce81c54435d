package results_test

import (
	"testing"

	"github.com/ecbench/ecbench/results"
)

func TestReplayShortfall(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		r    results.Replay
		want string
	}{
		{"complete", results.Replay{Workload: "w", Commands: 100, Passes: 1}, ""},
		{"skipped, most first", results.Replay{Commands: 968, Skipped: map[string]int64{"multi": 2, "exec": 2, "evalsha": 28}},
			"32 of 1000 commands skipped (evalsha 28, exec 2, multi 2): the replay does not send them, so the comparison leaves them out"},
		{"malformed, clamped, stopped", results.Replay{Commands: 5, MalformedLines: 2, FirstMalformed: []results.MalformedLine{{Line: 3, Reason: "bad"}},
			Clamped: 1, Error: "read trace: EOF"},
			"2 malformed lines (first, line 3: bad), passed over; 1 commands' values cut to max_value_size; reading stopped: read trace: EOF"},
	} {
		if got := tt.r.Shortfall(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
		if tt.r.Complete() != (tt.want == "") {
			t.Errorf("%s: Complete %v", tt.name, tt.r.Complete())
		}
	}
}
