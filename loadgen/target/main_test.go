package target_test

import (
	"context"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/target"
)

func TestMain(m *testing.M) {
	// No exception for go-redis' pool.(*ConnPool).tryDial, the goroutine
	// its dial back-off starts after PoolSize failed dials: the target's
	// dialer never lets that back-off trip (dialer.go), and this proves it.
	goleak.VerifyTestMain(m)
}

var versionRE = regexp.MustCompile(`\bv=(\S+)`)

// binaryVersion returns the version `<engine>-server --version` prints.
func binaryVersion(t *testing.T, e servertest.Engine) string {
	t.Helper()
	out, err := exec.Command(servertest.Binary(e), "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", servertest.Binary(e), err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no v=... in %s --version output %q", servertest.Binary(e), out)
	}
	return string(m[1])
}

// newTarget builds a target and closes it when the test ends.
func newTarget(t *testing.T, o target.Options) *target.Target {
	t.Helper()
	if o.Name == "" {
		o.Name = "t"
	}
	tg, err := target.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	return tg
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
