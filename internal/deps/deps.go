//go:build tools

// Package deps named the project's chosen libraries before the code that
// uses them landed, so that `go mod tidy` kept them in go.mod and parallel
// work shared one set of versions. That code has landed: ecbench's own
// packages and tests now import every package named here (compose-go's
// loader through its cli package) and keep the modules in go.mod without
// this file. It never named every library: go-redis was imported before the
// file existed, and go-systemd and client_golang's Prometheus HTTP API client
// came with the code that uses them. The tools build constraint keeps the file
// out of every build; only module commands that read every build tag, such as
// `go mod tidy`, see it.
package deps

import (
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	_ "github.com/aws/aws-sdk-go-v2/service/elasticache"
	_ "github.com/aws/smithy-go/encoding/cbor"
	_ "github.com/awslabs/goformation/v7"
	_ "github.com/chromedp/chromedp"
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/go-viper/mapstructure/v2"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/prometheus/client_model/go"
	_ "github.com/prometheus/common/expfmt"
	_ "github.com/spf13/pflag"
	_ "go.uber.org/goleak"
	_ "go.uber.org/zap"
	_ "golang.org/x/term"
	_ "gonum.org/v1/plot"
	_ "gonum.org/v1/plot/vg/vgsvg"
)
