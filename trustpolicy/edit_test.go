package trustpolicy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/trustpolicy"
)

const (
	alice = "arn:aws:iam::123456789012:user/alice"
	bob   = "arn:aws:iam::123456789012:user/bob"
)

type editCase struct {
	name string
	doc  string
	edit trustpolicy.Edit
	want string // compact JSON; "" means unchanged
	err  error  // errors.Is target
	msg  string // error substring
}

func runEditCases(t *testing.T, tests []editCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := parse(t, tt.doc)
			after, err := before.With(tt.edit)
			if tt.err != nil || tt.msg != "" {
				require.Error(t, err)
				if tt.err != nil {
					assert.ErrorIs(t, err, tt.err)
				}
				assert.Contains(t, err.Error(), tt.msg)
				assert.Equal(t, compact(t, []byte(tt.doc)), before.String(), "With leaves the original alone")
				return
			}
			require.NoError(t, err)
			want := tt.want
			if want == "" {
				want = compact(t, []byte(tt.doc))
			}
			assert.Equal(t, want, after.String())
			// Idempotent: the same edit again changes nothing.
			again, err := after.With(tt.edit)
			require.NoError(t, err)
			assert.Equal(t, after.String(), again.String(), "applying %q twice", tt.edit)
			assert.NotEmpty(t, tt.edit.String())
		})
	}
}

func TestAddPrincipals(t *testing.T) {
	svc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	runEditCases(t, []editCase{
		{name: "single value becomes a list", doc: rootTrust, edit: trustpolicy.AddPrincipals(trustpolicy.AWS(alice)),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","` + alice + `"]},"Action":"sts:AssumeRole"}]}`},
		{name: "already there", doc: rootTrust, edit: trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::123456789012:root"))},
		{name: "bare account id is the root ARN", doc: rootTrust, edit: trustpolicy.AddPrincipals(trustpolicy.AWS("123456789012"))},
		{name: "root ARN is the bare account id", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::444455556666:root"))},
		{name: "appends to a list and keeps the MFA condition", doc: string(fixture(t, "cross-account-mfa.json")),
			edit: trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::111122223333:user/user3")),
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"LoginAccountUsers","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/user1","arn:aws:iam::111122223333:user/user2","arn:aws:iam::111122223333:user/user3"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}},{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique-ID-Assigned-By-Vendor"}}}]}`},
		{name: "no statement of the kind: a new one, single statement becomes an array", doc: svc, edit: trustpolicy.AddPrincipals(trustpolicy.AWS(alice)),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}]}`},
		{name: "service joins the service statement", doc: svc, edit: trustpolicy.AddPrincipals(trustpolicy.Service("ssm.amazonaws.com")),
			want: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ssm.amazonaws.com"]},"Action":"sts:AssumeRole"}}`},
		{name: "two principals of a new kind share the new statement", doc: svc, edit: trustpolicy.AddPrincipals(trustpolicy.AWS(alice), trustpolicy.AWS(bob)),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":["` + alice + `","` + bob + `"]},"Action":"sts:AssumeRole"}]}`},
		{name: "a star statement is left alone", doc: string(fixture(t, "star-org.json")), edit: trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ci-*"}}},{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`},
		{name: "a Deny statement is never joined", doc: `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`, edit: trustpolicy.AddPrincipals(trustpolicy.AWS(alice)),
			want: `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}]}`},
		{name: "a statement for another action is not joined", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:TagSession"}]}`, edit: trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")),
			want: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:TagSession"},{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`},
		{name: "a wildcard action covers", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:Assume*"}]}`, edit: trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333"))},
		{name: "oidc gets its own statement", doc: string(fixture(t, "eks-irsa-oidc.json")),
			edit: trustpolicy.AddPrincipals(trustpolicy.Federated("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")),
			want: compact(t, fixture(t, "eks-irsa-oidc.json"))[:len(compact(t, fixture(t, "eks-irsa-oidc.json")))-2] +
				`,{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`},
		{name: "oidc already trusted", doc: string(fixture(t, "github-actions-oidc.json")),
			edit: trustpolicy.AddPrincipals(trustpolicy.Federated("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"))},
		{name: "saml gets the SAML:aud condition", doc: rootTrust, edit: trustpolicy.AddPrincipals(trustpolicy.Federated("arn:aws:iam::123456789012:saml-provider/Okta")),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`},
		{name: "no Statement element", doc: `{"Version":"2012-10-17"}`, edit: trustpolicy.AddPrincipals(trustpolicy.AWS(alice)),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}]}`},
		{name: "to a statement by Sid", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.AddPrincipalsTo("Vendor", trustpolicy.AWS("777788889999")),
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"LoginAccountUsers","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/user1","arn:aws:iam::111122223333:user/user2"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}},{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":["444455556666","777788889999"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique-ID-Assigned-By-Vendor"}}}]}`},
		{name: "to a Sid even when trusted elsewhere", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.AddPrincipalsTo("Vendor", trustpolicy.AWS("arn:aws:iam::111122223333:user/user1")),
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"LoginAccountUsers","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/user1","arn:aws:iam::111122223333:user/user2"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}},{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":["444455556666","arn:aws:iam::111122223333:user/user1"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique-ID-Assigned-By-Vendor"}}}]}`},
		{name: "missing Sid", doc: rootTrust, edit: trustpolicy.AddPrincipalsTo("Nope", trustpolicy.AWS(alice)), err: trustpolicy.ErrNoStatement},
		{name: "Sid of a Deny", doc: `{"Statement":[{"Sid":"D","Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`, edit: trustpolicy.AddPrincipalsTo("D", trustpolicy.AWS(alice)), msg: "not an Allow statement"},
		{name: "Sid of a star statement", doc: `{"Statement":[{"Sid":"S","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, edit: trustpolicy.AddPrincipalsTo("S", trustpolicy.AWS(alice)), msg: `trusts "*"`},
		{name: "Sid without Principal", doc: `{"Statement":[{"Sid":"S","Effect":"Allow","Action":"sts:AssumeRole"}]}`, edit: trustpolicy.AddPrincipalsTo("S", trustpolicy.AWS(alice)), msg: "no Principal element"},
		{name: "unique id refused", doc: rootTrust, edit: trustpolicy.AddPrincipals(trustpolicy.AWS("AIDAJQABLZS4A3QDU576Q")), msg: "unique ID"},
		{name: "partial wildcard refused", doc: rootTrust, edit: trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::123456789012:user/*")), msg: "partial wildcards"},
	})
}

func TestRemovePrincipals(t *testing.T) {
	two := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + alice + `","` + bob + `"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"` + alice + `"},"Action":"sts:AssumeRole"}]}`
	runEditCases(t, []editCase{
		{name: "from every Allow statement", doc: two, edit: trustpolicy.RemovePrincipals(trustpolicy.AWS(alice)),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + bob + `"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
		{name: "not there", doc: two, edit: trustpolicy.RemovePrincipals(trustpolicy.AWS("arn:aws:iam::123456789012:user/carol"))},
		{name: "a statement left empty goes", doc: two, edit: trustpolicy.RemovePrincipals(trustpolicy.Service("ec2.amazonaws.com"), trustpolicy.AWS(alice)),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + bob + `"]},"Action":"sts:AssumeRole"}]}`},
		{name: "the last statement goes: Statement is left empty for validation to refuse", doc: rootTrust, edit: trustpolicy.RemovePrincipals(trustpolicy.AWS("123456789012")),
			want: `{"Version":"2012-10-17","Statement":[]}`},
		{name: "single statement object", doc: `{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","444455556666"]},"Action":"sts:AssumeRole"}}`, edit: trustpolicy.RemovePrincipals(trustpolicy.AWS("arn:aws:iam::111122223333:root")),
			want: `{"Statement":{"Effect":"Allow","Principal":{"AWS":["444455556666"]},"Action":"sts:AssumeRole"}}`},
		{name: "Deny statements are never touched", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}]}`,
			edit: trustpolicy.RemovePrincipals(trustpolicy.AWS(alice))},
		{name: "star string", doc: string(fixture(t, "star-org.json")), edit: trustpolicy.RemovePrincipals(trustpolicy.AWS("*")), want: `{"Version":"2012-10-17","Statement":[]}`},
		{name: "federated", doc: string(fixture(t, "saml.json")), edit: trustpolicy.RemovePrincipals(trustpolicy.Federated("arn:aws:iam::123456789012:saml-provider/OktaSSO")), want: `{"Version":"2012-10-17","Statement":[]}`},
		{name: "unique ids can be removed", doc: string(fixture(t, "stale-unique-ids.json")), edit: trustpolicy.RemovePrincipals(trustpolicy.AWS("AIDAGHOSTGHOSTGHOST12")),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice","AIDAJQABLZS4A3QDU576Q","AROAXYKJQWERTYUIOPASD"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},{"Sid":"ServiceToo","Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com","AWS":"AROAGHOSTROLEID123456"},"Action":"sts:AssumeRole"}]}`},
		{name: "from one Sid only", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.RemovePrincipalsFrom("Vendor", trustpolicy.AWS("444455556666"), trustpolicy.AWS("arn:aws:iam::111122223333:user/user1")),
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"LoginAccountUsers","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/user1","arn:aws:iam::111122223333:user/user2"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}]}`},
		{name: "an empty Principal nobody removed from stays", doc: `{"Statement":[{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}]}`, edit: trustpolicy.RemovePrincipals(trustpolicy.AWS(alice))},
		{name: "invalid principal", doc: rootTrust, edit: trustpolicy.RemovePrincipals(trustpolicy.AWS("nope")), msg: "invalid principal"},
	})
}

func TestRequireMFA(t *testing.T) {
	runEditCases(t, []editCase{
		{name: "into the blog post's empty Condition", doc: string(fixture(t, "blog-seed.json")), edit: trustpolicy.RequireMFA(""),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/user1","arn:aws:iam::123456789012:user/user2"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`},
		{name: "no Condition yet", doc: rootTrust, edit: trustpolicy.RequireMFA(""),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`},
		{name: "already required in one, added to the other", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.RequireMFA(""),
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"LoginAccountUsers","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/user1","arn:aws:iam::111122223333:user/user2"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}},{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique-ID-Assigned-By-Vendor"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`},
		{name: "by Sid", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.RequireMFA("LoginAccountUsers")},
		{name: "bool true counts", doc: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:multifactorauthpresent":true}}}]}`, edit: trustpolicy.RequireMFA("")},
		{name: "false becomes true, the key's spelling kept", doc: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":"true","AWS:MultiFactorAuthPresent":"false"}}}]}`, edit: trustpolicy.RequireMFA(""),
			want: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":"true","AWS:MultiFactorAuthPresent":"true"}}}]}`},
		{name: "BoolIfExists is not enough", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}`, edit: trustpolicy.RequireMFA(""),
			want: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`},
		{name: "services are not targeted", doc: string(fixture(t, "ec2-service.json")), edit: trustpolicy.RequireMFA(""), err: trustpolicy.ErrNoStatement},
		{name: "missing Sid", doc: rootTrust, edit: trustpolicy.RequireMFA("Nope"), err: trustpolicy.ErrNoStatement},
	})
}

func TestDropMFARequirement(t *testing.T) {
	runEditCases(t, []editCase{
		{name: "empty blocks go", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, edit: trustpolicy.DropMFARequirement(""),
			want: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`},
		{name: "other conditions stay", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.DropMFARequirement("LoginAccountUsers"),
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"LoginAccountUsers","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/user1","arn:aws:iam::111122223333:user/user2"]},"Action":"sts:AssumeRole","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}},{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique-ID-Assigned-By-Vendor"}}}]}`},
		{name: "nothing to drop", doc: rootTrust, edit: trustpolicy.DropMFARequirement("")},
		{name: "no statement", doc: string(fixture(t, "ec2-service.json")), edit: trustpolicy.DropMFARequirement("")},
	})
}

func TestStatements(t *testing.T) {
	gh := `{"Sid":"GitHubDeploy","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:iamkit/iamkit:ref:refs/heads/main"}}}`
	runEditCases(t, []editCase{
		{name: "add assume-role statement", doc: string(fixture(t, "ec2-service.json")), edit: trustpolicy.AddAssumeRoleStatement("Ops", trustpolicy.AWS(alice), trustpolicy.AWS(bob), trustpolicy.Service("ssm.amazonaws.com")),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":["` + alice + `","` + bob + `"],"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
		{name: "equivalent statement present", doc: `{"Statement":[{"Action":["sts:AssumeRole"],"Principal":{"AWS":["` + bob + `","` + alice + `"]},"Effect":"Allow","Sid":"Ops"}]}`,
			edit: trustpolicy.AddAssumeRoleStatement("Ops", trustpolicy.AWS(alice), trustpolicy.AWS(bob))},
		{name: "different statement with the Sid", doc: `{"Statement":[{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":"` + bob + `"},"Action":"sts:AssumeRole"}]}`,
			edit: trustpolicy.AddAssumeRoleStatement("Ops", trustpolicy.AWS(alice)), err: trustpolicy.ErrConflict},
		{name: "bad Sid", doc: rootTrust, edit: trustpolicy.AddAssumeRoleStatement("has space", trustpolicy.AWS(alice)), msg: "letters and digits"},
		{name: "no principal", doc: rootTrust, edit: trustpolicy.AddAssumeRoleStatement("X"), msg: "no principal"},
		{name: "federated needs AddStatement", doc: rootTrust, edit: trustpolicy.AddAssumeRoleStatement("X", trustpolicy.Federated("accounts.google.com")), msg: "use AddStatement"},
		{name: "invalid principal", doc: rootTrust, edit: trustpolicy.AddAssumeRoleStatement("X", trustpolicy.AWS("AROAXYKJQWERTYUIOPASD")), msg: "unique ID"},
		{name: "raw statement with conditions", doc: rootTrust, edit: trustpolicy.AddStatement(gh),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"},` + gh + `]}`},
		{name: "raw statement without Sid, equivalent present", doc: rootTrust, edit: trustpolicy.AddStatement(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"123456789012"}}`)},
		{name: "raw statement not an object", doc: rootTrust, edit: trustpolicy.AddStatement(`[]`), err: trustpolicy.ErrMalformed},
		{name: "raw statement malformed", doc: rootTrust, edit: trustpolicy.AddStatement(`{"Principal":"me"}`), err: trustpolicy.ErrMalformed},
		{name: "remove by Sid", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.RemoveStatement("Vendor"),
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"LoginAccountUsers","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/user1","arn:aws:iam::111122223333:user/user2"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}]}`},
		{name: "remove missing Sid", doc: rootTrust, edit: trustpolicy.RemoveStatement("Vendor")},
	})
}

func TestPruneUniqueIDs(t *testing.T) {
	d := parse(t, string(fixture(t, "stale-unique-ids.json")))
	assert.Equal(t, []string{"AIDAJQABLZS4A3QDU576Q", "AROAXYKJQWERTYUIOPASD", "AIDAGHOSTGHOSTGHOST12", "AROAGHOSTROLEID123456"}, d.UniqueIDs())
	runEditCases(t, []editCase{
		{name: "stale ids", doc: string(fixture(t, "stale-unique-ids.json")), edit: trustpolicy.PruneUniqueIDs(),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},{"Sid":"ServiceToo","Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
		{name: "nothing stale", doc: string(fixture(t, "cross-account-mfa.json")), edit: trustpolicy.PruneUniqueIDs()},
		{name: "Deny statements too, and NotPrincipal", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"AIDAJQABLZS4A3QDU576Q"},"Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":["AIDAJQABLZS4A3QDU576Q","444455556666"]},"Action":"sts:AssumeRole"}]}`,
			edit: trustpolicy.PruneUniqueIDs(),
			want: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":["444455556666"]},"Action":"sts:AssumeRole"}]}`},
	})
	pruned, err := d.With(trustpolicy.PruneUniqueIDs())
	require.NoError(t, err)
	assert.Empty(t, pruned.UniqueIDs())
	assert.NoError(t, pruned.Validate(0))

	// A NotPrincipal left empty is kept, for validation to refuse: dropping the
	// Deny would widen access.
	only := parse(t, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"AIDAJQABLZS4A3QDU576Q"},"Action":"sts:AssumeRole"}]}`)
	p, err := only.With(trustpolicy.PruneUniqueIDs())
	require.NoError(t, err)
	assert.Equal(t, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{},"Action":"sts:AssumeRole"}]}`, p.String())
	assert.ErrorContains(t, p.Validate(0), "empty NotPrincipal")
}

func TestInvert(t *testing.T) {
	carol := trustpolicy.AWS("arn:aws:iam::123456789012:user/carol")
	invertible := []trustpolicy.Edit{
		trustpolicy.AddPrincipals(carol),
		trustpolicy.AddPrincipalsTo("Vendor", carol),
		trustpolicy.AddPrincipals(trustpolicy.Service("ec2.amazonaws.com")),
		trustpolicy.AddPrincipals(trustpolicy.Federated("arn:aws:iam::123456789012:saml-provider/Okta")),
		trustpolicy.RequireMFA("Vendor"),
		trustpolicy.AddAssumeRoleStatement("Carol", carol),
		trustpolicy.AddStatement(`{"Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"sts:AssumeRole"}`),
		trustpolicy.Edits(trustpolicy.AddPrincipals(carol), trustpolicy.RequireMFA("Vendor")),
	}
	for _, e := range invertible {
		t.Run(e.String(), func(t *testing.T) {
			d := parse(t, string(fixture(t, "cross-account-mfa.json")))
			inv, ok := trustpolicy.Invert(e)
			require.True(t, ok)
			changed, err := d.With(e)
			require.NoError(t, err)
			require.False(t, trustpolicy.Equal(d, changed), "the edit changes the fixture")
			back, err := changed.With(inv)
			require.NoError(t, err)
			assert.True(t, trustpolicy.Equivalent(d, back), "%s then %s:\n%s", e, inv, trustpolicy.Diff(d, back))
		})
	}

	// Removing then adding back grants the principal again, though not
	// necessarily in the same statement: a statement emptied by the removal
	// is gone with its conditions.
	vendor := trustpolicy.AWS("444455556666")
	d := parse(t, string(fixture(t, "cross-account-mfa.json")))
	rm := trustpolicy.RemovePrincipals(vendor)
	add, ok := trustpolicy.Invert(rm)
	require.True(t, ok)
	assert.Equal(t, "add AWS:444455556666", add.String())
	gone, err := d.With(rm)
	require.NoError(t, err)
	assert.False(t, gone.Trusts(vendor))
	back, err := gone.With(add)
	require.NoError(t, err)
	assert.True(t, back.Trusts(vendor))
	mfa, ok := trustpolicy.Invert(trustpolicy.DropMFARequirement("X"))
	require.True(t, ok)
	assert.Equal(t, "require MFA (statement X)", mfa.String())
	_, ok = trustpolicy.Invert(trustpolicy.PruneUniqueIDs())
	assert.False(t, ok)
	_, ok = trustpolicy.Invert(trustpolicy.RemoveStatement("X"))
	assert.False(t, ok)
	_, ok = trustpolicy.Invert(trustpolicy.Edits(trustpolicy.AddPrincipals(carol), trustpolicy.PruneUniqueIDs()))
	assert.False(t, ok)
	_, ok = trustpolicy.Invert(trustpolicy.AddStatement("nope"))
	assert.False(t, ok)
}
