package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// pubKey returns a deterministic ed25519 public key line for seed s.
func pubKey(s string) string {
	seed := sha256.Sum256([]byte("snapshotpublisher-test:" + s))
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed[:]).Public())
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

// account has n users in "ssh" with two keys each, alice also in
// "admins", carol in no group, and the bucket "fleet".
func account(t testing.TB, n int) *fakes.Account {
	t.Helper()
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := acct.IAM()
	for _, g := range []string{"ssh", "admins"} {
		_, err := api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})
		require.NoError(t, err)
	}
	add := func(name string, groups ...string) {
		_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		require.NoError(t, err)
		for _, g := range groups {
			_, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(g)})
			require.NoError(t, err)
		}
		for _, k := range []string{"a", "b"} {
			_, err := api.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String(name), SSHPublicKeyBody: aws.String(pubKey(name + k))})
			require.NoError(t, err)
		}
	}
	add("alice", "ssh", "admins")
	for i := range n - 1 {
		add(fmt.Sprintf("user%02d", i), "ssh")
	}
	add("carol")
	_, err := acct.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	acct.ResetCalls()
	return acct
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var baseEnv = map[string]string{EnvBucket: "fleet", EnvAuthorizedGroups: "ssh", EnvSudoersGroups: "admins"}

func newTestHandler(t *testing.T, acct *fakes.Account, vars map[string]string) (*handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h, err := newHandler(acct.IAM(), acct.S3(), env(vars), slog.New(slog.NewJSONHandler(&logs, nil)))
	require.NoError(t, err)
	h.now = acct.Clock().Now
	return h, &logs
}

var tick = events.CloudWatchEvent{DetailType: "Scheduled Event", Source: "aws.events", AccountID: fakes.DefaultAccountID}

func TestHandlerPublishesOnlyChanges(t *testing.T) {
	ctx := context.Background()
	const n = 10
	acct := account(t, n)
	h, logs := newTestHandler(t, acct, baseEnv)

	res, err := h.Handle(ctx, tick)
	require.NoError(t, err)
	assert.True(t, res.Written)
	assert.Equal(t, "no object yet", res.Reason)
	assert.Equal(t, "s3://fleet/"+DefaultKey, res.Object)
	assert.Equal(t, n, res.Users, "carol is in no authorized group")
	assert.Equal(t, 2*n, res.Keys)
	obj, ok := acct.S3().Object("fleet", DefaultKey)
	require.True(t, ok)
	snap, err := hostsync.ParseSnapshot(obj.Body)
	require.NoError(t, err)
	assert.Equal(t, acct.ID(), snap.Account)
	assert.Equal(t, []string{"admins"}, snap.SudoersGroups)
	assert.Contains(t, logs.String(), `"written":true`)

	// Ten minutes later, nothing changed: one ListSSHPublicKeys per user
	// plus the group pages, one GetObject, no write.
	acct.Clock().Advance(10 * time.Minute)
	acct.ResetCalls()
	res, err = h.Handle(ctx, tick)
	require.NoError(t, err)
	assert.False(t, res.Written)
	assert.Equal(t, map[string]int{"iam:GetGroup": 2, "iam:ListSSHPublicKeys": n, "s3:GetObject": 1}, acct.CallCounts())
}

// A fresh execution environment seeds its key body cache from the snapshot
// in place: its first run fetches no key body from IAM.
func TestHandlerColdStartSeedsKeyBodies(t *testing.T) {
	ctx := context.Background()
	const n = 10
	acct := account(t, n)
	first, _ := newTestHandler(t, acct, baseEnv)
	_, err := first.Handle(ctx, tick)
	require.NoError(t, err)

	acct.Clock().Advance(10 * time.Minute)
	acct.ResetCalls()
	cold, _ := newTestHandler(t, acct, baseEnv)
	res, err := cold.Handle(ctx, tick)
	require.NoError(t, err)
	assert.False(t, res.Written, res.Reason)
	assert.Equal(t, map[string]int{"iam:GetGroup": 2, "iam:ListSSHPublicKeys": n, "s3:GetObject": 2}, acct.CallCounts())
	assert.LessOrEqual(t, acct.CallsWithPrefix("iam:"), n+(n+99)/100+1)

	// A key added since is fetched, and published.
	_, err = acct.IAM().UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(pubKey("alice-new"))})
	require.NoError(t, err)
	acct.ResetCalls()
	res, err = cold.Handle(ctx, tick)
	require.NoError(t, err)
	assert.True(t, res.Written)
	assert.Equal(t, 1, acct.Calls("iam:GetSSHPublicKey"))
}

func TestHandlerKMSAndKey(t *testing.T) {
	ctx := context.Background()
	acct := account(t, 2)
	vars := map[string]string{EnvBucket: "fleet", EnvKey: "fleet/prod.json", EnvAuthorizedGroups: "ssh admins", EnvKMSKeyID: "1234abcd-12ab-34cd-56ef-1234567890ab"}
	h, _ := newTestHandler(t, acct, vars)
	res, err := h.Handle(ctx, tick)
	require.NoError(t, err)
	require.True(t, res.Written)
	obj, ok := acct.S3().Object("fleet", "fleet/prod.json")
	require.True(t, ok)
	assert.Equal(t, s3types.ServerSideEncryptionAwsKms, obj.ServerSideEncryption)
	assert.True(t, strings.HasSuffix(obj.SSEKMSKeyID, "key/1234abcd-12ab-34cd-56ef-1234567890ab"))
	snap, err := hostsync.ParseSnapshot(obj.Body)
	require.NoError(t, err)
	assert.Equal(t, []string{"admins", "ssh"}, snap.AuthorizedGroups)
}

func TestHandlerIAMFailurePublishesNothing(t *testing.T) {
	ctx := context.Background()
	acct := account(t, 3)
	h, logs := newTestHandler(t, acct, baseEnv)
	acct.Throttle("iam:ListSSHPublicKeys", 1)
	_, err := h.Handle(ctx, tick)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Throttling")
	_, ok := acct.S3().Object("fleet", DefaultKey)
	assert.False(t, ok)
	assert.Contains(t, logs.String(), "nothing published")

	// The next run succeeds.
	res, err := h.Handle(ctx, tick)
	require.NoError(t, err)
	assert.True(t, res.Written)
}

func TestHandlerAccount(t *testing.T) {
	ctx := context.Background()
	acct := account(t, 1)

	h, _ := newTestHandler(t, acct, baseEnv)
	_, err := h.Handle(ctx, events.CloudWatchEvent{})
	assert.ErrorContains(t, err, "ACCOUNT_ID")

	lc := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{InvokedFunctionArn: "arn:aws:lambda:us-east-1:" + acct.ID() + ":function:snapshotpublisher"})
	res, err := h.Handle(lc, events.CloudWatchEvent{})
	require.NoError(t, err)
	assert.True(t, res.Written)

	vars := map[string]string{EnvBucket: "fleet", EnvAuthorizedGroups: "ssh", EnvAssumeRole: "arn:aws:iam::111122223333:role/iam-reader"}
	h, _ = newTestHandler(t, acct, vars)
	assert.Equal(t, "111122223333", h.account)
	vars[EnvAccountID] = "444455556666"
	h, _ = newTestHandler(t, acct, vars)
	assert.Equal(t, "444455556666", h.account)
}

func TestNewHandlerRefusesBadEnvironment(t *testing.T) {
	acct := account(t, 1)
	for name, vars := range map[string]map[string]string{
		"no bucket":        {EnvAuthorizedGroups: "ssh"},
		"bad refresh":      {EnvBucket: "fleet", EnvRefreshAfter: "soon"},
		"bad role":         {EnvBucket: "fleet", EnvAssumeRole: "iam-reader"},
		"negative refresh": {EnvBucket: "fleet", EnvRefreshAfter: "-1h"},
	} {
		_, err := newHandler(acct.IAM(), acct.S3(), env(vars), slog.New(slog.DiscardHandler))
		assert.Error(t, err, name)
	}
	h, err := newHandler(acct.IAM(), acct.S3(), env(map[string]string{EnvBucket: "fleet", EnvRefreshAfter: "30m"}), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.Equal(t, 30*time.Minute, h.refreshAfter)
}
