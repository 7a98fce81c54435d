package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/app"
	"github.com/ecbench/ecbench/loadgen/engine"
)

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "check --config FILE [--connect]", stderr)
	path := fs.String("config", os.Getenv("ECBENCH_CONFIG"), "config file (YAML); also ECBENCH_CONFIG")
	connect := fs.Bool("connect", false, "also connect to every target and print its engine, version, mode and role (exit 1 if one cannot be reached)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	cfg, code := loadConfig(*path, fs, stderr)
	if cfg == nil {
		return code
	}
	fmt.Fprintf(stdout, "%s: ok (%d targets, %d workloads)\n", *path, len(cfg.Targets), len(cfg.Workloads))
	// What limits.max_memory was checked against: the worst case is the
	// figure to watch when a config grows.
	fmt.Fprintf(stdout, "memory: %s\n", cfg.Budget())
	if !*connect {
		return exitOK
	}
	// Failures are in the table; go-redis's own lines would repeat them.
	redis.SetLogger(discardRedisLog{})
	return connectAll(cfg, stdout)
}

// connectAll reaches every target in turn and prints what it detected.
func connectAll(cfg *config.Config, stdout io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tENGINE\tVERSION\tMODE\tROLE\tSTATUS")
	code := exitOK
	for _, tc := range cfg.Targets {
		info, err := app.Detect(tc)
		status := "ok"
		if err != nil {
			status, code = "error: "+err.Error(), exitFailed
		} else if w := app.EngineMismatch(engine.Engine(tc.Engine), info.Engine); w != "" {
			status = "warning: " + w
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", tc.Name, orDash(string(info.Engine)), orDash(info.Version), orDash(info.Mode), orDash(info.Role), status)
	}
	_ = tw.Flush()
	return code
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}
