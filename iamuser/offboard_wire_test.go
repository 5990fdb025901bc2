package iamuser_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
)

// An endpoint that does not implement an optional listing (an emulator
// without service-specific credentials or signing certificates) makes a
// warning in the plan, not a failure; offboarding still deletes the user.
// Through a real client: the SDK's InvalidAction error, as such an
// endpoint sends it.
func TestOffboardWhenTheEndpointLacksAnOptionalListing(t *testing.T) {
	ctx := context.Background()
	srv := iamkittest.NewServer(t)
	c := iam.NewFromConfig(srv.Config())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	srv.Account().Disable("iam:ListServiceSpecificCredentials")
	srv.Account().Disable("iam:ListSigningCertificates")

	off := iamuser.NewOffboarder(c)
	plan, err := off.PlanOffboard(ctx, "alice")
	require.NoError(t, err)
	assert.Len(t, plan.Warnings, 2)
	assert.Contains(t, plan.String(), "warning: could not list service-specific credentials: the endpoint does not implement it")
	assert.Contains(t, plan.String(), "warning: could not list signing certificates")
	rep, err := off.ApplyOffboard(ctx, plan)
	require.NoError(t, err)
	assert.True(t, rep.Verified)

	// A real error stays an error.
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	srv.Account().ClearFaults()
	srv.Account().Throttle("iam:ListServiceSpecificCredentials", 0)
	_, err = off.PlanOffboard(ctx, "bob")
	assert.ErrorContains(t, err, "listing service-specific credentials")
}
