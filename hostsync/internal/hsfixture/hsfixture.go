// Package hsfixture holds the test fixtures hostsync's packages share
// (hostsync, hostsync/iamsource, hostsync/s3snapshot): IAM users, groups and
// keys in a fake account (Fixture), the snapshot publisher's account and bucket
// (Snap), deterministic SSH keys, and renderings of a fake host. It is
// imported by tests only.
package hsfixture

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

// PubKey returns a deterministic ed25519 public key line for seed s, with s
// as its comment.
func PubKey(s string) string {
	seed := sha256.Sum256([]byte("hostsync-test-key:" + s))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " " + s
}

// CanonicalBody returns the authorized_keys body IAM stores for a seed.
func CanonicalBody(seed string) string {
	pk, err := hostsync.ParseKey(PubKey(seed))
	if err != nil {
		panic(err)
	}
	return pk.Body
}

// ByName indexes a Desired's users by IAM name.
func ByName(d hostsync.Desired) map[string]hostsync.DesiredUser {
	m := map[string]hostsync.DesiredUser{}
	for _, u := range d.Users {
		m[u.IAMName] = u
	}
	return m
}

// Fixture builds IAM users, groups and keys in a fake account.
type Fixture struct {
	// T is the test.
	T testing.TB
	// Acct is the fake account.
	Acct *fakes.Account
	// IAM is its IAM.
	IAM *fakes.IAM
	// IDs maps user names to user IDs.
	IDs map[string]string
	// Keys maps user names to key IDs, in upload order.
	Keys map[string][]string
}

// NewIAM returns a Fixture over a new fake account.
func NewIAM(t testing.TB, opts ...fakes.Option) *Fixture {
	return OnAccount(t, fakes.NewAccount(opts...))
}

// OnAccount returns a Fixture over acct.
func OnAccount(t testing.TB, acct *fakes.Account) *Fixture {
	return &Fixture{T: t, Acct: acct, IAM: acct.IAM(), IDs: map[string]string{}, Keys: map[string][]string{}}
}

// Add creates an IAM user in groups (created as needed) with one key per
// seed, and returns its user ID.
func (f *Fixture) Add(name string, groups []string, keySeeds ...string) string {
	f.T.Helper()
	ctx := context.Background()
	out, err := f.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(f.T, err)
	f.IDs[name] = aws.ToString(out.User.UserId)
	for _, g := range groups {
		f.Group(g)
		_, err := f.IAM.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(g)})
		require.NoError(f.T, err)
	}
	for _, s := range keySeeds {
		f.AddKey(name, s)
	}
	return f.IDs[name]
}

// Group creates an IAM group unless it exists.
func (f *Fixture) Group(name string) {
	f.T.Helper()
	_, err := f.IAM.CreateGroup(context.Background(), &iam.CreateGroupInput{GroupName: aws.String(name)})
	var exists *types.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		require.NoError(f.T, err)
	}
}

// AddKey uploads the key of seed for user and returns its ID.
func (f *Fixture) AddKey(user, seed string) string {
	f.T.Helper()
	out, err := f.IAM.UploadSSHPublicKey(context.Background(), &iam.UploadSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyBody: aws.String(PubKey(seed))})
	require.NoError(f.T, err)
	id := aws.ToString(out.SSHPublicKey.SSHPublicKeyId)
	f.Keys[user] = append(f.Keys[user], id)
	return id
}

// SetKey makes a key Active or Inactive.
func (f *Fixture) SetKey(user, keyID string, active bool) {
	f.T.Helper()
	st := types.StatusTypeInactive
	if active {
		st = types.StatusTypeActive
	}
	_, err := f.IAM.UpdateSSHPublicKey(context.Background(), &iam.UpdateSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyId: aws.String(keyID), Status: st})
	require.NoError(f.T, err)
}

// Remove deletes an IAM user completely: keys, group memberships, user.
func (f *Fixture) Remove(user string) {
	f.T.Helper()
	ctx := context.Background()
	for _, id := range f.Keys[user] {
		_, err := f.IAM.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyId: aws.String(id)})
		require.NoError(f.T, err)
	}
	groups, err := f.IAM.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	require.NoError(f.T, err)
	for _, g := range groups.Groups {
		_, err := f.IAM.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String(user), GroupName: g.GroupName})
		require.NoError(f.T, err)
	}
	_, err = f.IAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(user)})
	require.NoError(f.T, err)
	delete(f.Keys, user)
}

// SnapConfig is the configuration of the snapshot tests' publisher and
// hosts.
var SnapConfig = hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}

// Snap is a fake account with three IAM users — alice@corp.com (ssh,
// admins; two keys, one Inactive), bob (ssh; one key), carol (no group) —
// and an S3 bucket "fleet", on a manual clock.
type Snap struct {
	*Fixture
	// S3 is the account's S3.
	S3 *fakes.S3
	// Clk is the account's clock.
	Clk *fakes.Clock
}

// NewSnap returns the snapshot fixture.
func NewSnap(t testing.TB) *Snap {
	t.Helper()
	clk := fakes.NewClock(fakes.DefaultStart)
	f := &Snap{Fixture: NewIAM(t, fakes.WithClock(clk)), Clk: clk}
	f.Add("alice@corp.com", []string{"ssh", "admins"}, "alice-1", "alice-2")
	f.SetKey("alice@corp.com", f.Keys["alice@corp.com"][1], false)
	f.Add("bob", []string{"ssh"}, "bob-1")
	f.Add("carol", nil, "carol-1")
	f.S3 = f.Acct.S3()
	_, err := f.S3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	return f
}

// Build builds a snapshot of the fixture's IAM state at the clock's time.
func (f *Snap) Build(src *iamsource.IAMSource) *hostsync.Snapshot {
	f.T.Helper()
	snap, err := iamsource.BuildSnapshot(context.Background(), src, f.Acct.ID(), f.Clk.Now())
	require.NoError(f.T, err)
	return snap
}

// Publish builds and publishes a snapshot to s3://fleet/hosts.json.
func (f *Snap) Publish(src *iamsource.IAMSource, opts ...hostsync.Option) s3snapshot.PublishResult {
	f.T.Helper()
	res, err := s3snapshot.Publish(context.Background(), f.S3, "fleet", "hosts.json", f.Build(src), opts...)
	require.NoError(f.T, err)
	return res
}

// Source returns a host's source reading s3://fleet/hosts.json, for the
// fixture's account and clock unless opts say otherwise.
func (f *Snap) Source(opts ...hostsync.Option) *s3snapshot.SnapshotSource {
	opts = append([]hostsync.Option{hostsync.WithAccount(f.Acct.ID()), hostsync.WithClock(f.Clk)}, opts...)
	return s3snapshot.NewS3SnapshotSource(f.S3, "fleet", "hosts.json", SnapConfig, opts...)
}

// PutRaw overwrites the snapshot object with data.
func (f *Snap) PutRaw(data []byte) {
	f.T.Helper()
	_, err := f.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json"), Body: bytes.NewReader(data)})
	require.NoError(f.T, err)
}

// Object returns the snapshot object's bytes.
func (f *Snap) Object() []byte {
	f.T.Helper()
	o, ok := f.S3.Object("fleet", "hosts.json")
	require.True(f.T, ok)
	return o.Body
}

// ManagedNames lists the host's users in the default marker group.
func ManagedNames(h *fakes.Host) []string {
	var out []string
	for _, u := range h.Users() {
		if u.MemberOf(hostsync.DefaultMarkerGroup) {
			out = append(out, u.Name)
		}
	}
	return out
}

// HostSnapshot renders the host for convergence comparisons.
func HostSnapshot(h *fakes.Host) string {
	var b strings.Builder
	for _, u := range h.Users() {
		fmt.Fprintf(&b, "%s uid=%d groups=%v locked=%v sudo=%v keys=%d shell=%s\n", u.Name, u.UID, u.Groups, u.Locked, u.Sudo, len(u.Keys), h.Shell(u.Name))
	}
	fmt.Fprintf(&b, "state=%s", h.State())
	return b.String()
}
