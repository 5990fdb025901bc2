package main

import (
	"bytes"
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chapterText returns chapter title's text in the demo's output.
func chapterText(t *testing.T, out, title string) string {
	t.Helper()
	i := strings.Index(out, ". "+title+" ==")
	require.Positive(t, i, "chapter %q is played", title)
	rest := out[i:]
	if end := strings.Index(rest, "\n== "); end > 0 {
		return rest[:end]
	}
	return rest
}

func TestDemo(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	require.Equal(t, exitOK, e.run("demo"), e.stderr.String())
	t.Logf("demo wall time: %s", time.Since(start))
	out := e.stdout.String()
	for i, ch := range demoChapters() {
		assert.Contains(t, out, fmt.Sprintf("== %d. %s ==", i+1, ch.title))
	}
	assert.Regexp(t, `is a fake \(iamkittest\), served in this process\nat http://127\.0\.0\.1:\d+ over AWS's wire protocols`, out)
	for _, want := range []string{
		"  [default]\n  region = us-east-1\n  endpoint_url = http://127.0.0.1:",
		"Created group developers",
		"alice's laptop made an ed25519 SSH key: SHA256:",
		"$ iamkit user create -u alice -g developers --tag team=platform --access-key --ssh-key $DEMO/id_ed25519.pub --out $DEMO/bundles/alice --qr always\n",
		"user alice (arn:aws:iam::123456789012:user/alice)",
		"ssh keys       created  1 uploaded",
		"Password:", "******** (",
		"Scan with the authenticator app", "█", // the QR code, in its own chapter
		"ListMFADevices(alice): arn:aws:iam::123456789012:mfa/alice, enabled 2026-01-15 09:00:00",
		"EnableMFADevice was called 1 time(s)",
		"before\nonboarding and 09:00:00 after", // the clock did not move
		"'iamkit user create' took 10 IAM calls",
		"1 iam:CreateUser", "1 iam:EnableMFADevice", // call counts
		"-rw-------  0600", "alice.csv", "alice.otpauth", "alice-mfa.png",
		"user           existing", // onboarding again resumes
		"No new secrets (AWS shows them only once): no bundle written.",
		"$ iamkit mfa session --profile alice --token ",
		"Wrote [alice] (session token) to ",
		"[alice] is still valid for 11h0m0s",
		"STS calls made: 0.",
		"$ iamkit hostsync apply --config $DEMO/aws-ec2-ssh.conf --state-dir $DEMO/host --lock-file $DEMO/host/hostsync.lock\n",
		"hostsync apply: 4 done, 0 already done, 0 failed", // the hostsync chapter (more in TestDemoHostsyncChapter)
		"$ iamkit hostsync publish --bucket iamkit-fleet",
		"$ iamkit trust add --role deploy --principal arn:aws:iam::123456789012:user/alice --profiles staging,prod --dry-run\n",
		"$ iamkit user delete alice --dry-run\n",
		"offboarding alice: 7 actions",
		"Planning changed nothing",
		"$ iamkit user delete alice\n",
		"Verified: user alice no longer exists.",
		"GetUser(alice): NoSuchEntity.",
		"$ iamkit trust prune --role deploy --profiles staging,prod\n",
		"$ iamkit console --cognito-pool us-east-1:",
		"That is the story so far.",
	} {
		assert.Contains(t, out, want)
	}
	assert.Regexp(t, `(?m)^\s+7\.\s+DeleteUser\s+done$`, out)
	assert.Empty(t, e.stderr.String())
	assert.Zero(t, e.iamBuilt, "the demo does not use the test's IAM seam: it runs its own CLI on its servers")

	// The temporary directory is gone.
	m := regexp.MustCompile(`\$DEMO is (\S+)\. `).FindStringSubmatch(out)
	require.Len(t, m, 2)
	_, err := os.Stat(m[1])
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestDemoQRCodeChapter(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("demo"), e.stderr.String())
	out := e.stdout.String()
	onboard := chapterText(t, out, "Onboard a person")
	assert.NotContains(t, onboard, "█", "the QR code is shown in its own chapter")
	qr := chapterText(t, out, "The MFA QR code")
	assert.Contains(t, qr, "Scan with the authenticator app (this code is the MFA secret: no screenshots):")
	assert.Contains(t, qr, "█")
}

func TestDemoNeverPrintsSecrets(t *testing.T) {
	e := newEnv(t)
	var out bytes.Buffer
	d, closeDemo, err := newDemo(&out, e.a, t.TempDir())
	require.NoError(t, err)
	defer closeDemo()
	require.NoError(t, d.play(context.Background(), demoChapters()))
	s := d.secrets
	creds, err := os.ReadFile(d.credentialsPath())
	require.NoError(t, err)
	var sessionSecrets []string
	for _, line := range strings.Split(string(creds), "\n") {
		if k, v, ok := strings.Cut(line, " = "); ok && (k == "aws_secret_access_key" || k == "aws_session_token") {
			sessionSecrets = append(sessionSecrets, v)
		}
	}
	require.GreaterOrEqual(t, len(sessionSecrets), 6, "root keys of 3 accounts, alice's, her session's, ops-mfa's")
	secrets := map[string]string{
		"password":    s.Password,
		"MFA seed":    s.MFASeed,
		"otpauth URI": s.OTPAuthURI,
		"secret key":  s.SecretAccessKey,
	}
	for i, v := range sessionSecrets {
		secrets["credentials file secret "+strconv.Itoa(i)] = v
	}
	for name, secret := range secrets {
		require.NotEmpty(t, secret, name)
		assert.NotContains(t, out.String(), secret, name)
	}
	assert.NotRegexp(t, regexp.MustCompile(`SigninToken=[A-Z2-7a-z0-9]{16,}`), out.String(), "the sign-in token never shows")
	// The bundle was written with the secrets, mode 0600.
	data, err := os.ReadFile(filepath.Join(d.bundleDir, "alice.csv"))
	require.NoError(t, err)
	assert.Contains(t, string(data), s.Password)
}

func TestDemoKeep(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("demo", "--keep"), e.stderr.String())
	m := regexp.MustCompile(`\$DEMO is kept in (\S+) `).FindStringSubmatch(e.stdout.String())
	require.Len(t, m, 2)
	t.Cleanup(func() { os.RemoveAll(m[1]) })
	fi, err := os.Stat(filepath.Join(m[1], "bundles", "alice", "alice.csv"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	cfg, err := os.ReadFile(filepath.Join(m[1], "aws", "config"))
	require.NoError(t, err)
	assert.Contains(t, string(cfg), "[profile staging]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:")
}

// TestDemoIgnoresTheUsersAWSEnvironment plays the demo with a user's real
// AWS settings in the environment: none of them may take the CLI away from
// the fake accounts.
func TestDemoIgnoresTheUsersAWSEnvironment(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_PROFILE":                 "work",
		"AWS_DEFAULT_PROFILE":         "work",
		"AWS_ACCESS_KEY_ID":           "AKIAREALUSERKEY00000",
		"AWS_SECRET_ACCESS_KEY":       "real-secret",
		"AWS_SESSION_TOKEN":           "real-token",
		"AWS_ENDPOINT_URL":            "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_IAM":        "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_STS":        "http://127.0.0.1:1",
		"AWS_REGION":                  "eu-west-3",
		"AWS_DEFAULT_REGION":          "eu-west-3",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_MAX_ATTEMPTS":            "1",
		"MFA_DEVICE":                  "arn:aws:iam::999999999999:mfa/someone-else",
		"IAMKIT_SIGNIN_ENDPOINT":      "http://127.0.0.1:1/federation",
	} {
		t.Setenv(k, v)
	}
	e := newEnv(t)
	e.a.getenv = os.Getenv // the real environment, as main has it
	require.Equal(t, exitOK, e.run("demo"), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "That is the story so far.")
}

// TestDemoGoesOverTheWire proves the chapters' commands reach the account
// through SDK clients that sign their requests: with a wrong secret in the
// demo's credentials file, the server refuses onboarding as AWS would,
// and the account is left unchanged.
func TestDemoGoesOverTheWire(t *testing.T) {
	e := newEnv(t)
	var out bytes.Buffer
	d, closeDemo, err := newDemo(&out, e.a, t.TempDir())
	require.NoError(t, err)
	defer closeDemo()
	creds, err := os.ReadFile(d.credentialsPath())
	require.NoError(t, err)
	bad := strings.Replace(string(creds), d.profiles[0].secret, "not-the-secret", 1)
	require.NotEqual(t, string(creds), bad)
	require.NoError(t, os.WriteFile(d.credentialsPath(), []byte(bad), 0o600))

	err = d.play(context.Background(), []chapter{
		{"An AWS account, served in this process", (*demo).account}, // seeds with srv.Config(): unaffected
		{"Onboard a person", (*demo).onboard},
	})
	require.Error(t, err)
	assert.Contains(t, out.String(), "SignatureDoesNotMatch")
	assert.Zero(t, d.acct.Calls("iam:CreateUser"), "a request with a bad signature never reaches the account")
}

// TestDemoImportsNoInternalFakes checks that the demo reaches the fake
// accounts only through iamkittest (their public door) and the wire.
func TestDemoImportsNoInternalFakes(t *testing.T) {
	files, err := filepath.Glob("demo*.go")
	require.NoError(t, err)
	var checked int
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		checked++
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			assert.False(t, strings.Contains(path, "/internal/fakes"), "%s imports %s", f, path)
		}
	}
	assert.GreaterOrEqual(t, checked, 6)
}
