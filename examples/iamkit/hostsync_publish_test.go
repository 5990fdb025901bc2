package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// pubEnv is 'iamkit hostsync publish' wired to the fake account.
type pubEnv struct {
	*env
	pe    *publishEnv
	roles []string // assumeRole given to clients
}

func newPubEnv(t *testing.T) *pubEnv {
	t.Helper()
	e := newEnv(t)
	p := &pubEnv{env: e}
	p.pe = &publishEnv{
		clients: func(_ context.Context, role string) (iamsource.IAMAPI, s3snapshot.SnapshotPublishAPI, error) {
			p.roles = append(p.roles, role)
			return e.acct.IAM(), e.acct.S3(), nil
		},
		account: func(_ context.Context, role string) (string, error) {
			if role != "" {
				return "", errors.New("unexpected role")
			}
			return e.acct.ID(), nil
		},
		now: e.acct.Clock().Now,
	}
	_, err := e.acct.S3().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("acme-fleet")})
	require.NoError(t, err)
	e.createGroup("devs")
	e.createGroup("ops")
	h := &hsEnv{env: e}
	h.iamUser("alice", "devs", 2)
	h.iamUser("bob", "ops", 1)
	e.acct.ResetCalls()
	return p
}

func (p *pubEnv) publish(args ...string) int {
	p.t.Helper()
	p.stdout.Reset()
	p.stderr.Reset()
	return p.a.exitCode(p.a.dispatch(context.Background(), publishCommandWith(p.pe), "iamkit hostsync publish", args))
}

func TestHostsyncPublish(t *testing.T) {
	p := newPubEnv(t)
	require.Equal(t, exitOK, p.publish("--bucket", "acme-fleet", "--groups", "devs", "--sudoers-groups", "ops"), p.stderr.String())
	assert.Contains(t, p.stdout.String(), "hostsync publish: s3://acme-fleet/hostsync/snapshot.json written (no object yet): 1 users, 2 keys,")
	obj, ok := p.acct.S3().Object("acme-fleet", "hostsync/snapshot.json")
	require.True(t, ok)
	snap, err := hostsync.ParseSnapshot(obj.Body)
	require.NoError(t, err)
	assert.Equal(t, p.acct.ID(), snap.Account)
	assert.Equal(t, []string{"devs"}, snap.AuthorizedGroups)
	assert.Equal(t, []string{"ops"}, snap.SudoersGroups)
	assert.Equal(t, []string{""}, p.roles)

	p.acct.Clock().Advance(10 * time.Minute)
	require.Equal(t, exitOK, p.publish("--bucket", "acme-fleet", "--groups", "devs", "--sudoers-groups", "ops"), p.stderr.String())
	assert.Contains(t, p.stdout.String(), "unchanged: nothing written (1 users, 2 keys, ETag "+obj.ETag+")")

	// Every user, to another key, as a dry run: nothing is written.
	require.Equal(t, exitOK, p.publish("--bucket", "acme-fleet", "--key", "all.json", "--dry-run"), p.stderr.String())
	assert.Contains(t, p.stdout.String(), "s3://acme-fleet/all.json would be written (no object yet): 2 users, 3 keys")
	_, ok = p.acct.S3().Object("acme-fleet", "all.json")
	assert.False(t, ok)
}

func TestHostsyncPublishFailures(t *testing.T) {
	p := newPubEnv(t)
	assert.Equal(t, exitUsage, p.publish("--groups", "devs"))
	assert.Contains(t, p.stderr.String(), "--bucket is required")
	assert.Equal(t, exitUsage, p.publish("--bucket", "b", "extra"))
	assert.Equal(t, exitUsage, p.publish("--bucket", "b", "--refresh-after", "0s"))

	p.acct.Throttle("iam:ListSSHPublicKeys", 1)
	assert.Equal(t, exitFailed, p.publish("--bucket", "acme-fleet", "--groups", "devs"))
	assert.Contains(t, p.stderr.String(), "Throttling")
	_, ok := p.acct.S3().Object("acme-fleet", "hostsync/snapshot.json")
	assert.False(t, ok, "nothing is published from a failed IAM read")

	assert.Equal(t, exitFailed, p.publish("--bucket", "no-such-bucket", "--groups", "devs"))
	assert.Contains(t, p.stderr.String(), "NoSuchBucket")

	// --account skips the lookup; --assume-role reaches the clients.
	require.Equal(t, exitOK, p.publish("--bucket", "acme-fleet", "--groups", "devs", "--account", "111122223333",
		"--assume-role", "arn:aws:iam::111122223333:role/reader"), p.stderr.String())
	assert.Equal(t, "arn:aws:iam::111122223333:role/reader", p.roles[len(p.roles)-1])
}

func TestHostsyncHelpListsPublish(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("hostsync", "--help"))
	assert.Contains(t, e.stdout.String(), "publish")
	require.Equal(t, exitOK, e.run("hostsync", "publish", "--help"))
	assert.Contains(t, e.stdout.String(), "hostsyncd --snapshot s3://BUCKET/KEY")
}

func TestLoadPublishAccountFromRole(t *testing.T) {
	a, err := newApp(nil, io.Discard, io.Discard).loadPublishAccount(context.Background(), "arn:aws:iam::444455556666:role/x")
	require.NoError(t, err)
	assert.Equal(t, "444455556666", a)
	_, err = newApp(nil, io.Discard, io.Discard).loadPublishAccount(context.Background(), "reader")
	assert.Error(t, err)
}
