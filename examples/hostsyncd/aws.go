package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
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
		awsCfg.Region = iamsource.DefaultIAMRegion
	}
	return awsCfg, nil
}

// newIAM builds the IAM client a sync reads with: iamsource.NewIAMClient,
// under ASSUMEROLE with the role's credentials, assumed once and cached,
// under the host's session name.
func newIAM(awsCfg aws.Config, cfg hostsync.Config, hostname string) *iam.Client {
	return iamsource.NewIAMClient(awsCfg, cfg, hostname)
}
