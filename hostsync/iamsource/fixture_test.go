package iamsource_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// The IAM fixture of hostsync's tests (iamfixture_test.go there), copied.

// srcIAMFixture builds IAM users, groups and keys in a fake account.
type srcIAMFixture struct {
	t    testing.TB
	acct *fakes.Account
	iam  *fakes.IAM
	ids  map[string]string   // user name → user ID
	keys map[string][]string // user name → key IDs, in upload order
}

func newSrcIAMFixture(t testing.TB, opts ...fakes.Option) *srcIAMFixture {
	acct := fakes.NewAccount(opts...)
	return &srcIAMFixture{t: t, acct: acct, iam: acct.IAM(), ids: map[string]string{}, keys: map[string][]string{}}
}

// add creates an IAM user in groups (created as needed) with one key per
// seed, and returns its user ID.
func (f *srcIAMFixture) add(name string, groups []string, keySeeds ...string) string {
	f.t.Helper()
	ctx := context.Background()
	out, err := f.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(f.t, err)
	f.ids[name] = aws.ToString(out.User.UserId)
	for _, g := range groups {
		f.group(g)
		_, err := f.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(g)})
		require.NoError(f.t, err)
	}
	for _, s := range keySeeds {
		f.addKey(name, s)
	}
	return f.ids[name]
}

// group creates an IAM group unless it exists.
func (f *srcIAMFixture) group(name string) {
	f.t.Helper()
	_, err := f.iam.CreateGroup(context.Background(), &iam.CreateGroupInput{GroupName: aws.String(name)})
	var exists *types.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		require.NoError(f.t, err)
	}
}

// addKey uploads a key and returns its ID.
func (f *srcIAMFixture) addKey(user, seed string) string {
	f.t.Helper()
	out, err := f.iam.UploadSSHPublicKey(context.Background(), &iam.UploadSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyBody: aws.String(pubKey(seed))})
	require.NoError(f.t, err)
	id := aws.ToString(out.SSHPublicKey.SSHPublicKeyId)
	f.keys[user] = append(f.keys[user], id)
	return id
}

// setKey makes a key Active or Inactive.
func (f *srcIAMFixture) setKey(user, keyID string, active bool) {
	f.t.Helper()
	st := types.StatusTypeInactive
	if active {
		st = types.StatusTypeActive
	}
	_, err := f.iam.UpdateSSHPublicKey(context.Background(), &iam.UpdateSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyId: aws.String(keyID), Status: st})
	require.NoError(f.t, err)
}

// srcCanonicalBody returns the authorized_keys body IAM stores for a seed.
func srcCanonicalBody(seed string) string {
	pk, err := hostsync.ParseKey(pubKey(seed))
	if err != nil {
		panic(err)
	}
	return pk.Body
}

// srcByName indexes a Desired's users.
func srcByName(d hostsync.Desired) map[string]hostsync.DesiredUser {
	m := map[string]hostsync.DesiredUser{}
	for _, u := range d.Users {
		m[u.IAMName] = u
	}
	return m
}

// pubKey returns a deterministic ed25519 public key line for seed s.
func pubKey(s string) string {
	seed := sha256.Sum256([]byte("hostsync-test-key:" + s))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " " + s
}
