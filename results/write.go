package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Write writes run to the results directory dir, creating it if needed:
// run.json (indented), intervals.csv and summary.csv. Each file is written to
// a temporary file in dir, synced and renamed over its final name, so a crash
// leaves either the old file or the new one, never half of one. run.json is
// written last: a directory with a run.json also has the CSVs that go with
// it. Write always writes SchemaVersion, whatever run.Schema holds.
func Write(dir string, run *Run) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	out := *run
	out.Schema = SchemaVersion
	js, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return fmt.Errorf("results: encode %s: %w", RunFile, err)
	}
	js = append(js, '\n')
	intervals, err := intervalsCSV(run.Series)
	if err != nil {
		return err
	}
	summary, err := summaryCSV(run.Series)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{IntervalsFile, intervals},
		{SummaryFile, summary},
		{RunFile, js},
	} {
		if err := writeAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

var intervalsHeader = []string{
	"target", "engine", "workload", "op", "t", "start_s", "interval_s",
	"ok", "miss", "errors", "dropped", "lower_bounds",
	"mean_s", "p50_s", "p95_s", "p99_s", "p999_s", "max_s",
}

func intervalsCSV(series []Series) ([]byte, error) {
	return writeCSV(intervalsHeader, func(w *csv.Writer) error {
		for i := range series {
			s := &series[i]
			length := f(s.IntervalLength())
			for _, iv := range s.Intervals {
				err := w.Write([]string{
					s.Target, string(s.Engine), s.Workload, s.Op,
					strconv.FormatInt(iv.T, 10), f(s.IntervalStart(iv.T)), length,
					u(iv.OK), u(iv.Miss), u(iv.Errors), u(iv.Dropped), u(iv.LowerBounds),
					f(iv.Mean), f(iv.P50), f(iv.P95), f(iv.P99), f(iv.P999), f(iv.Max),
				})
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}

var summaryHeader = []string{
	"target", "engine", "workload", "op", "ok", "miss", "errors", "dropped", "lower_bounds",
	"ops", "throughput_per_s", "error_rate",
	"mean_s", "p50_s", "p95_s", "p99_s", "p999_s", "max_s", "service_p50_s", "service_p99_s",
}

func summaryCSV(series []Series) ([]byte, error) {
	return writeCSV(summaryHeader, func(w *csv.Writer) error {
		for i := range series {
			s := &series[i]
			st := s.Stats()
			err := w.Write([]string{
				s.Target, string(s.Engine), s.Workload, s.Op, u(s.OK), u(s.Miss), u(s.Errors), u(s.Dropped), u(s.LowerBounds),
				u(st.Ops), f(st.Throughput), f(st.ErrorRate),
				f(st.Mean), f(st.P50), f(st.P95), f(st.P99), f(st.P999), f(st.Max),
				f(st.ServiceP50), f(st.ServiceP99),
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func writeCSV(header []string, rows func(*csv.Writer) error) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(header); err != nil {
		return nil, fmt.Errorf("results: csv: %w", err)
	}
	if err := rows(w); err != nil {
		return nil, fmt.Errorf("results: csv: %w", err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("results: csv: %w", err)
	}
	return buf.Bytes(), nil
}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

// f formats seconds and rates in plain decimal ("0.000123"), never with an
// exponent, at the shortest precision that reads back exactly.
func f(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// writeAtomic replaces path with data: temp file in the same directory,
// fsync, rename.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("results: sync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// syncDir makes the renames durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("results: sync %s: %w", dir, err)
	}
	return nil
}
