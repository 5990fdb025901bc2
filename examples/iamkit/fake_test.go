package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveFake runs 'iamkit fake serve' in process until the test ends and
// returns the environment it printed.
func serveFake(t *testing.T, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	a := newApp(strings.NewReader(""), pw, &stderr)
	done := make(chan int, 1)
	go func() {
		code := a.run(ctx, append([]string{"fake", "serve"}, args...))
		pw.Close()
		done <- code
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr) //nolint:errcheck // drain anything left
		assert.Equal(t, exitOK, <-done, stderr.String())
	})

	env := map[string]string{}
	var lines []string
	s := bufio.NewScanner(pr)
	for s.Scan() {
		line := s.Text()
		lines = append(lines, line)
		k, v, ok := parseExport(line)
		require.True(t, ok, "not an export line: %q", line)
		env[k] = v
		if k == "AWS_EC2_METADATA_DISABLED" {
			break
		}
	}
	require.Len(t, lines, len(fakeEnvOrder), "one export line per variable, the metadata switch last")
	return env
}

// parseExport parses "export K='V'" as writeFakeEnv prints it.
func parseExport(line string) (k, v string, ok bool) {
	rest, ok := strings.CutPrefix(line, "export ")
	if !ok {
		return "", "", false
	}
	k, v, ok = strings.Cut(rest, "=")
	if !ok || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
		return "", "", false
	}
	return k, strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'"), true
}

func TestFakeServePrintsTheEnvironment(t *testing.T) {
	env := serveFake(t)
	u, err := url.Parse(env["AWS_ENDPOINT_URL"])
	require.NoError(t, err)
	assert.Equal(t, "http", u.Scheme)
	assert.Equal(t, "127.0.0.1", u.Hostname(), "never localhost: S3 stays path-style")
	assert.NotEmpty(t, u.Port())
	assert.Equal(t, env["AWS_ENDPOINT_URL"]+"/federation", env["IAMKIT_SIGNIN_ENDPOINT"])
	assert.Equal(t, "us-east-1", env["AWS_REGION"])
	assert.Equal(t, env["AWS_REGION"], env["AWS_DEFAULT_REGION"])
	assert.Equal(t, "true", env["AWS_EC2_METADATA_DISABLED"])
	require.NotEmpty(t, env["AWS_ACCESS_KEY_ID"])
	require.NotEmpty(t, env["AWS_SECRET_ACCESS_KEY"])

	// A real IAM client built from nothing but those values.
	client := iam.NewFromConfig(aws.Config{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
	ctx := context.Background()
	_, err = client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	out, err := client.ListUsers(ctx, &iam.ListUsersInput{})
	require.NoError(t, err)
	require.Len(t, out.Users, 1)
	assert.Equal(t, "arn:aws:iam::123456789012:user/bob", aws.ToString(out.Users[0].Arn))

	// A wrong secret is refused, as AWS does.
	bad := iam.NewFromConfig(aws.Config{
		Region: env["AWS_REGION"], BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials: credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], "wrong", ""),
	})
	_, err = bad.ListUsers(ctx, &iam.ListUsersInput{})
	assert.ErrorContains(t, err, "SignatureDoesNotMatch")
}

func TestFakeServeAddr(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--addr", "127.0.0.1:notaport"}, exitFailed, "iamkit fake serve: iamkittest: starting the server: listen on 127.0.0.1:notaport"},
		{[]string{"extra"}, exitUsage, `iamkit fake serve: unexpected argument "extra"`},
	} {
		e := newEnv(t)
		assert.Equal(t, tc.code, e.run(append([]string{"fake", "serve"}, tc.args...)...))
		assert.Contains(t, e.stderr.String(), tc.err)
		assert.Empty(t, e.stdout.String(), "no export line when nothing is served")
	}
}

func TestFakeServeHelp(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("fake", "serve", "--help"))
	out := e.stdout.String()
	for _, want := range []string{"--addr HOST:PORT", "> fake.env &", "aws --endpoint-url", "iam list-users", "IAMKIT_SIGNIN_ENDPOINT"} {
		assert.Contains(t, out, want)
	}
	require.Equal(t, exitOK, e.run("--help"))
	assert.Contains(t, e.stdout.String(), "fake ")
	require.Equal(t, exitOK, e.run("console", "--help"))
	assert.Contains(t, e.stdout.String(), "IAMKIT_SIGNIN_ENDPOINT")
}

// fakeServeApp is the CLI as a shell would run it after sourcing what
// 'iamkit fake serve' printed: the environment goes in through the app's
// getenv seam and its AWS configuration options, not os.Setenv.
func fakeServeApp(env map[string]string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	a := newApp(strings.NewReader(""), &stdout, &stderr)
	a.getenv = func(k string) string { return env[k] }
	a.configOptions = envConfigOptions(env)
	return a, &stdout, &stderr
}

func TestFakeServeDrivesTheCLI(t *testing.T) {
	env := serveFake(t)
	ctx := context.Background()
	a, stdout, stderr := fakeServeApp(env)
	cfg, err := a.loadAWSConfig(ctx, "")
	require.NoError(t, err)
	client := iam.NewFromConfig(cfg)
	_, err = client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)

	// Onboarding through the dispatcher, on the system clock: the server
	// checks both MFA codes against the real time.
	out := filepath.Join(t.TempDir(), "alice")
	require.Equal(t, exitOK, a.run(ctx, []string{"user", "create", "-u", "alice", "-g", "devs", "--out", out}), stderr.String())
	assert.Contains(t, stdout.String(), "user alice (arn:aws:iam::123456789012:user/alice)")
	devs, err := client.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, devs.MFADevices, 1, "the MFA device is enabled")
	g, err := client.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	require.Len(t, g.Users, 1)
	assert.Equal(t, "alice", aws.ToString(g.Users[0].UserName))

	// The console command reaches the sign-in endpoint the env names.
	role, err := client.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("ReadOnly"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`),
	})
	require.NoError(t, err)
	stdout.Reset()
	stderr.Reset()
	require.Equal(t, exitOK, a.run(ctx, []string{"console", "--role-arn", aws.ToString(role.Role.Arn), "--session-name", "dana"}), stderr.String())
	login := strings.TrimSpace(stdout.String())
	assert.True(t, strings.HasPrefix(login, env["IAMKIT_SIGNIN_ENDPOINT"]+"?Action=login"), login)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(login)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode, "the sign-in endpoint accepts its own token")

	// And the user is offboarded the same way.
	stdout.Reset()
	require.Equal(t, exitOK, a.run(ctx, []string{"user", "delete", "alice"}), stderr.String())
	assert.Contains(t, stdout.String(), "Verified: user alice no longer exists.")
}

// envConfigOptions are the LoadOptions that stand for the AWS_* variables
// of env (what 'iamkit fake serve' prints) when they cannot be put into
// the process environment: a test. They override the real
// environment and shared files.
func envConfigOptions(env map[string]string) []func(*config.LoadOptions) error {
	var opts []func(*config.LoadOptions) error
	if v := env["AWS_ENDPOINT_URL"]; v != "" {
		opts = append(opts, config.WithBaseEndpoint(v))
	}
	if id, secret := env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]; id != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, env["AWS_SESSION_TOKEN"])))
	}
	if v := env["AWS_REGION"]; v != "" {
		opts = append(opts, config.WithRegion(v))
	}
	if env["AWS_EC2_METADATA_DISABLED"] == "true" {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	return opts
}

func TestWriteFakeEnvQuotes(t *testing.T) {
	for _, tc := range []struct{ name, value, line string }{
		{"plain", "http://127.0.0.1:4566", `export AWS_ENDPOINT_URL='http://127.0.0.1:4566'`},
		{"quote", "it's", `export AWS_ENDPOINT_URL='it'\''s'`},
		{"shell", "$(rm -rf /) `x` \\n", "export AWS_ENDPOINT_URL='$(rm -rf /) `x` \\n'"},
		{"empty", "", `export AWS_ENDPOINT_URL=''`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			writeFakeEnv(&b, map[string]string{"AWS_ENDPOINT_URL": tc.value})
			assert.Equal(t, tc.line+"\n", b.String())
			k, v, ok := parseExport(strings.TrimSuffix(b.String(), "\n"))
			require.True(t, ok)
			assert.Equal(t, "AWS_ENDPOINT_URL", k)
			assert.Equal(t, tc.value, v)
		})
	}
	var b bytes.Buffer
	writeFakeEnv(&b, map[string]string{"ZED": "1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1", "ALPHA": "2"})
	assert.Equal(t, "export AWS_REGION='us-east-1'\nexport AWS_EC2_METADATA_DISABLED='true'\nexport ALPHA='2'\nexport ZED='1'\n", b.String(),
		"the known variables in their order, others sorted after them")
}

// TestFakeServeEnvServesAssumeRoleProfiles: with only what 'fake serve'
// prints in the environment, a profile that assumes a role (role_arn with
// credential_source or source_profile) is served by the fake too: the SDK
// builds that profile's STS client before it applies AWS_ENDPOINT_URL, so
// AWS_ENDPOINT_URL_STS must be printed as well.
func TestFakeServeEnvServesAssumeRoleProfiles(t *testing.T) {
	env := serveFake(t)
	require.Equal(t, env["AWS_ENDPOINT_URL"], env["AWS_ENDPOINT_URL_STS"])
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(
		"[profile deployer]\nrole_arn = arn:aws:iam::123456789012:role/deploy\ncredential_source = Environment\nregion = us-east-1\n"), 0o600))

	client := iam.NewFromConfig(aws.Config{
		Region: env["AWS_REGION"], BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials: credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
	_, err := client.CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String("deploy"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)

	var stdout, stderr bytes.Buffer
	a := newApp(strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitOK, a.run(t.Context(), []string{"trust", "show", "--role", "deploy", "--profiles", "deployer"}), stderr.String())
	assert.Contains(t, stdout.String(), "arn:aws:iam::123456789012:root")
}
