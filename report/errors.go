package report

import "errors"

var (
	// ErrFormat is returned for an image format other than png or svg.
	ErrFormat = errors.New("report: unknown chart format")
	// ErrNoData is returned when Prometheus holds no ecbench series in the
	// window asked for.
	ErrNoData = errors.New("no ecbench series")
)
