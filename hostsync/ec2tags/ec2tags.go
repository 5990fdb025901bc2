// Package ec2tags reads the EC2 tags a hostsync configuration names
// (IAM_AUTHORIZED_GROUPS_TAG, SUDOERS_GROUPS_TAG) from the instance
// metadata (InstanceTags: no AWS call, no IAM permission). It is an adapter
// of hostsync, apart from hostsync's core so that a binary that never reads
// tags does not link the IMDS client.
//
// aws-ec2-ssh also fell back to ec2:DescribeTags when the instance does not
// allow tags in its metadata; iamkit does not (yet): the SDK's EC2 client
// more than doubles a fresh build, for one call. Allow tags in the instance
// metadata, or list the groups in the configuration file.
package ec2tags

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// FromConfig returns the tag reader for hostsync.ResolveInstanceTags on an
// instance: InstanceTags through an *imds.Client built from awsCfg
// (config.LoadDefaultConfig; AWS_EC2_METADATA_* settings apply). When the
// metadata shows no tags, the error wraps hostsync.ErrTagsUnavailable.
func FromConfig(awsCfg aws.Config, optFns ...func(*imds.Options)) func(ctx context.Context, keys []string) (map[string]string, error) {
	api := imds.NewFromConfig(awsCfg, optFns...)
	return func(ctx context.Context, keys []string) (map[string]string, error) {
		return InstanceTags(ctx, api, keys)
	}
}
