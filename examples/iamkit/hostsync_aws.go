package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamkit/iamkit/hostsync"
)

// The AWS side of the hostsync commands: building the SDK's clients. What
// they do with them (the configuration file, the instance's EC2 tags, the
// host's session name) is hostsync's, shared with examples/hostsyncd.

// loadHostsyncIAM builds the IAM client a sync or a live key lookup reads
// with, from the standard configuration chain (on EC2: the instance role).
// Under ASSUMEROLE its credentials are the role's, assumed once and cached
// until shortly before they expire (hostsync.AssumeRoleCredentials); STS is
// called with the host's own credentials. IAM is global: without a
// configured region, us-east-1 is used.
func loadHostsyncIAM(ctx context.Context, cfg hostsync.Config) (hostsyncIAM, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	if cfg.AssumeRole != "" {
		host, _ := os.Hostname()
		awsCfg.Credentials = hostsync.AssumeRoleCredentials(sts.NewFromConfig(awsCfg), cfg.AssumeRole, hostsync.HostSessionName(host))
	}
	return iam.NewFromConfig(awsCfg), nil
}

// loadInstanceTags reads the instance's tags named keys from the instance
// metadata, with the SDK's IMDS client (IMDSv2; AWS_EC2_METADATA_* settings
// apply).
func loadInstanceTags(ctx context.Context, keys []string) (map[string]string, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return hostsync.InstanceTags(ctx, imds.NewFromConfig(awsCfg), keys)
}
