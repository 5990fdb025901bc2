package trustpolicy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// OrganizationsAPI is the part of AWS Organizations that
// OrganizationTargets calls; *organizations.Client satisfies it.
type OrganizationsAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

var _ OrganizationsAPI = (*organizations.Client)(nil)

// ErrNotOrganizationAdmin is matched (errors.Is) when Organizations refuses
// to list the accounts: ListAccounts answers only the organization's
// management account or a delegated administrator (and an account in no
// organization gets AWSOrganizationsNotInUseException).
var ErrNotOrganizationAdmin = errors.New("listing the organization's accounts needs the management account or a delegated administrator")

// MemberAccount is one account of the organization.
type MemberAccount struct {
	ID, Name, ARN string
	// State is ListAccounts' current status field (ACTIVE, SUSPENDED,
	// PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION).
	State string
}

// ListMemberAccounts lists every account of the organization with the SDK's
// paginator; a failed page fails the listing (a partial list is never
// returned as complete). AccessDeniedException and
// AWSOrganizationsNotInUseException are reported as ErrNotOrganizationAdmin,
// with the SDK's error kept in the chain.
func ListMemberAccounts(ctx context.Context, api OrganizationsAPI) ([]MemberAccount, error) {
	var out []MemberAccount
	p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var denied *orgtypes.AccessDeniedException
			var notInUse *orgtypes.AWSOrganizationsNotInUseException
			if errors.As(err, &denied) || errors.As(err, &notInUse) {
				return nil, fmt.Errorf("trustpolicy: %w: %w", ErrNotOrganizationAdmin, err)
			}
			return nil, fmt.Errorf("trustpolicy: listing the organization's accounts: %w", err)
		}
		for _, a := range page.Accounts {
			state := string(a.State)
			if state == "" {
				state = string(a.Status) // an endpoint that predates State
			}
			out = append(out, MemberAccount{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), ARN: aws.ToString(a.Arn), State: state})
		}
	}
	return out, nil
}

// OrganizationTargets discovers the organization's accounts
// (ListMemberAccounts) and builds a Target for each ACTIVE one with build
// (typically: a client for a role assumed in that account); the others are
// returned as skipped. An error of build fails the whole discovery.
func OrganizationTargets(ctx context.Context, api OrganizationsAPI, build func(MemberAccount) (Target, error)) (targets []Target, skipped []MemberAccount, err error) {
	accounts, err := ListMemberAccounts(ctx, api)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range accounts {
		if a.State != string(orgtypes.AccountStateActive) {
			skipped = append(skipped, a)
			continue
		}
		t, err := build(a)
		if err != nil {
			return nil, nil, fmt.Errorf("trustpolicy: account %s: %w", a.ID, err)
		}
		targets = append(targets, t)
	}
	return targets, skipped, nil
}
