package iamuser_test

import (
	"bytes"
	"image/png"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOnboardCreatesEverything(t *testing.T) {
	e := newEnv(t, "developers", "readers")
	start := e.acct.Clock().Now()
	key := sshKey(t)
	res, err := e.m.Onboard(t.Context(), iamuser.Spec{
		UserName:            "alice",
		Path:                "/staff/",
		Tags:                map[string]string{"team": "infra"},
		PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess",
		Groups:              []string{"developers", "readers"},
		AccessKey:           true,
		SSHPublicKeys:       []string{key},
	})
	require.NoError(t, err)

	// Never waited for a TOTP step: the fake clock did not move.
	assert.Equal(t, start, e.acct.Clock().Now())

	assert.Equal(t, "arn:aws:iam::123456789012:user/staff/alice", res.UserARN)
	assert.Equal(t, "123456789012", res.AccountID)
	assert.Equal(t, "https://123456789012.signin.aws.amazon.com/console", res.SignInURL)

	got, err := e.iam.GetUser(t.Context(), &iam.GetUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::aws:policy/PowerUserAccess", aws.ToString(got.User.PermissionsBoundary.PermissionsBoundaryArn))
	require.Len(t, got.User.Tags, 1)
	assert.Equal(t, "team", aws.ToString(got.User.Tags[0].Key))

	// Password: the one IAM holds, reset required, satisfying the default policy.
	pw, ok := e.acct.Password("alice")
	require.True(t, ok)
	assert.Equal(t, pw, res.Password)
	assert.GreaterOrEqual(t, len(res.Password), 20)
	assert.NoError(t, iamuser.CheckPassword(nil, res.Password))
	lp, err := e.iam.GetLoginProfile(t.Context(), &iam.GetLoginProfileInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.True(t, lp.LoginProfile.PasswordResetRequired)

	// MFA enabled, with the seed IAM generated.
	mfas, err := e.iam.ListMFADevices(t.Context(), &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, mfas.MFADevices, 1)
	assert.Equal(t, res.MFASerial, aws.ToString(mfas.MFADevices[0].SerialNumber))
	seed, _ := e.acct.MFASeed(res.MFASerial)
	assert.Equal(t, seed, res.MFASeed)
	u, err := url.Parse(res.OTPAuthURI)
	require.NoError(t, err)
	assert.Equal(t, "otpauth", u.Scheme)
	assert.Equal(t, seed, u.Query().Get("secret"))
	assert.Equal(t, "Amazon Web Services", u.Query().Get("issuer"))
	_, err = png.Decode(bytes.NewReader(res.QRCodePNG))
	assert.NoError(t, err)

	groups, err := e.iam.ListGroupsForUser(t.Context(), &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Len(t, groups.Groups, 2)

	keys, err := e.iam.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, keys.AccessKeyMetadata, 1)
	assert.Equal(t, res.AccessKeyID, aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId))
	assert.Len(t, res.SecretAccessKey, 40)

	ssh, err := e.iam.ListSSHPublicKeys(t.Context(), &iam.ListSSHPublicKeysInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, ssh.SSHPublicKeys, 1)
	assert.Equal(t, res.SSHPublicKeyIDs, []string{aws.ToString(ssh.SSHPublicKeys[0].SSHPublicKeyId)})

	// Secrets stay out of String and LogValue.
	for _, s := range []string{res.String(), res.LogValue().String()} {
		assert.NotContains(t, s, res.Password)
		assert.NotContains(t, s, res.MFASeed)
		assert.NotContains(t, s, res.SecretAccessKey)
	}
}

func TestOnboardCallCount(t *testing.T) {
	e := newEnv(t, "developers")
	_, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "bob", Groups: []string{"developers"}})
	require.NoError(t, err)
	// GetGroup, CreateUser, GetAccountPasswordPolicy, CreateLoginProfile,
	// CreateVirtualMFADevice, EnableMFADevice, AddUserToGroup, and UntagUser
	// (the run's record, set in CreateUser's tags, goes once it succeeded).
	assert.Equal(t, 8, e.acct.CallsWithPrefix("iam:"), e.acct.CallSummary())
	assert.Equal(t, 1, e.acct.Calls("iam:EnableMFADevice"))
}

func TestOnboardBadInputCreatesNothing(t *testing.T) {
	tests := []struct {
		name string
		spec iamuser.Spec
		want string
	}{
		{"empty name", iamuser.Spec{}, "user name"},
		{"space", iamuser.Spec{UserName: "bad name"}, "user name"},
		{"65 chars", iamuser.Spec{UserName: string(bytes.Repeat([]byte("a"), 65))}, "at most 64"},
		{"slash", iamuser.Spec{UserName: "a/b"}, "user name"},
		{"bad path", iamuser.Spec{UserName: "carol", Path: "staff"}, "path"},
		{"aws: tag", iamuser.Spec{UserName: "carol", Tags: map[string]string{"aws:x": "1"}}, "tag key"},
		{"bad boundary", iamuser.Spec{UserName: "carol", PermissionsBoundary: "PowerUser"}, "permissions boundary"},
		{"bad group name", iamuser.Spec{UserName: "carol", Groups: []string{"a b"}}, "groups[0]"},
		{"duplicate group", iamuser.Spec{UserName: "carol", Groups: []string{"developers", "Developers"}}, "twice"},
		{"missing group", iamuser.Spec{UserName: "carol", Groups: []string{"developers", "nope"}}, "no such IAM group"},
		{"bad ssh key", iamuser.Spec{UserName: "carol", SSHPublicKeys: []string{"ssh-rsa AAAAnotakey"}}, "SSH public key 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "developers")
			_, err := e.m.Onboard(t.Context(), tt.spec)
			var ve *iamuser.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, err.Error(), tt.want)
			assert.Zero(t, e.acct.Calls("iam:CreateUser"), "nothing may be created for bad input")
		})
	}
}

func TestOnboardPasswordPolicies(t *testing.T) {
	tests := []struct {
		name   string
		policy *iam.UpdateAccountPasswordPolicyInput
		minLen int
	}{
		{"no policy", nil, 20},
		{"short minimum", &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8), RequireSymbols: true}, 20},
		{"everything required", &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14), RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true}, 20},
		{"long minimum", &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(64), RequireNumbers: true}, 64},
		{"maximum", &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(128)}, 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.policy != nil {
				_, err := e.iam.UpdateAccountPasswordPolicy(t.Context(), tt.policy)
				require.NoError(t, err)
			}
			res, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "dave"})
			require.NoError(t, err) // the fake enforces the policy on CreateLoginProfile
			assert.Len(t, res.Password, tt.minLen)
		})
	}
}

func TestOnboardWaitsOutEventualConsistency(t *testing.T) {
	e := newEnv(t)
	e.acct.SetConsistencyWindow(3 * time.Second)
	start := e.acct.Clock().Now()
	res, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "erin", AccessKey: true})
	require.NoError(t, err)
	assert.NotEmpty(t, res.Password)
	waited := e.acct.Clock().Now().Sub(start)
	assert.GreaterOrEqual(t, waited, 3*time.Second)
	assert.Less(t, waited, 10*time.Second)
	assert.Greater(t, e.acct.Calls("iam:CreateLoginProfile"), 1)
}

func TestOnboardGivesUpOnLongInconsistency(t *testing.T) {
	e := newEnv(t)
	e.acct.SetConsistencyWindow(time.Hour)
	m := iamuser.New(e.iam, iamuser.WithClock(e.acct.Clock()), iamuser.WithConsistencyRetries(3, time.Second))
	_, err := m.Onboard(t.Context(), iamuser.Spec{UserName: "frank"})
	var se *iamuser.StepError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "login profile", se.Step)
	var nse *types.NoSuchEntityException
	assert.ErrorAs(t, err, &nse)
	assert.Equal(t, 3, e.acct.Calls("iam:CreateLoginProfile"))
}

// Each failure point, then a re-run: the re-run finishes the job and nothing is
// duplicated or left behind.
func TestOnboardResumesAfterFailure(t *testing.T) {
	ops := []string{"iam:CreateLoginProfile", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:AddUserToGroup", "iam:CreateAccessKey", "iam:UploadSSHPublicKey"}
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			e := newEnv(t, "developers")
			spec := iamuser.Spec{UserName: "grace", Groups: []string{"developers"}, AccessKey: true, SSHPublicKeys: []string{sshKey(t)}}
			e.acct.Throttle(op, 1)
			_, err := e.m.Onboard(t.Context(), spec)
			var se *iamuser.StepError
			require.ErrorAs(t, err, &se)
			assert.Contains(t, err.Error(), "Throttling")
			assert.Contains(t, err.Error(), "re-run to resume")

			res, err := e.m.Onboard(t.Context(), spec)
			require.NoError(t, err)
			assert.Equal(t, iamuser.StepExisting, res.Steps[0].Status)

			mfas, err := e.iam.ListMFADevices(t.Context(), &iam.ListMFADevicesInput{UserName: aws.String("grace")})
			require.NoError(t, err)
			assert.Len(t, mfas.MFADevices, 1)
			unassigned, err := e.iam.ListVirtualMFADevices(t.Context(), &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned})
			require.NoError(t, err)
			assert.Empty(t, unassigned.VirtualMFADevices, "no leftover device")
			keys, err := e.iam.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("grace")})
			require.NoError(t, err)
			assert.Len(t, keys.AccessKeyMetadata, 1)
			sshKeys, err := e.iam.ListSSHPublicKeys(t.Context(), &iam.ListSSHPublicKeysInput{UserName: aws.String("grace")})
			require.NoError(t, err)
			assert.Len(t, sshKeys.SSHPublicKeys, 1)

			// And a third run changes nothing.
			e.acct.ResetCalls()
			_, err = e.m.Onboard(t.Context(), spec)
			require.NoError(t, err)
			for _, create := range []string{"iam:CreateVirtualMFADevice", "iam:CreateAccessKey", "iam:EnableMFADevice", "iam:AddUserToGroup"} {
				assert.Zero(t, e.acct.Calls(create), create)
			}
		})
	}
}

func TestOnboardReplacesLeftoverUnassignedDevice(t *testing.T) {
	e := newEnv(t)
	// An interrupted run left the user and an unassigned device behind.
	_, err := e.iam.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("heidi")})
	require.NoError(t, err)
	old, err := e.iam.CreateVirtualMFADevice(t.Context(), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("heidi")})
	require.NoError(t, err)
	oldSeed := string(old.VirtualMFADevice.Base32StringSeed)

	res, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "heidi"})
	require.NoError(t, err)
	assert.Equal(t, iamuser.StepReplaced, res.Steps[2].Status, res.String())
	assert.NotEqual(t, oldSeed, res.MFASeed, "a fresh seed: the old one may have leaked with the half-made bundle")
	assert.Equal(t, 1, e.acct.Calls("iam:DeleteVirtualMFADevice"))
}

func TestOnboardNeverReplacesAnAssignedDevice(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// A device named "newbie" is assigned to someone else.
	_, err := e.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other")})
	require.NoError(t, err)
	dev, err := e.iam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("newbie")})
	require.NoError(t, err)
	seed := string(dev.VirtualMFADevice.Base32StringSeed)
	now := e.acct.Clock().Now()
	_, err = e.iam.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
		UserName: aws.String("other"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(fakes.TOTP(seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(fakes.TOTP(seed, now)),
	})
	require.NoError(t, err)

	_, err = e.m.Onboard(ctx, iamuser.Spec{UserName: "newbie"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "assigned to other")
	assert.Zero(t, e.acct.Calls("iam:DeleteVirtualMFADevice"))
	mfas, err := e.iam.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("other")})
	require.NoError(t, err)
	assert.Len(t, mfas.MFADevices, 1, "the other user's device is untouched")
}

func TestOnboardExistingLoginProfileKept(t *testing.T) {
	e := newEnv(t)
	_, err := e.iam.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("judy")})
	require.NoError(t, err)
	_, err = e.iam.CreateLoginProfile(t.Context(), &iam.CreateLoginProfileInput{UserName: aws.String("judy"), Password: aws.String("Original-Passw0rd")})
	require.NoError(t, err)
	res, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "judy"})
	require.NoError(t, err)
	assert.Empty(t, res.Password)
	pw, _ := e.acct.Password("judy")
	assert.Equal(t, "Original-Passw0rd", pw)
}

func TestOnboardMFARetryOnStepBoundary(t *testing.T) {
	e := newEnv(t)
	e.acct.Inject("iam:EnableMFADevice", fakes.Fault{Times: 1, Err: &types.InvalidAuthenticationCodeException{Message: aws.String("not valid")}})
	start := e.acct.Clock().Now()
	_, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "kim"})
	require.NoError(t, err)
	assert.Equal(t, 2, e.acct.Calls("iam:EnableMFADevice"))
	waited := e.acct.Clock().Now().Sub(start)
	assert.Greater(t, waited, time.Duration(0))
	assert.LessOrEqual(t, waited, 30*time.Second)
}

func TestOnboardNoConsoleNoMFA(t *testing.T) {
	e := newEnv(t)
	res, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "svc-ci", NoConsole: true, NoMFA: true, AccessKey: true})
	require.NoError(t, err)
	assert.Empty(t, res.Password)
	assert.Empty(t, res.MFASerial)
	assert.NotEmpty(t, res.SecretAccessKey)
	assert.Zero(t, e.acct.Calls("iam:CreateLoginProfile"))
	assert.Zero(t, e.acct.Calls("iam:CreateVirtualMFADevice"))
}

func TestOnboardOtherErrorsAreNotRetried(t *testing.T) {
	e := newEnv(t)
	e.acct.Inject("iam:CreateUser", fakes.Fault{Err: &types.LimitExceededException{Message: aws.String("too many users")}})
	_, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "leo"})
	var le *types.LimitExceededException
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 1, e.acct.Calls("iam:CreateUser"))
	assert.Zero(t, e.acct.Calls("iam:CreateLoginProfile"))
}

func TestWriteBundle(t *testing.T) {
	e := newEnv(t)
	res, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "mallory", AccessKey: true})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "out")
	paths, err := res.WriteBundle(dir)
	require.NoError(t, err)
	require.Len(t, paths, 3)
	for _, p := range paths {
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), p)
	}
	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	csvData, err := os.ReadFile(filepath.Join(dir, "mallory.csv"))
	require.NoError(t, err)
	assert.Contains(t, string(csvData), res.Password)
	assert.Contains(t, string(csvData), res.MFASeed)
	assert.Contains(t, string(csvData), "https://123456789012.signin.aws.amazon.com/console")
	pngData, err := os.ReadFile(filepath.Join(dir, "mallory-mfa.png"))
	require.NoError(t, err)
	assert.Equal(t, res.QRCodePNG, pngData)

	// A second write refuses: the first bundle may be the only copy of the
	// password. Nothing is replaced and no temporary file is left.
	paths2, err := res.WriteBundle(dir)
	require.ErrorIs(t, err, fs.ErrExist)
	assert.Contains(t, err.Error(), filepath.Join(dir, "mallory.csv"))
	assert.Nil(t, paths2)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
	again, err := os.ReadFile(filepath.Join(dir, "mallory.csv"))
	require.NoError(t, err)
	assert.Equal(t, csvData, again)
}

func TestSignInURLPartitions(t *testing.T) {
	assert.Equal(t, "https://111122223333.signin.aws.amazon.com/console", iamuser.SignInURL("aws", "111122223333"))
	assert.Equal(t, "https://111122223333.signin.amazonaws.cn/console", iamuser.SignInURL("aws-cn", "111122223333"))
	assert.Equal(t, "https://111122223333.signin.amazonaws-us-gov.com/console", iamuser.SignInURL("aws-us-gov", "111122223333"))
}

// Re-running onboarding with the same SSH key compares fingerprints with
// the user's keys first: no upload at all, so idempotency does not rest on
// the endpoint answering DuplicateSSHPublicKey. A fresh user costs no
// listing.
func TestOnboardAgainComparesSSHKeyFingerprints(t *testing.T) {
	e := newEnv(t)
	key := sshKey(t)
	spec := iamuser.Spec{UserName: "alice", SSHPublicKeys: []string{key}, NoMFA: true, NoConsole: true}
	_, err := e.m.Onboard(t.Context(), spec)
	require.NoError(t, err)
	assert.Zero(t, e.acct.Calls("iam:ListSSHPublicKeys"), "a user made by this run has no keys to compare")
	assert.Equal(t, 1, e.acct.Calls("iam:UploadSSHPublicKey"))

	// The same key again, with another comment, plus a new one.
	other := sshKey(t)
	spec.SSHPublicKeys = []string{strings.TrimSuffix(key, " person@laptop") + " alice@desktop", other}
	res, err := e.m.Onboard(t.Context(), spec)
	require.NoError(t, err)
	assert.Equal(t, 2, e.acct.Calls("iam:UploadSSHPublicKey"), "only the new key is uploaded")
	assert.Equal(t, 1, e.acct.Calls("iam:GetSSHPublicKey"))
	var step iamuser.Step
	for _, s := range res.Steps {
		if s.Name == "ssh keys" {
			step = s
		}
	}
	assert.Equal(t, "1 uploaded, 1 already there", step.Detail)
}
