package trustpolicy_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

// slrWithID is the fake IAM whose ListRoles shows a unique ID in the
// service-linked roles' trust policies (which AWS writes, and which a test
// cannot edit): PruneAllRoles must leave them alone.
type slrWithID struct{ *fakes.IAM }

func (s slrWithID) ListRoles(ctx context.Context, in *iam.ListRolesInput, o ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	out, err := s.IAM.ListRoles(ctx, in, o...)
	if err != nil {
		return nil, err
	}
	for i, r := range out.Roles {
		if strings.HasPrefix(aws.ToString(r.Path), trustpolicy.ServiceLinkedPath) {
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"AROAJQABLZS4A3QDU576Q"},"Action":"sts:AssumeRole"}]}`
			out.Roles[i].AssumeRolePolicyDocument = aws.String(url.QueryEscape(doc))
		}
	}
	return out, nil
}

func TestPruneAllRoles(t *testing.T) {
	ctx := context.Background()
	dir := fakes.NewDirectory()
	login := fakes.NewAccount(fakes.WithAccountID("111111111111"), fakes.WithDirectory(dir))
	acct := fakes.NewAccount(fakes.WithAccountID("222222222222"), fakes.WithDirectory(dir))
	bob := mustCreateUser(t, login, "bob")
	carol := mustCreateUser(t, login, "carol")
	two := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root","` + bob + `"]},"Action":"sts:AssumeRole"}]}`
	api := newRole(t, acct, "deploy", two)
	newRole(t, acct, "ops", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+bob+`"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"`+carol+`"},"Action":"sts:AssumeRole"}]}`)
	newRole(t, acct, "clean", rootTrust)
	_, err := api.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	require.NoError(t, err)
	_, err = login.IAM().DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	targets := []trustpolicy.Target{{Name: "prod", API: slrWithID{acct.IAM()}, Validator: acct.AccessAnalyzer()}}

	// The plan: a dry run.
	acct.ResetCalls()
	results := trustpolicy.PruneAllRoles(ctx, targets, trustpolicy.WithDryRun(true))
	byRole := map[string]trustpolicy.Result{}
	for _, r := range results {
		byRole[r.Role] = r
	}
	require.Len(t, results, 3, "%+v", results)
	assert.Equal(t, trustpolicy.WouldChange, byRole["deploy"].Status)
	assert.Equal(t, trustpolicy.WouldChange, byRole["ops"].Status)
	assert.Equal(t, trustpolicy.Skipped, byRole["AWSServiceRoleForAutoScaling"].Status)
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))
	assert.Equal(t, 2, acct.Calls("access-analyzer:CheckNoNewAccess"))

	results = trustpolicy.PruneAllRoles(ctx, targets)
	assert.Equal(t, map[trustpolicy.Status]int{trustpolicy.Changed: 2, trustpolicy.Skipped: 1}, trustpolicy.Summary(results))
	assert.Equal(t, rootTrustListFor("222222222222"), stored(t, acct, "deploy"))
	assert.NotContains(t, stored(t, acct, "ops"), "AIDA")
	assert.Contains(t, stored(t, acct, "ops"), carol)
	assert.Equal(t, 2, acct.Calls("iam:UpdateAssumeRolePolicy"))

	// Nothing left: nothing reported but the service-linked role.
	results = trustpolicy.PruneAllRoles(ctx, targets)
	assert.Equal(t, map[trustpolicy.Status]int{trustpolicy.Skipped: 1}, trustpolicy.Summary(results))

	// A client that cannot list roles fails the target.
	results = trustpolicy.PruneAllRoles(ctx, []trustpolicy.Target{{Name: "x", API: onlyRoleAPI{acct.IAM()}}})
	require.Len(t, results, 1)
	assert.Equal(t, trustpolicy.Failed, results[0].Status)
}

type onlyRoleAPI struct{ trustpolicy.RoleAPI }

func rootTrustListFor(id string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + id + `:root"]},"Action":"sts:AssumeRole"}]}`
}
