package trustpolicy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

// orgOf makes mgmt the management account of accts (25 members, so that
// ListAccounts pages), one of them suspended and one closed.
func orgOf(mgmt *fakes.Account, accts []*fakes.Account) {
	var members []fakes.OrganizationAccount
	for i, a := range accts {
		m := fakes.OrganizationAccount{ID: a.ID(), Name: fmt.Sprintf("acct-%d", i)}
		members = append(members, m)
	}
	members = append(members,
		fakes.OrganizationAccount{ID: "999999999901", Name: "gone", State: orgtypes.AccountStateSuspended},
		fakes.OrganizationAccount{ID: "999999999902", Name: "closed", State: orgtypes.AccountStateClosed})
	mgmt.SetOrganization(members...)
}

func TestOrganizationTargets(t *testing.T) {
	ctx := context.Background()
	accts, _ := accounts(t, 25)
	mgmt := fakes.NewAccount(fakes.WithAccountID("111111111111"))
	orgOf(mgmt, accts)
	byID := map[string]*fakes.Account{mgmt.ID(): mgmt}
	for _, a := range accts {
		byID[a.ID()] = a
	}
	targets, skipped, err := trustpolicy.OrganizationTargets(ctx, mgmt.Organizations(), func(m trustpolicy.MemberAccount) (trustpolicy.Target, error) {
		return trustpolicy.Target{Name: m.ID, API: byID[m.ID].IAM()}, nil
	})
	require.NoError(t, err)
	assert.Len(t, targets, 26, "the management account and the 25 active members")
	require.Len(t, skipped, 2)
	assert.Equal(t, "SUSPENDED", skipped[0].State)
	assert.Equal(t, "CLOSED", skipped[1].State)
	assert.Equal(t, 2, mgmt.Calls("organizations:ListAccounts"), "28 accounts: two pages")

	// A member account is refused: the message says who may list.
	member := fakes.NewAccount()
	member.SetOrganizationMember()
	_, _, err = trustpolicy.OrganizationTargets(ctx, member.Organizations(), nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, trustpolicy.ErrNotOrganizationAdmin))
	assert.Contains(t, err.Error(), "needs the management account or a delegated administrator")
	var denied *orgtypes.AccessDeniedException
	assert.ErrorAs(t, err, &denied)
	_, _, err = trustpolicy.OrganizationTargets(ctx, fakes.NewAccount().Organizations(), nil)
	assert.True(t, errors.Is(err, trustpolicy.ErrNotOrganizationAdmin))

	// A page that fails fails the listing.
	mgmt.Inject("organizations:ListAccounts", fakes.Fault{Skip: 1, Times: 1, Err: errors.New("boom")})
	_, _, err = trustpolicy.OrganizationTargets(ctx, mgmt.Organizations(), func(m trustpolicy.MemberAccount) (trustpolicy.Target, error) {
		return trustpolicy.Target{Name: m.ID}, nil
	})
	assert.ErrorContains(t, err, "boom")
}

// BenchmarkOrganizationFanOut50 discovers 50 member accounts of an
// organization (ListAccounts, 20 per page) and adds a principal to the same
// role in each, proving every change with Access Analyzer, every call
// taking 20 ms: the calls per account (GetRole, ValidatePolicy,
// CheckNoNewAccess, UpdateAssumeRolePolicy) and the wall time, beside its
// floor (the pages in sequence, then ceil(50/concurrency) waves of the
// per-account calls in sequence).
func BenchmarkOrganizationFanOut50(b *testing.B) {
	const n, latency = 50, 20 * time.Millisecond
	for _, conc := range []int{4, 20} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			var calls, runs int
			var perAccount float64
			for b.Loop() {
				b.StopTimer()
				accts, _ := accounts(b, n)
				mgmt := fakes.NewAccount(fakes.WithAccountID("100000000001"))
				orgOf(mgmt, accts)
				byID := map[string]*fakes.Account{}
				for _, a := range append(accts, mgmt) {
					a.SetLatency("*", latency)
					byID[a.ID()] = a
				}
				newRole(b, mgmt, "Admin", strings.ReplaceAll(rootTrust, "123456789012", mgmt.ID()))
				mgmt.ResetCalls()
				b.StartTimer()
				targets, _, err := trustpolicy.OrganizationTargets(b.Context(), mgmt.Organizations(), func(m trustpolicy.MemberAccount) (trustpolicy.Target, error) {
					a := byID[m.ID]
					return trustpolicy.Target{Name: m.ID, API: a.IAM(), Validator: a.AccessAnalyzer()}, nil
				})
				if err != nil {
					b.Fatal(err)
				}
				results := trustpolicy.ApplyAll(b.Context(), targets, "Admin", trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser)), trustpolicy.WithConcurrency(conc), trustpolicy.WithRetries(0, 0))
				for _, r := range results {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				}
				b.StopTimer()
				c := 0
				for _, a := range accts {
					c += a.CallsWithPrefix("iam:") + a.CallsWithPrefix("access-analyzer:")
				}
				calls += c
				perAccount = float64(c) / n
				runs++
				b.StartTimer()
			}
			pages := (n + 1 + 2 + 19) / 20
			waves := (n + 1 + conc - 1) / conc
			floor := time.Duration(pages)*latency + time.Duration(waves)*time.Duration(perAccount)*latency
			b.ReportMetric(float64(calls)/float64(runs*n), "calls/account")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(runs), "wall-ms/op")
			b.ReportMetric(float64(floor.Milliseconds()), "floor-ms/op")
			b.ReportMetric(float64(n), "accounts")
		})
	}
}
