package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/internal/fakes"
)

const proxySecret = "a-secret-only-the-proxy-knows"

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"BROKER_ROLES_FILE": "roles", "BROKER_PROXY_SECRET": proxySecret, "BROKER_POOL_ID": "us-east-1:x", "BROKER_DEVELOPER_PROVIDER": "p", "AWS_REGION": "eu-north-1"}
	c, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "header", c.Auth)
	assert.Equal(t, "cognito", c.Source)
	assert.Equal(t, "eu-north-1", c.Region)
	assert.Equal(t, "127.0.0.1:8080", c.Addr)
	assert.Equal(t, broker.DefaultRateBurst, c.RateBurst)
	assert.Equal(t, broker.DefaultRateEvery, c.RateEvery)
	assert.Equal(t, broker.DefaultCallTimeout, c.CallTimeout)
	assert.Equal(t, "X-Forwarded-Email", c.UserHeader)
	assert.Equal(t, "X-Broker-Secret", c.SecretHeader)

	for name, bad := range map[string]map[string]string{
		"nothing":          nil,
		"auth":             {"BROKER_AUTH": "ldap"},
		"token file":       {"BROKER_AUTH": "token-file"},
		"source":           {"BROKER_SOURCE": "magic"},
		"duration":         {"BROKER_ROLE_DURATION": "forever"},
		"session too long": {"BROKER_SESSION_DURATION": "13h"},
		"flag":             {"BROKER_LOGOUT_FIRST": "perhaps"},
		"no pool":          {"BROKER_POOL_ID": ""},
		"rate limit":       {"BROKER_RATE_LIMIT": "fast"},
		"rate interval":    {"BROKER_RATE_LIMIT": "10/0s"},
		"call timeout":     {"BROKER_CALL_TIMEOUT": "-1s"},
		"insecure flag":    {"BROKER_INSECURE_HTTP": "maybe"},
	} {
		merged := maps.Clone(env)
		maps.Copy(merged, bad)
		if bad == nil {
			merged = nil
		}
		_, err := LoadConfig(func(k string) string { return merged[k] })
		assert.Error(t, err, name)
	}
}

// files writes a role map and a token file and returns the environment
// that names them.
func files(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	roles, tokens := filepath.Join(dir, "roles"), filepath.Join(dir, "tokens")
	require.NoError(t, os.WriteFile(roles, []byte("alice@example.com admin arn:aws:iam::123456789012:role/Admin\n* readonly arn:aws:iam::123456789012:role/ReadOnly\n"), 0o644))
	require.NoError(t, os.WriteFile(tokens, []byte("alice@example.com "+broker.HashToken("alice-token")+"\n"), 0o600))
	return map[string]string{
		"BROKER_ROLES_FILE": roles, "BROKER_TOKEN_FILE": tokens, "BROKER_PROXY_SECRET": proxySecret,
		"BROKER_POOL_ID": "eu-west-1:11111111-2222-3333-4444-555555555555", "BROKER_DEVELOPER_PROVIDER": "broker.example.com",
		"AWS_REGION": "eu-west-1",
	}
}

// The handler is built from the environment and real SDK clients, exactly
// as run does, and serves the index without calling AWS (the clients point
// at nothing: any call would fail).
func TestWiringFromEnv(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1")}
	for _, c := range []struct {
		name   string
		env    map[string]string
		header [2]string
	}{
		{"header auth, cognito", nil, [2]string{"X-Broker-Secret", proxySecret}},
		{"custom headers", map[string]string{"BROKER_USER_HEADER": "X-User", "BROKER_PROXY_SECRET_HEADER": "X-Proxy"}, [2]string{"X-Proxy", proxySecret}},
		{"token file, assume-role", map[string]string{"BROKER_AUTH": "token-file", "BROKER_SOURCE": "assume-role"}, [2]string{"Authorization", "Bearer alice-token"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := files(t)
			maps.Copy(env, c.env)
			conf, err := LoadConfig(func(k string) string { return env[k] })
			require.NoError(t, err)
			clients := awsClients(cfg, conf)
			h, err := NewHandler(t.Context(), conf, clients, nil)
			require.NoError(t, err)
			assert.Equal(t, "aws", h.Partition())

			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set(conf.UserHeader, "alice@example.com")
			req.Header.Set(c.header[0], c.header[1])
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), "Signed in as alice@example.com.")
			assert.Contains(t, rec.Body.String(), `href="console?role=admin"`)

			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
		})
	}

	// Cognito in the pool's region, whatever the default region.
	env := files(t)
	conf, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	cog, ok := awsClients(cfg, conf).Cognito.(*cognitoidentity.Client)
	require.True(t, ok)
	assert.Equal(t, "eu-west-1", cog.Options().Region)
}

func TestWiringRefuses(t *testing.T) {
	for name, bad := range map[string]map[string]string{
		"no roles file":   {"BROKER_ROLES_FILE": "/nonexistent/roles"},
		"no token file":   {"BROKER_AUTH": "token-file", "BROKER_TOKEN_FILE": "/nonexistent/tokens"},
		"short secret":    {"BROKER_PROXY_SECRET": "short"},
		"pool ID":         {"BROKER_POOL_ID": "not-a-pool"},
		"region":          {"BROKER_REGION": "cn-north-1"},
		"signin endpoint": {"BROKER_SIGNIN_ENDPOINT": "ftp://example.com/"},
	} {
		env := files(t)
		maps.Copy(env, bad)
		conf, err := LoadConfig(func(k string) string { return env[k] })
		require.NoError(t, err, name)
		_, err = NewHandler(t.Context(), conf, Clients{Cognito: fakes.NewAccount().Cognito(), STS: fakes.NewAccount().STS()}, nil)
		assert.Error(t, err, name)
	}
}

// From the environment to a console session, on the fake account: the
// cognito source with header auth, and the assume-role source with token
// auth and log-out-first.
func TestWiringSignsIn(t *testing.T) {
	ctx := t.Context()
	acct := fakes.NewAccount()
	pool, err := acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("console broker"), AllowClassicFlow: aws.Bool(true), DeveloperProviderName: aws.String("broker.example.com")})
	require.NoError(t, err)
	var trust struct {
		Version   string
		Statement []any
	}
	require.NoError(t, json.Unmarshal([]byte(fakes.CognitoTrustPolicy(*pool.IdentityPoolId, fakes.CognitoAuthenticated)), &trust))
	trust.Statement = append(trust.Statement, map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"})
	doc, err := json.Marshal(trust)
	require.NoError(t, err)
	for _, name := range []string{"Admin", "ReadOnly"} {
		_, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(string(doc))})
		require.NoError(t, err)
	}
	signin := fakes.StartSignIn(acct)
	t.Cleanup(signin.Close)

	for _, c := range []struct {
		name    string
		env     map[string]string
		header  [2]string
		logout  bool
		session string
	}{
		{"cognito", map[string]string{"BROKER_SESSION_DURATION": "8h"}, [2]string{"X-Broker-Secret", proxySecret}, false, "assumed-role/Admin/alice@example.com"},
		{"assume-role", map[string]string{"BROKER_AUTH": "token-file", "BROKER_SOURCE": "assume-role", "BROKER_LOGOUT_FIRST": "true"}, [2]string{"Authorization", "Bearer alice-token"}, true, "assumed-role/Admin/alice@example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := files(t)
			env["BROKER_POOL_ID"] = *pool.IdentityPoolId
			env["BROKER_SIGNIN_ENDPOINT"] = signin.URL()
			env["BROKER_ISSUER"] = "https://broker.example.com/"
			maps.Copy(env, c.env)
			conf, err := LoadConfig(func(k string) string { return env[k] })
			require.NoError(t, err)
			var logs strings.Builder
			h, err := NewHandler(t.Context(), conf, Clients{Cognito: acct.Cognito(), STS: acct.STS(), HTTPClient: signin.Client()},
				slog.New(slog.NewTextHandler(&logs, nil)), broker.WithClock(acct.Clock()))
			require.NoError(t, err)

			req := httptest.NewRequest(http.MethodGet, "/console?role=admin", nil)
			req.Header.Set("X-Forwarded-Email", "alice@example.com")
			req.Header.Set(c.header[0], c.header[1])
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
			loc := rec.Header().Get("Location")
			if c.logout {
				u, err := url.Parse(loc)
				require.NoError(t, err)
				assert.Equal(t, "/oauth", u.Path)
				loc = u.Query().Get("redirect_uri")
			}
			resp, err := signin.Client().Get(loc)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusFound, resp.StatusCode)
			assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1", resp.Header.Get("Location"))
			logins := signin.Logins()
			last := logins[len(logins)-1]
			assert.Equal(t, "arn:aws:sts::123456789012:"+c.session, last.Principal)
			assert.Equal(t, "https://broker.example.com/", last.Issuer)
			assert.Contains(t, logs.String(), "console sign-in")
			assert.NotContains(t, logs.String(), "SigninToken")
		})
	}
}

func TestRateLimitConfig(t *testing.T) {
	for in, want := range map[string][2]any{"10/30s": {10, 30 * time.Second}, "1/1h": {1, time.Hour}, "0": {0, time.Duration(0)}} {
		b, e, err := parseRateLimit(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, [2]any{b, e}, in)
	}
	for _, in := range []string{"", "10", "x/1s", "-1/1s", "0/1s", "5/soon", "5/-1s"} {
		_, _, err := parseRateLimit(in)
		assert.Error(t, err, in)
	}
}

// Plain HTTP only on loopback, unless --insecure-http; TLS needs both files.
func TestListenRules(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		ok   bool
	}{
		{"default loopback", nil, nil, true},
		{"ipv6 loopback", []string{"--addr", "[::1]:8443"}, nil, true},
		{"localhost", []string{"--addr", "localhost:80"}, nil, true},
		{"all interfaces", []string{"--addr", ":8080"}, nil, false},
		{"all interfaces, env", nil, map[string]string{"BROKER_ADDR": "0.0.0.0:8080"}, false},
		{"public address", []string{"--addr", "192.0.2.10:80"}, nil, false},
		{"a host name", []string{"--addr", "broker.example.com:80"}, nil, false},
		{"insecure http behind a proxy", []string{"--addr", ":8080", "--insecure-http"}, nil, true},
		{"insecure http, env", []string{"--addr", ":8080"}, map[string]string{"BROKER_INSECURE_HTTP": "true"}, true},
		{"tls", []string{"--addr", ":8443", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, nil, true},
		{"tls from env", []string{"--addr", ":8443"}, map[string]string{"BROKER_TLS_CERT": "c.pem", "BROKER_TLS_KEY": "k.pem"}, true},
		{"cert without key", []string{"--tls-cert", "c.pem"}, nil, false},
		{"key without cert", []string{"--addr", ":8443", "--tls-key", "k.pem", "--insecure-http"}, nil, false},
		{"no port", []string{"--addr", "127.0.0.1"}, nil, false},
		{"stray argument", []string{"serve"}, nil, false},
		{"unknown flag", []string{"--tls"}, nil, false},
	}
	for _, c := range cases {
		env := files(t)
		maps.Copy(env, c.env)
		conf, err := LoadConfig(func(k string) string { return env[k] })
		require.NoError(t, err, c.name)
		err = ParseFlags(conf, c.args)
		if c.ok {
			assert.NoError(t, err, c.name)
		} else {
			assert.Error(t, err, c.name)
		}
	}
	env := files(t)
	conf, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	err = ParseFlags(conf, []string{"--addr", ":8080"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--insecure-http")
	assert.Contains(t, err.Error(), "--tls-cert")
}

// The federation-token source starts only with an IAM user's long-term
// keys (what GetCallerIdentity says of the broker's credentials); as a
// Lambda function's role it refuses to start, saying why.
func TestFederationTokenSourceAtStartUp(t *testing.T) {
	ctx := t.Context()
	acct := fakes.NewAccount()
	_, err := acct.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("broker")})
	require.NoError(t, err)
	k, err := acct.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("broker")})
	require.NoError(t, err)
	st := acct.STSAs(*k.AccessKey.AccessKeyId)
	signin := fakes.StartSignIn(acct)
	t.Cleanup(signin.Close)

	env := files(t)
	require.NoError(t, os.WriteFile(env["BROKER_ROLES_FILE"], []byte("* s3 federated policy-arn=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n"), 0o644))
	env["BROKER_SOURCE"], env["BROKER_SIGNIN_ENDPOINT"] = "federation-token", signin.URL()
	conf, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)

	asLambda := func(ctx context.Context) (*federation.Identity, error) {
		return federation.Identify(ctx, roleCaller{}, aws.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "t"}, "")
	}
	_, err = NewHandler(ctx, conf, Clients{STS: st, Identify: asLambda, HTTPClient: signin.Client()}, nil)
	require.ErrorIs(t, err, broker.ErrInvalidConfig)
	assert.ErrorContains(t, err, "federation tokens need an IAM user's long-term access keys")
	assert.ErrorContains(t, err, "Lambda")
	assert.Zero(t, acct.Calls("sts:GetFederationToken"))

	asUser := func(ctx context.Context) (*federation.Identity, error) {
		return federation.Identify(ctx, st, aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: "s"}, "")
	}
	h, err := NewHandler(ctx, conf, Clients{STS: st, Identify: asUser, HTTPClient: signin.Client()}, nil, broker.WithClock(acct.Clock()))
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/console", nil)
	req.Header.Set("X-Forwarded-Email", "alice@example.com")
	req.Header.Set("X-Broker-Secret", proxySecret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
	assert.Equal(t, 1, acct.Calls("sts:GetFederationToken"))
}

// roleCaller answers GetCallerIdentity as a Lambda function's role.
type roleCaller struct{}

func (roleCaller) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/consolebroker-fn/consolebroker"), Account: aws.String("123456789012")}, nil
}

// With a role's credentials (a Lambda function's) the assume-role source's
// sessions are chained: a duration over 1h is refused at start-up, saying
// why; within 1h nothing is called at start-up.
func TestAssumeRoleSourceChainedAtStartUp(t *testing.T) {
	env := files(t)
	env["BROKER_SOURCE"], env["BROKER_ROLE_DURATION"] = "assume-role", "2h"
	conf, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	calls := 0
	asLambda := func(ctx context.Context) (*federation.Identity, error) {
		calls++
		return federation.Identify(ctx, roleCaller{}, aws.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "t"}, "")
	}
	acct := fakes.NewAccount()
	_, err = NewHandler(t.Context(), conf, Clients{STS: acct.STS(), Identify: asLambda}, nil)
	require.ErrorIs(t, err, broker.ErrInvalidConfig)
	assert.ErrorContains(t, err, "chained, which AWS caps at 1h")
	assert.ErrorContains(t, err, "assumed-role/consolebroker-fn")

	conf.RoleDuration = time.Hour
	_, err = NewHandler(t.Context(), conf, Clients{STS: acct.STS(), Identify: asLambda}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, calls, "within 1h, nothing is asked at start-up")
}
