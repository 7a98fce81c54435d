package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/app"
)

func runDaemon(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "run --config FILE [--listen ADDR] [--log-level L] [--log-format F]", stderr)
	path := fs.String("config", os.Getenv("ECBENCH_CONFIG"), "config file (YAML); also ECBENCH_CONFIG")
	fs.String("listen", "", "metrics HTTP address, host:port (overrides listen)")
	fs.String("log-level", "", "debug, info, warn or error (overrides log.level)")
	fs.String("log-format", "", "json or console (overrides log.format)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	cfg, code := loadConfig(*path, fs, stderr)
	if cfg == nil {
		return code
	}
	log, err := newLogger(cfg.Log.Level, cfg.Log.Format, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench run: %v\n", err)
		return exitUsage
	}
	defer func() { _ = log.Sync() }()
	redis.SetLogger(redisLogger{log.Named("go-redis").Sugar()})

	d, err := app.NewDaemon(cfg, log, buildVersion())
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return exitFailed
	}
	ctx, stop := notifyContext(log)
	defer stop()
	if err := d.Run(ctx); err != nil {
		log.Error("daemon failed", zap.Error(err))
		return exitFailed
	}
	return exitOK
}

// notifyContext returns a context cancelled by the first SIGINT or SIGTERM;
// a second one exits the process at once.
func notifyContext(log *zap.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			log.Info("stopping: signal received; send it again to exit at once", zap.String("signal", s.String()))
			cancel()
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			log.Warn("exiting at once: second signal", zap.String("signal", s.String()))
			_ = log.Sync()
			os.Exit(exitFailed)
		case <-done:
		}
	}()
	return ctx, func() { signal.Stop(sigs); close(done); cancel() }
}

func loadConfig(path string, fs *pflag.FlagSet, stderr io.Writer) (*config.Config, int) {
	if path == "" {
		fmt.Fprintln(stderr, "ecbench: --config is required (or set ECBENCH_CONFIG); see examples/annotated.yaml")
		return nil, exitUsage
	}
	cfg, err := config.Load(path, fs, os.Environ())
	if err != nil {
		return nil, printConfigError(stderr, "ecbench", path, err)
	}
	return cfg, exitOK
}

// printConfigError prints a config's problem list, or the error that kept it
// from being read, after prefix ("ecbench", "ecbench bench"); exit 2.
func printConfigError(stderr io.Writer, prefix, path string, err error) int {
	var verr *config.ValidationError
	if errors.As(err, &verr) {
		if path == "" {
			path = "flags"
		}
		fmt.Fprintf(stderr, "ecbench: %s: %d problem(s):\n", path, len(verr.Problems))
		for _, p := range verr.Problems {
			fmt.Fprintf(stderr, "  %s: %s\n", p.Path, p.Msg)
		}
	} else {
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	}
	return exitUsage
}
