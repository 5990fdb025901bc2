// Package ec2tags reads the EC2 tags a hostsync configuration names
// (IAM_AUTHORIZED_GROUPS_TAG, SUDOERS_GROUPS_TAG) as aws-ec2-ssh did when
// the instance metadata shows no tags: with ec2:DescribeTags for the
// instance. It is an adapter of hostsync, apart from hostsync's core so that
// a binary that never reads tags does not link the EC2 client.
//
// Tags is the function to hand hostsync.ResolveInstanceTags: instance
// metadata first (InstanceTags: no AWS call, no IAM permission),
// and only when the instance does not allow tags in its metadata
// (hostsync.ErrTagsUnavailable), DescribeTags for the instance, whose ID and
// region the metadata gives. That needs ec2:DescribeTags in the instance
// role's policy; the role that ASSUMEROLE names plays no part.
package ec2tags

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/iamkit/iamkit/hostsync"
)

// DescribeTagsAPI is the part of the EC2 client DescribeInstanceTags calls,
// with the SDK's signature. *ec2.Client satisfies it, and so does
// iamkittest's fake account (Account.EC2).
type DescribeTagsAPI interface {
	DescribeTags(ctx context.Context, in *ec2.DescribeTagsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeTagsOutput, error)
}

var _ DescribeTagsAPI = (*ec2.Client)(nil)

// maxPages bounds the pages DescribeInstanceTags reads: a tag key is
// unique per instance, so one page of 1000 holds every tag asked for, and a
// service that keeps handing out tokens must not keep a sync waiting.
const maxPages = 100

// ErrTooManyPages is the error of DescribeInstanceTags when DescribeTags
// hands out more than 100 pages.
var ErrTooManyPages = errors.New("ec2tags: DescribeTags did not finish paging")

// DescribeInstanceTags returns the tags named keys of the instance
// instanceID: DescribeTags filtered on resource-id and key, every page read.
// A tag the instance does not carry is absent from the map; no keys calls
// nothing.
func DescribeInstanceTags(ctx context.Context, api DescribeTagsAPI, instanceID string, keys []string) (map[string]string, error) {
	tags := map[string]string{}
	if len(keys) == 0 {
		return tags, nil
	}
	in := &ec2.DescribeTagsInput{Filters: []types.Filter{
		{Name: aws.String("resource-id"), Values: []string{instanceID}},
		{Name: aws.String("key"), Values: keys},
	}}
	for range maxPages {
		out, err := api.DescribeTags(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ec2:DescribeTags for %s: %w", instanceID, err)
		}
		for _, t := range out.Tags {
			if aws.ToString(t.ResourceId) == instanceID {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return tags, nil
		}
		in.NextToken = out.NextToken
	}
	return nil, fmt.Errorf("%w after %d pages", ErrTooManyPages, maxPages)
}

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
			return "", fmt.Errorf("instance metadata %s: %w", path, err)
		}
		defer out.Content.Close()
		data, err := io.ReadAll(io.LimitReader(out.Content, 256))
		if err != nil {
			return "", fmt.Errorf("instance metadata %s: %w", path, err)
		}
		v := strings.TrimSpace(string(data))
		if v == "" {
			return "", fmt.Errorf("instance metadata %s is empty", path)
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

// FromConfig is Tags with the SDK's clients built from awsCfg, the host's
// own AWS configuration (config.LoadDefaultConfig: the instance role): an
// *imds.Client (IMDSv2; AWS_EC2_METADATA_* settings apply; optFns adjust
// it) and, only when the metadata shows no tags, an *ec2.Client in the
// instance's region.
func FromConfig(awsCfg aws.Config, optFns ...func(*imds.Options)) func(ctx context.Context, keys []string) (map[string]string, error) {
	return Tags(imds.NewFromConfig(awsCfg, optFns...), func(_ context.Context, region string) (DescribeTagsAPI, error) {
		return ec2.NewFromConfig(awsCfg, func(o *ec2.Options) { o.Region = region }), nil
	})
}
