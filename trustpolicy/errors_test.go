package trustpolicy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

// malformedRole answers GetRole with a document that does not parse.
type malformedRole struct{}

func (malformedRole) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return &iam.GetRoleOutput{Role: &types.Role{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String("%7Bnot%20json")}}, nil
}

// The package's errors start with "trustpolicy: " once, also where one of
// its exported functions wraps another's error.
func TestErrorPrefixOnce(t *testing.T) {
	acct := fakes.NewAccount()
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	api := newRole(t, acct, "deploy", doc)

	_, applyErr := trustpolicy.Apply(t.Context(), api, "deploy",
		trustpolicy.AddPrincipalsTo("Missing", trustpolicy.AWS("111122223333")), trustpolicy.WithClock(acct.Clock()))
	_, getErr := trustpolicy.GetRoleTrust(t.Context(), malformedRole{}, "r")
	_, parseErr := trustpolicy.ParsePrincipal("Bogus:x")
	for name, err := range map[string]error{"Apply": applyErr, "GetRoleTrust": getErr, "ParsePrincipal": parseErr} {
		require.Error(t, err, name)
		assert.True(t, strings.HasPrefix(err.Error(), "trustpolicy: "), "%s: %v", name, err)
		assert.Equal(t, 1, strings.Count(err.Error(), "trustpolicy:"), "%s: %v", name, err)
	}
	assert.ErrorIs(t, applyErr, trustpolicy.ErrNoStatement)
	assert.ErrorIs(t, getErr, trustpolicy.ErrMalformed)
}
