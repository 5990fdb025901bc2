package fakes_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// signinEnv is an account with a running sign-in endpoint and an IAM user
// with an access key.
type signinEnv struct {
	t    *testing.T
	acct *fakes.Account
	si   *fakes.SignIn
	key  string // the IAM user's access key ID
	role string // a role the account root may assume, 12 h at most
}

func newSigninEnv(t *testing.T, opts ...fakes.Option) *signinEnv {
	t.Helper()
	acct := fakes.NewAccount(opts...)
	si := fakes.StartSignIn(acct)
	t.Cleanup(si.Close)
	key, _, _ := mfaUser(t, acct, "broker")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:` + acct.Partition() + `:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	r, err := acct.IAM().CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String("console"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(43200)})
	require.NoError(t, err)
	return &signinEnv{t: t, acct: acct, si: si, key: key, role: *r.Role.Arn}
}

func (e *signinEnv) roleCreds() *ststypes.Credentials {
	e.t.Helper()
	out, err := e.acct.STS().AssumeRole(e.t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(e.role), RoleSessionName: aws.String("carol")})
	require.NoError(e.t, err)
	return out.Credentials
}

func (e *signinEnv) sessionTokenCreds() *ststypes.Credentials {
	e.t.Helper()
	out, err := e.acct.STSAs(e.key).GetSessionToken(e.t.Context(), &sts.GetSessionTokenInput{})
	require.NoError(e.t, err)
	return out.Credentials
}

func (e *signinEnv) federationCreds() *ststypes.Credentials {
	e.t.Helper()
	out, err := e.acct.STSAs(e.key).GetFederationToken(e.t.Context(), &sts.GetFederationTokenInput{Name: aws.String("carol"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	require.NoError(e.t, err)
	return out.Credentials
}

func sessionJSON(c *ststypes.Credentials) string {
	b, _ := json.Marshal(map[string]string{"sessionId": *c.AccessKeyId, "sessionKey": *c.SecretAccessKey, "sessionToken": *c.SessionToken})
	return string(b)
}

// get sends a GET to the endpoint and returns the status and body.
func (e *signinEnv) get(path string, q url.Values) (int, string, http.Header) {
	e.t.Helper()
	u := strings.TrimSuffix(e.si.URL(), "/federation") + path + "?" + q.Encode()
	resp, err := e.si.Client().Get(u)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, string(body), resp.Header
}

// token asks for a sign-in token; duration < 0 leaves SessionDuration out.
func (e *signinEnv) token(c *ststypes.Credentials, duration int) (int, string) {
	e.t.Helper()
	q := url.Values{"Action": {"getSigninToken"}, "Session": {sessionJSON(c)}}
	if duration >= 0 {
		q.Set("SessionDuration", strconv.Itoa(duration))
	}
	status, body, _ := e.get("/federation", q)
	if status != http.StatusOK {
		return status, body
	}
	var answer struct{ SigninToken string }
	require.NoError(e.t, json.Unmarshal([]byte(body), &answer))
	require.NotEmpty(e.t, answer.SigninToken)
	return status, answer.SigninToken
}

func (e *signinEnv) login(token, dest string) (int, string, http.Header) {
	e.t.Helper()
	return e.get("/federation", url.Values{"Action": {"login"}, "Issuer": {"https://broker.example.com"}, "Destination": {dest}, "SigninToken": {token}})
}

func TestSignInRoleCredentials(t *testing.T) {
	e := newSigninEnv(t)
	c := e.roleCreds()
	status, tok := e.token(c, 43200)
	require.Equal(t, http.StatusOK, status, tok)

	dest := "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances:"
	status, _, h := e.login(tok, dest)
	require.Equal(t, http.StatusFound, status)
	assert.Equal(t, dest, h.Get("Location"))
	logins := e.si.Logins()
	require.Len(t, logins, 1)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/console/carol", logins[0].Principal)
	assert.Equal(t, fakes.KindAssumedRole, logins[0].Kind)
	assert.Equal(t, 12*time.Hour, logins[0].SessionDuration)
	assert.Equal(t, "https://broker.example.com", logins[0].Issuer)
	assert.Equal(t, 1, e.acct.Calls("signin:getSigninToken"))
	assert.Equal(t, 1, e.acct.Calls("signin:login"))

	// Without SessionDuration, and POSTed as a form: fine too.
	resp, err := e.si.Client().PostForm(e.si.URL(), url.Values{"Action": {"getSigninToken"}, "Session": {sessionJSON(c)}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestSignInRefusesCredentials(t *testing.T) {
	e := newSigninEnv(t)
	role := e.roleCreds()
	altered := *role
	altered.SecretAccessKey = aws.String(*role.SecretAccessKey + "x")
	unknown := *role
	unknown.AccessKeyId = aws.String("ASIAUNKNOWNUNKNOWN00")
	for name, c := range map[string]*ststypes.Credentials{
		"GetSessionToken": e.sessionTokenCreds(),
		"altered secret":  &altered,
		"unknown key":     &unknown,
	} {
		status, body := e.token(c, -1)
		assert.Equal(t, http.StatusForbidden, status, name)
		assert.NotContains(t, body, *c.SecretAccessKey, "no echo of the secret")
	}
	status, body := e.token(e.sessionTokenCreds(), -1)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "GetSessionToken")

	e.acct.Clock().Advance(time.Hour)
	status, body = e.token(role, -1)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "expired")

	for _, s := range []string{"", "{}", `{"sessionId":"x"}`, "not json"} {
		code, _, _ := e.get("/federation", url.Values{"Action": {"getSigninToken"}, "Session": {s}})
		assert.Equal(t, http.StatusBadRequest, code, s)
	}
	code, _, _ := e.get("/federation", url.Values{"Action": {"dance"}})
	assert.Equal(t, http.StatusBadRequest, code)
}

func TestSignInSessionDurationRules(t *testing.T) {
	e := newSigninEnv(t)
	role, fed := e.roleCreds(), e.federationCreds()
	for _, d := range []int{899, 43201, 0} {
		status, _ := e.token(role, d)
		assert.Equal(t, http.StatusBadRequest, status, d)
	}
	for _, d := range []int{900, 43200} {
		status, _ := e.token(role, d)
		assert.Equal(t, http.StatusOK, status, d)
	}
	status, body := e.token(fed, 3600)
	assert.Equal(t, http.StatusBadRequest, status, "never with federation tokens")
	assert.Contains(t, body, "GetFederationToken")
	status, tok := e.token(fed, -1)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = e.login(tok, "https://console.aws.amazon.com/")
	assert.Equal(t, http.StatusFound, status)
	assert.Equal(t, fakes.KindFederationToken, e.si.Logins()[0].Kind)
	assert.Zero(t, e.si.Logins()[0].SessionDuration)
}

func TestSignInLoginRules(t *testing.T) {
	e := newSigninEnv(t)
	_, tok := e.token(e.roleCreds(), -1)
	for _, dest := range []string{
		"",
		"http://console.aws.amazon.com/",
		"https://evil.example.com/console.aws.amazon.com/",
		"https://console.aws.amazon.com.evil.example.com/",
		"https://user@console.aws.amazon.com/",
		"https://console.aws.amazon.com:8443/",
		"https://console.amazonaws.cn/",
		"https://x.y.console.aws.amazon.com/",
	} {
		status, _, _ := e.login(tok, dest)
		assert.Equal(t, http.StatusBadRequest, status, dest)
	}
	status, _, _ := e.login("forged", "https://console.aws.amazon.com/")
	assert.Equal(t, http.StatusBadRequest, status)

	e.acct.Clock().Advance(fakes.SigninTokenLifetime)
	status, body, _ := e.login(tok, "https://console.aws.amazon.com/")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "expired")
	assert.Empty(t, e.si.Logins())
}

func TestSignInPartitionConsoleHost(t *testing.T) {
	e := newSigninEnv(t, fakes.WithPartition("aws-cn"), fakes.WithRegion("cn-north-1"))
	_, tok := e.token(e.roleCreds(), -1)
	status, _, _ := e.login(tok, "https://console.aws.amazon.com/")
	assert.Equal(t, http.StatusBadRequest, status, "not this partition's console")
	status, _, _ = e.login(tok, "https://console.amazonaws.cn/ec2/home?region=cn-north-1")
	assert.Equal(t, http.StatusFound, status)
}

func TestSignInLogout(t *testing.T) {
	e := newSigninEnv(t)
	_, tok := e.token(e.roleCreds(), -1)
	login := e.si.URL() + "?" + url.Values{"Action": {"login"}, "Destination": {"https://console.aws.amazon.com/"}, "SigninToken": {tok}}.Encode()
	status, _, h := e.get("/oauth", url.Values{"Action": {"logout"}, "redirect_uri": {login}})
	require.Equal(t, http.StatusFound, status)
	assert.Equal(t, login, h.Get("Location"))
	status, _, _ = e.get("/oauth", url.Values{"Action": {"logout"}, "redirect_uri": {"https://evil.example.com/"}})
	assert.Equal(t, http.StatusBadRequest, status)
}

func TestSignInFaults(t *testing.T) {
	e := newSigninEnv(t)
	c := e.roleCreds()
	e.acct.Inject("signin:getSigninToken", fakes.Fault{Err: &fakes.HTTPError{Status: 503, Body: "<html>Service Unavailable</html>"}, Times: 1})
	e.acct.Throttle("signin:getSigninToken", 1)
	e.acct.Inject("signin:getSigninToken", fakes.Fault{Err: errors.New("boom"), Times: 1})
	var got []int
	for range 4 {
		status, _ := e.token(c, -1)
		got = append(got, status)
	}
	assert.Equal(t, []int{503, 429, 500, 200}, got)
	assert.Equal(t, 4, e.acct.Calls("signin:getSigninToken"))
	assert.Equal(t, 1, e.si.Tokens())
}

// The sign-in endpoint is a real HTTP server on the loopback interface: it
// exchanges credentials the account's STS issued for a sign-in token, and a
// login with the token redirects to the console.
func ExampleStartSignIn() {
	acct := fakes.NewAccount()
	signin := fakes.StartSignIn(acct)
	defer signin.Close()
	out, _ := acct.STS().GetFederationToken(context.Background(), &sts.GetFederationTokenInput{
		Name: aws.String("grace"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}`),
	})
	session, _ := json.Marshal(map[string]string{
		"sessionId": *out.Credentials.AccessKeyId, "sessionKey": *out.Credentials.SecretAccessKey, "sessionToken": *out.Credentials.SessionToken,
	})
	client := signin.Client()

	// SessionDuration is refused with federation-token credentials.
	resp, _ := client.Get(signin.URL() + "?" + url.Values{"Action": {"getSigninToken"}, "SessionDuration": {"3600"}, "Session": {string(session)}}.Encode())
	resp.Body.Close()
	fmt.Println(resp.StatusCode)

	resp, _ = client.Get(signin.URL() + "?" + url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}.Encode())
	var answer struct{ SigninToken string }
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	resp, _ = client.Get(signin.URL() + "?" + url.Values{"Action": {"login"}, "Destination": {"https://console.aws.amazon.com/s3/"}, "SigninToken": {answer.SigninToken}}.Encode())
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	fmt.Println(signin.Logins()[0].Principal)
	// Output:
	// 400
	// 302 https://console.aws.amazon.com/s3/
	// arn:aws:sts::123456789012:federated-user/grace
}
