package profile

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that a profile leaves no goroutine behind: the
// samplers, snapshot readers and clients all end with Run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
