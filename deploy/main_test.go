package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// binDir holds what the tests build once for the whole package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecbench-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	// The end-to-end test starts processes and HTTP clients: all of them must
	// be gone once the tests have returned.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

// repoRoot is the module root: this package sits in deploy/.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Dir(filepath.Dir(file))
}

// repoPath joins path elements below the module root.
func repoPath(t testing.TB, elem ...string) string {
	return filepath.Join(append([]string{repoRoot(t)}, elem...)...)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dockerBuild is the Dockerfile's build command; TestDockerfile checks that
// the Dockerfile still says exactly this, so the binary ecbenchBinary builds
// is the one the image would hold.
const dockerBuild = `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/ecbench ./cmd/ecbench`

var ecbenchOnce struct {
	sync.Once
	path string
	err  error
}

// ecbenchBinary builds cmd/ecbench once per package run, with the
// Dockerfile's flags (static, trimmed, version "e2e").
func ecbenchBinary(t testing.TB) string {
	t.Helper()
	ecbenchOnce.Do(func() {
		out := filepath.Join(binDir, "ecbench")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version=e2e", "-o", out, "./cmd/ecbench")
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			ecbenchOnce.err = fmt.Errorf("go build ./cmd/ecbench: %w\n%s", err, buf.Bytes())
			return
		}
		ecbenchOnce.path = out
	})
	if ecbenchOnce.err != nil {
		t.Fatal(ecbenchOnce.err)
	}
	return ecbenchOnce.path
}
