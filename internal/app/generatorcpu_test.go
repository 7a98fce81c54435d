package app

import (
	"testing"

	"github.com/ecbench/ecbench/loadgen/cpuuse"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestWarnGeneratorCPU checks the daemon's summary warning: a tenth of the
// interval saturated or more warns, with what was measured and what to do;
// a busy generator that rarely saturated does not.
func TestWarnGeneratorCPU(t *testing.T) {
	for _, tc := range []struct {
		name string
		u    cpuuse.Usage
		warn bool
	}{
		{"saturated a tenth", cpuuse.Usage{CPUs: 2, Busy: 0.8, SaturatedShare: 0.1, Steal: 0.05, StealKnown: true}, true},
		{"busy, rarely saturated", cpuuse.Usage{CPUs: 2, Busy: 0.85, SaturatedShare: 0.05, StealKnown: true}, false},
		{"idle", cpuuse.Usage{CPUs: 1, Busy: 0.02}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.DebugLevel)
			warnGeneratorCPU(zap.New(core), tc.u)
			if !tc.warn {
				if logs.Len() != 0 {
					t.Fatalf("logged %v", logs.All())
				}
				return
			}
			all := logs.All()
			if len(all) != 1 || all[0].Level != zapcore.WarnLevel {
				t.Fatalf("logged %v, want one warning", all)
			}
			f := all[0].ContextMap()
			if all[0].Message != "generator is the bottleneck: its CPUs were saturated, so it read replies late and these numbers hold its own queueing" ||
				f["cpus"] != int64(tc.u.CPUs) || f["saturated_share"] != tc.u.SaturatedShare || f["busy"] != tc.u.Busy ||
				f["host_steal"] != tc.u.Steal || f["hint"] == nil {
				t.Errorf("warning %q with %v", all[0].Message, f)
			}
		})
	}
}
