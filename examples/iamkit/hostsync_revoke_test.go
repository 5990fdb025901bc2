package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

func (p *pubEnv) revoke(args ...string) int {
	p.t.Helper()
	p.stdout.Reset()
	p.stderr.Reset()
	return p.a.exitCode(p.a.dispatch(context.Background(), revokeCommandWith(p.pe), "iamkit hostsync revoke", args))
}

// snapshotUsers returns the IAM user names the published snapshot lists.
func (p *pubEnv) snapshotUsers() []string {
	p.t.Helper()
	obj, ok := p.acct.S3().Object("acme-fleet", "hostsync/snapshot.json")
	require.True(p.t, ok)
	snap, err := hostsync.ParseSnapshot(obj.Body)
	require.NoError(p.t, err)
	var names []string
	for _, u := range snap.Users {
		names = append(names, u.Name)
	}
	return names
}

func TestHostsyncRevoke(t *testing.T) {
	ctx := context.Background()
	p := newPubEnv(t)
	require.Equal(t, exitOK, p.publish("--bucket", "acme-fleet", "--groups", "devs", "--sudoers-groups", "ops"), p.stderr.String())
	require.Equal(t, []string{"alice"}, p.snapshotUsers())

	// Dry run: the plan, nothing changed.
	p.acct.ResetCalls()
	require.Equal(t, exitOK, p.revoke("alice", "--bucket", "acme-fleet", "--groups", "devs", "--sudoers-groups", "ops", "--dry-run"), p.stderr.String())
	assert.Contains(t, p.stdout.String(), "revoke alice")
	assert.Contains(t, p.stdout.String(), "2 SSH key(s) to deactivate, 1 group(s) to leave")
	assert.Contains(t, p.stdout.String(), "remove from group devs")
	assert.Contains(t, p.stdout.String(), "dry run: nothing changed")
	for op := range p.acct.CallCounts() {
		assert.Regexp(t, `^(iam|s3):(Get|List)`, op)
	}

	require.Equal(t, exitOK, p.revoke("alice", "--bucket", "acme-fleet", "--groups", "devs", "--sudoers-groups", "ops"), p.stderr.String())
	assert.Contains(t, p.stdout.String(), "deactivated 2 SSH key(s), left 1 group(s)")
	assert.Contains(t, p.stdout.String(), "written (content changed)")
	assert.Empty(t, p.snapshotUsers(), "republished at once without alice")
	keys, err := p.acct.IAM().ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	for _, k := range keys.SSHPublicKeys {
		assert.Equal(t, types.StatusTypeInactive, k.Status)
	}

	// Again: nothing left to do, the snapshot is unchanged.
	require.Equal(t, exitOK, p.revoke("alice", "--bucket", "acme-fleet", "--groups", "devs"), p.stderr.String())
	assert.Contains(t, p.stdout.String(), "0 SSH key(s) to deactivate, 0 group(s) to leave")
}

func TestHostsyncRevokeBadInput(t *testing.T) {
	p := newPubEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bucket", "acme-fleet", "--groups", "devs"}, "USER is required"},
		{[]string{"alice", "bob", "--bucket", "acme-fleet", "--groups", "devs"}, `unexpected argument "bob"`},
		{[]string{"alice", "--groups", "devs"}, "--bucket is required"},
		{[]string{"alice", "--bucket", "acme-fleet"}, "--groups is required"},
		{[]string{"ghost", "--bucket", "acme-fleet", "--groups", "devs"}, `no IAM user "ghost"`},
		{[]string{"bad name!", "--bucket", "acme-fleet", "--groups", "devs"}, "not a valid IAM user name"},
		{[]string{"alice", "--bucket", "acme-fleet", "--groups", "devs", "--nope"}, "flag provided but not defined"},
	} {
		p.acct.ResetCalls()
		assert.Equal(t, exitUsage, p.revoke(tc.args...), tc.args)
		assert.Contains(t, p.stderr.String(), tc.want, tc.args)
		assert.Equal(t, 2, strings.Count(p.stderr.String(), "\n"), "one line and the pointer to --help: %q", p.stderr.String())
		for op := range p.acct.CallCounts() {
			assert.Regexp(t, `^(iam|s3):(Get|List)`, op, "nothing changed")
		}
	}

	// A USER that is not an IAM user name is bad input even where no
	// credentials are at hand: it is refused before any AWS call.
	p.pe.account = func(context.Context, string) (string, error) { return "", errors.New("no credentials") }
	p.pe.clients = func(context.Context, string) (iamsource.IAMAPI, s3snapshot.SnapshotPublishAPI, error) {
		return nil, nil, errors.New("no credentials")
	}
	assert.Equal(t, exitUsage, p.revoke("bad name!", "--bucket", "acme-fleet", "--groups", "devs"))
	assert.Contains(t, p.stderr.String(), "bad name!")
}
