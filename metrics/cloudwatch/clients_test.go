package cloudwatch

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewClients resolves the region from the argument, else the
// environment, else (here disabled) the instance metadata. Not parallel:
// it sets the environment.
func TestNewClients(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	t.Setenv("AWS_REGION", "eu-west-1")
	for region, want := range map[string]string{"": "eu-west-1", "us-east-2": "us-east-2"} {
		cw, ec, err := NewClients(t.Context(), region)
		if err != nil {
			t.Fatal(err)
		}
		if cw.Options().Region != want || ec.Options().Region != want {
			t.Errorf("NewClients(%q): regions %q, %q, want %q", region, cw.Options().Region, ec.Options().Region, want)
		}
	}
	t.Setenv("AWS_REGION", "")
	_, _, err := NewClients(t.Context(), "")
	if !errors.Is(err, ErrNoRegion) || !strings.HasPrefix(err.Error(), "cloudwatch: no AWS region: set it in the configuration or AWS_REGION, or run on EC2 (instance metadata: ") {
		t.Errorf("without a region: %v, want ErrNoRegion", err)
	}
}
