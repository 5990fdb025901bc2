package iamsource

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// RevokeAPI is the part of the IAM client PlanRevoke and ApplyRevoke call,
// with the SDK's signatures; *iam.Client satisfies it, and so does the fake
// account of iamkittest (Account.IAM).
type RevokeAPI interface {
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, optFns ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error)
	UpdateSSHPublicKey(ctx context.Context, in *iam.UpdateSSHPublicKeyInput, optFns ...func(*iam.Options)) (*iam.UpdateSSHPublicKeyOutput, error)
	ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, optFns ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	RemoveUserFromGroup(ctx context.Context, in *iam.RemoveUserFromGroupInput, optFns ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
}

var _ RevokeAPI = (*iam.Client)(nil)

// ErrRevokeInput is wrapped by PlanRevoke's error for a user name that is
// not a valid IAM user name or names no IAM user: bad input, nothing was
// changed.
var ErrRevokeInput = errors.New("hostsync: revoke: bad input")

// RevokePlan is what ApplyRevoke will do to cut one person off the fleet's
// hosts: deactivate their Active SSH keys and take them out of the groups
// that authorize them or give them sudo. It prints as a dry run.
type RevokePlan struct {
	// UserName and UserID identify the IAM user.
	UserName, UserID string
	// Keys are the IDs of the user's Active SSH public keys, to deactivate
	// (not delete: an admin can reactivate them).
	Keys []string
	// Groups are the user's groups among the configuration's authorized
	// and sudoers groups, to leave.
	Groups []string
}

// Empty reports whether the plan does nothing.
func (p RevokePlan) Empty() bool { return len(p.Keys) == 0 && len(p.Groups) == 0 }

// String prints the plan, one action a line.
func (p RevokePlan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "revoke %s (%s): %d SSH key(s) to deactivate, %d group(s) to leave\n", p.UserName, p.UserID, len(p.Keys), len(p.Groups))
	for _, k := range p.Keys {
		fmt.Fprintf(&b, "  deactivate SSH key %s\n", k)
	}
	for _, g := range p.Groups {
		fmt.Fprintf(&b, "  remove from group %s\n", g)
	}
	return b.String()
}

// PlanRevoke reads (and changes nothing) what cutting userName off needs:
// one GetUser, the ListSSHPublicKeys and ListGroupsForUser pages. The
// groups to leave are the user's groups among cfg's AuthorizedGroups and
// SudoersGroups (compared ignoring case, as IAM does); a configuration that
// authorizes every IAM user (no AuthorizedGroups) can only have the keys
// deactivated — the account on the hosts then stays, keyless, and is not
// locked. A name IAM does not accept or that names no user is an error
// wrapping ErrRevokeInput.
func PlanRevoke(ctx context.Context, api RevokeAPI, userName string, cfg hostsync.Config) (RevokePlan, error) {
	if !validUserName(userName) {
		return RevokePlan{}, hserr.Errorf("%w: %q is not a valid IAM user name", ErrRevokeInput, userName)
	}
	u, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(userName)})
	if isNoSuchEntity(err) {
		return RevokePlan{}, hserr.Errorf("%w: no IAM user %q", ErrRevokeInput, userName)
	}
	if err != nil {
		return RevokePlan{}, hserr.Errorf("revoke: reading user %s: %w", userName, err)
	}
	p := RevokePlan{UserName: aws.ToString(u.User.UserName), UserID: aws.ToString(u.User.UserId)}
	keys := iam.NewListSSHPublicKeysPaginator(api, &iam.ListSSHPublicKeysInput{UserName: aws.String(p.UserName)})
	for keys.HasMorePages() {
		page, err := keys.NextPage(ctx)
		if err != nil {
			return RevokePlan{}, hserr.Errorf("revoke: listing the SSH keys of %s: %w", p.UserName, err)
		}
		for _, k := range page.SSHPublicKeys {
			if k.Status == types.StatusTypeActive {
				p.Keys = append(p.Keys, aws.ToString(k.SSHPublicKeyId))
			}
		}
	}
	wanted := slices.Concat(cfg.AuthorizedGroups, cfg.SudoersGroups)
	groups := iam.NewListGroupsForUserPaginator(api, &iam.ListGroupsForUserInput{UserName: aws.String(p.UserName)})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return RevokePlan{}, hserr.Errorf("revoke: listing the groups of %s: %w", p.UserName, err)
		}
		for _, g := range page.Groups {
			name := aws.ToString(g.GroupName)
			if slices.ContainsFunc(wanted, func(w string) bool { return strings.EqualFold(w, name) }) {
				p.Groups = append(p.Groups, name)
			}
		}
	}
	slices.Sort(p.Keys)
	slices.Sort(p.Groups)
	return p, nil
}

// RevokeReport is what ApplyRevoke did.
type RevokeReport struct {
	Plan RevokePlan
	// Deactivated and Removed are the keys deactivated and the groups left
	// (a key or membership already gone counts as done).
	Deactivated, Removed []string
}

// ApplyRevoke carries out a plan: every key deactivated, then every group
// left, each step tried even if another failed; what is already gone
// (NoSuchEntity) counts as done, so a re-run resumes. The errors are
// joined. Publish the snapshot afterwards (s3snapshot.Republisher) so that
// hosts learn of it at once.
func ApplyRevoke(ctx context.Context, api RevokeAPI, p RevokePlan) (RevokeReport, error) {
	rep := RevokeReport{Plan: p}
	var errs []error
	for _, k := range p.Keys {
		_, err := api.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{
			UserName: aws.String(p.UserName), SSHPublicKeyId: aws.String(k), Status: types.StatusTypeInactive,
		})
		if err != nil && !isNoSuchEntity(err) {
			errs = append(errs, fmt.Errorf("deactivating SSH key %s: %w", k, err))
			continue
		}
		rep.Deactivated = append(rep.Deactivated, k)
	}
	for _, g := range p.Groups {
		_, err := api.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String(p.UserName), GroupName: aws.String(g)})
		if err != nil && !isNoSuchEntity(err) {
			errs = append(errs, fmt.Errorf("removing from group %s: %w", g, err))
			continue
		}
		rep.Removed = append(rep.Removed, g)
	}
	if len(errs) > 0 {
		return rep, hserr.Errorf("revoke %s (re-run to finish): %w", p.UserName, errors.Join(errs...))
	}
	return rep, nil
}

// validUserName reports whether s is a valid IAM user name: 1 to 64 of
// letters, digits and +=,.@_-.
func validUserName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && !strings.ContainsRune("+=,.@_-", rune(c)) {
			return false
		}
	}
	return true
}
