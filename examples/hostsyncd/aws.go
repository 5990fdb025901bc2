package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamkit/iamkit/hostsync"
)

// loadAWS loads the standard AWS configuration chain: the instance role on
// EC2, or AWS_PROFILE, environment variables, AWS_ENDPOINT_URL... IAM is a
// global service; when no region is configured, us-east-1 is used.
func loadAWS(ctx context.Context) (aws.Config, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	return awsCfg, nil
}

// newIAM builds the IAM client a sync reads with. Under ASSUMEROLE its
// credentials are the role's, assumed once and cached until shortly before
// they expire (hostsync.AssumeRoleCredentials), under the host's session
// name (hostsync.HostSessionName); STS is called with the host's own
// credentials.
func newIAM(awsCfg aws.Config, cfg hostsync.Config, hostname string) *iam.Client {
	if cfg.AssumeRole != "" {
		awsCfg.Credentials = hostsync.AssumeRoleCredentials(sts.NewFromConfig(awsCfg), cfg.AssumeRole, hostsync.HostSessionName(hostname))
	}
	return iam.NewFromConfig(awsCfg)
}
