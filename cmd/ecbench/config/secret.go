package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Secret is a resolved password. Every way of printing, marshalling or
// logging it yields "[redacted]" (or "" when it is empty, so that "no
// password" stays visible); only Reveal returns the value.
type Secret string

// Reveal returns the secret itself. Call it only where the value is handed to
// the client library.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string { return s.shown() }

// GoString makes %#v redacted too.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.shown()) }

// Format covers every verb (%s, %q, %x, %v, %+v, %#v, ...), so that no verb
// falls through to the underlying string.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.shown())
	case 'q':
		fmt.Fprintf(f, "%q", s.shown())
	default:
		fmt.Fprint(f, s.shown())
	}
}

// MarshalText returns the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// MarshalJSON returns the redacted form as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.shown()) }

// MarshalYAML returns the redacted form (yaml.v3's Marshaler).
func (s Secret) MarshalYAML() (any, error) { return s.shown(), nil }

// LogValue returns the redacted form for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ fmt.Formatter  = Secret("")
	_ json.Marshaler = Secret("")
	_ slog.LogValuer = Secret("")
)
