package fakes_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDirectoryLinksAccounts(t *testing.T) {
	ctx := t.Context()
	dir := fakes.NewDirectory()
	home := fakes.NewAccount(fakes.WithAccountID("111111111111"), fakes.WithDirectory(dir))
	prod := fakes.NewAccount(fakes.WithAccountID("222222222222"), fakes.WithDirectory(dir))
	u, err := home.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	doc := func(principal string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","` + principal + `"]},"Action":"sts:AssumeRole"}]}`)
	}

	// A user of a linked account must exist to be trusted.
	_, err = prod.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: doc("arn:aws:iam::111111111111:user/nobody")})
	var mal *types.MalformedPolicyDocumentException
	require.ErrorAs(t, err, &mal)
	assert.Contains(t, err.Error(), "Invalid principal")
	_, err = prod.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: doc(*u.User.Arn)})
	require.NoError(t, err)

	// Deleting the user in its account shows its unique ID in the other's policy.
	_, err = home.IAM().DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	got, err := prod.IAM().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")})
	require.NoError(t, err)
	trust, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	require.NoError(t, err)
	assert.Contains(t, trust, `"`+aws.ToString(u.User.UserId)+`"`)
	assert.NotContains(t, trust, "user/alice")
	assert.True(t, strings.Contains(trust, "arn:aws:iam::111111111111:root"), "other principals are untouched")

	// Unlinked accounts check other accounts' principals for syntax only.
	lone := fakes.NewAccount(fakes.WithAccountID("333333333333"))
	_, err = lone.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: doc("arn:aws:iam::111111111111:user/nobody")})
	assert.NoError(t, err)
}
