package s3snapshot_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/fakes"
)

// The IAM and snapshot fixtures of hostsync's tests (iamfixture_test.go,
// snapshot_test.go and helpers_test.go there), copied.

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

// snapCfg is the configuration of the snapshot tests' publisher and hosts.
var snapCfg = hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}

// snapFixture is a fake account with three IAM users — alice@corp.com (ssh,
// admins; two keys, one Inactive), bob (ssh; one key), carol (no group) —
// and an S3 bucket "fleet".
type snapFixture struct {
	*srcIAMFixture
	s3  *fakes.S3
	clk *fakes.Clock
}

func newSnapFixture(t testing.TB) *snapFixture {
	t.Helper()
	clk := fakes.NewClock(fakes.DefaultStart)
	f := &snapFixture{srcIAMFixture: newSrcIAMFixture(t, fakes.WithClock(clk)), clk: clk}
	f.add("alice@corp.com", []string{"ssh", "admins"}, "alice-1", "alice-2")
	f.setKey("alice@corp.com", f.keys["alice@corp.com"][1], false)
	f.add("bob", []string{"ssh"}, "bob-1")
	f.add("carol", nil, "carol-1")
	f.s3 = f.acct.S3()
	_, err := f.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	return f
}

// build builds a snapshot of the fixture's IAM state at the clock's time.
func (f *snapFixture) build(src *iamsource.IAMSource) *hostsync.Snapshot {
	f.t.Helper()
	snap, err := iamsource.BuildSnapshot(context.Background(), src, f.acct.ID(), f.clk.Now())
	require.NoError(f.t, err)
	return snap
}

// publish builds and publishes a snapshot to s3://fleet/hosts.json.
func (f *snapFixture) publish(src *iamsource.IAMSource, opts ...hostsync.Option) s3snapshot.PublishResult {
	f.t.Helper()
	res, err := s3snapshot.Publish(context.Background(), f.s3, "fleet", "hosts.json", f.build(src), opts...)
	require.NoError(f.t, err)
	return res
}

// source returns a host's source reading s3://fleet/hosts.json, for the
// fixture's account and clock unless opts say otherwise.
func (f *snapFixture) source(opts ...hostsync.Option) *s3snapshot.SnapshotSource {
	opts = append([]hostsync.Option{hostsync.WithAccount(f.acct.ID()), hostsync.WithClock(f.clk)}, opts...)
	return s3snapshot.NewS3SnapshotSource(f.s3, "fleet", "hosts.json", snapCfg, opts...)
}

// putRaw overwrites the snapshot object with data.
func (f *snapFixture) putRaw(data []byte) {
	f.t.Helper()
	_, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json"), Body: bytes.NewReader(data)})
	require.NoError(f.t, err)
}

func (f *snapFixture) object() []byte {
	f.t.Helper()
	o, ok := f.s3.Object("fleet", "hosts.json")
	require.True(f.t, ok)
	return o.Body
}

// managedNames lists the host's users in the default marker group.
func managedNames(h *fakes.Host) []string {
	var out []string
	for _, u := range h.Users() {
		if u.MemberOf(hostsync.DefaultMarkerGroup) {
			out = append(out, u.Name)
		}
	}
	return out
}

// snapshot renders the host for convergence comparisons.
func snapshot(h *fakes.Host) string {
	var b strings.Builder
	for _, u := range h.Users() {
		fmt.Fprintf(&b, "%s uid=%d groups=%v locked=%v sudo=%v keys=%d shell=%s\n", u.Name, u.UID, u.Groups, u.Locked, u.Sudo, len(u.Keys), h.Shell(u.Name))
	}
	fmt.Fprintf(&b, "state=%s", h.State())
	return b.String()
}
