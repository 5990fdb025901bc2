package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
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
		awsCfg.Credentials = hostsync.AssumeRoleCredentials(sts.NewFromConfig(awsCfg), cfg.AssumeRole, hostsync.HostSessionName(host))
	}
	return iam.NewFromConfig(awsCfg), nil
}

// readOptionalHostsyncConfig reads an aws-ec2-ssh configuration file
// (hostsync.ReadConfigFile) where the file is optional: a missing file means
// the defaults. The AuthorizedKeysCommand reads it so: it only needs the
// marker group and ASSUMEROLE, whose defaults serve.
func readOptionalHostsyncConfig(path string) (hostsync.Config, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return hostsync.DefaultConfig(), nil
	}
	return hostsync.ReadConfigFile(path)
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
