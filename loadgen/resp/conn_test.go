package resp_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/resp"
)

// deadlineConn records the deadlines set on it.
type deadlineConn struct {
	net.Conn
	read, write []time.Time
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error  { c.read = append(c.read, t); return nil }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error { c.write = append(c.write, t); return nil }

// TestArmDeadlines checks the deadlines against go-redis' rule: now plus
// the timeout, the context's deadline when sooner, none for a timeout of
// 0, and nothing set at all for a timeout < 0.
func TestArmDeadlines(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	soon, late := now.Add(time.Second), now.Add(time.Hour)
	tests := []struct {
		name        string
		timeout     time.Duration
		ctxDeadline time.Time // zero: none
		want        []time.Time
	}{
		{"timeout", 3 * time.Second, time.Time{}, []time.Time{now.Add(3 * time.Second)}},
		{"context sooner", 3 * time.Second, soon, []time.Time{soon}},
		{"context later", 3 * time.Second, late, []time.Time{now.Add(3 * time.Second)}},
		{"no timeout", 0, time.Time{}, []time.Time{{}}},
		{"no timeout, context", 0, late, []time.Time{late}},
		{"left alone", -1, soon, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if !tc.ctxDeadline.IsZero() {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, tc.ctxDeadline)
				defer cancel()
			}
			dc := &deadlineConn{}
			c := resp.NewConn(dc, 0, tc.timeout, tc.timeout)
			if err := c.ArmDeadlines(ctx, now); err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string][]time.Time{"read": dc.read, "write": dc.write} {
				if len(got) != len(tc.want) || len(got) == 1 && !got[0].Equal(tc.want[0]) {
					t.Errorf("%s deadlines %v, want %v", name, got, tc.want)
				}
			}
		})
	}
}
