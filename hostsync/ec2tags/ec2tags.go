// Package ec2tags reads the EC2 tags a hostsync configuration names
// (IAM_AUTHORIZED_GROUPS_TAG, SUDOERS_GROUPS_TAG) as aws-ec2-ssh did: from
// the instance metadata first (InstanceTags: no AWS call, no IAM
// permission), and with ec2:DescribeTags for the instance when the
// instance does not allow tags in its metadata (hostsync.ErrTagsUnavailable).
// The instance ID and region come from the metadata; the call needs
// ec2:DescribeTags in the instance role's policy (the role ASSUMEROLE names
// plays no part). It is an adapter of hostsync, apart from hostsync's core
// so that a binary that never reads tags does not link the IMDS client.
//
// DescribeTags goes through Client, a hand-written client of that one
// operation (EC2's query protocol, signed with the SDK's SigV4 signer):
// the SDK's service/ec2 package made a cold build of the module 2.5× as
// long when it was tried, for one call.
package ec2tags

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// Identity is what the instance metadata says of the instance: its ID and
// region.
type Identity struct {
	// InstanceID is "i-...".
	InstanceID string
	// Region is the instance's region ("eu-west-1").
	Region string
}

// InstanceIdentity reads the instance ID (instance-id) and region
// (placement/region) from the instance metadata.
func InstanceIdentity(ctx context.Context, api MetadataAPI) (Identity, error) {
	get := func(path string) (string, error) {
		out, err := api.GetMetadata(ctx, &imds.GetMetadataInput{Path: path})
		if err != nil {
			return "", hserr.Errorf("instance metadata %s: %w", path, err)
		}
		defer out.Content.Close()
		data, err := io.ReadAll(io.LimitReader(out.Content, 256))
		if err != nil {
			return "", hserr.Errorf("instance metadata %s: %w", path, err)
		}
		v := strings.TrimSpace(string(data))
		if v == "" {
			return "", hserr.Errorf("instance metadata %s is empty", path)
		}
		return v, nil
	}
	id, err := get("instance-id")
	if err != nil {
		return Identity{}, err
	}
	region, err := get("placement/region")
	if err != nil {
		return Identity{}, err
	}
	return Identity{InstanceID: id, Region: region}, nil
}

// Tags returns the tag reader for hostsync.ResolveInstanceTags:
// InstanceTags through meta, and when the metadata shows no tags
// (hostsync.ErrTagsUnavailable), DescribeInstanceTags for the instance
// through the client newEC2 builds for the instance's region (called only
// then). When DescribeTags fails as well, the error wraps both
// hostsync.ErrTagsUnavailable and DescribeTags' error.
func Tags(meta MetadataAPI, newEC2 func(ctx context.Context, region string) (DescribeTagsAPI, error)) func(ctx context.Context, keys []string) (map[string]string, error) {
	return func(ctx context.Context, keys []string) (map[string]string, error) {
		tags, err := InstanceTags(ctx, meta, keys)
		if !errors.Is(err, hostsync.ErrTagsUnavailable) {
			return tags, err
		}
		fallback := func() (map[string]string, error) {
			id, err := InstanceIdentity(ctx, meta)
			if err != nil {
				return nil, err
			}
			api, err := newEC2(ctx, id.Region)
			if err != nil {
				return nil, err
			}
			return DescribeInstanceTags(ctx, api, id.InstanceID, keys)
		}
		tags, derr := fallback()
		if derr != nil {
			return nil, errors.Join(err, derr)
		}
		return tags, nil
	}
}

// FromConfig is Tags with clients built from awsCfg, the host's own AWS
// configuration (config.LoadDefaultConfig: the instance role): an
// *imds.Client (IMDSv2; AWS_EC2_METADATA_* settings apply; optFns adjust
// it) and, only when the metadata shows no tags, a Client for the
// instance's region.
func FromConfig(awsCfg aws.Config, optFns ...func(*imds.Options)) func(ctx context.Context, keys []string) (map[string]string, error) {
	return Tags(imds.NewFromConfig(awsCfg, optFns...), func(_ context.Context, region string) (DescribeTagsAPI, error) {
		cfg := awsCfg.Copy()
		cfg.Region = region
		return NewClient(cfg), nil
	})
}
