package results_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ecbench/ecbench/results"
)

func TestWriteNewNeverShares(t *testing.T) {
	t.Parallel()
	parent := filepath.Join(t.TempDir(), "results")
	run := &results.Run{Meta: results.Meta{Start: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}}
	const n = 8
	dirs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			dir, err := results.WriteNew(parent, run)
			if err != nil {
				t.Error(err)
			}
			dirs[i] = dir
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[d] {
			t.Errorf("two runs written to %s", d)
		}
		seen[d] = true
		if _, err := os.Stat(filepath.Join(d, results.RunFile)); err != nil {
			t.Error(err)
		}
	}
	for _, want := range []string{"20250102T030405Z", "20250102T030405Z-2", "20250102T030405Z-8"} {
		if !seen[filepath.Join(parent, want)] {
			t.Errorf("no directory %s among %v", want, dirs)
		}
	}
	if _, merged, err := results.ReadAll(dirs[0], dirs[1]); err != nil || merged != 2 {
		t.Errorf("ReadAll of two runs: merged %d, %v", merged, err)
	}
	if r, merged, err := results.ReadAll(dirs[0]); err != nil || merged != 0 || r == nil {
		t.Errorf("ReadAll of one run: merged %d, %v", merged, err)
	}
	if _, _, err := results.ReadAll(); err == nil {
		t.Error("ReadAll of nothing: no error")
	}
}
