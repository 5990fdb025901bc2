package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func TestSignInWire(t *testing.T) {
	w := newWire(t)
	ctx := t.Context()
	acct := w.acct
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct.ID() + `:root"},"Action":"sts:AssumeRole"}]}`
	role, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("console"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(43200)})
	require.NoError(t, err)
	creds, err := acct.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("carol")})
	require.NoError(t, err)
	c := creds.Credentials
	session, err := json.Marshal(map[string]string{"sessionId": *c.AccessKeyId, "sessionKey": *c.SecretAccessKey, "sessionToken": *c.SessionToken})
	require.NoError(t, err)

	client := *w.http.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(path string, q url.Values) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.http.URL+path+"?"+q.Encode(), nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}

	resp, body := get("/federation", url.Values{"Action": {"getSigninToken"}, "SessionDuration": {"3600"}, "Session": {string(session)}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var tok struct{ SigninToken string }
	require.NoError(t, json.Unmarshal([]byte(body), &tok))
	require.NotEmpty(t, tok.SigninToken)

	dest := "https://console.aws.amazon.com/s3/"
	resp, _ = get("/federation", url.Values{"Action": {"login"}, "Destination": {dest}, "SigninToken": {tok.SigninToken}, "Issuer": {"https://broker.example.com"}})
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, dest, resp.Header.Get("Location"))
	logins := w.srv.SignIn().Logins()
	require.Len(t, logins, 1)
	assert.Equal(t, *c.AccessKeyId, logins[0].AccessKeyID)
	assert.Equal(t, fakes.KindAssumedRole, logins[0].Kind)
	assert.Same(t, w.srv.SignIn(), w.srv.SignIn(), "one endpoint per server")

	// Logout may return to this endpoint's own login URL.
	self := w.http.URL + "/federation?" + url.Values{"Action": {"login"}}.Encode()
	resp, _ = get("/oauth", url.Values{"Action": {"logout"}, "redirect_uri": {self}})
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, self, resp.Header.Get("Location"))
	resp, _ = get("/oauth", url.Values{"Action": {"logout"}, "redirect_uri": {"https://evil.example.com/"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	resp, _ = get("/federation", url.Values{"Action": {"getSigninToken"}, "Session": {`{"sessionId":"ASIAFORGED","sessionKey":"x","sessionToken":"y"}`}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}
