package target_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/target"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			version := binaryVersion(t, e)
			primary := servertest.Start(t, e)
			replica := servertest.Start(t, e, "replicaof", "127.0.0.1 "+strconv.Itoa(primary.Port))

			tests := []struct {
				name string
				addr string
				want target.Info
			}{
				{"primary", primary.Addr, target.Info{Engine: e, Version: version, Mode: "standalone", Role: "primary"}},
				{"replica", replica.Addr, target.Info{Engine: e, Version: version, Mode: "standalone", Role: "replica"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tg := newTarget(t, target.Options{Name: tt.name, Addrs: []string{tt.addr}})
					if _, ok := tg.Info(); ok {
						t.Fatal("Info ok before Detect")
					}
					if tg.Ready() || tg.Up() {
						t.Fatalf("Ready=%v Up=%v before Detect, want false", tg.Ready(), tg.Up())
					}
					if got := tg.Engine(); got != "unknown" {
						t.Errorf("Engine before Detect = %q, want unknown", got)
					}
					got, err := tg.Detect(testCtx(t, 5*time.Second))
					if err != nil {
						t.Fatalf("Detect: %v", err)
					}
					if got != tt.want {
						t.Errorf("Detect = %+v, want %+v", got, tt.want)
					}
					if stored, ok := tg.Info(); !ok || stored != tt.want {
						t.Errorf("Info() = %+v, %v; want %+v, true", stored, ok, tt.want)
					}
					if tg.Engine() != e || !tg.Up() || !tg.Ready() {
						t.Errorf("after Detect: Engine=%q Up=%v Ready=%v, want %q true true", tg.Engine(), tg.Up(), tg.Ready(), e)
					}
				})
			}
		})
	}
}

func TestDetectDownMarksDown(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Redis)
	tg := newTarget(t, target.Options{Addrs: []string{s.Addr}, DeclaredEngine: "redis"})
	ctx := testCtx(t, 5*time.Second)
	if _, err := tg.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if _, err := tg.Detect(ctx); err == nil {
		t.Fatal("Detect succeeded against a killed server")
	}
	if tg.Up() {
		t.Error("Up after a failed Detect")
	}
	if !tg.Ready() {
		t.Error("Ready must stay true once the target has answered")
	}
	if in, ok := tg.Info(); !ok || in.Engine != "redis" {
		t.Errorf("Info after a failed Detect = %+v, %v; want the last detected one", in, ok)
	}
}

// TestProtocol checks that the connections speak the RESP version asked
// for (RESP2 by default), as the server sees it in CLIENT INFO.
func TestProtocol(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		srv := servertest.Start(t, e)
		for _, tt := range []struct {
			protocol int
			want     string
		}{{0, "resp=2"}, {2, "resp=2"}, {3, "resp=3"}} {
			t.Run(string(e)+"/"+strconv.Itoa(tt.protocol), func(t *testing.T) {
				tg := newTarget(t, target.Options{Name: "t", Addrs: []string{srv.Addr}, Protocol: tt.protocol})
				info, err := tg.Client().ClientInfo(testCtx(t, 5*time.Second)).Result()
				if err != nil {
					t.Fatalf("CLIENT INFO: %v", err)
				}
				if got := "resp=" + strconv.Itoa(info.Resp); got != tt.want {
					t.Errorf("protocol %d: server sees %s, want %s", tt.protocol, got, tt.want)
				}
				if _, err := tg.Detect(testCtx(t, 5*time.Second)); err != nil {
					t.Errorf("Detect over protocol %d: %v", tt.protocol, err)
				}
			})
		}
	}
}
