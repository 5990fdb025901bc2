package hostsync

import (
	"context"
	"errors"
	"os"

	"github.com/iamkit/iamkit/internal/awsname"
)

// The host side of a sync that every frontend needs the same way: the
// aws-ec2-ssh configuration file, the instance's EC2 tags it names (read
// from the instance metadata) and the role session name of the host.

// ReadConfigFile reads the aws-ec2-ssh configuration file at path
// (LoadConfig). A missing file is an error: an empty configuration would
// sync every IAM user of the account, which should be a decision (create an
// empty file), not an accident. The options are ParseConfig's.
func ReadConfigFile(path string, opts ...ConfigOption) (Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, errorf("configuration file %s does not exist (an empty file syncs every IAM user of the account): %w", path, err)
	}
	if err != nil {
		return Config{}, errorf("configuration: %w", err)
	}
	defer f.Close()
	cfg, err := LoadConfig(f, opts...)
	if err != nil {
		return Config{}, errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// HostSessionName is the role session name for AssumeRoleCredentials on the
// host named hostname: "hostsync-" and the host name, made a role session
// name by iamkit's one rule (internal/awsname: other characters become '-',
// at most 64 bytes, no trailing '-'; "hostsync" when no host name is
// left), so that CloudTrail in the users' account tells the hosts apart.
func HostSessionName(hostname string) string {
	return awsname.RoleSessionName("hostsync-"+hostname, "hostsync")
}

// TagKeys returns the EC2 tag keys cfg names (IAM_AUTHORIZED_GROUPS_TAG,
// SUDOERS_GROUPS_TAG), in that order; none when it names none.
func TagKeys(cfg Config) []string {
	var keys []string
	for _, k := range []string{cfg.AuthorizedGroupsTag, cfg.SudoersGroupsTag} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// ResolveInstanceTags returns cfg with the group lists its tags name
// (TagKeys) read through tags, typically InstanceTags with an *imds.Client;
// tags is not called when cfg names none. The values go through ResolveTags:
// a missing tag is an error wrapping ErrTagMissing, as an empty list of
// authorized groups would mean every IAM user. An error from tags comes
// back wrapped (errors.Is still finds ErrTagsUnavailable).
func ResolveInstanceTags(ctx context.Context, cfg Config, tags func(ctx context.Context, keys []string) (map[string]string, error)) (Config, error) {
	var values map[string]string
	if keys := TagKeys(cfg); len(keys) > 0 {
		var err error
		if values, err = tags(ctx, keys); err != nil {
			return cfg, errorf("reading the instance's EC2 tags: %w", err)
		}
	}
	return ResolveTags(cfg, values)
}

// ErrTagsUnavailable is the error of InstanceTags when the instance metadata
// shows no tags: the instance does not allow tags in its metadata.
var ErrTagsUnavailable = errors.New("hostsync: the instance metadata shows no tags: allow tags in the instance metadata " +
	"(aws ec2 modify-instance-metadata-options --instance-metadata-tags enabled), or list the groups in the configuration file")
