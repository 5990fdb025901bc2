package fakes_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func TestListAccounts(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	var members []fakes.OrganizationAccount
	for i := range 25 {
		m := fakes.OrganizationAccount{ID: "2000000000" + string(rune('0'+i/10)) + string(rune('0'+i%10)), Name: "member"}
		if i == 3 {
			m.State = orgtypes.AccountStateSuspended
		}
		members = append(members, m)
	}
	acct.SetOrganization(members...)

	var got []orgtypes.Account
	pages := 0
	p := organizations.NewListAccountsPaginator(acct.Organizations(), &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		got = append(got, out.Accounts...)
	}
	assert.Equal(t, 2, pages, "20 per page by default")
	require.Len(t, got, 26)
	assert.Equal(t, acct.ID(), aws.ToString(got[0].Id))
	assert.Equal(t, orgtypes.AccountStateActive, got[1].State)
	assert.Equal(t, orgtypes.AccountStateSuspended, got[4].State)
	assert.Contains(t, aws.ToString(got[1].Arn), ":account/o-")

	_, err := acct.Organizations().ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	var inv *orgtypes.InvalidInputException
	require.ErrorAs(t, err, &inv)

	alone := fakes.NewAccount()
	_, err = alone.Organizations().ListAccounts(ctx, &organizations.ListAccountsInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	require.ErrorAs(t, err, &notInUse)

	member := fakes.NewAccount()
	member.SetOrganizationMember()
	_, err = member.Organizations().ListAccounts(ctx, &organizations.ListAccountsInput{})
	var denied *orgtypes.AccessDeniedException
	require.ErrorAs(t, err, &denied)
}
