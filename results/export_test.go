package results

import "time"

// HistOf returns a histogram holding ds, for tests that build series by hand.
func HistOf(ds ...time.Duration) Histogram {
	h := newHDR()
	for _, d := range ds {
		_ = h.RecordValue(clampNanos(d))
	}
	return Histogram{h}
}

// RowsState returns, for op i of r, the stored rows' length and how many
// rows still hold unmerged histograms: for tests that catch a doubling
// in progress.
func RowsState(r *Recorder, i int) (length time.Duration, unmerged int) {
	o := &r.ops[i]
	o.rowsMu.Lock()
	defer o.rowsMu.Unlock()
	for _, row := range o.rows.rows {
		if len(row.more) > 0 {
			unmerged++
		}
	}
	return o.rows.length(), unmerged
}

// DecodeRun is Read without the file: for fuzzing the decoding alone.
var DecodeRun = decodeRun
