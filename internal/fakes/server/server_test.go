package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/fakes/server"
)

// start serves a fresh account on a running clock (the SDK signs with the
// real time, iamkit's packages default to the system clock) and closes the
// server when the test ends.
func start(t testing.TB, opts ...fakes.Option) (*server.Server, *fakes.Account) {
	t.Helper()
	acct := fakes.NewAccount(append([]fakes.Option{fakes.WithClock(fakes.NewRunningClock())}, opts...)...)
	srv, err := server.Start(acct, "")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv, acct
}

// withCreds returns the server's config signing with other credentials.
func withCreds(srv *server.Server, id, secret, token string) aws.Config {
	return srv.ConfigWith(credentials.NewStaticCredentialsProvider(id, secret, token))
}

// apiCode returns the API error code of err and the HTTP status it came with.
func apiCode(t *testing.T, err error) (string, int) {
	t.Helper()
	require.Error(t, err)
	var ae smithy.APIError
	require.Truef(t, errors.As(err, &ae), "want a smithy.APIError, got %T: %v", err, err)
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

func TestStartURLAndConfig(t *testing.T) {
	srv, acct := start(t, fakes.WithRegion("eu-west-1"))
	require.True(t, strings.HasPrefix(srv.URL(), "http://127.0.0.1:"), srv.URL())
	cfg := srv.Config()
	assert.Equal(t, "eu-west-1", cfg.Region)
	assert.Equal(t, srv.URL(), aws.ToString(cfg.BaseEndpoint))
	creds, err := cfg.Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	id, secret := acct.RootAccessKey()
	assert.Equal(t, id, creds.AccessKeyID)
	assert.Equal(t, secret, creds.SecretAccessKey)
	assert.Same(t, acct, srv.Account())

	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+acct.ID()+":root", aws.ToString(out.Arn), "the root key acts as the root")
}

func TestStartAddresses(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1:0", "0.0.0.0:0", "localhost:0"} {
		t.Run(addr, func(t *testing.T) {
			srv, err := server.Start(fakes.NewAccount(fakes.WithClock(fakes.NewRunningClock())), addr)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(srv.URL(), "http://127.0.0.1:"), srv.URL())
			_, err = sts.NewFromConfig(srv.Config()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			require.NoError(t, err)
			require.NoError(t, srv.Close())
			require.NoError(t, srv.Close(), "closing twice is harmless")
		})
	}
	_, err := server.Start(fakes.NewAccount(), "256.0.0.1:0")
	require.Error(t, err)
}

func TestCreateAndGetUser(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	created, err := c.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("alice"), Path: aws.String("/staff/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("infra")}, {Key: aws.String("cost"), Value: aws.String("42")}},
	})
	require.NoError(t, err)
	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	inproc, err := acct.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)

	assert.Equal(t, inproc.User.Arn, got.User.Arn)
	assert.Equal(t, inproc.User.UserId, got.User.UserId)
	assert.Equal(t, "/staff/", aws.ToString(got.User.Path))
	assert.Equal(t, inproc.User.Tags, got.User.Tags)
	assert.WithinDuration(t, aws.ToTime(inproc.User.CreateDate), aws.ToTime(got.User.CreateDate), time.Millisecond)
	assert.Equal(t, created.User.Arn, got.User.Arn)
	assert.Equal(t, 1, acct.Calls("iam:CreateUser"))
	assert.Equal(t, 2, acct.Calls("iam:GetUser"), "one over the wire, one in process")
}

func TestListUsersPaginator(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("user%02d", i)
		want = append(want, name)
		_, err := acct.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		require.NoError(t, err)
	}
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(3)})
	var got []string
	var sizes []int
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		sizes = append(sizes, len(page.Users))
		for _, u := range page.Users {
			got = append(got, aws.ToString(u.UserName))
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, []int{3, 3, 1}, sizes)
	assert.Equal(t, 3, acct.Calls("iam:ListUsers"))

	// The marker itself, and IsTruncated, as the fake answers them.
	first, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(5)})
	require.NoError(t, err)
	inproc, err := acct.IAM().ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(5)})
	require.NoError(t, err)
	assert.True(t, first.IsTruncated)
	assert.Equal(t, inproc.Marker, first.Marker)
	last, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: first.Marker})
	require.NoError(t, err)
	assert.False(t, last.IsTruncated)
	assert.Nil(t, last.Marker)
	assert.Len(t, last.Users, 2)

	empty, err := c.ListGroups(ctx, &iam.ListGroupsInput{})
	require.NoError(t, err)
	assert.Empty(t, empty.Groups)
}

func TestTypedErrors(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Correct-Horse-9-battery")})
	require.NoError(t, err)
	for range 2 {
		_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
		require.NoError(t, err)
	}

	tests := []struct {
		name   string
		call   func() error
		target any
		code   string
		status int
	}{
		{"no such user", func() error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
			return err
		}, new(*iamtypes.NoSuchEntityException), "NoSuchEntity", 404},
		{"already exists", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("BOB")})
			return err
		}, new(*iamtypes.EntityAlreadyExistsException), "EntityAlreadyExists", 409},
		{"delete conflict", func() error {
			_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
			return err
		}, new(*iamtypes.DeleteConflictException), "DeleteConflict", 409},
		{"limit exceeded", func() error {
			_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
			return err
		}, new(*iamtypes.LimitExceededException), "LimitExceeded", 409},
		{"invalid input", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("no spaces")})
			return err
		}, new(*iamtypes.InvalidInputException), "InvalidInput", 400},
		{"malformed policy", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String("{")})
			return err
		}, new(*iamtypes.MalformedPolicyDocumentException), "MalformedPolicyDocument", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.Error(t, err)
			require.Truef(t, errors.As(err, tt.target), "want %T, got %T: %v", tt.target, err, err)
			code, status := apiCode(t, err)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.status, status)
			var oe *smithy.OperationError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, iam.ServiceID, oe.Service())
		})
	}
	assert.Equal(t, 1, acct.Calls("iam:DeleteUser"), "client errors are not retried")
}

func TestThrottleRetriedBySDK(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")})
	require.NoError(t, err)

	acct.Throttle("iam:GetUser", 1)
	out, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	assert.Equal(t, "carol", aws.ToString(out.User.UserName))
	assert.Equal(t, 2, acct.Calls("iam:GetUser"), "the throttled call and the retry")

	// Throttled beyond the retryer's attempts: the SDK gives up with the code.
	acct.Throttle("iam:GetUser", 0)
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	code, status := apiCode(t, err)
	assert.Equal(t, "Throttling", code)
	assert.Equal(t, 400, status)
	assert.Equal(t, 5, acct.Calls("iam:GetUser"), "three attempts")
	acct.ClearFaults()

	// A non-API failure is a 500 InternalFailure, retried too.
	acct.Inject("iam:GetUser", fakes.Fault{Times: 1, Err: errors.New("disk on fire")})
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	assert.Equal(t, 7, acct.Calls("iam:GetUser"))

	// A service fault keeps its typed exception after the retries.
	acct.Inject("iam:GetUser", fakes.Fault{Err: &iamtypes.ServiceFailureException{Message: aws.String("oops")}})
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	var sf *iamtypes.ServiceFailureException
	require.ErrorAs(t, err, &sf)
	_, status = apiCode(t, err)
	assert.Equal(t, 500, status)
}

func TestGetRoleTrustPolicyOnTheWire(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + acct.ID() + `","aws:PrincipalTag/team":"a b+c%d"}}}]}`
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(doc), Description: aws.String("a & b <c>")})
	require.NoError(t, err)

	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	require.NoError(t, err)
	inproc, err := acct.IAM().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	require.NoError(t, err)
	wire := aws.ToString(got.Role.AssumeRolePolicyDocument)
	assert.Equal(t, aws.ToString(inproc.Role.AssumeRolePolicyDocument), wire, "the SDK hands the document over as IAM sent it")
	assert.NotEqual(t, doc, wire, "URL-encoded on the wire")
	assert.Contains(t, wire, "a%20b%2Bc%25d", "RFC 3986: a space is %20, a plus %2B")
	decoded, err := url.QueryUnescape(wire)
	require.NoError(t, err)
	assert.JSONEq(t, doc, decoded)
	assert.Equal(t, "a & b <c>", aws.ToString(got.Role.Description))
	assert.Equal(t, int32(3600), aws.ToInt32(got.Role.MaxSessionDuration))

	roles, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	require.NoError(t, err)
	require.Len(t, roles.Roles, 1)
	assert.Equal(t, wire, aws.ToString(roles.Roles[0].AssumeRolePolicyDocument))

	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"), PolicyDocument: aws.String(strings.Replace(doc, "ec2", "lambda", 1))})
	require.NoError(t, err)
	stored, ok := acct.TrustPolicy("app")
	require.True(t, ok)
	assert.Contains(t, stored, "lambda.amazonaws.com")
}

func TestSTSCredentialsOverTheWire(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dave")})
	require.NoError(t, err)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dave")})
	require.NoError(t, err)
	user, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dave")})
	require.NoError(t, err)

	asDave := sts.NewFromConfig(withCreds(srv, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
	id, err := asDave.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(user.User.Arn), aws.ToString(id.Arn), "a user's key makes STS answer as the user")
	assert.Equal(t, aws.ToString(user.User.UserId), aws.ToString(id.UserId))

	sess, err := asDave.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	require.NoError(t, err)
	cr := sess.Credentials
	sessCfg := withCreds(srv, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	id, err = sts.NewFromConfig(sessCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(user.User.Arn), aws.ToString(id.Arn))

	// Session credentials may not call GetSessionToken.
	_, err = sts.NewFromConfig(sessCfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	code, status := apiCode(t, err)
	assert.Equal(t, "AccessDenied", code)
	assert.Equal(t, 403, status)

	// An assumed role.
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(user.User.Arn) + `"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	role, err := asDave.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct.ID() + ":role/ops"), RoleSessionName: aws.String("dave-ops")})
	require.NoError(t, err)
	rc := role.Credentials
	roleSTS := sts.NewFromConfig(withCreds(srv, aws.ToString(rc.AccessKeyId), aws.ToString(rc.SecretAccessKey), aws.ToString(rc.SessionToken)))
	id, err = roleSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+acct.ID()+":assumed-role/ops/dave-ops", aws.ToString(id.Arn))
	assert.Equal(t, aws.ToString(role.AssumedRoleUser.AssumedRoleId), aws.ToString(id.UserId))

	// A federation token, with a session policy.
	fed, err := asDave.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("contractor"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	require.NoError(t, err)
	fc := fed.Credentials
	id, err = sts.NewFromConfig(withCreds(srv, aws.ToString(fc.AccessKeyId), aws.ToString(fc.SecretAccessKey), aws.ToString(fc.SessionToken))).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+acct.ID()+":federated-user/contractor", aws.ToString(id.Arn))
	assert.Equal(t, acct.ID()+":contractor", aws.ToString(id.UserId))

	// Past the expiry on the account's clock: ExpiredToken.
	acct.Clock().Advance(time.Hour + time.Second)
	_, err = roleSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	code, status = apiCode(t, err)
	assert.Equal(t, "ExpiredToken", code)
	assert.Equal(t, 403, status)
	_, err = iam.NewFromConfig(sessCfg).ListUsers(ctx, &iam.ListUsersInput{})
	code, _ = apiCode(t, err)
	assert.Equal(t, "ExpiredToken", code)

	// The user's long-term key still works.
	_, err = asDave.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
}

func TestAuthenticationFailures(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("erin")})
	require.NoError(t, err)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("erin")})
	require.NoError(t, err)
	keyID, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	rootID, _ := acct.RootAccessKey()
	sess, err := sts.NewFromConfig(srv.Config()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	require.NoError(t, err)
	sc := sess.Credentials

	tests := []struct {
		name                string
		id, secret, token   string
		code                string
		status              int
		beforeCall, cleanup func()
	}{
		{name: "wrong secret", id: keyID, secret: strings.Repeat("x", 40), code: "SignatureDoesNotMatch", status: 403},
		{name: "root key, wrong secret", id: rootID, secret: "nope", code: "SignatureDoesNotMatch", status: 403},
		{name: "unknown key", id: "AKIAUNKNOWNUNKNOWN12", secret: secret, code: "InvalidClientTokenId", status: 403},
		{name: "session with a wrong token", id: aws.ToString(sc.AccessKeyId), secret: aws.ToString(sc.SecretAccessKey), token: "forged", code: "InvalidClientTokenId", status: 403},
		{name: "session without its token", id: aws.ToString(sc.AccessKeyId), secret: aws.ToString(sc.SecretAccessKey), code: "InvalidClientTokenId", status: 403},
		{name: "long-term key with a token", id: keyID, secret: secret, token: "tok", code: "InvalidClientTokenId", status: 403},
		{name: "inactive key", id: keyID, secret: secret, code: "InvalidClientTokenId", status: 403,
			beforeCall: func() {
				_, err := acct.IAM().UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("erin"), AccessKeyId: aws.String(keyID), Status: iamtypes.StatusTypeInactive})
				require.NoError(t, err)
			},
			cleanup: func() {
				_, err := acct.IAM().UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("erin"), AccessKeyId: aws.String(keyID), Status: iamtypes.StatusTypeActive})
				require.NoError(t, err)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.beforeCall != nil {
				tt.beforeCall()
				defer tt.cleanup()
			}
			before := acct.CallsWithPrefix("iam:")
			_, err := iam.NewFromConfig(withCreds(srv, tt.id, tt.secret, tt.token)).ListUsers(ctx, &iam.ListUsersInput{})
			code, status := apiCode(t, err)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, before, acct.CallsWithPrefix("iam:"), "refused before reaching the fake")
		})
	}

	// Erin's key, active again, works, as erin.
	id, err := sts.NewFromConfig(withCreds(srv, keyID, secret, "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(id.Arn), ":user/erin")
}

// send posts form to the server, signed with creds for service unless creds
// is nil, and returns the status and body.
func send(t *testing.T, srv *server.Server, service string, creds *aws.Credentials, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if creds != nil {
		hash := v4sum(body)
		require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), *creds, req, hash, service, "us-east-1", time.Now()))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestBadRequests(t *testing.T) {
	srv, acct := start(t)
	id, secret := acct.RootAccessKey()
	root := &aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	tests := []struct {
		name    string
		service string
		creds   *aws.Credentials
		body    string
		status  int
		want    []string
	}{
		{"unknown action", "iam", root, "Action=Frobnicate&Version=2010-05-08", 400, []string{"<Code>InvalidAction</Code>", "Frobnicate", "<Type>Sender</Type>", "<RequestId>"}},
		{"action of another version", "iam", root, "Action=ListUsers&Version=2099-01-01", 400, []string{"<Code>InvalidAction</Code>"}},
		{"not an SDK method", "iam", root, "Action=Account&Version=2010-05-08", 400, []string{"<Code>InvalidAction</Code>"}},
		{"no action", "iam", root, "Version=2010-05-08", 400, []string{"<Code>MissingAction</Code>"}},
		{"malformed form", "iam", root, "Action=ListUsers&%zz", 400, []string{"<Code>MalformedQueryString</Code>"}},
		{"bad integer", "iam", root, "Action=ListUsers&Version=2010-05-08&MaxItems=ten", 400, []string{"<Code>ValidationError</Code>", "MaxItems"}},
		{"bad list index", "iam", root, "Action=CreateUser&Version=2010-05-08&UserName=x&Tags.member.0.Key=a", 400, []string{"<Code>ValidationError</Code>"}},
		{"unsigned IAM call", "", nil, "Action=ListUsers&Version=2010-05-08", 403, []string{"<Code>MissingAuthenticationToken</Code>"}},
		{"unknown service", "ec9", root, "Action=DescribeThings", 400, []string{"<Code>InvalidAction</Code>", "ec9"}},
		{"unsigned web identity reaches STS", "", nil, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&WebIdentityToken=abcdef", 400, []string{"<Code>InvalidIdentityToken</Code>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := send(t, srv, tt.service, tt.creds, tt.body)
			assert.Equal(t, tt.status, status, body)
			for _, w := range tt.want {
				assert.Contains(t, body, w)
			}
		})
	}
}

func TestMalformedAuthorization(t *testing.T) {
	srv, _ := start(t)
	for _, h := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIA/20260115/us-east-1/iam/aws4_request",
		"AWS4-HMAC-SHA256 Credential=AKIA/x/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("0", 64),
		"Basic dXNlcjpwYXNz",
	} {
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader("Action=ListUsers"))
		require.NoError(t, err)
		req.Header.Set("Authorization", h)
		req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 400, resp.StatusCode, h)
		assert.Contains(t, string(b), "IncompleteSignature")
	}
}

func TestOnboardOverTheWire(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	client := iam.NewFromConfig(srv.Config())
	_, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)

	res, err := iamuser.New(client).Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"devs"}})
	require.NoError(t, err)
	assert.Equal(t, "alice", res.UserName)
	require.NotEmpty(t, res.MFASerial)

	devices, err := acct.IAM().ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, devices.MFADevices, 1)
	assert.Equal(t, res.MFASerial, aws.ToString(devices.MFADevices[0].SerialNumber))
	assert.WithinDuration(t, time.Now(), aws.ToTime(devices.MFADevices[0].EnableDate), time.Minute, "enabled on the server's running clock")
	groups, err := acct.IAM().ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, groups.Groups, 1)
	assert.Equal(t, "devs", aws.ToString(groups.Groups[0].GroupName))
	pw, ok := acct.Password("alice")
	require.True(t, ok)
	assert.Equal(t, res.Password, pw)
}

func TestSTSWebIdentityAnonymousClient(t *testing.T) {
	srv, _ := start(t)
	// The SDK sends AssumeRoleWithWebIdentity unsigned; the server serves it.
	cfg := srv.Config()
	cfg.Credentials = aws.AnonymousCredentials{}
	_, err := sts.NewFromConfig(cfg).AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String("not-a-token"),
	})
	var bad *ststypes.InvalidIdentityTokenException
	require.ErrorAs(t, err, &bad)
}

func TestUserNameDefaultsToTheSigner(t *testing.T) {
	srv, _ := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("frank")})
	require.NoError(t, err)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("frank")})
	require.NoError(t, err)
	cfg := withCreds(srv, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	asFrank := iam.NewFromConfig(cfg)

	me, err := asFrank.GetUser(ctx, &iam.GetUserInput{})
	require.NoError(t, err)
	assert.Equal(t, "frank", aws.ToString(me.User.UserName))
	keys, err := asFrank.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	require.Len(t, keys.AccessKeyMetadata, 1)

	sess, err := sts.NewFromConfig(cfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	require.NoError(t, err)
	cr := sess.Credentials
	me, err = iam.NewFromConfig(withCreds(srv, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))).
		GetUser(ctx, &iam.GetUserInput{})
	require.NoError(t, err)
	assert.Equal(t, "frank", aws.ToString(me.User.UserName))

	// The root names no user: the fake's validation answers (GetUser
	// declares no InvalidInput, so the SDK hands over a generic API error).
	_, err = c.GetUser(ctx, &iam.GetUserInput{})
	code, status := apiCode(t, err)
	assert.Equal(t, "InvalidInput", code)
	assert.Equal(t, 400, status)
}

func TestBodyTooLarge(t *testing.T) {
	srv, _ := start(t)
	body := "Action=ListUsers&Padding=" + strings.Repeat("x", server.MaxBodySize)
	status, resp := send(t, srv, "", nil, body)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Contains(t, resp, "RequestEntityTooLarge")
}
