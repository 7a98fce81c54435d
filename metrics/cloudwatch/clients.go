package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
)

// ErrNoRegion is returned by NewClients when no AWS region is configured.
var ErrNoRegion = errors.New("cloudwatch: no AWS region: set it in the configuration or AWS_REGION, or run on EC2")

// NewClients returns CloudWatch and ElastiCache clients from the SDK's
// default chain: credentials from the environment, the shared files, or the
// EC2 instance role; the region from region if it is not empty, else from
// the environment or the shared files, else from the EC2 instance metadata
// (asked only then, for at most imdsTimeout).
func NewClients(ctx context.Context, region string) (*cloudwatch.Client, *elasticache.Client, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region), // "" is ignored
		config.WithAppID("ecbench"),
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("cloudwatch: load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		ictx, cancel := context.WithTimeout(ctx, imdsTimeout)
		defer cancel()
		cfg, err = config.LoadDefaultConfig(ictx, append(opts, config.WithEC2IMDSRegion())...)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (instance metadata: %v)", ErrNoRegion, err)
		}
		if cfg.Region == "" {
			return nil, nil, ErrNoRegion
		}
	}
	return cloudwatch.NewFromConfig(cfg), elasticache.NewFromConfig(cfg), nil
}

// imdsTimeout bounds asking the EC2 instance metadata for the region.
const imdsTimeout = 5 * time.Second

// seconds returns t in seconds since the Unix epoch, to the millisecond.
func seconds(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1e3
}
