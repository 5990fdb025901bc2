package iamuser_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// env is one fake account, and a Manager and an Offboarder bound to it.
type env struct {
	acct *fakes.Account
	iam  *fakes.IAM
	m    *iamuser.Manager
	off  *iamuser.Offboarder
}

func newEnv(t testing.TB, groups ...string) *env {
	t.Helper()
	acct := fakes.NewAccount()
	e := &env{acct: acct, iam: acct.IAM()}
	e.m = iamuser.New(e.iam, iamuser.WithClock(acct.Clock()))
	e.off = iamuser.NewOffboarder(e.iam)
	for _, g := range groups {
		_, err := e.iam.CreateGroup(t.Context(), &iam.CreateGroupInput{GroupName: aws.String(g)})
		require.NoError(t, err)
	}
	acct.ResetCalls()
	return e
}

func sshKey(t testing.TB) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " person@laptop"
}

func (e *env) userExists(t testing.TB, name string) bool {
	t.Helper()
	_, err := e.iam.GetUser(t.Context(), &iam.GetUserInput{UserName: aws.String(name)})
	return err == nil
}

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
