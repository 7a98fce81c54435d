//go:build !linux

package runner

import "errors"

func newPreciseSleeper() (preciseSleeper, error) {
	return nil, errors.New("runner: no precise sleeper on this system")
}
