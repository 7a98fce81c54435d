package target_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

const (
	rightPassword = "s3cret-right-Pa55"
	wrongPassword = "wr0ng-Pa55-xyzzy"
)

// noSecret fails the test if s holds either test password.
func noSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, p := range []string{rightPassword, wrongPassword} {
		if strings.Contains(s, p) {
			t.Errorf("%s contains a password: %q", what, s)
		}
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, e)
			admin := s.Client()
			ctx := testCtx(t, 5*time.Second)
			for _, cmd := range [][]any{
				{"ACL", "SETUSER", "app", "on", ">" + rightPassword, "~*", "+@all"},
				{"ACL", "SETUSER", "default", "off"}, // unauthenticated connections get NOAUTH
			} {
				if err := admin.Do(ctx, cmd...).Err(); err != nil {
					t.Fatalf("%v: %v", cmd[:3], err)
				}
			}
			tests := []struct {
				name      string
				user, pwd string
				wantErr   bool
			}{
				{"right password", "app", rightPassword, false},
				{"wrong password", "app", wrongPassword, true},
				{"unknown user", "nobody", rightPassword, true},
				{"no credentials", "", "", true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					o := target.Options{Name: "auth", Addrs: []string{s.Addr}, Username: tt.user, Password: tt.pwd}
					noSecret(t, "Options.String", o.String())
					noSecret(t, "Options %+v", fmt.Sprintf("%v %+v %#v %s", o, o, o, o))

					tg := newTarget(t, o)
					noSecret(t, "Target.String", tg.String())
					noSecret(t, "Target %+v", fmt.Sprintf("%v %+v %#v %s", tg, tg, tg, tg))

					_, err := tg.Detect(testCtx(t, 5*time.Second))
					if !tt.wantErr {
						if err != nil {
							t.Fatalf("Detect: %v", err)
						}
						if err := tg.Client().Set(testCtx(t, 5*time.Second), "k", "v", 0).Err(); err != nil {
							t.Fatalf("SET: %v", err)
						}
						return
					}
					if err == nil {
						t.Fatal("Detect succeeded with bad credentials")
					}
					if c := result.Classify(err); c != result.ClassAuth {
						t.Errorf("class %v, want auth (err %v)", c, err)
					}
					noSecret(t, "Detect error", err.Error())
					noSecret(t, "Detect error %+v", fmt.Sprintf("%+v %#v", err, err))

					ev := expectDown(t, monitored(t, tg))
					if ev.Class != result.ClassAuth {
						t.Errorf("EventDown class %v, want auth (err %v)", ev.Class, ev.Err)
					}
					noSecret(t, "Event", fmt.Sprintf("%v %+v %#v", ev, ev, ev))
					noSecret(t, "Event.Err", ev.Err.Error())
				})
			}
		})
	}
}

// requirepass is the pre-ACL way, still what many ElastiCache AUTH tokens use.
func TestAuthRequirepass(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, e, "requirepass", rightPassword)
			for _, pwd := range []string{rightPassword, wrongPassword} {
				tg := newTarget(t, target.Options{Name: "rp", Addrs: []string{s.Addr}, Password: pwd})
				_, err := tg.Detect(testCtx(t, 5*time.Second))
				switch {
				case pwd == rightPassword && err != nil:
					t.Errorf("right password: %v", err)
				case pwd == wrongPassword && result.Classify(err) != result.ClassAuth:
					t.Errorf("wrong password: class %v, want auth (err %v)", result.Classify(err), err)
				}
				if err != nil {
					noSecret(t, "error", err.Error())
				}
			}
		})
	}
}
