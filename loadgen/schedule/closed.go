package schedule

// ClosedParams configure closed loop, which is the absence of a schedule:
// each of Workers workers sends a request as soon as its last one returned.
//
//	rate: {type: closed, workers: 16}
type ClosedParams struct {
	Workers int `mapstructure:"workers"`
}

var closedType = Type{Name: "closed", New: func() Params { return &ClosedParams{} }}

var _ Params = (*ClosedParams)(nil)

// Check checks the number of workers.
func (p *ClosedParams) Check(ps Problems) {
	c := checker{ps, "closed"}
	if c.required("workers") && (p.Workers < 1 || p.Workers > MaxWorkers) {
		c.Add("workers", "must be between %v and %v, got %v", 1, MaxWorkers, p.Workers)
	}
}

// Schedule returns nil: closed loop has none.
func (p *ClosedParams) Schedule() Schedule { return nil }
