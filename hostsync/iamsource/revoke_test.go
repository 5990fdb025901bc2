package iamsource_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
)

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"Admins"}}
	f := newSrcIAMFixture(t)
	f.Add("mallory", []string{"ssh", "admins", "billing"}, "m-1", "m-2", "m-3")
	f.SetKey("mallory", f.Keys["mallory"][2], false)
	f.Add("bob", []string{"ssh"}, "b-1")

	f.Acct.ResetCalls()
	plan, err := iamsource.PlanRevoke(ctx, f.IAM, "mallory", cfg)
	require.NoError(t, err)
	for op := range f.Acct.CallCounts() {
		assert.Regexp(t, `^iam:(Get|List)`, op, "planning changes nothing")
	}
	want := slices.Clone(f.Keys["mallory"][:2])
	slices.Sort(want)
	assert.Equal(t, want, plan.Keys, "the Active keys only")
	assert.Equal(t, []string{"admins", "ssh"}, plan.Groups, "authorized and sudoers groups (any case), not billing")
	assert.Equal(t, f.IDs["mallory"], plan.UserID)
	assert.Contains(t, plan.String(), "revoke mallory")
	assert.Contains(t, plan.String(), "remove from group admins")

	rep, err := iamsource.ApplyRevoke(ctx, f.IAM, plan)
	require.NoError(t, err)
	assert.Equal(t, plan.Keys, rep.Deactivated)
	assert.Equal(t, plan.Groups, rep.Removed)
	keys, err := f.IAM.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("mallory")})
	require.NoError(t, err)
	for _, k := range keys.SSHPublicKeys {
		assert.Equal(t, types.StatusTypeInactive, k.Status)
	}
	groups, err := f.IAM.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("mallory")})
	require.NoError(t, err)
	require.Len(t, groups.Groups, 1)
	assert.Equal(t, "billing", aws.ToString(groups.Groups[0].GroupName))

	// The snapshot no longer lists mallory; bob is untouched.
	d := iamsource.NewIAMSource(f.IAM, cfg).Desired(ctx)
	require.NoError(t, d.Err)
	require.Len(t, d.Users, 1)
	assert.Equal(t, "bob", d.Users[0].IAMName)

	// Again: nothing to do.
	plan, err = iamsource.PlanRevoke(ctx, f.IAM, "mallory", cfg)
	require.NoError(t, err)
	assert.True(t, plan.Empty())

	// Something gone between plan and apply counts as done.
	plan, err = iamsource.PlanRevoke(ctx, f.IAM, "bob", cfg)
	require.NoError(t, err)
	_, err = f.IAM.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("bob"), GroupName: aws.String("ssh")})
	require.NoError(t, err)
	rep, err = iamsource.ApplyRevoke(ctx, f.IAM, plan)
	require.NoError(t, err)
	assert.Equal(t, []string{"ssh"}, rep.Removed)

	// A failing step is reported; the others still run.
	f.Add("carol", []string{"ssh"}, "c-1")
	plan, err = iamsource.PlanRevoke(ctx, f.IAM, "carol", cfg)
	require.NoError(t, err)
	f.Acct.Throttle("iam:UpdateSSHPublicKey", 0)
	rep, err = iamsource.ApplyRevoke(ctx, f.IAM, plan)
	assert.ErrorContains(t, err, "re-run to finish")
	assert.Empty(t, rep.Deactivated)
	assert.Equal(t, []string{"ssh"}, rep.Removed)
}

func TestPlanRevokeBadInput(t *testing.T) {
	f := newSrcIAMFixture(t)
	for _, name := range []string{"", "no such", "ghost", string(make([]byte, 65))} {
		_, err := iamsource.PlanRevoke(context.Background(), f.IAM, name, hostsync.Config{})
		assert.ErrorIs(t, err, iamsource.ErrRevokeInput, "%q", name)
	}
}
