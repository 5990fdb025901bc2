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
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

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
// they expire (hostsync.AssumeRoleCredentials); STS is called with the
// host's own credentials.
func newIAM(awsCfg aws.Config, cfg hostsync.Config, hostname string) *iam.Client {
	if cfg.AssumeRole != "" {
		awsCfg.Credentials = hostsync.AssumeRoleCredentials(sts.NewFromConfig(awsCfg), cfg.AssumeRole, sessionName(hostname))
	}
	return iam.NewFromConfig(awsCfg)
}

// sessionName is the role session name for the host: "hostsync-" and the
// host name, reduced to the characters and length STS accepts, so that
// CloudTrail in the users' account tells the hosts apart.
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

// readConfigFile reads an aws-ec2-ssh configuration file. A missing file is
// an error: an empty configuration would sync every IAM user of the
// account, which should be a decision (create an empty file), not an
// accident.
func readConfigFile(path string) (hostsync.Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
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

// tagKeys returns the EC2 tag keys cfg names (IAM_AUTHORIZED_GROUPS_TAG,
// SUDOERS_GROUPS_TAG).
func tagKeys(cfg hostsync.Config) []string {
	var keys []string
	for _, k := range []string{cfg.AuthorizedGroupsTag, cfg.SudoersGroupsTag} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// resolveTags returns cfg with the group lists its tags name read through
// tags (skipped when it names none). A missing tag is an error
// (hostsync.ErrTagMissing): an empty list of authorized groups would mean
// every IAM user.
func resolveTags(ctx context.Context, cfg hostsync.Config, tags func(ctx context.Context, keys []string) (map[string]string, error)) (hostsync.Config, error) {
	var values map[string]string
	if keys := tagKeys(cfg); len(keys) > 0 {
		var err error
		if values, err = tags(ctx, keys); err != nil {
			return cfg, fmt.Errorf("reading the instance's EC2 tags: %w", err)
		}
	}
	return hostsync.ResolveTags(cfg, values)
}

// metadataAPI is the part of the instance metadata client instanceTags
// calls. *imds.Client satisfies it.
type metadataAPI interface {
	GetMetadata(ctx context.Context, in *imds.GetMetadataInput, optFns ...func(*imds.Options)) (*imds.GetMetadataOutput, error)
}

var _ metadataAPI = (*imds.Client)(nil)

// errTagsUnavailable is the error of instanceTags when the instance
// metadata does not show tags.
var errTagsUnavailable = errors.New("the instance metadata shows no tags: allow tags in the instance metadata " +
	"(aws ec2 modify-instance-metadata-options --instance-metadata-tags enabled), or list the groups in the configuration file")

// instanceTags reads the instance's tags named keys from the instance
// metadata (tags/instance/KEY; IMDSv2, through the SDK's client). A tag the
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
