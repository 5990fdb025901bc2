package iamkittest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/mfa"
	"github.com/iamkit/iamkit/trustpolicy"
)

// WithLogger(nil) means "discard" in every package: the calls that log
// work with it (they panicked on a nil *slog.Logger before).
func TestWithLoggerNilDiscards(t *testing.T) {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	clk := acct.Clock()
	_, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)

	require.NotPanics(t, func() {
		_, err := iamuser.New(acct.IAM(), iamuser.WithLogger(nil), iamuser.WithClock(clk)).Onboard(ctx, iamuser.Spec{UserName: "alice"})
		require.NoError(t, err)
		_, err = iamuser.NewOffboarder(acct.IAM(), iamuser.WithLogger(nil), iamuser.WithClock(clk)).Offboard(ctx, "alice")
		require.NoError(t, err)
	})
	require.NotPanics(t, func() {
		_, err := mfa.Audit(ctx, acct.IAM(), mfa.WithLogger(nil), mfa.WithClock(clk))
		require.NoError(t, err)
	})
	require.NotPanics(t, func() {
		_, _, err := hostsync.Sync(ctx, iamsource.NewIAMSource(acct.IAM(), hostsync.Config{}, hostsync.WithLogger(nil)),
			iamkittest.NewHost(), hostsync.Config{}, hostsync.WithLogger(nil), hostsync.WithClock(clk))
		require.NoError(t, err)
	})
	require.NotPanics(t, func() {
		_, err := trustpolicy.Apply(ctx, acct.IAM(), "deploy", trustpolicy.AddPrincipals(trustpolicy.Service("lambda.amazonaws.com")), trustpolicy.WithLogger(nil), trustpolicy.WithClock(clk))
		require.NoError(t, err)
	})
	require.NotPanics(t, func() {
		_, err := federation.AssumeRole(ctx, acct.STS(), federation.AssumeRoleRequest{RoleARN: "arn:aws:iam::123456789012:role/deploy", RoleSessionName: "s1"},
			federation.WithLogger(nil), federation.WithClock(clk))
		require.NoError(t, err)
	})
}
