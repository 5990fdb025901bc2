package main

import (
	"context"
	"os"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/ec2tags"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// The AWS side of the hostsync commands: building the SDK's clients. What
// they do with them (the configuration file, the instance's EC2 tags, the
// host's session name) is hostsync's, shared with examples/hostsyncd.

// loadHostsyncIAM builds the IAM client a sync or a live key lookup reads
// with, from the standard configuration chain (on EC2: the instance role),
// as iamsource.NewIAMClient does it for every frontend (the region, and the
// role's cached credentials under ASSUMEROLE).
func (a *app) loadHostsyncIAM(ctx context.Context, cfg hostsync.Config) (hostsyncIAM, error) {
	awsCfg, err := a.loadAWSConfig(ctx, "")
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return iamsource.NewIAMClient(awsCfg, cfg, host), nil
}

// loadSnapshotS3 builds the S3 client a --snapshot sync reads with, from
// the standard configuration chain; the bucket must be in the configured
// region (us-east-1 when none is).
func (a *app) loadSnapshotS3(ctx context.Context) (s3snapshot.SnapshotGetAPI, error) {
	awsCfg, err := a.loadAWSConfig(ctx, "")
	if err != nil {
		return nil, err
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	return s3snapshot.NewS3Client(awsCfg), nil
}

// loadInstanceTags reads the instance's tags named keys from the instance
// metadata, with the SDK's IMDS client (IMDSv2; AWS_EC2_METADATA_* settings
// apply), or with ec2:DescribeTags when the metadata shows no tags:
// ec2tags.FromConfig.
func (a *app) loadInstanceTags(ctx context.Context, keys []string) (map[string]string, error) {
	awsCfg, err := a.loadAWSConfig(ctx, "")
	if err != nil {
		return nil, err
	}
	return ec2tags.FromConfig(awsCfg)(ctx, keys)
}
