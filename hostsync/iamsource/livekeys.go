package iamsource

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// LiveKeysAPI is the part of the IAM client LiveKeys calls, with the SDK's
// signatures. *iam.Client satisfies it, and so does the fake account of
// iamkittest (Account.IAM).
type LiveKeysAPI interface {
	ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, optFns ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, optFns ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error)
	GetSSHPublicKey(ctx context.Context, in *iam.GetSSHPublicKeyInput, optFns ...func(*iam.Options)) (*iam.GetSSHPublicKeyOutput, error)
}

var _ LiveKeysAPI = (*iam.Client)(nil)

// LiveKeys looks one IAM user's SSH keys up in live IAM, for
// AuthorizedKeys' fallback when the key cache cannot answer (WithLive,
// see LiveKeysFunc). It applies the rules a sync applies, so that the
// fallback never lets in a key a sync would not have cached:
//
//   - the configuration must be valid, and its EC2 tags resolved when it
//     names any (an error wrapping ErrTagsUnresolved otherwise): unresolved
//     tags leave the authorized groups empty, which would authorize every
//     IAM user;
//   - the user must be a member of one of cfg's authorized groups
//     (IAM_AUTHORIZED_GROUPS; ListGroupsForUser, every page, compared
//     regardless of letter case), as for IAMSource; with no authorized group
//     configured, every IAM user is authorized. The sudoers groups grant sudo
//     only, never keys. A user outside the authorized groups, and a user that
//     does not exist, gets no keys and no error;
//   - only Active keys (ListSSHPublicKeys, every page), fetched with
//     GetSSHPublicKey (SSH encoding) and still Active there, whose body
//     ParseKey accepts, come back — canonical, sorted by key ID.
//
// Any failed call, partial page or inconsistent answer is an error and no
// keys: the lookup fails closed. LiveKeys does not retry (the SDK's retryer
// does) and does not bound its time: AuthorizedKeys does (LiveTimeout).
func LiveKeys(ctx context.Context, api LiveKeysAPI, cfg hostsync.Config, iamName string) ([]hostsync.Key, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, hserr.Errorf("live keys of IAM user %q: %w", iamName, err)
	}
	if (cfg.AuthorizedGroupsTag != "" || cfg.SudoersGroupsTag != "") && !cfg.TagsResolved {
		return nil, hserr.Errorf("live keys of IAM user %q: %w", iamName, hostsync.ErrTagsUnresolved)
	}
	if iamName == "" {
		return nil, hserr.Errorf("live keys: no IAM user name")
	}
	fail := func(op string, err error) ([]hostsync.Key, error) {
		return nil, hserr.Errorf("live keys of IAM user %q: %s: %w", iamName, op, err)
	}
	var nse *types.NoSuchEntityException

	if len(cfg.AuthorizedGroups) > 0 {
		authorized := false
		p := iam.NewListGroupsForUserPaginator(api, &iam.ListGroupsForUserInput{UserName: aws.String(iamName), MaxItems: aws.Int32(DefaultSourcePageSize)},
			func(o *iam.ListGroupsForUserPaginatorOptions) { o.StopOnDuplicateToken = true })
		for n := 0; p.HasMorePages() && !authorized; n++ {
			if n == maxSourcePages {
				return fail("iam:ListGroupsForUser", hostsync.ErrPartialPage)
			}
			out, err := p.NextPage(ctx)
			if errors.As(err, &nse) {
				return nil, nil // no such IAM user: no keys
			}
			if err != nil {
				return fail("iam:ListGroupsForUser", err)
			}
			if out == nil {
				return fail("iam:ListGroupsForUser", hserr.Errorf("%w: no output", hostsync.ErrMalformedResponse))
			}
			for _, g := range out.Groups {
				name := aws.ToString(g.GroupName)
				if slices.ContainsFunc(cfg.AuthorizedGroups, func(a string) bool { return strings.EqualFold(a, name) }) {
					authorized = true
				}
			}
			if !authorized && out.IsTruncated && !p.HasMorePages() {
				return fail("iam:ListGroupsForUser", hostsync.ErrPartialPage)
			}
		}
		if !authorized {
			return nil, nil // not in an authorized group: no keys
		}
	}

	var active []string
	p := iam.NewListSSHPublicKeysPaginator(api, &iam.ListSSHPublicKeysInput{UserName: aws.String(iamName), MaxItems: aws.Int32(DefaultSourcePageSize)},
		func(o *iam.ListSSHPublicKeysPaginatorOptions) { o.StopOnDuplicateToken = true })
	for n := 0; p.HasMorePages(); n++ {
		if n == maxSourcePages {
			return fail("iam:ListSSHPublicKeys", hostsync.ErrPartialPage)
		}
		out, err := p.NextPage(ctx)
		if errors.As(err, &nse) {
			return nil, nil // no such IAM user: no keys
		}
		if err != nil {
			return fail("iam:ListSSHPublicKeys", err)
		}
		if out == nil {
			return fail("iam:ListSSHPublicKeys", hserr.Errorf("%w: no output", hostsync.ErrMalformedResponse))
		}
		for _, k := range out.SSHPublicKeys {
			id := aws.ToString(k.SSHPublicKeyId)
			if id == "" {
				return fail("iam:ListSSHPublicKeys", hserr.Errorf("%w: a key without an SSHPublicKeyId", hostsync.ErrMalformedResponse))
			}
			if k.UserName != nil && !strings.EqualFold(*k.UserName, iamName) {
				return fail("iam:ListSSHPublicKeys", hserr.Errorf("%w: key %s listed for user %q", hostsync.ErrMalformedResponse, id, *k.UserName))
			}
			if string(k.Status) == hostsync.KeyActive {
				active = append(active, id)
			}
		}
		if out.IsTruncated && !p.HasMorePages() {
			return fail("iam:ListSSHPublicKeys", hostsync.ErrPartialPage)
		}
	}

	keys := make([]hostsync.Key, 0, len(active))
	for _, id := range active {
		out, err := api.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{
			UserName: aws.String(iamName), SSHPublicKeyId: aws.String(id), Encoding: types.EncodingTypeSsh,
		})
		if errors.As(err, &nse) {
			continue // deleted since it was listed
		}
		if err != nil {
			return fail("iam:GetSSHPublicKey", err)
		}
		if out == nil || out.SSHPublicKey == nil || aws.ToString(out.SSHPublicKey.SSHPublicKeyBody) == "" {
			return fail("iam:GetSSHPublicKey", hserr.Errorf("%w: no key body for key %s", hostsync.ErrMalformedResponse, id))
		}
		k := out.SSHPublicKey
		if got := aws.ToString(k.SSHPublicKeyId); got != "" && got != id {
			return fail("iam:GetSSHPublicKey", hserr.Errorf("%w: asked for key %s, answered with key %s", hostsync.ErrMalformedResponse, id, got))
		}
		if k.Status != "" && string(k.Status) != hostsync.KeyActive {
			continue // deactivated since it was listed
		}
		keys = append(keys, hostsync.Key{ID: id, Body: *k.SSHPublicKeyBody, Status: hostsync.KeyActive})
	}
	keys, _ = hostsync.CanonicalKeys(keys)
	return keys, nil
}

// LiveKeysFunc returns the WithLive function of a frontend: LiveKeys with
// cfg, through the client newAPI builds. newAPI is called on each lookup
// and only then, so that an AuthorizedKeys answered from the cache loads no
// AWS configuration; its error is the lookup's (no keys).
func LiveKeysFunc(cfg hostsync.Config, newAPI func(ctx context.Context) (LiveKeysAPI, error)) func(ctx context.Context, iamName string) ([]hostsync.Key, error) {
	return func(ctx context.Context, iamName string) ([]hostsync.Key, error) {
		api, err := newAPI(ctx)
		if err != nil {
			return nil, hserr.Errorf("live keys of IAM user %q: building the IAM client: %w", iamName, err)
		}
		return LiveKeys(ctx, api, cfg, iamName)
	}
}

// LiveKeysFromConfigFile returns the WithLive function of an
// AuthorizedKeysCommand with a live fallback, wired the one safe way: on
// each lookup (and only then) it reads the configuration file at path with
// ReadConfigFile — a missing file is an error, never DefaultConfig, which
// would authorize every IAM user —, resolves the EC2 tags it names with
// tags (ResolveInstanceTags; nil tags with a configuration that names some
// is an error), builds the client with newAPI, and runs LiveKeys. Any error
// is the lookup's: no keys.
func LiveKeysFromConfigFile(path string, tags func(ctx context.Context, keys []string) (map[string]string, error), newAPI func(ctx context.Context, cfg hostsync.Config) (LiveKeysAPI, error)) func(ctx context.Context, iamName string) ([]hostsync.Key, error) {
	return func(ctx context.Context, iamName string) ([]hostsync.Key, error) {
		cfg, err := hostsync.ReadConfigFile(path)
		if err != nil {
			return nil, hserr.Errorf("live keys: %w", err)
		}
		if cfg.AuthorizedGroupsTag != "" || cfg.SudoersGroupsTag != "" {
			if tags == nil {
				return nil, hserr.Errorf("live keys: %w", hostsync.ErrTagsUnresolved)
			}
			if cfg, err = hostsync.ResolveInstanceTags(ctx, cfg, tags); err != nil {
				return nil, hserr.Errorf("live keys: %w", err)
			}
		}
		return LiveKeysFunc(cfg, func(ctx context.Context) (LiveKeysAPI, error) { return newAPI(ctx, cfg) })(ctx, iamName)
	}
}
