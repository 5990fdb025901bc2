package e2e

import (
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
	"github.com/iamkit/iamkit/iamuser"
)

// iamkit mfa session, the aws-mfa way: the long-term keys of an IAM user
// with an MFA device sign GetSessionToken with a code the test computes
// from the device's seed (the server checks it), and the session
// credentials written to [default] then work against the server.
func TestIAMKitMFASession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	acct := w.srv.Account()
	res, err := iamuser.New(iam.NewFromConfig(w.cfg)).Onboard(ctx, iamuser.Spec{UserName: "carol", AccessKey: true, NoConsole: true})
	require.NoError(t, err)
	require.NotEmpty(t, res.MFASerial)
	require.NotEmpty(t, res.AccessKeyID)
	seed, ok := acct.MFASeed(res.MFASerial)
	require.True(t, ok)

	credFile := w.env["AWS_SHARED_CREDENTIALS_FILE"]
	longTerm := "# carol's long-term keys\n[default-long-term]\naws_access_key_id = " + res.AccessKeyID +
		"\naws_secret_access_key = " + res.SecretAccessKey + "\naws_mfa_device = " + res.MFASerial + "\n"
	require.NoError(t, os.WriteFile(credFile, []byte(longTerm), 0o600))
	require.NoError(t, os.WriteFile(w.env["AWS_CONFIG_FILE"], []byte("[default]\nregion = "+acct.Region()+"\n"), 0o600))

	// Enabling the device used the codes of the current 30-second step
	// and the one before; a code is good once. Move the account's clock
	// one step on (well within SigV4's clock-skew allowance) and answer
	// with the code the device shows then.
	acct.Clock().Advance(30 * time.Second)
	code := iamkittest.TOTP(seed, acct.Clock().Now())

	acct.ResetCalls()
	// No key in the environment: only the file's long-term keys can sign.
	r := w.run(iamkitBin, map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "", "mfa", "session", "--token", code)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, acct.Calls("sts:GetSessionToken"))
	t.Logf("mfa session: %s", acct.CallSummary())
	assert.NotContains(t, r.stdout+r.stderr, res.SecretAccessKey, "no secret is printed")

	data, err := os.ReadFile(credFile)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), longTerm), "the long-term section is kept byte for byte:\n%s", data)
	fi, err := os.Stat(credFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// [default] now holds session credentials the account's STS issued
	// for carol, with MFA; a client built from the file alone works.
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithSharedCredentialsFiles([]string{credFile}),
		config.WithSharedConfigFiles([]string{filepath.Join(w.home, "nonexistent")}),
		config.WithSharedConfigProfile("default"),
		config.WithRegion(acct.Region()),
		config.WithBaseEndpoint(w.srv.URL()),
	)
	require.NoError(t, err)
	creds, err := cfg.Credentials.Retrieve(ctx)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(creds.AccessKeyID, "ASIA"), creds.AccessKeyID)
	assert.NotEmpty(t, creds.SessionToken)
	issued, ok := acct.Issued(creds.AccessKeyID)
	require.True(t, ok, "the session key was issued by the account's STS")
	assert.True(t, issued.MFA)

	acct.ResetCalls()
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, res.UserARN, aws.ToString(who.Arn))
	assert.Equal(t, 1, acct.Calls("sts:GetCallerIdentity"))

	// Still valid: a second run sends nothing.
	acct.ResetCalls()
	r = w.run(iamkitBin, map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "", "mfa", "session")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 0, acct.Calls("sts:GetSessionToken"), r.String())
}
