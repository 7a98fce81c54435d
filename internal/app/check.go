package app

import (
	"context"
	"time"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/target"
)

// Detect connects to the target once and reads what it runs, within its
// dial and read timeouts (and a second more): `ecbench check --connect`.
func Detect(tc config.Target) (target.Info, error) {
	t, err := target.New(targetOptions(tc, nil))
	if err != nil {
		return target.Info{}, err
	}
	defer t.Close()
	ctx, cancel := context.WithTimeout(context.Background(), tc.DialTimeout+tc.ReadTimeout+time.Second)
	defer cancel()
	return t.Detect(ctx)
}
