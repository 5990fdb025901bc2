package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamkittest"
)

// The iamkit binary with a shared config file holding an MFA-protected
// role profile (source_profile + role_arn + mfa_serial): without a code and
// without a terminal it says what to do; with --mfa-token it signs in;
// --json describes the sign-in without its URL.
func TestIAMKitConsoleMFAProfile(t *testing.T) {
	t.Parallel()
	if !binaryMentions(t, iamkitBin, "mfa-token") {
		t.Skip("iamkit console has no --mfa-token yet (issue 13)")
	}
	w := newWorld(t)
	acct := w.srv.Account()
	ctx := t.Context()
	client := iam.NewFromConfig(w.cfg)
	_, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dana")})
	require.NoError(t, err)
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dana")})
	require.NoError(t, err)
	dev, err := client.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("dana")})
	require.NoError(t, err)
	seed, serial := string(dev.VirtualMFADevice.Base32StringSeed), aws.ToString(dev.VirtualMFADevice.SerialNumber)
	now := acct.Clock().Now()
	_, err = client.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("dana"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(iamkittest.TOTP(seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(iamkittest.TOTP(seed, now))})
	require.NoError(t, err)
	acct.Clock().Advance(time.Minute)
	roleARN := w.createRole("Admin", map[string]any{"AWS": "arn:aws:iam::" + acct.ID() + ":root"})

	dir := filepath.Join(w.home, "mfa-profile")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(credFile, nil, 0o600))
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(
		"[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n\n[profile admin]\nsource_profile = base\nrole_arn = %s\nmfa_serial = %s\nregion = %s\n",
		aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), acct.Region(), roleARN, serial, acct.Region())), 0o600))
	env := map[string]string{
		"AWS_CONFIG_FILE": cfgFile, "AWS_SHARED_CREDENTIALS_FILE": credFile,
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		// The SDK's assume-role provider is built before AWS_ENDPOINT_URL is
		// applied; it reads the STS one.
		"AWS_ENDPOINT_URL_STS":   w.srv.URL(),
		"IAMKIT_SIGNIN_ENDPOINT": w.srv.URL() + "/federation",
	}

	r := w.run(iamkitBin, env, "", "console", "--profile", "admin")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "profile admin assumes a role with MFA device "+serial+": no MFA code: pass --mfa-token CODE")
	assert.NotContains(t, r.stderr, "AssumeRoleTokenProvider")

	code := func() string {
		c := iamkittest.TOTP(seed, acct.Clock().Now())
		acct.Clock().Advance(30 * time.Second)
		return c
	}
	r = w.run(iamkitBin, env, "", "console", "--profile", "admin", "--mfa-token", code())
	require.Equal(t, 0, r.code, r)
	assert.True(t, strings.HasPrefix(r.stdout, w.srv.URL()+"/federation?Action=login"), r.stdout)

	r = w.run(iamkitBin, env, "", "console", "--profile", "admin", "--mfa-token", code(), "--json")
	require.Equal(t, 0, r.code, r)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	assert.Equal(t, "assumed-role", out["kind"])
	assert.Contains(t, out["url_redacted"], "SigninToken=REDACTED")
	assert.Equal(t, strings.Count(r.stdout, "SigninToken="), strings.Count(r.stdout, "SigninToken=REDACTED"))
}
