package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/iamkit/iamkit/hostsync"
)

// The AWS side of the hostsync commands. examples/hostsyncd has the same
// few functions: each example stays readable on its own.

// loadHostsyncIAM builds the IAM client a sync or a live key lookup reads
// with, from the standard configuration chain (on EC2: the instance role).
// Under ASSUMEROLE its credentials are the role's, assumed once and cached
// until shortly before they expire (hostsync.AssumeRoleCredentials); STS is
// called with the host's own credentials. IAM is global: without a
// configured region, us-east-1 is used.
func loadHostsyncIAM(ctx context.Context, cfg hostsync.Config) (hostsync.IAMAPI, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	if cfg.AssumeRole != "" {
		host, _ := os.Hostname()
		awsCfg.Credentials = hostsync.AssumeRoleCredentials(sts.NewFromConfig(awsCfg), cfg.AssumeRole, sessionName(host))
	}
	return iam.NewFromConfig(awsCfg), nil
}

// sessionName is the role session name for the host: "hostsync-" and the
// host name, reduced to what STS accepts, so that CloudTrail in the users'
// account tells the hosts apart.
func sessionName(hostname string) string {
	var b strings.Builder
	b.WriteString("hostsync-")
	for _, r := range hostname {
		if b.Len() == 64 {
			break
		}
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune("_+=,.@-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// readHostsyncConfig reads an aws-ec2-ssh configuration file. A missing file
// is an error unless optional: an empty configuration syncs every IAM user
// of the account, which should be a decision (create an empty file), not an
// accident.
func readHostsyncConfig(path string, optional bool) (hostsync.Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		if optional {
			return hostsync.DefaultConfig(), nil
		}
		return hostsync.Config{}, fmt.Errorf("configuration file %s does not exist (an empty file syncs every IAM user of the account)", path)
	}
	if err != nil {
		return hostsync.Config{}, fmt.Errorf("configuration: %w", err)
	}
	defer f.Close()
	cfg, err := hostsync.LoadConfig(f)
	if err != nil {
		return hostsync.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// resolveHostsyncTags returns cfg with the group lists read from the EC2
// tags it names (IAM_AUTHORIZED_GROUPS_TAG, SUDOERS_GROUPS_TAG) through
// tags; tags is not called when it names none. A missing tag is an error
// (hostsync.ErrTagMissing): an empty list of authorized groups would mean
// every IAM user.
func resolveHostsyncTags(ctx context.Context, cfg hostsync.Config, tags func(ctx context.Context, keys []string) (map[string]string, error)) (hostsync.Config, error) {
	var keys []string
	for _, k := range []string{cfg.AuthorizedGroupsTag, cfg.SudoersGroupsTag} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	var values map[string]string
	if len(keys) > 0 {
		var err error
		if values, err = tags(ctx, keys); err != nil {
			return cfg, fmt.Errorf("reading the instance's EC2 tags: %w", err)
		}
	}
	return hostsync.ResolveTags(cfg, values)
}

// loadInstanceTags reads the instance's tags named keys from the instance
// metadata, with the SDK's IMDS client (IMDSv2; AWS_EC2_METADATA_* settings
// apply).
func loadInstanceTags(ctx context.Context, keys []string) (map[string]string, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return instanceTags(ctx, imds.NewFromConfig(awsCfg), keys)
}

// metadataAPI is the part of the instance metadata client instanceTags
// calls. *imds.Client satisfies it.
type metadataAPI interface {
	GetMetadata(ctx context.Context, in *imds.GetMetadataInput, optFns ...func(*imds.Options)) (*imds.GetMetadataOutput, error)
}

var _ metadataAPI = (*imds.Client)(nil)

// errTagsUnavailable is the error of instanceTags when the instance
// metadata shows no tags.
var errTagsUnavailable = errors.New("the instance metadata shows no tags: allow tags in the instance metadata " +
	"(aws ec2 modify-instance-metadata-options --instance-metadata-tags enabled), or list the groups in the configuration file")

// instanceTags reads the tags named keys (tags/instance/KEY). A tag the
// instance does not carry is absent from the map.
func instanceTags(ctx context.Context, api metadataAPI, keys []string) (map[string]string, error) {
	get := func(path string) (string, bool, error) {
		out, err := api.GetMetadata(ctx, &imds.GetMetadataInput{Path: path})
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		defer out.Content.Close()
		data, err := io.ReadAll(io.LimitReader(out.Content, 1<<16))
		if err != nil {
			return "", false, err
		}
		return string(data), true, nil
	}
	if _, ok, err := get("tags/instance"); err != nil {
		return nil, err
	} else if !ok {
		return nil, errTagsUnavailable
	}
	tags := map[string]string{}
	for _, k := range keys {
		v, ok, err := get("tags/instance/" + k)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", k, err)
		}
		if ok {
			tags[k] = v
		}
	}
	return tags, nil
}

// liveKeys looks one IAM user's Active SSH keys up in IAM: every page of
// ListSSHPublicKeys, then GetSSHPublicKey (SSH encoding) for each Active
// key. It is the AuthorizedKeysCommand's fallback when the key cache cannot
// answer; hostsync.AuthorizedKeys bounds it with a timeout and keeps only
// Active keys that parse.
func liveKeys(ctx context.Context, api hostsync.IAMAPI, iamName string) ([]hostsync.Key, error) {
	var keys []hostsync.Key
	p := iam.NewListSSHPublicKeysPaginator(api, &iam.ListSSHPublicKeysInput{UserName: aws.String(iamName)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		var nse *types.NoSuchEntityException
		if errors.As(err, &nse) {
			return nil, nil // no such IAM user: no keys
		}
		if err != nil {
			return nil, err
		}
		for _, k := range out.SSHPublicKeys {
			if k.Status != types.StatusTypeActive {
				continue
			}
			got, err := api.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{
				UserName: aws.String(iamName), SSHPublicKeyId: k.SSHPublicKeyId, Encoding: types.EncodingTypeSsh,
			})
			if err != nil {
				return nil, err
			}
			keys = append(keys, hostsync.Key{
				ID:     aws.ToString(got.SSHPublicKey.SSHPublicKeyId),
				Body:   aws.ToString(got.SSHPublicKey.SSHPublicKeyBody),
				Status: string(got.SSHPublicKey.Status),
			})
		}
	}
	return keys, nil
}
