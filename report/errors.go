package report

import "errors"

// ErrFormat is returned for an image format other than png or svg.
var ErrFormat = errors.New("report: unknown chart format")
