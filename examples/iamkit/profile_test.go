package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamkittest"
)

// ttyReader is stdin that says it is a terminal.
type ttyReader struct{ *strings.Reader }

func (ttyReader) IsTerminal() bool { return true }

// mfaProfileWorld is an iamkittest server with an IAM user (dana: access
// key, MFA device) and a role she may assume, and a shared config file in
// a temporary directory with MFA-protected role profiles, named by
// AWS_CONFIG_FILE: the SDK's own credential providers (shared config,
// stscreds) resolve them against the server.
type mfaProfileWorld struct {
	t       *testing.T
	srv     *iamkittest.Server
	seed    string
	serial  string
	roleARN string
	config  string
	keyID   string
	secret  string
}

func newMFAProfileWorld(t *testing.T) *mfaProfileWorld {
	t.Helper()
	ctx := t.Context()
	srv := iamkittest.NewServer(t)
	w := &mfaProfileWorld{t: t, srv: srv}
	client := iam.NewFromConfig(srv.Config())
	_, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dana")})
	require.NoError(t, err)
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dana")})
	require.NoError(t, err)
	dev, err := client.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("dana")})
	require.NoError(t, err)
	w.seed, w.serial = string(dev.VirtualMFADevice.Base32StringSeed), aws.ToString(dev.VirtualMFADevice.SerialNumber)
	clock := srv.Account().Clock()
	_, err = client.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("dana"), SerialNumber: aws.String(w.serial),
		AuthenticationCode1: aws.String(iamkittest.TOTP(w.seed, clock.Now().Add(-30*time.Second))), AuthenticationCode2: aws.String(iamkittest.TOTP(w.seed, clock.Now()))})
	require.NoError(t, err)
	role, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Admin"), MaxSessionDuration: aws.Int32(43200),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + srv.Account().ID() + `:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)})
	require.NoError(t, err)
	w.roleARN = aws.ToString(role.Role.Arn)

	dir := t.TempDir()
	w.config = filepath.Join(dir, "config")
	w.keyID, w.secret = aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	w.writeConfig("")
	empty := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": w.config, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_ENDPOINT_URL": srv.URL(),
		// The SDK resolves AWS_ENDPOINT_URL after the credentials: the STS
		// client of its assume-role provider reads the STS one only.
		"AWS_ENDPOINT_URL_STS":      srv.URL(),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_SESSION_TOKEN": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		signinEndpointEnv: srv.URL() + "/federation",
	} {
		t.Setenv(k, v)
	}
	clock.Advance(time.Minute) // past the codes used to enable the device
	return w
}

// writeConfig writes the shared config: base (dana's keys), admin (the
// role with dana's MFA device), admin-proc (the same with an mfa_process
// printing process's code, if any).
func (w *mfaProfileWorld) writeConfig(process string) {
	w.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n\n", w.keyID, w.secret, w.srv.Account().Region())
	fmt.Fprintf(&b, "[profile admin]\nsource_profile = base\nrole_arn = %s\nmfa_serial = %s\nregion = %s\n\n", w.roleARN, w.serial, w.srv.Account().Region())
	fmt.Fprintf(&b, "[profile admin-proc]\nsource_profile = base\nrole_arn = %s\nmfa_serial = %s\nregion = %s\n", w.roleARN, w.serial, w.srv.Account().Region())
	if process != "" {
		fmt.Fprintf(&b, "mfa_process = %s\n", process)
	}
	require.NoError(w.t, os.WriteFile(w.config, []byte(b.String()), 0o600))
}

// code returns the device's code now and moves the clock on a step, so the
// next code is a fresh one (the server refuses a code used twice).
func (w *mfaProfileWorld) code() string {
	c := iamkittest.TOTP(w.seed, w.srv.Account().Clock().Now())
	w.srv.Account().Clock().Advance(30 * time.Second)
	return c
}

// identity resolves profile with a, and returns the caller ARN of its
// credentials and whether STS issued them with MFA.
func (w *mfaProfileWorld) identity(a *app, profile string, extra ...func(*config.LoadOptions) error) (string, bool, error) {
	cfg, err := a.loadAWSConfig(w.t.Context(), profile, extra...)
	if err != nil {
		return "", false, err
	}
	creds, err := cfg.Credentials.Retrieve(w.t.Context())
	if err != nil {
		return "", false, err
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(w.t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", false, err
	}
	issued, _ := w.srv.Account().Issued(creds.AccessKeyID)
	return aws.ToString(out.Arn), issued.MFA, nil
}

func TestMFARoleProfiles(t *testing.T) {
	w := newMFAProfileWorld(t)
	assumed := "arn:aws:sts::" + w.srv.Account().ID() + ":assumed-role/Admin/"

	// No token, no mfa_process, no terminal: a clear error, not the SDK's.
	var stderr bytes.Buffer
	a := newApp(strings.NewReader(""), &bytes.Buffer{}, &stderr)
	_, _, err := w.identity(a, "admin")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "profile admin assumes a role with MFA device "+w.serial)
	assert.Contains(t, err.Error(), "--mfa-token")
	assert.NotContains(t, err.Error(), "AssumeRoleTokenProvider session option not set")
	assert.Zero(t, w.srv.Account().Calls("sts:AssumeRole"), "nothing was asked of STS")

	// --mfa-token.
	arn, withMFA, err := w.identity(a, "admin", a.withProfileMFA("admin", w.code()))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(arn, assumed), arn)
	assert.True(t, withMFA, "AssumeRole carried the MFA code")

	// A prompt on the terminal.
	stderr.Reset()
	a = newApp(ttyReader{strings.NewReader(w.code() + "\n")}, &bytes.Buffer{}, &stderr)
	arn, withMFA, err = w.identity(a, "admin")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(arn, assumed), arn)
	assert.True(t, withMFA)
	assert.Contains(t, stderr.String(), "Enter AWS MFA code for device ["+w.serial+"]")

	// mfa_process of the profile (written now: the code is time-based).
	w.writeConfig("printf " + w.code())
	a = newApp(strings.NewReader(""), &bytes.Buffer{}, &stderr)
	arn, withMFA, err = w.identity(a, "admin-proc")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(arn, assumed), arn)
	assert.True(t, withMFA)

	// A failing mfa_process says so.
	w.writeConfig("sh -c 'echo locked >&2; exit 3'")
	_, _, err = w.identity(a, "admin-proc")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mfa_process")
	assert.Contains(t, err.Error(), "locked")
}

// The commands that load profiles — console --profile, trust --profiles —
// work with MFA role profiles, through the real dispatcher and the SDK.
func TestMFARoleProfilesInCommands(t *testing.T) {
	w := newMFAProfileWorld(t)
	run := func(stdin string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		a := newApp(strings.NewReader(stdin), &stdout, &stderr)
		code := a.run(t.Context(), args)
		return code, stdout.String(), stderr.String()
	}

	code, out, errOut := run("", "console", "--profile", "admin")
	assert.Equal(t, exitFailed, code, errOut)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "profile admin assumes a role with MFA device "+w.serial+": no MFA code: pass --mfa-token CODE")

	code, _, errOut = run("", "console", "--profile", "admin", "--mfa-token", "12345")
	assert.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, "--mfa-token: MFA code must be 6 digits")

	code, out, errOut = run("", "console", "--profile", "admin", "--mfa-token", w.code())
	require.Equal(t, exitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, w.srv.URL()+"/federation?Action=login"), out)
	assert.Contains(t, errOut, "assumed-role")

	w.writeConfig("printf " + w.code())
	code, out, errOut = run("", "trust", "show", "--role", "Admin", "--profiles", "admin-proc")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "aws:MultiFactorAuthPresent")

	// trust --profiles with --mfa-token: one profile, a valid code.
	code, out, errOut = run("", "trust", "show", "--role", "Admin", "--profiles", "admin", "--mfa-token", w.code())
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "aws:MultiFactorAuthPresent")
	calls := w.srv.Account().Calls("sts:AssumeRole")
	for _, bad := range [][]string{
		{"--profiles", "admin,admin-proc", "--mfa-token", "123456"},
		{"--mfa-token", "123456"},
		{"--profiles", "admin", "--mfa-token", "12345"},
	} {
		code, _, errOut = run("", append([]string{"trust", "show", "--role", "Admin"}, bad...)...)
		assert.Equal(t, exitUsage, code, errOut)
		assert.Contains(t, errOut, "--mfa-token", bad)
	}
	assert.Equal(t, calls, w.srv.Account().Calls("sts:AssumeRole"), "nothing asked of STS on bad input")
}
