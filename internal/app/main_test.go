package app

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ecbench/ecbench/internal/proctest"
)

func TestMain(m *testing.M) {
	// go-redis logs dial failures of killed servers; tests assert on counts.
	redis.SetLogger(discardRedisLog{})
	os.Exit(m.Run())
}

type discardRedisLog struct{}

func (discardRedisLog) Printf(_ context.Context, _ string, _ ...any) {}

// syncBuffer is a buffer safe for a logger writing while a test reads.
type syncBuffer = proctest.Output

// testLogger logs JSON at debug level to w, as the daemon's default
// encoding does.
func testLogger(w io.Writer) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "ts"
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), zapcore.DebugLevel))
}
