package fakes_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func trustDoc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

const (
	allowRoot   = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}`
	allowAlice  = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}`
	allowBob    = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":"sts:AssumeRole"}`
	allowBoth   = `{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/alice","arn:aws:iam::222222222222:user/bob"]},"Action":"sts:AssumeRole"}`
	denyAlice   = `{"Sid":"NoAlice","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}`
	aliceMFA    = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`
	aliceMFAIP  = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`
	orgTwo      = `{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-aaa","o-bbb"]}}}`
	orgOne      = `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-aaa"}}}`
	everyone    = `{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`
	denyOutside = `{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-aaa"}}}`
)

// The fake's CheckNoNewAccess decides each kind of trust change as Access
// Analyzer does.
func TestCheckNoNewAccess(t *testing.T) {
	tests := []struct {
		name          string
		existing, new string
		pass          bool
		reason        string // in a FAIL's reasons
	}{
		{name: "added principal", existing: trustDoc(allowAlice), new: trustDoc(allowBoth), reason: "to AWS:arn:aws:iam::222222222222:user/bob"},
		{name: "removed principal", existing: trustDoc(allowBoth), new: trustDoc(allowAlice), pass: true},
		{name: "same principals in another order", existing: trustDoc(allowBoth), new: trustDoc(allowBob, allowAlice), pass: true},
		{name: "a user of an account already trusted", existing: trustDoc(allowRoot), new: trustDoc(allowRoot, allowAlice), pass: true},
		{name: "the account of a user trusted", existing: trustDoc(allowAlice), new: trustDoc(allowRoot), reason: "every principal of account 111111111111"},
		{name: "Deny overrides the added Allow", existing: trustDoc(allowRoot, denyAlice), new: trustDoc(allowRoot, allowAlice, denyAlice), pass: true},
		{name: "removal that widens: the Deny deleted", existing: trustDoc(allowRoot, denyAlice), new: trustDoc(allowRoot), reason: "Deny of sts:assumerole to AWS:arn:aws:iam::111111111111:user/alice is removed"},
		{name: "Deny of someone never allowed deleted", existing: trustDoc(allowBob, denyAlice), new: trustDoc(allowBob), pass: true},
		{name: "condition added only narrows", existing: trustDoc(allowAlice), new: trustDoc(aliceMFA), pass: true},
		{name: "second condition narrows further", existing: trustDoc(aliceMFA), new: trustDoc(aliceMFAIP), pass: true},
		{name: "condition dropped loosens", existing: trustDoc(aliceMFA), new: trustDoc(allowAlice), reason: "user/alice"},
		{name: "fewer condition values narrow", existing: trustDoc(orgTwo), new: trustDoc(orgOne), pass: true},
		{name: "more condition values loosen", existing: trustDoc(orgOne), new: trustDoc(orgTwo), reason: `everyone ("*")`},
		{name: "wildcard principal added", existing: trustDoc(allowAlice), new: trustDoc(everyone), reason: `everyone ("*")`},
		{name: "wildcard narrowed by a condition", existing: trustDoc(everyone), new: trustDoc(orgOne), pass: true},
		{name: "wildcard deny guard removed", existing: trustDoc(orgTwo, denyOutside), new: trustDoc(orgTwo), reason: "removed or narrowed"},
		{name: "wildcard deny guard kept", existing: trustDoc(orgTwo, denyOutside), new: trustDoc(denyOutside, orgTwo), pass: true},
		{name: "service principal added", existing: trustDoc(allowAlice),
			new: trustDoc(allowAlice, `{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), reason: "Service:ec2.amazonaws.com"},
		{name: "Allow with NotPrincipal is everyone else", existing: trustDoc(allowAlice),
			new: trustDoc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":"sts:AssumeRole"}`), reason: `everyone ("*")`},
		{name: "NotAction allows the other actions", existing: trustDoc(allowAlice),
			new: trustDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"NotAction":"sts:TagSession"}`), reason: "sts:assumerolewithsaml"},
		{name: "wildcard action covers the named one", existing: trustDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:*"}`),
			new: trustDoc(allowAlice), pass: true},
		{name: "Deny guard with a NotPrincipal deleted", existing: trustDoc(allowRoot, `{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}`),
			new: trustDoc(allowRoot), reason: "removed or narrowed"},
		{name: "action added", existing: trustDoc(allowAlice),
			new: trustDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"]}`), reason: "sts:tagsession"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := fakes.NewAccount()
			out, err := acct.AccessAnalyzer().CheckNoNewAccess(context.Background(), &accessanalyzer.CheckNoNewAccessInput{
				ExistingPolicyDocument: aws.String(tt.existing), NewPolicyDocument: aws.String(tt.new), PolicyType: aatypes.AccessCheckPolicyTypeResourcePolicy,
			})
			require.NoError(t, err)
			if tt.pass {
				assert.Equal(t, aatypes.CheckNoNewAccessResultPass, out.Result, "%+v", out.Reasons)
				assert.Empty(t, out.Reasons)
				return
			}
			require.Equal(t, aatypes.CheckNoNewAccessResultFail, out.Result)
			var descs []string
			for _, r := range out.Reasons {
				descs = append(descs, aws.ToString(r.Description))
			}
			assert.Contains(t, strings.Join(descs, "\n"), tt.reason)
			assert.Equal(t, 1, acct.Calls("access-analyzer:CheckNoNewAccess"))
		})
	}
}

func TestCheckNoNewAccessInvalid(t *testing.T) {
	aa := fakes.NewAccount().AccessAnalyzer()
	ctx := context.Background()
	for _, in := range []*accessanalyzer.CheckNoNewAccessInput{
		{ExistingPolicyDocument: aws.String("{"), NewPolicyDocument: aws.String(trustDoc(allowAlice)), PolicyType: aatypes.AccessCheckPolicyTypeResourcePolicy},
		{ExistingPolicyDocument: aws.String(trustDoc(allowAlice)), NewPolicyDocument: aws.String(trustDoc(allowAlice)), PolicyType: "BOGUS"},
		{NewPolicyDocument: aws.String(trustDoc(allowAlice)), PolicyType: aatypes.AccessCheckPolicyTypeResourcePolicy},
	} {
		_, err := aa.CheckNoNewAccess(ctx, in)
		var ve *aatypes.ValidationException
		require.ErrorAs(t, err, &ve)
	}
}

func TestValidatePolicy(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		codes map[string]aatypes.ValidatePolicyFindingType
	}{
		{name: "clean", doc: trustDoc(allowAlice)},
		{name: "not JSON", doc: `{"Version":`, codes: map[string]aatypes.ValidatePolicyFindingType{fakes.IssueJSONSyntax: aatypes.ValidatePolicyFindingTypeError}},
		{name: "no version", doc: `{"Statement":[` + allowAlice + `]}`, codes: map[string]aatypes.ValidatePolicyFindingType{fakes.IssueMissingVersion: aatypes.ValidatePolicyFindingTypeWarning}},
		{name: "everyone without condition", doc: trustDoc(everyone), codes: map[string]aatypes.ValidatePolicyFindingType{fakes.IssuePublicTrust: aatypes.ValidatePolicyFindingTypeSecurityWarning}},
		{name: "everyone in the org", doc: trustDoc(orgOne)},
		{name: "no principal, resource, wrong action", doc: trustDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`),
			codes: map[string]aatypes.ValidatePolicyFindingType{fakes.IssueMissingPrincipal: aatypes.ValidatePolicyFindingTypeError, fakes.IssueUnsupportedResource: aatypes.ValidatePolicyFindingTypeError, fakes.IssueInvalidAction: aatypes.ValidatePolicyFindingTypeError}},
		{name: "OIDC without sub", doc: trustDoc(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}`),
			codes: map[string]aatypes.ValidatePolicyFindingType{fakes.IssueMissingOIDCCondition: aatypes.ValidatePolicyFindingTypeSecurityWarning}},
		{name: "unique ID", doc: trustDoc(`{"Effect":"Allow","Principal":{"AWS":"AROAJQABLZS4A3QDU576Q"},"Action":"sts:AssumeRole"}`),
			codes: map[string]aatypes.ValidatePolicyFindingType{fakes.IssueInvalidPrincipal: aatypes.ValidatePolicyFindingTypeError}},
		{name: "Allow with NotPrincipal", doc: trustDoc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}`),
			codes: map[string]aatypes.ValidatePolicyFindingType{fakes.IssueAllowWithNotPrinc: aatypes.ValidatePolicyFindingTypeSecurityWarning}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := fakes.NewAccount().AccessAnalyzer().ValidatePolicy(context.Background(), &accessanalyzer.ValidatePolicyInput{
				PolicyDocument: aws.String(tt.doc), PolicyType: aatypes.PolicyTypeResourcePolicy,
				ValidatePolicyResourceType: aatypes.ValidatePolicyResourceTypeRoleTrust,
			})
			require.NoError(t, err)
			got := map[string]aatypes.ValidatePolicyFindingType{}
			for _, f := range out.Findings {
				got[aws.ToString(f.IssueCode)] = f.FindingType
				assert.NotEmpty(t, aws.ToString(f.FindingDetails))
			}
			if tt.codes == nil {
				tt.codes = map[string]aatypes.ValidatePolicyFindingType{}
			}
			assert.Equal(t, tt.codes, got)
		})
	}
}

func TestValidatePolicyPagingAndErrors(t *testing.T) {
	ctx := context.Background()
	aa := fakes.NewAccount().AccessAnalyzer()
	doc := `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}` // 4 findings
	var all []string
	in := &accessanalyzer.ValidatePolicyInput{PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeResourcePolicy,
		ValidatePolicyResourceType: aatypes.ValidatePolicyResourceTypeRoleTrust, MaxResults: aws.Int32(1)}
	p := accessanalyzer.NewValidatePolicyPaginator(aa, in)
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, f := range out.Findings {
			all = append(all, aws.ToString(f.IssueCode))
		}
	}
	assert.Equal(t, 4, pages)
	assert.Len(t, all, 4)

	_, err := aa.ValidatePolicy(ctx, &accessanalyzer.ValidatePolicyInput{PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeIdentityPolicy,
		ValidatePolicyResourceType: aatypes.ValidatePolicyResourceTypeRoleTrust})
	var ve *aatypes.ValidationException
	require.ErrorAs(t, err, &ve)
}
