package app

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/target"
)

// MonitorSummary is what a monitor run saw, for the end of the run.
type MonitorSummary struct {
	Endpoint   string // the endpoint, without its password
	Dir        string
	Start, End time.Time

	Probes, ProbesOK int            // availability probes sent and answered in time
	Outages          []probe.Outage // in order; the last one may be Ongoing
	Ongoing          bool           // the last outage had not ended at the stop: its End is the stop

	Integrity                                   bool // the integrity probe ran
	Verified, Lost, Stale, Corrupted, Unchecked int  // writes, by verdict

	Detected      bool        // INFO answered at least once
	Before, After target.Info // the first and the last INFO
	Changes       int         // times engine, version, mode or role changed

	CloudWatch       bool // CloudWatch was polled
	CloudWatchPoints int  // datapoints written
}

// Unavailable is the time spent in outages.
func (s *MonitorSummary) Unavailable() time.Duration {
	var d time.Duration
	for _, o := range s.Outages {
		d += o.Duration
	}
	return d
}

// maxListedOutages bounds the outages the summary lists; outages.csv has
// them all.
const maxListedOutages = 20

// WriteText writes the summary as a few lines for people.
func (s *MonitorSummary) WriteText(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "monitored %s for %v, %s to %s\n", s.Endpoint, s.End.Sub(s.Start).Round(time.Millisecond),
		formatTime(s.Start), formatTime(s.End))

	share := "no probe finished"
	if s.Probes > 0 {
		share = fmt.Sprintf("%.2f%% of %d probes succeeded", 100*float64(s.ProbesOK)/float64(s.Probes), s.Probes)
	}
	if len(s.Outages) == 0 {
		fmt.Fprintf(&b, "outages: none; %s\n", share)
	} else {
		fmt.Fprintf(&b, "outages: %d, unavailable %s s in all; %s\n", len(s.Outages), seconds3(s.Unavailable()), share)
	}
	for i, o := range s.Outages {
		if i == maxListedOutages {
			fmt.Fprintf(&b, "  … and %d more in %s\n", len(s.Outages)-i, OutagesFile)
			break
		}
		end := formatTime(o.End)
		if s.Ongoing && i == len(s.Outages)-1 {
			end = "the stop (still down)"
		}
		fmt.Fprintf(&b, "  %s to %s  %s s  %s, last %s, %d failed probes\n",
			formatTime(o.Start), end, seconds3(o.Duration), o.FirstClass, o.LastClass, o.Failed)
	}

	if s.Integrity {
		fmt.Fprintf(&b, "lost writes: %d (stale %d, corrupted %d); %d verified, %d unchecked\n",
			s.Lost, s.Stale, s.Corrupted, s.Verified, s.Unchecked)
	} else {
		fmt.Fprintln(&b, "lost writes: not checked (no integrity probe)")
	}

	switch {
	case !s.Detected:
		fmt.Fprintln(&b, "engine: unknown (INFO never answered)")
	case s.Before.Engine == s.After.Engine && s.Before.Version == s.After.Version:
		fmt.Fprintf(&b, "engine: %s %s, unchanged\n", s.Before.Engine, s.Before.Version)
	default:
		fmt.Fprintf(&b, "engine: %s %s → %s %s\n", s.Before.Engine, s.Before.Version, s.After.Engine, s.After.Version)
	}
	if s.Detected {
		if s.Before.Role == s.After.Role {
			fmt.Fprintf(&b, "role: %s", s.After.Role)
		} else {
			fmt.Fprintf(&b, "role: %s → %s", s.Before.Role, s.After.Role)
		}
		fmt.Fprintf(&b, "; %d changes of engine, version, mode or role\n", s.Changes)
	}

	if s.CloudWatch {
		fmt.Fprintf(&b, "cloudwatch: %d datapoints\n", s.CloudWatchPoints)
	}
	fmt.Fprintf(&b, "files: %s\n", s.Dir)
	_, err := w.Write(b.Bytes())
	return err
}

// writeFile writes the summary to the output directory.
func (s *MonitorSummary) writeFile() error {
	var b bytes.Buffer
	_ = s.WriteText(&b)
	if err := os.WriteFile(filepath.Join(s.Dir, SummaryFile), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrMonitorOutput, err)
	}
	return nil
}
