package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// mfaEnv is the CLI on a fake account with alice (access key, enabled MFA)
// and a temporary ~/.aws holding [dev-long-term].
type mfaEnv struct {
	*env
	vars     map[string]string
	credPath string
	seed     string
	serial   string
}

func newMFAEnv(t *testing.T) *mfaEnv {
	t.Helper()
	ctx := context.Background()
	e := &mfaEnv{env: newEnv(t), vars: map[string]string{}}
	api := e.acct.IAM()
	_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	key, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	dev, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	require.NoError(t, err)
	e.serial, e.seed = aws.ToString(dev.VirtualMFADevice.SerialNumber), string(dev.VirtualMFADevice.Base32StringSeed)
	require.NoError(t, mfa.Enable(ctx, api, e.acct.Clock(), "alice", e.serial, e.seed))
	e.acct.Clock().Advance(mfa.Period)

	dir := t.TempDir()
	e.credPath = filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(e.credPath, []byte("# mine\n[dev-long-term]\naws_access_key_id = "+aws.ToString(key.AccessKey.AccessKeyId)+
		"\naws_secret_access_key = "+aws.ToString(key.AccessKey.SecretAccessKey)+"\naws_mfa_device = "+e.serial+"\n"), 0o600))
	e.vars["AWS_SHARED_CREDENTIALS_FILE"] = e.credPath
	e.vars["AWS_CONFIG_FILE"] = filepath.Join(dir, "config")
	e.a.getenv = func(k string) string { return e.vars[k] }
	e.a.newSTS = func(context.Context) (mfa.STSFactory, error) {
		return func(c aws.Credentials, _ string) mfa.STSAPI { return e.acct.STSAs(c.AccessKeyID) }, nil
	}
	return e
}

func TestMFASessionCommand(t *testing.T) {
	e := newMFAEnv(t)
	code := fakes.TOTP(e.seed, e.acct.Clock().Now())
	require.Equal(t, exitOK, e.run("mfa", "session", "--profile", "dev", "--token", code), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "Wrote [dev] (session token) to "+e.credPath+"; it expires in 12h0m0s")
	b, err := os.ReadFile(e.credPath)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "# mine\n[dev-long-term]\n"))
	assert.Contains(t, string(b), "\n[dev]\nassumed_role = False\n")
	assert.NotContains(t, e.stdout.String()+e.stderr.String(), code)

	// Still valid: nothing called.
	require.Equal(t, exitOK, e.run("mfa", "session", "--profile", "dev"))
	assert.Contains(t, e.stdout.String(), "[dev] is still valid for 12h0m0s")
	assert.Equal(t, 1, e.acct.Calls("sts:GetSessionToken"))

	// Forced, the code read from stdin, after waiting for a fresh one.
	e.stdin.Reset(fakes.TOTP(e.seed, mfa.NextStep(e.acct.Clock().Now())) + "\n")
	require.Equal(t, exitOK, e.run("mfa", "session", "--profile", "dev", "--force"), e.stderr.String())
	assert.Contains(t, e.stderr.String(), "Enter AWS MFA code for device ["+e.serial+"] (renewing for 43200 seconds): ")

	// Dry run with AWS_PROFILE.
	e.vars["AWS_PROFILE"] = "dev"
	require.Equal(t, exitOK, e.run("mfa", "session", "--dry-run", "--force", "--duration", "3600"))
	assert.Contains(t, e.stdout.String(), "[dev] forced: GetSessionToken for 1h0m0s")
	e.stdout.Reset()
	require.Equal(t, exitOK, e.run("mfa", "session", "--dry-run", "--force", "--duration", "90m"))
	assert.Contains(t, e.stdout.String(), "[dev] forced: GetSessionToken for 1h30m0s", "Go duration syntax")

	// Bad input: exit 2 (usage) or 1, file untouched.
	before, _ := os.ReadFile(e.credPath)
	assert.Equal(t, exitUsage, e.run("mfa", "session", "--token", "12"))
	assert.Equal(t, exitUsage, e.run("mfa", "session", "--duration", "soon"))
	for _, junk := range []string{"3600junk", "1h junk", "-3600", "99999999999999999999"} {
		e.stderr.Reset()
		assert.Equal(t, exitUsage, e.run("mfa", "session", "--duration", junk), junk)
		assert.Contains(t, e.stderr.String(), "flag -duration", junk)
	}
	e.stderr.Reset()
	assert.Equal(t, exitUsage, e.run("mfa", "session", "--duration", "1s"))
	assert.Contains(t, e.stderr.String(), "1s is outside STS's limits", "the value as given, not \"1 seconds\"")
	assert.Equal(t, exitUsage, e.run("mfa", "session", "--force", "--duration", "60", "--token", "123456"))
	assert.Contains(t, e.stderr.String(), "outside STS's limits")
	// Within STS's limits but beyond a role's: refused once the profile is read.
	assert.Equal(t, exitUsage, e.run("mfa", "session", "--force", "--assume-role", "arn:aws:iam::123456789012:role/admin", "--duration", "50000", "--token", "123456"))
	assert.Contains(t, e.stderr.String(), "invalid session duration")
	after, _ := os.ReadFile(e.credPath)
	assert.Equal(t, before, after)
}

func TestMFAAuditCommand(t *testing.T) {
	e := newMFAEnv(t)
	e.acct.SetRootMFA(true)
	ctx := context.Background()
	_, err := e.acct.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	_, err = e.acct.IAM().CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Correct-Horse-9")})
	require.NoError(t, err)

	require.Equal(t, exitOK, e.run("mfa", "audit"), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "bob   true     0            2026-01-15  credential-report")
	assert.Contains(t, e.stdout.String(), "1 identities without MFA.")

	require.Equal(t, exitOK, e.run("mfa", "audit", "--json", "--source", "listing"))
	var f mfa.Finding
	require.NoError(t, json.Unmarshal(e.stdout.Bytes(), &f))
	assert.Equal(t, "bob", f.User)
	assert.Equal(t, mfa.SourceListing, f.Source)

	assert.Equal(t, exitUsage, e.run("mfa", "audit", "--source", "magic"))
	require.Equal(t, exitOK, e.run("mfa", "--help"))
	assert.Contains(t, e.stdout.String(), "session")
}
