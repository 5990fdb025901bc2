package trustpolicy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

const denyAliceTrust = `{"Version":"2012-10-17","Statement":[` +
	`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"},` +
	`{"Sid":"NoAlice","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}`

func TestDeniedBy(t *testing.T) {
	alice := trustpolicy.AWS("arn:aws:iam::123456789012:user/alice")
	tests := []struct {
		name string
		doc  string
		p    trustpolicy.Principal
		want []string // Sids
		cond bool
	}{
		{name: "named", doc: denyAliceTrust, p: alice, want: []string{"NoAlice"}},
		{name: "other principal", doc: denyAliceTrust, p: trustpolicy.AWS("arn:aws:iam::123456789012:user/bob")},
		{name: "account ID and root ARN alike",
			doc:  `{"Statement":[{"Sid":"NoAcct","Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`,
			p:    trustpolicy.AWS("arn:aws:iam::111111111111:root"),
			want: []string{"NoAcct"}},
		{name: "star without condition denies everyone",
			doc: `{"Statement":[{"Sid":"Nobody","Effect":"Deny","Principal":"*","Action":"sts:*"}]}`,
			p:   alice, want: []string{"Nobody"}},
		{name: "star with a condition names nobody",
			doc: `{"Statement":[{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}]}`,
			p:   alice},
		{name: "named under a condition",
			doc: `{"Statement":[{"Sid":"NoAliceWithoutMFA","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`,
			p:   alice, want: []string{"NoAliceWithoutMFA"}, cond: true},
		{name: "action not covered",
			doc: `{"Statement":[{"Sid":"NoTag","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:TagSession"}]}`,
			p:   alice},
		{name: "NotPrincipal spares, does not name",
			doc: `{"Statement":[{"Sid":"AllButAlice","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}`,
			p:   alice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sids []string
			for _, c := range parse(t, tt.doc).DeniedBy(tt.p) {
				sids = append(sids, c.Sid)
				assert.Equal(t, tt.cond, c.Conditional)
			}
			assert.Equal(t, tt.want, sids)
		})
	}
}

// Adding an Allow for a principal an explicit Deny names is refused, naming
// the Deny's Sid, and nothing is sent; WithForce lets it through with a
// warning.
func TestApplyRefusesAnAllowADenyOverrides(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	aliceARN := mustCreateUser(t, acct, "alice")
	api := newRole(t, acct, "deploy", denyAliceTrust)
	acct.ResetCalls()

	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN)))
	require.Error(t, err)
	assert.True(t, errors.Is(err, trustpolicy.ErrDenied))
	var de *trustpolicy.DenyError
	require.ErrorAs(t, err, &de)
	require.Len(t, de.Conflicts, 1)
	assert.Equal(t, "NoAlice", de.Conflicts[0].Sid)
	assert.Contains(t, err.Error(), `Deny statement "NoAlice" names AWS:`+aliceARN)
	assert.Equal(t, trustpolicy.Failed, res.Status)
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))
	assert.Equal(t, denyAliceTrust, stored(t, acct, "deploy"))

	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN)), trustpolicy.WithForce(true))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Changed, res.Status)
	require.Len(t, res.Warnings, 1)
	assert.Contains(t, res.Warnings[0], `"NoAlice"`)

	// Someone the Deny does not name is added without a word.
	bob := mustCreateUser(t, acct, "bob")
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(bob)))
	require.NoError(t, err)
	assert.Empty(t, res.Warnings)
}

// Equality ignores the order of principals, actions and condition values:
// an edit whose result means the same is no change, and nothing is sent.
func TestEquivalentIgnoresOrder(t *testing.T) {
	a := parse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:user/a","arn:aws:iam::111111111111:user/b"],"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:PrincipalTag/team":["red","blue"]}}}]}`)
	b := parse(t, `{"Statement":[{"Condition":{"StringEquals":{"aws:principaltag/team":["blue","red"]}},"Action":["sts:TagSession","sts:AssumeRole"],"Principal":{"Service":["ec2.amazonaws.com"],"AWS":["arn:aws:iam::111111111111:user/b","arn:aws:iam::1:user/a"]},"Effect":"Allow"}],"Version":"2012-10-17"}`)
	assert.True(t, trustpolicy.Equivalent(a, b))
	assert.Empty(t, trustpolicy.Diff(a, b))
	c := parse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:user/a","arn:aws:iam::111111111111:user/b"],"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:PrincipalTag/team":["red","green"]}}}]}`)
	assert.False(t, trustpolicy.Equivalent(a, c))
	assert.Contains(t, trustpolicy.Diff(a, c), `+            "green"`)
}

// A statement added by AddStatement that is already there in another order
// changes nothing: nothing is sent.
func TestApplyReorderedStatementIsNoChange(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":["111111111111","123456789012"]}}}]}`
	api := newRole(t, acct, "svc", doc)
	acct.ResetCalls()
	res, err := trustpolicy.Apply(ctx, api, "svc", trustpolicy.AddStatement(
		`{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Condition":{"StringEquals":{"aws:SourceAccount":["123456789012","111111111111"]}}}`))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Unchanged, res.Status)
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))
}

// The size is checked before anything is sent, with the count IAM makes
// (whitespace excluded), against the default or a raised quota.
func TestApplySizeQuota(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := newRole(t, acct, "big", rootTrust)
	var ps []trustpolicy.Principal
	for i := range 60 {
		ps = append(ps, trustpolicy.AWS(mustCreateUser(t, acct, "user-with-a-rather-long-name-"+string(rune('a'+i%26))+string(rune('a'+i/26)))))
	}
	acct.ResetCalls()
	_, err := trustpolicy.Apply(ctx, api, "big", trustpolicy.AddPrincipals(ps...))
	require.Error(t, err)
	assert.True(t, errors.Is(err, trustpolicy.ErrTooLarge))
	assert.Contains(t, err.Error(), "over the size quota of 2048")
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))

	// A raised quota (the fake keeps the default one: dry run).
	res, err := trustpolicy.Apply(ctx, api, "big", trustpolicy.AddPrincipals(ps...),
		trustpolicy.WithSizeQuota(trustpolicy.MaxSizeQuota), trustpolicy.WithDryRun(true))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.WouldChange, res.Status)
	assert.Greater(t, res.After.Size(), trustpolicy.DefaultSizeQuota)
	assert.LessOrEqual(t, res.After.Size(), trustpolicy.MaxSizeQuota)
}

// Replacing a document with one that differs only in order is no change:
// nothing is sent (what a re-run of a rollback or a desired-state tool does).
func TestApplyReplaceWithReorderedIsNoChange(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":["111111111111","123456789012"]}}}]}`
	api := newRole(t, acct, "svc", doc)
	acct.ResetCalls()
	res, err := trustpolicy.Apply(ctx, api, "svc", trustpolicy.Replace(parse(t,
		`{"Statement":[{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Condition":{"StringEquals":{"aws:SourceAccount":["123456789012","111111111111"]}}}],"Version":"2012-10-17"}`)))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Unchanged, res.Status)
	assert.Empty(t, res.Diff)
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))
	assert.Equal(t, doc, stored(t, acct, "svc"))
}
