package trustpolicy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

func TestApplyChanged(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	aliceARN := mustCreateUser(t, acct, "alice")
	api := newRole(t, acct, "deploy", rootTrust)
	acct.ResetCalls()

	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN)))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Changed, res.Status)
	assert.Equal(t, "deploy", res.Role)
	assert.Equal(t, "arn:aws:iam::123456789012:role/deploy", res.RoleARN)
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, rootTrust, res.Before.String())
	assert.Contains(t, res.Diff, "+          \""+aliceARN+"\"")
	assert.Equal(t, res.After.String(), stored(t, acct, "deploy"))
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","`+aliceARN+`"]},"Action":"sts:AssumeRole"}]}`, stored(t, acct, "deploy"))
	assert.Equal(t, "iam:GetRole=1 iam:UpdateAssumeRolePolicy=1", acct.CallSummary())

	// The same edit again: read, nothing to send.
	acct.ResetCalls()
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN)))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Unchanged, res.Status)
	assert.Empty(t, res.Diff)
	assert.Zero(t, res.Attempts)
	assert.Equal(t, "iam:GetRole=1", acct.CallSummary())
}

// The document is decoded exactly once: a literal % (and +) in a condition
// value survives GetRole's URL encoding and the round trip through Apply;
// the hand-written formatting of untouched parts is kept except whitespace.
func TestApplyKeepsTheRestOfTheDocument(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	aliceARN := mustCreateUser(t, acct, "alice")
	doc := string(fixture(t, "every-json-type.json"))
	api := newRole(t, acct, "kitchen", doc)

	res, err := trustpolicy.Apply(ctx, api, "kitchen", trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN)))
	require.NoError(t, err)
	require.Equal(t, trustpolicy.Changed, res.Status)
	want := strings.Replace(compact(t, []byte(doc)), `"Principal":{"AWS":"arn:aws:iam::123456789012:root"}`,
		`"Principal":{"AWS":["arn:aws:iam::123456789012:root","`+aliceARN+`"]}`, 1)
	assert.Equal(t, want, stored(t, acct, "kitchen"))
	assert.Contains(t, stored(t, acct, "kitchen"), `"100%","a+b","<html>&"`)
}

func TestApplyRetriesAPrincipalCreatedMomentsAgo(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := newRole(t, acct, "deploy", rootTrust)
	acct.SetConsistencyWindow(5 * time.Second)
	newbie := mustCreateUser(t, acct, "newbie")
	start := acct.Clock().Now()
	wall := time.Now()

	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(newbie)),
		trustpolicy.WithClock(acct.Clock()), trustpolicy.WithRetries(5, 2*time.Second))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Changed, res.Status)
	assert.Equal(t, 3, res.Attempts, "refused at 0 s and 2 s, accepted at 6 s")
	assert.Equal(t, 6*time.Second, acct.Clock().Now().Sub(start), "waits 2 s then 4 s on the injected clock")
	assert.Less(t, time.Since(wall), time.Second, "no real sleep")
	assert.Equal(t, 3, acct.Calls("iam:GetRole"), "the role is read again before each attempt")
	assert.Contains(t, stored(t, acct, "deploy"), newbie)
}

func TestApplyRetriesAreBounded(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := newRole(t, acct, "deploy", rootTrust)
	acct.SetConsistencyWindow(time.Hour)
	newbie := mustCreateUser(t, acct, "newbie")

	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(newbie)),
		trustpolicy.WithClock(acct.Clock()), trustpolicy.WithRetries(3, time.Second))
	require.Error(t, err)
	assert.Equal(t, trustpolicy.Failed, res.Status)
	assert.Same(t, err, res.Err)
	assert.Equal(t, 4, res.Attempts)
	var mal *types.MalformedPolicyDocumentException
	require.ErrorAs(t, err, &mal)
	assert.Contains(t, err.Error(), `Invalid principal in policy: "AWS":"`+newbie+`"`)
	assert.Equal(t, rootTrust, stored(t, acct, "deploy"))

	// WithRetries(0, …) does not retry.
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(newbie)),
		trustpolicy.WithClock(acct.Clock()), trustpolicy.WithRetries(0, time.Second))
	require.Error(t, err)
	assert.Equal(t, 1, res.Attempts)
}

// "Invalid principal" for a principal the edit did not add is not a matter of
// waiting: it fails at once.
func TestApplyDoesNotRetryOtherInvalidPrincipals(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := newRole(t, acct, "deploy", rootTrust)
	aliceARN := mustCreateUser(t, acct, "alice")
	acct.Inject("iam:UpdateAssumeRolePolicy", fakes.Fault{Err: &types.MalformedPolicyDocumentException{
		Message: aws.String(`Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:root"`),
	}})
	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN)), trustpolicy.WithClock(acct.Clock()))
	require.Error(t, err)
	assert.Equal(t, 1, res.Attempts)

	// Other MalformedPolicyDocument errors neither.
	acct.ClearFaults()
	acct.Inject("iam:UpdateAssumeRolePolicy", fakes.Fault{Err: &types.MalformedPolicyDocumentException{Message: aws.String("Syntax errors in policy.")}})
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN)), trustpolicy.WithClock(acct.Clock()))
	require.Error(t, err)
	assert.Equal(t, 1, res.Attempts)

	// A message naming no principal is retried when the edit adds one.
	acct.ClearFaults()
	acct.Inject("iam:UpdateAssumeRolePolicy", fakes.Fault{Times: 1, Err: &types.MalformedPolicyDocumentException{Message: aws.String("Invalid principal in policy")}})
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN)), trustpolicy.WithClock(acct.Clock()))
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)
}

func TestApplyRetryHonoursContext(t *testing.T) {
	acct := fakes.NewAccount()
	api := newRole(t, acct, "deploy", rootTrust)
	acct.SetConsistencyWindow(time.Hour)
	newbie := mustCreateUser(t, acct, "newbie")
	ctx, cancel := context.WithCancel(context.Background())
	clk := sleepFunc(func(context.Context, time.Duration) error { cancel(); return context.Canceled })
	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(newbie)), trustpolicy.WithClock(clk))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, res.Attempts)
}

type sleepFunc func(ctx context.Context, d time.Duration) error

func (f sleepFunc) Sleep(ctx context.Context, d time.Duration) error { return f(ctx, d) }

// Now is never read by Apply's retry; a fixed time keeps the clock complete.
func (sleepFunc) Now() time.Time { return fakes.DefaultStart }

func TestApplyServiceLinkedRole(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := acct.IAM()
	out, err := api.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("support.amazonaws.com")})
	require.NoError(t, err)
	name := aws.ToString(out.Role.RoleName)

	// Recognized from the role's path before anything is sent, dry run or not.
	for _, dry := range []bool{false, true} {
		acct.ResetCalls()
		res, err := trustpolicy.Apply(ctx, api, name, trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")), trustpolicy.WithDryRun(dry))
		require.ErrorIs(t, err, trustpolicy.ErrUnmodifiable)
		assert.Equal(t, trustpolicy.Failed, res.Status)
		assert.Contains(t, err.Error(), "service-linked role: only its AWS service can modify it")
		assert.NotEmpty(t, res.Diff, "the diff of what was asked is still shown")
		assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))
	}

	// An edit that changes nothing is just unchanged.
	res, err := trustpolicy.Apply(ctx, api, name, trustpolicy.AddPrincipals(trustpolicy.Service("support.amazonaws.com")))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Unchanged, res.Status)

	// When IAM says so (the path was not shown), the SDK's error stays in the chain.
	res, err = trustpolicy.Apply(ctx, hidePath{api}, name, trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")))
	require.ErrorIs(t, err, trustpolicy.ErrUnmodifiable)
	var unmod *types.UnmodifiableEntityException
	require.ErrorAs(t, err, &unmod)
	assert.Contains(t, err.Error(), "this role is only modifiable by AWS")
	assert.Equal(t, 1, res.Attempts)
}

// hidePath drops the role's path from GetRole, as a proxy might.
type hidePath struct{ *fakes.IAM }

func (h hidePath) GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	out, err := h.IAM.GetRole(ctx, in, optFns...)
	if err == nil {
		out.Role.Path = aws.String("/")
	}
	return out, err
}

func TestApplyFailures(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := newRole(t, acct, "deploy", rootTrust)

	res, err := trustpolicy.Apply(ctx, api, "missing", trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")))
	var nse *types.NoSuchEntityException
	require.ErrorAs(t, err, &nse)
	assert.Equal(t, trustpolicy.Failed, res.Status)
	assert.Contains(t, err.Error(), "reading role missing")

	// The edit itself fails.
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.RequireMFA("Nope"))
	require.ErrorIs(t, err, trustpolicy.ErrNoStatement)
	assert.NotNil(t, res.Before)
	assert.Nil(t, res.After)

	// Validation refuses before sending: removing the only principal.
	acct.ResetCalls()
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.RemovePrincipals(trustpolicy.AWS("123456789012")))
	require.ErrorIs(t, err, trustpolicy.ErrInvalid)
	assert.Contains(t, err.Error(), "no statement")
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))
	assert.NotEmpty(t, res.Diff)

	// Over a (lowered) size quota.
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")), trustpolicy.WithSizeQuota(100))
	require.ErrorIs(t, err, trustpolicy.ErrInvalid)
	assert.Contains(t, err.Error(), "over the size quota of 100")
	assert.Equal(t, trustpolicy.Failed, res.Status)

	// Throttling that outlasted the SDK's retryer is reported, not retried here.
	acct.Throttle("iam:UpdateAssumeRolePolicy", 1)
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Throttling")
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, rootTrust, stored(t, acct, "deploy"))

	// Running it again succeeds.
	res, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Changed, res.Status)

	// A document that is not a policy.
	_, err = trustpolicy.Apply(ctx, badDoc{api}, "deploy", trustpolicy.PruneUniqueIDs())
	require.ErrorIs(t, err, trustpolicy.ErrMalformed)
}

type badDoc struct{ *fakes.IAM }

func (b badDoc) GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	out, err := b.IAM.GetRole(ctx, in, optFns...)
	if err == nil {
		out.Role.AssumeRolePolicyDocument = aws.String("%5B%5D")
	}
	return out, err
}

func TestApplyDryRun(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := newRole(t, acct, "deploy", rootTrust)
	acct.ResetCalls()
	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.RequireMFA(""), trustpolicy.WithDryRun(true))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.WouldChange, res.Status)
	assert.Contains(t, res.Diff, `+        "Bool": {`)
	assert.Zero(t, res.Attempts)
	assert.Equal(t, "iam:GetRole=1", acct.CallSummary())
	assert.Equal(t, rootTrust, stored(t, acct, "deploy"))
}

// Offboarding leaves the user's unique ID in every trust policy that named
// it; ListRoleTrust finds those roles and PruneUniqueIDs cleans them.
func TestOffboardThenPrune(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	aliceARN := mustCreateUser(t, acct, "alice")
	bobARN := mustCreateUser(t, acct, "bob")
	api := newRole(t, acct, "admin", rootTrust)
	newRole(t, acct, "readonly", rootTrust)
	newRole(t, acct, "untouched", rootTrust)
	for _, role := range []string{"admin", "readonly"} {
		_, err := trustpolicy.Apply(ctx, api, role, trustpolicy.Edits(trustpolicy.AddPrincipals(trustpolicy.AWS(aliceARN), trustpolicy.AWS(bobARN)), trustpolicy.RequireMFA("")))
		require.NoError(t, err)
	}
	_, err := acct.IAM().DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)

	roles, err := trustpolicy.ListRoleTrust(ctx, api, "")
	require.NoError(t, err)
	var stale []string
	for _, r := range roles {
		require.NoError(t, r.Err)
		if ids := r.Document.UniqueIDs(); len(ids) > 0 {
			stale = append(stale, r.Name)
			assert.Regexp(t, `^AIDA`, ids[0])
			assert.False(t, r.Document.Trusts(trustpolicy.AWS(aliceARN)))
		}
	}
	assert.Equal(t, []string{"admin", "readonly"}, stale)

	// Any other edit on such a role is refused before sending, with the cure.
	_, err = trustpolicy.Apply(ctx, api, "admin", trustpolicy.AddPrincipals(trustpolicy.AWS("111122223333")))
	require.ErrorIs(t, err, trustpolicy.ErrInvalid)
	assert.Contains(t, err.Error(), "prune it")

	for _, role := range stale {
		res, err := trustpolicy.Apply(ctx, api, role, trustpolicy.PruneUniqueIDs())
		require.NoError(t, err)
		assert.Equal(t, trustpolicy.Changed, res.Status)
		assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","`+bobARN+`"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, stored(t, acct, role))
	}
	res, err := trustpolicy.Apply(ctx, api, "admin", trustpolicy.PruneUniqueIDs())
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Unchanged, res.Status)
}

func TestListRoleTrust(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	for i := range 120 {
		in := &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("role%03d", i)), AssumeRolePolicyDocument: aws.String(rootTrust)}
		if i%10 == 0 {
			in.Path = aws.String("/ci/")
		}
		_, err := acct.IAM().CreateRole(ctx, in)
		require.NoError(t, err)
	}
	_, err := acct.IAM().CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	require.NoError(t, err)
	acct.ResetCalls()

	roles, err := trustpolicy.ListRoleTrust(ctx, acct.IAM(), "")
	require.NoError(t, err)
	require.Len(t, roles, 121)
	assert.Equal(t, 2, acct.Calls("iam:ListRoles"), "two pages of 100")
	assert.Equal(t, "AWSServiceRoleForAutoScaling", roles[0].Name)
	assert.True(t, roles[0].ServiceLinked())
	assert.True(t, roles[0].Document.Trusts(trustpolicy.Service("autoscaling.amazonaws.com")))
	assert.False(t, roles[1].ServiceLinked())
	assert.Equal(t, rootTrust, roles[1].Document.String())

	ci, err := trustpolicy.ListRoleTrust(ctx, acct.IAM(), "/ci/")
	require.NoError(t, err)
	assert.Len(t, ci, 12)
	assert.Equal(t, "/ci/", ci[0].Path)
	assert.Equal(t, "arn:aws:iam::123456789012:role/ci/role000", ci[0].ARN)

	// A failed page fails the listing: never a partial list.
	acct.Inject("iam:ListRoles", fakes.Fault{Skip: 1, Times: 1})
	roles, err = trustpolicy.ListRoleTrust(ctx, acct.IAM(), "")
	require.Error(t, err)
	assert.Nil(t, roles)
	assert.Contains(t, err.Error(), "Throttling")
}

func TestGetRoleTrust(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	doc := string(fixture(t, "every-json-type.json"))
	api := newRole(t, acct, "kitchen", doc)
	rt, err := trustpolicy.GetRoleTrust(ctx, api, "kitchen")
	require.NoError(t, err)
	assert.Equal(t, "kitchen", rt.Name)
	assert.Equal(t, "arn:aws:iam::123456789012:role/kitchen", rt.ARN)
	assert.Equal(t, "/", rt.Path)
	assert.False(t, rt.ServiceLinked())
	assert.Equal(t, compact(t, []byte(doc)), rt.Document.String())

	_, err = trustpolicy.GetRoleTrust(ctx, api, "missing")
	var nse *types.NoSuchEntityException
	require.ErrorAs(t, err, &nse)
	_, err = trustpolicy.GetRoleTrust(ctx, badDoc{api}, "kitchen")
	require.ErrorIs(t, err, trustpolicy.ErrMalformed)
}
