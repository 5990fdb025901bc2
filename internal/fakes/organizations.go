package fakes

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// OrganizationAccount is one member account of the organization an account
// manages (Account.SetOrganization).
type OrganizationAccount struct {
	ID, Name, Email string
	// State is the account's state as ListAccounts reports it in its
	// current field, State (the deprecated Status is derived from it).
	// Empty means ACTIVE.
	State orgtypes.AccountState
}

// orgState is the account's place in an organization (callers hold a.mu).
type orgState struct {
	id       string // o-…
	member   bool   // a member account, neither management nor delegated administrator
	accounts []OrganizationAccount
}

// maxListAccounts is the largest MaxResults ListAccounts accepts.
const maxListAccounts = 20

// SetOrganization makes the account the management account (or a delegated
// administrator) of an organization whose other accounts are members:
// ListAccounts lists the account itself (ACTIVE, named "management") and
// then members in the order given.
func (a *Account) SetOrganization(members ...OrganizationAccount) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.org = &orgState{id: "o-" + a.newID("", 10), accounts: append([]OrganizationAccount(nil), members...)}
}

// SetOrganizationMember makes the account a plain member of an
// organization: ListAccounts is refused with AccessDeniedException, as for
// any account that is neither the management account nor a delegated
// administrator.
func (a *Account) SetOrganizationMember() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.org = &orgState{id: "o-" + a.newID("", 10), member: true}
}

// Organizations is the account's AWS Organizations, enough of it to find
// the accounts of an organization: ListAccounts.
type Organizations struct{ a *Account }

// Organizations returns the account's AWS Organizations service.
func (a *Account) Organizations() *Organizations { return &Organizations{a: a} }

// ListAccounts implements organizations.Client.ListAccounts: every account
// of the organization, the management account first, MaxResults (1 to 20,
// default 20) at a time with NextToken. An account outside any
// organization gets AWSOrganizationsNotInUseException, a plain member
// AccessDeniedException.
func (f *Organizations) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	a := f.a
	return call(ctx, a, "organizations:ListAccounts", in, func() (*organizations.ListAccountsOutput, error) {
		switch {
		case a.org == nil:
			return nil, &orgtypes.AWSOrganizationsNotInUseException{Message: aws.String("Your account is not a member of an organization.")}
		case a.org.member:
			return nil, &orgtypes.AccessDeniedException{Message: aws.String("You don't have permissions to access this resource. ListAccounts can be called only from the organization's management account or by a member account that is a delegated administrator.")}
		}
		limit := maxListAccounts
		if in.MaxResults != nil {
			if *in.MaxResults < 1 || *in.MaxResults > maxListAccounts {
				return nil, &orgtypes.InvalidInputException{Message: aws.String(fmt.Sprintf("MaxResults must be between 1 and %d.", maxListAccounts))}
			}
			limit = int(*in.MaxResults)
		}
		all := append([]OrganizationAccount{{ID: a.id, Name: "management", Email: "management@example.com", State: orgtypes.AccountStateActive}}, a.org.accounts...)
		start := 0
		if in.NextToken != nil {
			n, ok := parsePageToken(*in.NextToken)
			if !ok || n > len(all) {
				return nil, &orgtypes.InvalidInputException{Message: aws.String("The NextToken is not valid.")}
			}
			start = n
		}
		end := min(len(all), start+limit)
		out := &organizations.ListAccountsOutput{Accounts: []orgtypes.Account{}}
		joined := a.clock.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
		for _, m := range all[start:end] {
			state := m.State
			if state == "" {
				state = orgtypes.AccountStateActive
			}
			status := orgtypes.AccountStatus(state)
			if state == orgtypes.AccountStatePendingActivation || state == orgtypes.AccountStateClosed {
				status = orgtypes.AccountStatusSuspended
			}
			out.Accounts = append(out.Accounts, orgtypes.Account{
				Id:              aws.String(m.ID),
				Arn:             aws.String(fmt.Sprintf("arn:%s:organizations::%s:account/%s/%s", a.partition, a.id, a.org.id, m.ID)),
				Name:            aws.String(m.Name),
				Email:           aws.String(m.Email),
				State:           state,
				Status:          status,
				JoinedMethod:    orgtypes.AccountJoinedMethodCreated,
				JoinedTimestamp: aws.Time(joined),
			})
		}
		if end < len(all) {
			out.NextToken = aws.String(pageToken(end))
		}
		return out, nil
	})
}
