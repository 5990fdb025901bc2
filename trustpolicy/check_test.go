package trustpolicy_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

func TestApplyWithAccessAnalyzer(t *testing.T) {
	ctx := context.Background()
	withAlice := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/alice"]},"Action":"sts:AssumeRole"}]}`
	tests := []struct {
		name       string
		doc        string
		edit       func(alice string) trustpolicy.Edit
		opts       []trustpolicy.Option
		wantErr    error
		status     trustpolicy.Status
		verdict    string
		newAccess  string // in Check.NewAccess
		noAccess   bool   // Check.NewAccess empty
		updates    int
		warningsIn string
	}{
		{name: "addition: iamkit states the new access beside FAIL", doc: rootTrust,
			edit: func(string) trustpolicy.Edit {
				return trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::111111111111:user/bob"))
			},
			status: trustpolicy.Changed, verdict: "FAIL", newAccess: "AWS:arn:aws:iam::111111111111:user/bob may now assume the role", updates: 1},
		{name: "a user of an account already trusted: named, but no new access", doc: rootTrust,
			edit:   func(a string) trustpolicy.Edit { return trustpolicy.AddPrincipals(trustpolicy.AWS(a)) },
			status: trustpolicy.Changed, verdict: "PASS", newAccess: "AWS:arn:aws:iam::123456789012:user/alice may now assume the role", updates: 1},
		{name: "removal passes", doc: withAlice,
			edit:   func(a string) trustpolicy.Edit { return trustpolicy.RemovePrincipals(trustpolicy.AWS(a)) },
			status: trustpolicy.Changed, verdict: "PASS", noAccess: true, updates: 1},
		{name: "removal that widens is refused", doc: denyAliceTrust,
			edit:    func(string) trustpolicy.Edit { return trustpolicy.RemoveStatement("NoAlice") },
			wantErr: trustpolicy.ErrNewAccess, status: trustpolicy.Failed, verdict: "FAIL", newAccess: `Deny statement "NoAlice" removed`},
		{name: "security warning blocks", doc: rootTrust,
			edit:    func(string) trustpolicy.Edit { return trustpolicy.AddPrincipals(trustpolicy.AWS("*")) },
			wantErr: trustpolicy.ErrFindings, status: trustpolicy.Failed, verdict: "FAIL", newAccess: `AWS:* may now assume`},
		{name: "allowed findings go through with a warning", doc: rootTrust,
			edit:   func(string) trustpolicy.Edit { return trustpolicy.AddPrincipals(trustpolicy.AWS("*")) },
			opts:   []trustpolicy.Option{trustpolicy.WithAllowFindings(true)},
			status: trustpolicy.Changed, verdict: "FAIL", updates: 1, warningsIn: "allowed finding: SECURITY_WARNING PUBLIC_ROLE_TRUST"},
		{name: "dropping MFA is a loosened condition", doc: string(fixtureMFA),
			edit:   func(string) trustpolicy.Edit { return trustpolicy.DropMFARequirement("") },
			status: trustpolicy.Changed, verdict: "FAIL", newAccess: "condition Bool aws:multifactorauthpresent loosened or dropped", updates: 1},
		{name: "dry run checks and sends nothing", doc: rootTrust,
			edit:   func(a string) trustpolicy.Edit { return trustpolicy.AddPrincipals(trustpolicy.AWS(a)) },
			opts:   []trustpolicy.Option{trustpolicy.WithDryRun(true)},
			status: trustpolicy.WouldChange, verdict: "PASS", newAccess: "user/alice may now assume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := fakes.NewAccount()
			alice := mustCreateUser(t, acct, "alice")
			api := newRole(t, acct, "deploy", tt.doc)
			acct.ResetCalls()
			opts := append([]trustpolicy.Option{trustpolicy.WithValidator(acct.AccessAnalyzer())}, tt.opts...)
			res, err := trustpolicy.Apply(ctx, api, "deploy", tt.edit(alice), opts...)
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.True(t, errors.Is(err, tt.wantErr), "%v", err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.status, res.Status)
			require.NotNil(t, res.Check)
			assert.Equal(t, tt.verdict, res.Check.NoNewAccess)
			assert.Equal(t, 1, res.Check.CustomChecks)
			assert.Equal(t, 1, acct.Calls("access-analyzer:CheckNoNewAccess"))
			assert.Equal(t, 1, acct.Calls("access-analyzer:ValidatePolicy"))
			if tt.newAccess != "" {
				assert.Contains(t, fmtList(res.Check.NewAccess), tt.newAccess)
			}
			if tt.noAccess {
				assert.Empty(t, res.Check.NewAccess)
			}
			assert.Equal(t, tt.updates, acct.Calls("iam:UpdateAssumeRolePolicy"))
			if tt.warningsIn != "" {
				assert.Contains(t, fmtList(res.Warnings), tt.warningsIn)
			}
		})
	}
}

const fixtureMFA = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`

func fmtList(l []string) string {
	var b bytes.Buffer
	for _, s := range l {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

// ApplyAll proves each account's change with that account's validator; the
// report shows the findings, the verdict, iamkit's statement and how many
// charged checks the run made. Unchanged roles cost no check.
func TestApplyAllReportsChecks(t *testing.T) {
	ctx := context.Background()
	var targets []trustpolicy.Target
	var accts []*fakes.Account
	for _, id := range []string{"222222222222", "333333333333"} {
		acct := fakes.NewAccount(fakes.WithAccountID(id))
		api := newRole(t, acct, "deploy", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"`+id+`"},"Action":"sts:AssumeRole"}]}`)
		targets = append(targets, trustpolicy.Target{Name: id, API: api, Validator: acct.AccessAnalyzer()})
		accts = append(accts, acct)
	}
	// The second account already trusts the principal.
	edit := trustpolicy.AddPrincipals(trustpolicy.AWS("444455556666"))
	_, err := trustpolicy.Apply(ctx, targets[1].API, "deploy", edit)
	require.NoError(t, err)

	results := trustpolicy.ApplyAll(ctx, targets, "deploy", edit, trustpolicy.WithDryRun(true))
	assert.Equal(t, 1, trustpolicy.CustomChecks(results))
	assert.Nil(t, results[1].Check)
	var b bytes.Buffer
	require.NoError(t, trustpolicy.WriteReport(&b, results))
	out := b.String()
	assert.Contains(t, out, "222222222222: deploy: would change\n")
	assert.Contains(t, out, "    Access Analyzer: 1 finding (0 blocking); CheckNoNewAccess FAIL\n")
	assert.Contains(t, out, "      WARNING MISSING_VERSION at Version: ")
	assert.Contains(t, out, "      reason: statement 0: The new policy grants sts:assumerole to every principal of account 444455556666")
	assert.Contains(t, out, "    new access (iamkit, from the diff): AWS:444455556666 may now assume the role (sts:AssumeRole)\n")
	assert.Contains(t, out, "Access Analyzer: 1 changed document validated; 1 custom policy check (CheckNoNewAccess, charged per call)\n")
	assert.Zero(t, accts[1].Calls("access-analyzer:CheckNoNewAccess"))
}
