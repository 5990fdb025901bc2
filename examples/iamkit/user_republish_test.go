package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// userDelete runs "user delete" with p's publish environment.
func (p *pubEnv) userDelete(args ...string) int {
	p.t.Helper()
	p.stdout.Reset()
	p.stderr.Reset()
	var del *command
	for _, c := range userCommand().subs {
		if c.name == "delete" {
			del = c
		}
	}
	require.NotNil(p.t, del)
	del.run = p.pe.runUserDelete
	return p.a.exitCode(p.a.dispatch(context.Background(), del, "iamkit user delete", args))
}

func TestUserDeleteRepublishes(t *testing.T) {
	p := newPubEnv(t)
	require.Equal(t, exitOK, p.publish("--bucket", "acme-fleet", "--groups", "devs,ops"), p.stderr.String())
	require.ElementsMatch(t, []string{"alice", "bob"}, p.snapshotUsers())

	// A dry run neither deletes nor publishes.
	p.acct.ResetCalls()
	require.Equal(t, exitOK, p.userDelete("alice", "--dry-run", "--bucket", "acme-fleet", "--groups", "devs,ops"), p.stderr.String())
	assert.Zero(t, p.acct.Calls("s3:PutObject"))
	assert.ElementsMatch(t, []string{"alice", "bob"}, p.snapshotUsers())

	require.Equal(t, exitOK, p.userDelete("alice", "--bucket", "acme-fleet", "--groups", "devs,ops"), p.stderr.String())
	assert.Equal(t, []string{"bob"}, p.snapshotUsers(), "republished at once without alice")
	assert.Contains(t, p.stderr.String(), "republished s3://acme-fleet/hostsync/snapshot.json")
	assert.Equal(t, 1, p.acct.Calls("s3:PutObject"))

	// A user already gone: nothing changed, nothing republished.
	require.Equal(t, exitOK, p.userDelete("alice", "--bucket", "acme-fleet", "--groups", "devs,ops"), p.stderr.String())
	assert.Equal(t, 1, p.acct.Calls("s3:PutObject"))
}

func TestUserDeleteRepublishBadInput(t *testing.T) {
	p := newPubEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"alice", "--groups", "devs"}, "give --bucket too"},
		{[]string{"alice", "--bucket", "acme-fleet"}, "--bucket needs --groups"},
		{[]string{"alice", "--bucket", "acme-fleet", "--groups", ","}, "--bucket needs --groups"},
	} {
		require.Equal(t, exitUsage, p.userDelete(tc.args...), tc.args)
		assert.Contains(t, p.stderr.String(), tc.want, tc.args)
	}
	_, err := p.acct.IAM().GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("alice")})
	assert.NoError(t, err, "nothing deleted on bad input")
}
