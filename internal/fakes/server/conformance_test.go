package server_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/fakes/server"
	"github.com/iamkit/iamkit/trustpolicy"
)

// detRand is a deterministic byte source, so that passwords and MFA seeds
// come out the same in process and over the wire.
type detRand struct{ r *rand.ChaCha8 }

func newDetRand() *detRand { return &detRand{rand.NewChaCha8([32]byte{1, 2, 3})} }

func (d *detRand) Read(p []byte) (int, error) { return d.r.Read(p) }

// world is one account reached one way: in process or over the wire.
type world struct {
	acct *fakes.Account
	srv  *server.Server // the server the wire world goes through; nil in process
	iam  iamuser.API
	full interface {
		iamuser.API
		iamsource.IAMAPI
		trustpolicy.RoleAPI
		trustpolicy.ListRolesAPI
		CreateGroup(context.Context, *iam.CreateGroupInput, ...func(*iam.Options)) (*iam.CreateGroupOutput, error)
		CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	}
	sts interface {
		GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	}
}

// worlds returns two accounts in the same state on the same frozen clock:
// one used in process, one through real SDK clients on a server.
func worlds(t *testing.T) (inproc, wire world) {
	t.Helper()
	a := fakes.NewAccount()
	inproc = world{acct: a, iam: a.IAM(), full: a.IAM(), sts: a.STS()}
	b := fakes.NewAccount()
	srv, err := server.Start(b, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	c := iam.NewFromConfig(srv.Config())
	wire = world{acct: b, srv: srv, iam: c, full: c, sts: sts.NewFromConfig(srv.Config())}
	return inproc, wire
}

// TestSameOutcomeInProcessAndOverTheWire runs iamkit's main IAM flows on
// both worlds and asserts the same outcome: onboarding (every step),
// host-sync's IAM source, trust-policy reading and editing, offboarding.
func TestSameOutcomeInProcessAndOverTheWire(t *testing.T) {
	inproc, wire := worlds(t)
	ctx := context.Background()
	key := mustSSHKey(t)

	type outcome struct {
		onboard    *iamuser.Result
		desired    hostsync.Desired
		roles      []trustpolicy.RoleTrust
		role       trustpolicy.RoleTrust
		offboard   *iamuser.OffboardReport
		identity   *sts.GetCallerIdentityOutput
		calls      map[string]int
		usersAfter []string
	}
	run := func(w world) outcome {
		var o outcome
		for _, g := range []string{"devs", "admins"} {
			_, err := w.full.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})
			require.NoError(t, err)
		}
		_, err := w.full.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
		require.NoError(t, err)

		m := iamuser.New(w.iam, iamuser.WithClock(w.acct.Clock()), iamuser.WithRand(newDetRand()))
		o.onboard, err = m.Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"devs", "admins"},
			AccessKey: true, SSHPublicKeys: []string{key}, Tags: map[string]string{"team": "infra"}})
		require.NoError(t, err)
		_, err = m.Onboard(ctx, iamuser.Spec{UserName: "bob", Groups: []string{"devs"}, NoMFA: true})
		require.NoError(t, err)

		o.desired = iamsource.NewIAMSource(w.full, hostsync.Config{AuthorizedGroups: []string{"devs"}, SudoersGroups: []string{"admins"}}).Desired(ctx)
		o.roles, err = trustpolicy.ListRoleTrust(ctx, w.full, "/")
		require.NoError(t, err)
		o.role, err = trustpolicy.GetRoleTrust(ctx, w.full, "deploy")
		require.NoError(t, err)

		o.offboard, err = iamuser.NewOffboarder(w.full, iamuser.WithClock(w.acct.Clock())).Offboard(ctx, "bob")
		require.NoError(t, err)
		o.identity, err = w.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		require.NoError(t, err)
		o.identity.ResultMetadata = noMetadata()
		users, err := w.acct.IAM().ListUsers(ctx, &iam.ListUsersInput{})
		require.NoError(t, err)
		for _, u := range users.Users {
			o.usersAfter = append(o.usersAfter, aws.ToString(u.UserName))
		}
		o.calls = w.acct.CallCounts()
		delete(o.calls, "iam:ListUsers") // the inspection above, counted once each way
		return o
	}
	a, b := run(inproc), run(wire)

	require.True(t, a.desired.Complete, "%v", a.desired.Err)
	// The fake draws MFA seeds from crypto/rand, like IAM: compare the
	// rest.
	for _, r := range []*iamuser.Result{a.onboard, b.onboard} {
		require.NotEmpty(t, r.MFASeed)
		require.NotEmpty(t, r.QRCodePNG)
		r.MFASeed, r.OTPAuthURI, r.QRCodePNG = "", "", nil
	}
	assert.Equal(t, a.onboard, b.onboard, "onboarding result")
	assert.Equal(t, a.desired, b.desired, "host-sync desired state")
	assert.Equal(t, a.roles, b.roles, "roles' trust")
	assert.Equal(t, a.role, b.role, "one role's trust")
	assert.Equal(t, a.offboard, b.offboard, "offboarding report")
	assert.Equal(t, a.identity, b.identity, "caller identity")
	assert.Equal(t, []string{"alice"}, b.usersAfter)
	assert.Equal(t, a.calls, b.calls, "the same calls, counted the same")
}

func mustSSHKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519Key()
	require.NoError(t, err)
	sk, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return string(ssh.MarshalAuthorizedKey(sk))
}
