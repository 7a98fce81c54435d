package main

import (
	"context"
	"fmt"
	"io"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newLogger builds the daemon's logger: JSON by default for journald and log
// shippers, console for people at a terminal.
//
// It also becomes the output of the standard library's log package, at
// warn level: whatever writes there (net/http's server errors, the metrics
// server's when it was given no logger of its own) then comes out as an
// entry in the same format, so a JSON log stays JSON for its parsers.
func newLogger(level, format string, w io.Writer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level %q: allowed: debug, info, warn, error", level)
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "ts"
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	encCfg.EncodeDuration = zapcore.StringDurationEncoder
	var enc zapcore.Encoder
	switch format {
	case "", "json":
		enc = zapcore.NewJSONEncoder(encCfg)
	case "console":
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	default:
		return nil, fmt.Errorf("log format %q: allowed: json, console", format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)
	log := zap.New(core)
	if _, err := zap.RedirectStdLogAt(log.Named("stdlog"), zapcore.WarnLevel); err != nil {
		return nil, fmt.Errorf("redirect the standard log: %w", err)
	}
	return log, nil
}

// redisLogger sends go-redis's own messages (pool and cluster-state notes)
// to the daemon's log at debug level: the daemon already reports what they
// mean as counted error classes and target events, and an unstructured line
// per failed dial during an outage would flood the log.
type redisLogger struct{ log *zap.SugaredLogger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debugf(format, v...)
}
