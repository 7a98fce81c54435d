package schedule

import (
	"errors"
	"fmt"
)

// Type is one type of rate schedule as a configuration names it
// (`rate: {type: burst, ...}`). Everything about a type is in its entry and
// in its Params, beside the schedule itself in the type's own file: the keys
// (the Params struct's mapstructure tags), their defaults (New), the checks
// (Params.Check) and how the schedule is built (Params.Schedule). Adding a
// type is that file and a line in types below.
type Type struct {
	Name string
	// New returns the type's parameters at their defaults: a pointer to a
	// struct that a configuration is decoded onto.
	New func() Params
}

// types are the schedule types in the order that messages list them.
var types = []Type{constantType, rampType, stepsType, burstType, sineType, closedType, recordedType}

// Types returns every schedule type.
func Types() []Type { return append([]Type(nil), types...) }

// Lookup returns the type called name.
func Lookup(name string) (Type, bool) {
	for _, t := range types {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}

// Params are the parameters of one Type.
type Params interface {
	// Check reports every problem with the parameters to p.
	Check(p Problems)
	// Schedule returns the schedule the parameters describe, or nil for
	// closed loop. The parameters must have passed Check.
	Schedule() Schedule
}

// ErrUnknownType is returned for a Spec whose type is not in Types.
var ErrUnknownType = errors.New("unknown schedule type")

// Spec is a rate schedule as configured: the name of its Type and that
// type's parameters, as the type's New returned them.
type Spec struct {
	Type   string
	Params Params
}

// Schedule builds the schedule the spec describes: nil for closed loop, and
// ramp and steps repeated or held once they end, as their after says.
func (s Spec) Schedule() (Schedule, error) {
	if _, ok := Lookup(s.Type); !ok || s.Params == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownType, s.Type)
	}
	return s.Params.Schedule(), nil
}

// OpenLoop reports whether requests follow a schedule, rather than closed
// loop's workers sending back to back.
func (s Spec) OpenLoop() bool {
	_, closed := s.Params.(*ClosedParams)
	return !closed
}

// Workers returns the number of closed-loop workers, 0 for open loop.
func (s Spec) Workers() int {
	if c, ok := s.Params.(*ClosedParams); ok {
		return c.Workers
	}
	return 0
}
