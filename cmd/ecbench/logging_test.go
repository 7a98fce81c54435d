package main

import (
	"encoding/json"
	stdlog "log"
	"strings"
	"testing"
)

// TestStandardLogIsZap: what a library writes to the standard library's
// log package (net/http's server errors) comes out in the logger's own
// format, so a JSON log stays JSON. Not parallel: the standard log is
// process-wide, and a parallel test's logger would take it over.
func TestStandardLogIsZap(t *testing.T) {
	tests := []struct {
		format string
		check  func(line string) bool
	}{
		{"json", func(line string) bool {
			var m map[string]any
			return json.Unmarshal([]byte(line), &m) == nil && m["level"] == "warn" && m["logger"] == "stdlog" &&
				m["msg"] == "http: Accept error: accept tcp 127.0.0.1:9478: too many open files; retrying in 5ms"
		}},
		{"console", func(line string) bool {
			return strings.Contains(line, "\tWARN\tstdlog\thttp: Accept error: accept tcp 127.0.0.1:9478: too many open files; retrying in 5ms")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var out syncBuffer
			if _, err := newLogger("info", tt.format, &out); err != nil {
				t.Fatal(err)
			}
			stdlog.Printf("http: Accept error: accept tcp 127.0.0.1:9478: too many open files; retrying in 5ms")
			got := strings.TrimSpace(out.String())
			if strings.Count(got, "\n") != 0 || !tt.check(got) {
				t.Errorf("logged %q", got)
			}
		})
	}
}
