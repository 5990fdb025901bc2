package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
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

// iamkit mfa credential-process, run by the SDK's own processcreds provider
// from a config file's credential_process line: the MFA session is obtained
// (the code from mfa_process), cached in the credentials file, and handed
// to the SDK, whose client then works against the server. Not parallel:
// the SDK runs the command with this process's environment (t.Setenv).
func TestIAMKitCredentialProcess(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	acct := w.srv.Account()
	res, err := iamuser.New(iam.NewFromConfig(w.cfg)).Onboard(ctx, iamuser.Spec{UserName: "dana", AccessKey: true, NoConsole: true})
	require.NoError(t, err)
	seed, ok := acct.MFASeed(res.MFASerial)
	require.True(t, ok)
	acct.Clock().Advance(30 * time.Second) // the pairing codes are spent
	code := iamkittest.TOTP(seed, acct.Clock().Now())

	credFile, cfgFile := w.env["AWS_SHARED_CREDENTIALS_FILE"], w.env["AWS_CONFIG_FILE"]
	longTerm := "[dev-long-term]\naws_access_key_id = " + res.AccessKeyID + "\naws_secret_access_key = " + res.SecretAccessKey +
		"\naws_mfa_device = " + res.MFASerial + "\n"
	require.NoError(t, os.WriteFile(credFile, []byte(longTerm), 0o600))
	line := "credential_process = " + bin(t, iamkitBin) + " mfa credential-process --profile dev\n"
	region := "region = " + acct.Region() + "\n"
	require.NoError(t, os.WriteFile(cfgFile, []byte("[profile dev]\n"+region+"mfa_process = echo "+code+"\n\n[profile dev-mfa]\n"+region+line), 0o600))

	// The command inherits this environment: the server's endpoint, the
	// files, and no keys of its own.
	for k, v := range w.env {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	load := func() aws.Config {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile("dev-mfa"),
			config.WithSharedConfigFiles([]string{cfgFile}), config.WithSharedCredentialsFiles([]string{credFile}))
		require.NoError(t, err)
		return cfg
	}

	acct.ResetCalls()
	cfg := load()
	before := acct.Clock().Now() // the server's clock runs: bracket the issue time
	creds, err := cfg.Credentials.Retrieve(ctx)
	require.NoError(t, err)
	after := acct.Clock().Now()
	assert.Equal(t, "ProcessProvider", creds.Source)
	assert.True(t, strings.HasPrefix(creds.AccessKeyID, "ASIA"), creds.AccessKeyID)
	assert.NotEmpty(t, creds.SessionToken)
	assert.True(t, creds.CanExpire)
	// Expiration is ISO 8601 to the second: issued between before and after.
	assert.False(t, creds.Expires.Before(before.Add(12*time.Hour).Truncate(time.Second)), "expires %v, issued after %v", creds.Expires, before)
	assert.False(t, creds.Expires.After(after.Add(12*time.Hour)), "expires %v, issued before %v", creds.Expires, after)
	issued, ok := acct.Issued(creds.AccessKeyID)
	require.True(t, ok)
	assert.True(t, issued.MFA)
	assert.Equal(t, 1, acct.Calls("sts:GetSessionToken"))

	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, res.UserARN, aws.ToString(who.Arn))

	// A new process, a new SDK: the session cached in [dev] is handed
	// over without another STS call.
	acct.ResetCalls()
	again, err := load().Credentials.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, creds.AccessKeyID, again.AccessKeyID)
	assert.Zero(t, acct.Calls("sts:GetSessionToken"))

	// No cached session, no mfa_process, no terminal (a new session has
	// none): a non-zero exit, the reason on stderr, nothing on stdout.
	require.NoError(t, os.WriteFile(credFile, []byte(longTerm), 0o600))
	require.NoError(t, os.WriteFile(cfgFile, []byte("[profile dev]\n"+region+"\n[profile dev-mfa]\n"+region+line), 0o600))
	cctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin(t, iamkitBin), "mfa", "credential-process", "--profile", "dev")
	cmd.Env = w.environ(map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode())
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), "[dev] must be refreshed (missing) and no terminal to ask for the MFA code on (/dev/tty)")
	_, err = load().Credentials.Retrieve(ctx)
	require.Error(t, err, "the SDK reports the failed credential_process")
}
