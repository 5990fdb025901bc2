package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// The real Access Analyzer client reaches the fake over REST-JSON: inputs
// in the body and the query, findings with union paths, typed errors,
// throttles retried by the SDK.
func TestAccessAnalyzerOverTheWire(t *testing.T) {
	ctx := context.Background()
	srv, acct := start(t)
	aa := accessanalyzer.NewFromConfig(srv.Config())

	doc := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`
	var findings []aatypes.ValidatePolicyFinding
	p := accessanalyzer.NewValidatePolicyPaginator(aa, &accessanalyzer.ValidatePolicyInput{
		PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeResourcePolicy,
		ValidatePolicyResourceType: aatypes.ValidatePolicyResourceTypeRoleTrust, MaxResults: aws.Int32(1),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		findings = append(findings, out.Findings...)
	}
	require.Len(t, findings, 2)
	assert.Equal(t, fakes.IssueMissingVersion, aws.ToString(findings[0].IssueCode))
	assert.Equal(t, aatypes.ValidatePolicyFindingTypeSecurityWarning, findings[1].FindingType)
	assert.Equal(t, fakes.IssuePublicTrust, aws.ToString(findings[1].IssueCode))
	require.Len(t, findings[1].Locations, 1)
	path := findings[1].Locations[0].Path
	require.Len(t, path, 3)
	assert.Equal(t, &aatypes.PathElementMemberKey{Value: "Statement"}, path[0])
	assert.Equal(t, &aatypes.PathElementMemberIndex{Value: 0}, path[1])
	assert.Equal(t, 2, acct.Calls("access-analyzer:ValidatePolicy"))

	out, err := aa.CheckNoNewAccess(ctx, &accessanalyzer.CheckNoNewAccessInput{
		ExistingPolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"},{"Sid":"NoBob","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"sts:AssumeRole"}]}`),
		NewPolicyDocument:      aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`),
		PolicyType:             aatypes.AccessCheckPolicyTypeResourcePolicy,
	})
	require.NoError(t, err)
	assert.Equal(t, aatypes.CheckNoNewAccessResultFail, out.Result)
	require.NotEmpty(t, out.Reasons)
	assert.Equal(t, "NoBob", aws.ToString(out.Reasons[0].StatementId))
	assert.Equal(t, int32(1), aws.ToInt32(out.Reasons[0].StatementIndex))

	_, err = aa.CheckNoNewAccess(ctx, &accessanalyzer.CheckNoNewAccessInput{
		ExistingPolicyDocument: aws.String("{"), NewPolicyDocument: aws.String("{}"), PolicyType: aatypes.AccessCheckPolicyTypeResourcePolicy,
	})
	var ve *aatypes.ValidationException
	require.ErrorAs(t, err, &ve)
	code, status := apiCode(t, err)
	assert.Equal(t, "ValidationException", code)
	assert.Equal(t, 400, status)

	// One throttle is retried by the SDK.
	acct.Throttle("access-analyzer:CheckNoNewAccess", 1)
	_, err = aa.CheckNoNewAccess(ctx, &accessanalyzer.CheckNoNewAccessInput{
		ExistingPolicyDocument: aws.String("{}"), NewPolicyDocument: aws.String("{}"), PolicyType: aatypes.AccessCheckPolicyTypeResourcePolicy,
	})
	require.NoError(t, err)

	assert.True(t, srv.Serves("access-analyzer", "ValidatePolicy"))
	assert.Contains(t, srv.Operations(), "access-analyzer:CheckNoNewAccess")
	assert.Contains(t, srv.Operations(), "organizations:ListAccounts")
}

func TestOrganizationsOverTheWire(t *testing.T) {
	ctx := context.Background()
	srv, acct := start(t)
	org := organizations.NewFromConfig(srv.Config())

	_, err := org.ListAccounts(ctx, &organizations.ListAccountsInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	require.ErrorAs(t, err, &notInUse)

	acct.SetOrganization(
		fakes.OrganizationAccount{ID: "222222222222", Name: "staging"},
		fakes.OrganizationAccount{ID: "333333333333", Name: "old", State: orgtypes.AccountStateSuspended},
	)
	var got []orgtypes.Account
	p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		got = append(got, out.Accounts...)
	}
	require.Len(t, got, 3)
	assert.Equal(t, "222222222222", aws.ToString(got[1].Id))
	assert.Equal(t, orgtypes.AccountStateSuspended, got[2].State)
	assert.NotNil(t, got[1].JoinedTimestamp)
	assert.Equal(t, 2, acct.Calls("organizations:ListAccounts")-1)
}
