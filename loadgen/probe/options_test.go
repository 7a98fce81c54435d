package probe

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestIntegrityDefaults(t *testing.T) {
	t.Parallel()
	i, err := NewIntegrity(nil, IntegrityOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := IntegrityOptions{
		Prefix: DefaultIntegrityPrefix, Keys: 10000, Interval: 100 * time.Millisecond, Timeout: time.Second,
		ValueSize: 128, VerifyDelay: 10 * time.Second, SweepRate: DefaultSweepRate, Sample: 1,
	}
	if got := i.Options(); got != want {
		t.Errorf("defaults\n got %+v\nwant %+v", got, want)
	}
}

func TestIntegrityInvalidOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		o    IntegrityOptions
		want []string
	}{
		{IntegrityOptions{Keys: -1}, []string{"keys: must be >= 1, got -1"}},
		{IntegrityOptions{Interval: -time.Second}, []string{"interval: must be > 0, got -1s"}},
		{IntegrityOptions{VerifyDelay: -time.Second}, []string{"verify_delay: must be > 0, got -1s"}},
		{IntegrityOptions{Keys: 100}, []string{
			"keys: must be > verify_delay/interval = 100, so that a record is read back before its key is rewritten, got 100",
		}},
		{IntegrityOptions{SweepRate: -1}, []string{"sweep_rate: must be > 0 and finite (writes read again per second), got -1"}},
		{IntegrityOptions{SweepRate: math.Inf(1)}, []string{"sweep_rate: must be > 0 and finite (writes read again per second), got +Inf"}},
		{IntegrityOptions{SweepRate: 10, Interval: 10 * time.Millisecond, Keys: 2000}, []string{
			"sweep_rate: must be > sample/interval = 100 (the checked writes per second), got 10",
		}},
		{IntegrityOptions{SweepRate: 10, Interval: 10 * time.Millisecond, Keys: 2000, Sample: 0.05}, nil},
		{IntegrityOptions{Timeout: -1, ValueSize: 47, Sample: 1.5}, []string{
			"timeout: must be > 0, got -1ns",
			"value_size: must be >= 48, got 47",
			"sample: must be in (0, 1], got 1.5",
		}},
	}
	for _, tt := range tests {
		_, err := NewIntegrity(nil, tt.o, nil)
		if tt.want == nil {
			if err != nil {
				t.Errorf("%+v: %v, want no error", tt.o, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: error %v, want ErrInvalidOptions", tt.o, err)
			continue
		}
		var lines []string
		for _, l := range strings.Split(err.Error(), "\n") {
			lines = append(lines, strings.TrimPrefix(l, ErrInvalidOptions.Error()+": "))
		}
		if strings.Join(lines, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%+v:\n got %q\nwant %q", tt.o, lines, tt.want)
		}
	}
}

func TestAvailabilityOptions(t *testing.T) {
	t.Parallel()
	a, err := NewAvailability(nil, AvailabilityOptions{Interval: 250 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Options(), (AvailabilityOptions{Interval: 250 * time.Millisecond, Timeout: 250 * time.Millisecond, Key: DefaultAvailabilityKey}); got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	_, err = NewAvailability(nil, AvailabilityOptions{Interval: -1, Timeout: -2}, nil)
	if want := "invalid probe options: interval: must be > 0, got -1ns\ninvalid probe options: timeout: must be > 0, got -2ns"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
