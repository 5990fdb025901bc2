package fakes_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// trustFor returns a one-statement trust policy for the AWS principals given.
func trustFor(principals ...string) string {
	q := make([]string, len(principals))
	for i, p := range principals {
		q[i] = fmt.Sprintf("%q", p)
	}
	v := q[0]
	if len(q) > 1 {
		v = "[" + strings.Join(q, ",") + "]"
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + v + `},"Action":"sts:AssumeRole"}]}`
}

func mustCreateRole(t *testing.T, f *fakes.IAM, name, doc string) *types.Role {
	t.Helper()
	out, err := f.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)})
	require.NoError(t, err)
	return out.Role
}

// getTrust returns the role's trust policy as GetRole returns it, decoded once.
func getTrust(t *testing.T, f *fakes.IAM, name string) string {
	t.Helper()
	out, err := f.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	require.NoError(t, err)
	doc, err := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	require.NoError(t, err)
	return doc
}

func TestTrustPolicyValidation(t *testing.T) {
	ctx := context.Background()
	stmt := func(body string) string { return `{"Version":"2012-10-17","Statement":[` + body + `]}` }
	tests := []struct {
		name, doc string
		code      string // "" when valid
		msg       string
	}{
		{name: "own root", doc: trustFor("arn:aws:iam::123456789012:root")},
		{name: "bare account id", doc: trustFor("111122223333")},
		{name: "existing user", doc: trustFor("arn:aws:iam::123456789012:user/alice")},
		{name: "existing role", doc: trustFor("arn:aws:iam::123456789012:role/base")},
		{name: "user of another account", doc: trustFor("arn:aws:iam::111122223333:user/whoever")},
		{name: "star", doc: trustFor("*")},
		{name: "principal star string", doc: stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`)},
		{name: "single statement object", doc: `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`},
		{name: "oidc", doc: stmt(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}`)},
		{name: "assumed-role session", doc: trustFor("arn:aws:sts::123456789012:assumed-role/base/alice")},
		{name: "unknown user", doc: trustFor("arn:aws:iam::123456789012:user/ghost"), code: "MalformedPolicyDocument", msg: `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/ghost"`},
		{name: "unknown role", doc: trustFor("arn:aws:iam::123456789012:role/ghost"), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "user with wrong path", doc: trustFor("arn:aws:iam::123456789012:user/eng/alice"), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "unique id", doc: trustFor("AIDAJQABLZS4A3QDU576Q"), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "partial wildcard account", doc: trustFor("arn:aws:iam::*:root"), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "partial wildcard user", doc: trustFor("arn:aws:iam::111122223333:user/*"), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "wildcard service", doc: stmt(`{"Effect":"Allow","Principal":{"Service":"*.amazonaws.com"},"Action":"sts:AssumeRole"}`), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "bad federated", doc: stmt(`{"Effect":"Allow","Principal":{"Federated":"example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}`), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "canonical user", doc: stmt(`{"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"sts:AssumeRole"}`), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "empty principal", doc: stmt(`{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}`), code: "MalformedPolicyDocument", msg: "Invalid principal"},
		{name: "no principal", doc: stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), code: "MalformedPolicyDocument", msg: "Missing required field Principal"},
		{name: "resource", doc: stmt(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}`), code: "MalformedPolicyDocument", msg: "Has prohibited field Resource"},
		{name: "non-sts action", doc: stmt(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}`), code: "MalformedPolicyDocument", msg: "STS AssumeRole actions"},
		{name: "bad effect", doc: stmt(`{"Effect":"allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`), code: "MalformedPolicyDocument", msg: "Invalid effect"},
		{name: "bad version", doc: `{"Version":"2012-10-18","Statement":[]}`, code: "MalformedPolicyDocument"},
		{name: "no statements", doc: `{"Version":"2012-10-17","Statement":[]}`, code: "MalformedPolicyDocument"},
		{name: "not json", doc: `{"Version":`, code: "MalformedPolicyDocument", msg: "Syntax errors in policy."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, f := newIAM(t)
			mustCreateUser(t, f, "alice")
			mustCreateRole(t, f, "base", trustFor("arn:aws:iam::123456789012:root"))

			// CreateRole and UpdateAssumeRolePolicy validate alike.
			_, cerr := f.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(tt.doc)})
			_, uerr := f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("base"), PolicyDocument: aws.String(tt.doc)})
			if tt.code == "" {
				require.NoError(t, cerr)
				require.NoError(t, uerr)
				assert.Equal(t, tt.doc, getTrust(t, f, "base"))
				return
			}
			requireAPIError(t, cerr, "CreateRole", tt.code)
			requireAPIError(t, uerr, "UpdateAssumeRolePolicy", tt.code)
			assert.Contains(t, uerr.Error(), tt.msg)
			assert.Equal(t, trustFor("arn:aws:iam::123456789012:root"), getTrust(t, f, "base"), "a refused update changes nothing")
		})
	}
}

func TestTrustPolicySizeQuota(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	mustCreateRole(t, f, "r", trustFor("111122223333"))
	base := len(trustFor("111122223333"))
	// Pad with a Sid so that the document is exactly at the quota, then over it.
	pad := func(n int) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("x", n) + `","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`
	}
	atQuota := 2048 - (base + len(`"Sid":"",`))
	_, err := f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(pad(atQuota))})
	require.NoError(t, err)

	// Whitespace does not count.
	spaced := strings.ReplaceAll(pad(atQuota), ",", ",\n    ")
	_, err = f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(spaced)})
	require.NoError(t, err)

	_, err = f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(pad(atQuota + 1))})
	requireAPIError(t, err, "UpdateAssumeRolePolicy", "LimitExceeded")
	assert.Contains(t, err.Error(), "Cannot exceed quota for ACLSizePerRole: 2048")
	requireErrAs[*types.LimitExceededException](t, err)
}

func TestUpdateAssumeRolePolicy(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	mustCreateRole(t, f, "deploy", trustFor("arn:aws:iam::123456789012:root"))

	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalTag/team":"100% +ops"}}}]}`
	_, err := f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(doc)})
	require.NoError(t, err)
	assert.Equal(t, doc, getTrust(t, f, "deploy"), "one decode gives the document back, % and + included")
	stored, ok := acct.TrustPolicy("deploy")
	require.True(t, ok)
	assert.Equal(t, doc, stored)
	assert.Equal(t, 1, acct.Calls("iam:UpdateAssumeRolePolicy"))

	_, err = f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("missing"), PolicyDocument: aws.String(doc)})
	requireAPIError(t, err, "UpdateAssumeRolePolicy", "NoSuchEntity")

	acct.Throttle("iam:UpdateAssumeRolePolicy", 1)
	_, err = f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(doc)})
	assert.Equal(t, "Throttling", apiCode(err))
	assert.Equal(t, 3, acct.Calls("iam:UpdateAssumeRolePolicy"))
}

// A user created moments ago is not yet a valid principal for IAM.
func TestTrustPolicyEventualConsistency(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateRole(t, f, "deploy", trustFor("arn:aws:iam::123456789012:root"))
	acct.SetConsistencyWindow(5 * time.Second)
	mustCreateUser(t, f, "newbie")
	doc := trustFor("arn:aws:iam::123456789012:user/newbie")
	_, err := f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(doc)})
	requireAPIError(t, err, "UpdateAssumeRolePolicy", "MalformedPolicyDocument")
	assert.Contains(t, err.Error(), `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/newbie"`)

	acct.Clock().Advance(5 * time.Second)
	_, err = f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(doc)})
	require.NoError(t, err)
}

func TestDeletedPrincipalsBecomeUniqueIDs(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	bob, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	bobID, bobARN := aws.ToString(bob.User.UserId), aws.ToString(bob.User.Arn)
	mustCreateUser(t, f, "carol")
	ci := mustCreateRole(t, f, "ci", trustFor("arn:aws:iam::123456789012:root"))
	ciID := aws.ToString(ci.RoleId)

	// Indented by hand; bob appears as a single value, in a list, in a
	// NotPrincipal, and in a condition (which IAM never rewrites).
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "One", "Effect": "Allow", "Principal": {"AWS": "` + bobARN + `"}, "Action": "sts:AssumeRole"},
    {"Sid": "Many", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:user/carol", "` + bobARN + `", "arn:aws:iam::123456789012:role/ci"]},
     "Action": ["sts:AssumeRole", "sts:TagSession"],
     "Condition": {"ArnEquals": {"aws:PrincipalArn": "` + bobARN + `"}, "NumericLessThan": {"n": 1.50}}},
    {"Sid": "Not", "Effect": "Deny", "NotPrincipal": {"AWS": ["` + bobARN + `"]}, "Action": "sts:AssumeRole"}
  ]
}`
	mustCreateRole(t, f, "deploy", doc)

	_, err = f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	want := strings.ReplaceAll(doc, `"AWS": "`+bobARN+`"`, `"AWS": "`+bobID+`"`)
	want = strings.ReplaceAll(want, `", "`+bobARN+`", "`, `", "`+bobID+`", "`)
	want = strings.ReplaceAll(want, `["`+bobARN+`"]`, `["`+bobID+`"]`)
	assert.Equal(t, want, getTrust(t, f, "deploy"), "only principals change, every other byte stays")
	assert.Contains(t, getTrust(t, f, "deploy"), `"aws:PrincipalArn": "`+bobARN+`"`)
	assert.Regexp(t, `^AIDA[A-Z2-7]{17}$`, bobID)

	// A new bob is a different principal: the old ID stays.
	mustCreateUser(t, f, "bob")
	assert.Equal(t, want, getTrust(t, f, "deploy"))

	// Deleting a role does the same with its AROA… ID.
	_, err = f.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ci")})
	require.NoError(t, err)
	assert.Contains(t, getTrust(t, f, "deploy"), `"arn:aws:iam::123456789012:user/carol", "`+bobID+`", "`+ciID+`"]`)

	// IAM refuses to save the document with the unique IDs still in it.
	_, err = f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(getTrust(t, f, "deploy"))})
	requireAPIError(t, err, "UpdateAssumeRolePolicy", "MalformedPolicyDocument")
	assert.Contains(t, err.Error(), "Invalid principal in policy")
}

func TestUniqueIDSubstitutionSingleStatementAndEscapes(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	u, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dan"), Path: aws.String("/eng/")})
	require.NoError(t, err)
	// A single statement object, an escaped slash in the ARN, and a user of
	// another account with the same name that must stay.
	doc := `{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user\/eng\/dan","arn:aws:iam::111122223333:user/eng/dan"]},"Action":"sts:AssumeRole"}}`
	mustCreateRole(t, f, "r", doc)
	_, err = f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dan")})
	require.NoError(t, err)
	assert.Equal(t, `{"Statement":{"Effect":"Allow","Principal":{"AWS":["`+aws.ToString(u.User.UserId)+`","arn:aws:iam::111122223333:user/eng/dan"]},"Action":"sts:AssumeRole"}}`, getTrust(t, f, "r"))
}

func TestServiceLinkedRoles(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	out, err := f.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	require.NoError(t, err)
	r := out.Role
	assert.Equal(t, "AWSServiceRoleForAutoScaling", aws.ToString(r.RoleName))
	assert.Equal(t, "/aws-service-role/autoscaling.amazonaws.com/", aws.ToString(r.Path))
	assert.Equal(t, "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling", aws.ToString(r.Arn))
	assert.Equal(t, `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"autoscaling.amazonaws.com"}}],"Version":"2012-10-17"}`, getTrust(t, f, "AWSServiceRoleForAutoScaling"))

	_, err = f.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	requireAPIError(t, err, "CreateServiceLinkedRole", "InvalidInput")
	out, err = f.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com"), CustomSuffix: aws.String("2")})
	require.NoError(t, err)
	assert.Equal(t, "AWSServiceRoleForAutoScaling_2", aws.ToString(out.Role.RoleName))
	out, err = f.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("lakeformation.amazonaws.com")})
	require.NoError(t, err)
	assert.Equal(t, "AWSServiceRoleForLakeformation", aws.ToString(out.Role.RoleName))
	_, err = f.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("not a service")})
	requireAPIError(t, err, "CreateServiceLinkedRole", "InvalidInput")

	_, err = f.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("AWSServiceRoleForAutoScaling"), PolicyDocument: aws.String(trustFor("111122223333"))})
	requireAPIError(t, err, "UpdateAssumeRolePolicy", "UnmodifiableEntity")
	requireErrAs[*types.UnmodifiableEntityException](t, err)
	assert.Contains(t, err.Error(), "Cannot perform the operation on the protected role 'AWSServiceRoleForAutoScaling' - this role is only modifiable by AWS")
	_, err = f.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling")})
	requireAPIError(t, err, "DeleteRole", "UnmodifiableEntity")

	_, err = f.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("sneaky"), Path: aws.String("/aws-service-role/x/"), AssumeRolePolicyDocument: aws.String(trustFor("111122223333"))})
	requireAPIError(t, err, "CreateRole", "InvalidInput")
	_, ok := acct.TrustPolicy("sneaky")
	assert.False(t, ok)
}

func TestListRoles(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	for i := range 7 {
		in := &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("role%d", i)), AssumeRolePolicyDocument: aws.String(trustFor("111122223333"))}
		if i%2 == 1 {
			in.Path = aws.String("/ci/")
		}
		_, err := f.CreateRole(ctx, in)
		require.NoError(t, err)
	}
	_, err := f.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("support.amazonaws.com")})
	require.NoError(t, err)

	var names []string
	p := iam.NewListRolesPaginator(f, &iam.ListRolesInput{MaxItems: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		assert.LessOrEqual(t, len(page.Roles), 3)
		for _, r := range page.Roles {
			names = append(names, aws.ToString(r.RoleName))
			doc, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument))
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(doc, "{"), "ListRoles returns the document URL-encoded, like GetRole")
		}
	}
	assert.Equal(t, []string{"AWSServiceRoleForSupport", "role0", "role1", "role2", "role3", "role4", "role5", "role6"}, names)
	assert.Equal(t, 3, pages)
	assert.Equal(t, 3, acct.Calls("iam:ListRoles"))

	out, err := f.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ci/")})
	require.NoError(t, err)
	assert.Len(t, out.Roles, 3)
	out, err = f.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/")})
	require.NoError(t, err)
	require.Len(t, out.Roles, 1)
	assert.Equal(t, "AWSServiceRoleForSupport", aws.ToString(out.Roles[0].RoleName))

	_, err = f.ListRoles(ctx, &iam.ListRolesInput{Marker: aws.String("bogus")})
	requireAPIError(t, err, "ListRoles", "InvalidInput")
	_, err = f.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(0)})
	requireAPIError(t, err, "ListRoles", "InvalidInput")
}
