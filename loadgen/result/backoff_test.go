package result_test

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/ecbench/ecbench/loadgen/result"
)

// A request refused by the client's dial back-off was never sent: it is
// backoff even when its message quotes the refused dial before it.
func TestClassifyDialBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want result.Class
	}{
		{"the sentinel", result.ErrDialBackoff, result.ClassBackoff},
		{"wrapped", fmt.Errorf("dial 127.0.0.1:6379: %w", result.ErrDialBackoff), result.ClassBackoff},
		{"beside a refused dial", fmt.Errorf("%w (last dial: %w)", result.ErrDialBackoff, syscall.ECONNREFUSED), result.ClassBackoff},
		{"a refused dial is not", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), result.ClassConnRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := result.Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if got := result.ClassBackoff.String(); got != "backoff" {
		t.Errorf("ClassBackoff.String() = %q, want backoff", got)
	}
}
