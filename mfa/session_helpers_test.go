package mfa_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// world is a fake account with one IAM user (alice: an access key and an
// enabled virtual MFA device), two roles, and a temporary ~/.aws.
type world struct {
	t        testing.TB
	acct     *fakes.Account
	dir      string
	credPath string
	cfgPath  string
	env      map[string]string

	keyID, secret string
	serial, seed  string
	adminRole     string // MaxSessionDuration 12 h
	readOnlyRole  string // MaxSessionDuration 1 h

	mu      sync.Mutex
	regions []string // regions NewSTS was asked for
}

const trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := acct.IAM()
	w := &world{t: t, acct: acct, dir: t.TempDir()}

	_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	key, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	w.keyID, w.secret = aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	dev, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	require.NoError(t, err)
	w.serial, w.seed = aws.ToString(dev.VirtualMFADevice.SerialNumber), string(dev.VirtualMFADevice.Base32StringSeed)
	require.NoError(t, mfa.Enable(ctx, api, acct.Clock(), "alice", w.serial, w.seed))
	acct.Clock().Advance(mfa.Period) // the pairing codes are spent

	admin, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Admin"), AssumeRolePolicyDocument: aws.String(trustDoc), MaxSessionDuration: aws.Int32(43200)})
	require.NoError(t, err)
	w.adminRole = aws.ToString(admin.Role.Arn)
	ro, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ReadOnly"), AssumeRolePolicyDocument: aws.String(trustDoc)})
	require.NoError(t, err)
	w.readOnlyRole = aws.ToString(ro.Role.Arn)

	w.credPath = filepath.Join(w.dir, ".aws", "credentials")
	w.cfgPath = filepath.Join(w.dir, ".aws", "config")
	require.NoError(t, os.MkdirAll(filepath.Dir(w.credPath), 0o700))
	w.env = map[string]string{
		"HOME": w.dir, "USER": "alice",
		"AWS_SHARED_CREDENTIALS_FILE": w.credPath, "AWS_CONFIG_FILE": w.cfgPath,
	}
	return w
}

func (w *world) getenv(k string) string { return w.env[k] }

// longTerm is an aws-mfa long-term section for profile.
func (w *world) longTerm(profile string, extra ...string) string {
	s := "[" + profile + "-long-term]\naws_access_key_id = " + w.keyID + "\naws_secret_access_key = " + w.secret + "\naws_mfa_device = " + w.serial + "\n"
	for _, e := range extra {
		s += e + "\n"
	}
	return s
}

func (w *world) writeCreds(content string) {
	w.t.Helper()
	require.NoError(w.t, os.WriteFile(w.credPath, []byte(content), 0o600))
}

func (w *world) writeConfig(content string) {
	w.t.Helper()
	require.NoError(w.t, os.WriteFile(w.cfgPath, []byte(content), 0o600))
}

func (w *world) creds() string {
	w.t.Helper()
	b, err := os.ReadFile(w.credPath)
	require.NoError(w.t, err)
	return string(b)
}

// phone plays the person's authenticator: the code it shows now.
func (w *world) phone() mfa.TokenSource {
	return mfa.TokenFunc(func(context.Context, mfa.TokenRequest) (string, error) {
		return fakes.TOTP(w.seed, w.acct.Clock().Now()), nil
	})
}

func (w *world) newSTS(c aws.Credentials, region string) mfa.STSAPI {
	w.mu.Lock()
	w.regions = append(w.regions, region)
	w.mu.Unlock()
	return w.acct.STSAs(c.AccessKeyID)
}

// req is a request for profile whose code comes from the phone.
func (w *world) req(profile string) mfa.SessionRequest {
	return mfa.SessionRequest{Profile: profile, Token: w.phone()}
}

// options are the world's dependencies: its STS, clock and environment,
// then extra.
func (w *world) options(extra ...mfa.Option) []mfa.Option {
	return append([]mfa.Option{mfa.WithSTS(w.newSTS), mfa.WithClock(w.acct.Clock()), mfa.WithGetenv(w.getenv)}, extra...)
}

func (w *world) stsCalls() int {
	return w.acct.Calls("sts:GetSessionToken") + w.acct.Calls("sts:AssumeRole")
}

// section returns the key = value lines of section in the file, trimmed.
func section(content, name string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			in = trimmed == "["+name+"]"
			continue
		}
		if in && trimmed != "" && !strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(trimmed, ";") {
			out = append(out, trimmed)
		}
	}
	return out
}
