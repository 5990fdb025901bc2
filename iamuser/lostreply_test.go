package iamuser_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
)

// errLost stands for a reply that never arrived (a dropped connection).
var errLost = errors.New("read tcp: connection reset by peer")

func stepOf(t *testing.T, res *iamuser.Result, name string) iamuser.Step {
	t.Helper()
	for _, s := range res.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no step %q in %v", name, res.Steps)
	return iamuser.Step{}
}

func userTags(t *testing.T, e *env, name string) map[string]string {
	t.Helper()
	out, err := e.iam.ListUserTags(t.Context(), &iam.ListUserTagsInput{UserName: aws.String(name)})
	require.NoError(t, err)
	m := map[string]string{}
	for _, tg := range out.Tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// The password is reset (and handed back for a new bundle) only when the
// run that made the login profile never handed it back; a re-run after a
// delivered password keeps it.
func TestOnboardLoginProfileAfterAnInterruptedRun(t *testing.T) {
	spec := iamuser.Spec{UserName: "alice"}
	tests := []struct {
		name      string
		fault     string             // the first run's failing operation ("" none)
		lose      bool               // applied, reply lost
		wantFirst bool               // the first run fails
		want      iamuser.StepStatus // the re-run's login profile step
		wantReset bool
	}{
		{"lost CreateLoginProfile reply: reset", "iam:CreateLoginProfile", true, true, iamuser.StepReplaced, true},
		{"CreateLoginProfile refused: created on the re-run", "iam:CreateLoginProfile", false, true, iamuser.StepCreated, false},
		{"delivered, then a later step failed: kept", "iam:EnableMFADevice", false, true, iamuser.StepExisting, false},
		{"lost reply of a later step: the password was delivered, kept", "iam:EnableMFADevice", true, true, iamuser.StepExisting, false},
		{"a finished run, then a normal re-run: kept", "", false, false, iamuser.StepExisting, false},
		{"a finished run whose record could not be removed: kept", "iam:UntagUser", false, false, iamuser.StepExisting, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.fault != "" {
				e.acct.Inject(tt.fault, fakes.Fault{Times: 1, Err: errLost, LoseReply: tt.lose})
			}
			first, err := e.m.Onboard(t.Context(), spec)
			if tt.wantFirst {
				require.ErrorIs(t, err, errLost)
				assert.Contains(t, userTags(t, e, "alice"), iamuser.OnboardingTag, "the interrupted run stays recorded")
			} else {
				require.NoError(t, err)
			}
			before, _ := e.acct.Password("alice")
			e.acct.Clock().Advance(time.Minute)
			e.acct.ResetCalls()

			res, err := e.m.Onboard(t.Context(), spec)
			require.NoError(t, err)
			assert.Equal(t, tt.want, stepOf(t, res, "login profile").Status)
			after, _ := e.acct.Password("alice")
			if tt.wantReset {
				require.NotEmpty(t, res.Password)
				assert.Equal(t, after, res.Password, "the new password is the one handed back")
				assert.NotEqual(t, before, after)
				assert.True(t, res.PasswordResetRequired)
				lp, err := e.iam.GetLoginProfile(t.Context(), &iam.GetLoginProfileInput{UserName: aws.String("alice")})
				require.NoError(t, err)
				assert.True(t, lp.LoginProfile.PasswordResetRequired)
				assert.Equal(t, 1, e.acct.Calls("iam:UpdateLoginProfile"))
			} else {
				assert.Zero(t, e.acct.Calls("iam:UpdateLoginProfile"))
				if tt.want == iamuser.StepExisting {
					assert.Empty(t, res.Password)
					assert.Equal(t, before, after, "a delivered password is never reset")
					if first != nil && first.Password != "" {
						assert.Equal(t, first.Password, after)
					}
				}
			}
			assert.NotContains(t, userTags(t, e, "alice"), iamuser.OnboardingTag, "a finished run leaves no record")

			// A third run resets nothing.
			e.acct.ResetCalls()
			res, err = e.m.Onboard(t.Context(), spec)
			require.NoError(t, err)
			assert.Equal(t, iamuser.StepExisting, stepOf(t, res, "login profile").Status)
			assert.Zero(t, e.acct.Calls("iam:UpdateLoginProfile"))
		})
	}
}

// A login profile made outside iamkit before the user was onboarded is
// kept, even when an onboarding run was interrupted since.
func TestOnboardKeepsAProfileOlderThanTheInterruptedRun(t *testing.T) {
	e := newEnv(t)
	_, err := e.iam.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	_, err = e.iam.CreateLoginProfile(t.Context(), &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Handed-Over-Elsewhere-1")})
	require.NoError(t, err)
	e.acct.Clock().Advance(time.Hour)
	e.acct.Inject("iam:EnableMFADevice", fakes.Fault{Times: 1, Err: errLost})
	_, err = e.m.Onboard(t.Context(), iamuser.Spec{UserName: "bob"})
	require.ErrorIs(t, err, errLost)

	res, err := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "bob"})
	require.NoError(t, err)
	assert.Equal(t, iamuser.StepExisting, stepOf(t, res, "login profile").Status)
	pw, _ := e.acct.Password("bob")
	assert.Equal(t, "Handed-Over-Elsewhere-1", pw)
}

func TestOnboardAccessKeyAfterALostReply(t *testing.T) {
	spec := iamuser.Spec{UserName: "carol", NoConsole: true, NoMFA: true, AccessKey: true}
	tests := []struct {
		name     string
		prepare  func(t *testing.T, e *env, orphan string)
		want     iamuser.StepStatus
		wantErr  bool
		wantKept bool // the orphan survives
	}{
		{"never used: replaced", nil, iamuser.StepReplaced, false, false},
		{"used since: a clear error naming it, nothing deleted", func(t *testing.T, e *env, orphan string) {
			e.acct.RecordKeyUse(orphan, "s3")
		}, "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.acct.Inject("iam:CreateAccessKey", fakes.Fault{Times: 1, Err: errLost, LoseReply: true})
			first, err := e.m.Onboard(t.Context(), spec)
			require.ErrorIs(t, err, errLost)
			assert.Empty(t, first.SecretAccessKey)
			keys, err := e.iam.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("carol")})
			require.NoError(t, err)
			require.Len(t, keys.AccessKeyMetadata, 1)
			orphan := aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId)
			e.acct.Clock().Advance(time.Minute)
			if tt.prepare != nil {
				tt.prepare(t, e, orphan)
			}

			res, err := e.m.Onboard(t.Context(), spec)
			keys, lerr := e.iam.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("carol")})
			require.NoError(t, lerr)
			require.Len(t, keys.AccessKeyMetadata, 1)
			if tt.wantErr {
				var oe *iamuser.OrphanAccessKeyError
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, orphan, oe.AccessKeyID)
				assert.Contains(t, err.Error(), orphan)
				assert.Contains(t, err.Error(), "aws iam delete-access-key --user-name carol --access-key-id "+orphan)
				assert.Equal(t, orphan, aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId))
				assert.Contains(t, userTags(t, e, "carol"), iamuser.OnboardingTag, "still unfinished")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, stepOf(t, res, "access key").Status)
			require.NotEmpty(t, res.SecretAccessKey)
			assert.NotEqual(t, orphan, res.AccessKeyID)
			assert.Equal(t, res.AccessKeyID, aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId))

			// A normal re-run keeps the delivered key.
			e.acct.ResetCalls()
			res, err = e.m.Onboard(t.Context(), spec)
			require.NoError(t, err)
			assert.Equal(t, iamuser.StepExisting, stepOf(t, res, "access key").Status)
			assert.Zero(t, e.acct.Calls("iam:DeleteAccessKey")+e.acct.Calls("iam:CreateAccessKey"))
		})
	}
}

// Keys the interrupted run did not make — older than it, or handed back by
// it before it failed — are kept.
func TestOnboardKeepsKeysTheInterruptedRunDidNotLose(t *testing.T) {
	t.Run("older than the run", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.iam.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("dan")})
		require.NoError(t, err)
		old, err := e.iam.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("dan")})
		require.NoError(t, err)
		e.acct.Clock().Advance(time.Hour)
		spec := iamuser.Spec{UserName: "dan", AccessKey: true}
		e.acct.Inject("iam:EnableMFADevice", fakes.Fault{Times: 1, Err: errLost})
		_, err = e.m.Onboard(t.Context(), spec)
		require.ErrorIs(t, err, errLost)
		res, err := e.m.Onboard(t.Context(), spec)
		require.NoError(t, err)
		assert.Equal(t, iamuser.StepExisting, stepOf(t, res, "access key").Status)
		assert.Equal(t, aws.ToString(old.AccessKey.AccessKeyId), res.AccessKeyID)
		assert.Zero(t, e.acct.Calls("iam:DeleteAccessKey"))
	})
	t.Run("handed back before a later step failed", func(t *testing.T) {
		e := newEnv(t)
		spec := iamuser.Spec{UserName: "erin", AccessKey: true, SSHPublicKeys: []string{sshKey(t)}}
		e.acct.Inject("iam:UploadSSHPublicKey", fakes.Fault{Times: 1, Err: errLost})
		first, err := e.m.Onboard(t.Context(), spec)
		require.ErrorIs(t, err, errLost)
		require.NotEmpty(t, first.SecretAccessKey)
		require.NotEmpty(t, first.Password)
		res, err := e.m.Onboard(t.Context(), spec)
		require.NoError(t, err)
		assert.Equal(t, iamuser.StepExisting, stepOf(t, res, "access key").Status)
		assert.Equal(t, first.AccessKeyID, res.AccessKeyID)
		assert.Equal(t, iamuser.StepExisting, stepOf(t, res, "login profile").Status)
		assert.Zero(t, e.acct.Calls("iam:DeleteAccessKey")+e.acct.Calls("iam:UpdateLoginProfile"))
	})
}

func TestSpecRefusesTheOnboardingTag(t *testing.T) {
	err := iamuser.Spec{UserName: "x", Tags: map[string]string{"IAMKIT:Onboarding-Started": "x"}}.Validate()
	var ve *iamuser.ValidationError
	require.ErrorAs(t, err, &ve)
}

// Over the wire, the SDK's retryer resends a request whose reply was lost
// (here a throttling answer after the operation was applied): the retry of
// CreateLoginProfile finds the profile made, and the retry of
// CreateAccessKey makes a second key. Both are resolved in the same run: the
// password is reset and handed back, the unheld key removed.
func TestOnboardLostRepliesOverTheWire(t *testing.T) {
	ctx := context.Background()
	srv := iamkittest.NewServer(t)
	acct := srv.Account()
	c := iam.NewFromConfig(srv.Config())
	m := iamuser.New(c, iamuser.WithClock(acct.Clock()))
	acct.Inject("iam:CreateLoginProfile", iamkittest.Fault{Times: 1, LoseReply: true})
	acct.Inject("iam:CreateAccessKey", iamkittest.Fault{Times: 1, LoseReply: true})

	res, err := m.Onboard(ctx, iamuser.Spec{UserName: "frank", AccessKey: true})
	require.NoError(t, err)
	assert.Equal(t, 2, acct.Calls("iam:CreateLoginProfile"), "the SDK retried")
	assert.Equal(t, iamuser.StepReplaced, stepOf(t, res, "login profile").Status)
	pw, _ := acct.Password("frank")
	assert.Equal(t, pw, res.Password)
	assert.Equal(t, 2, acct.Calls("iam:CreateAccessKey"))
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("frank")})
	require.NoError(t, err)
	require.Len(t, keys.AccessKeyMetadata, 1)
	assert.Equal(t, res.AccessKeyID, aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId))
	tags, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("frank")})
	require.NoError(t, err)
	assert.Empty(t, tags.Tags)
}

// Across runs over the wire: a reply lost without a retry (the connection
// dropped: here an error the SDK does not retry) fails the run; the re-run
// resets the password, and refuses a key someone has used since, naming it.
func TestOnboardInterruptedRunOverTheWire(t *testing.T) {
	ctx := context.Background()
	srv := iamkittest.NewServer(t)
	acct := srv.Account()
	c := iam.NewFromConfig(srv.Config())
	m := iamuser.New(c, iamuser.WithClock(acct.Clock()))
	lost := &smithy.GenericAPIError{Code: "RequestAborted", Message: "the connection dropped", Fault: smithy.FaultClient}
	acct.Inject("iam:CreateLoginProfile", iamkittest.Fault{Times: 1, LoseReply: true, Err: lost})
	spec := iamuser.Spec{UserName: "gina", AccessKey: true}

	_, err := m.Onboard(ctx, spec)
	var se *iamuser.StepError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "login profile", se.Step)
	acct.Clock().Advance(time.Minute)

	acct.Inject("iam:CreateAccessKey", iamkittest.Fault{Times: 1, LoseReply: true, Err: lost})
	res, err := m.Onboard(ctx, spec)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "access key", se.Step)
	assert.Equal(t, iamuser.StepReplaced, stepOf(t, res, "login profile").Status)
	pw, _ := acct.Password("gina")
	assert.Equal(t, pw, res.Password)

	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("gina")})
	require.NoError(t, err)
	require.Len(t, keys.AccessKeyMetadata, 1)
	orphan := aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId)
	acct.RecordKeyUse(orphan, "sts")

	res, err = m.Onboard(ctx, spec)
	var oe *iamuser.OrphanAccessKeyError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, orphan, oe.AccessKeyID)
	assert.Equal(t, "sts", oe.Service)
	assert.Equal(t, iamuser.StepExisting, stepOf(t, res, "login profile").Status, "the reset password was handed back: kept")
	assert.Empty(t, res.Password)
	_, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(orphan)})
	require.NoError(t, err, "the used key is still there")
}

// An endpoint without TagUser (an emulator) still onboards a resumed user,
// without the record; a real TagUser failure stops the run before any
// credential is made.
func TestOnboardWhenTheEndpointLacksTagUser(t *testing.T) {
	ctx := context.Background()
	srv := iamkittest.NewServer(t)
	c := iam.NewFromConfig(srv.Config())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("hal")})
	require.NoError(t, err)
	srv.Account().Disable("iam:TagUser")
	m := iamuser.New(c, iamuser.WithClock(srv.Account().Clock()))
	res, err := m.Onboard(ctx, iamuser.Spec{UserName: "hal", NoMFA: true})
	require.NoError(t, err)
	assert.Equal(t, iamuser.StepCreated, stepOf(t, res, "login profile").Status)
	assert.NotEmpty(t, res.Password)

	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ivy")})
	require.NoError(t, err)
	srv.Account().ClearFaults()
	srv.Account().Throttle("iam:TagUser", 0)
	_, err = m.Onboard(ctx, iamuser.Spec{UserName: "ivy", NoMFA: true})
	require.ErrorContains(t, err, "recording the onboarding run")
	_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("ivy")})
	var nse *types.NoSuchEntityException
	assert.ErrorAs(t, err, &nse, "no credential made")
}

// A credential made long after the interrupted run began is not that run's
// lost reply, even if nobody has used it yet: an admin made it by other
// means and handed it over. It is kept; the run's own orphan still goes.
func TestOnboardKeepsCredentialsMadeLongAfterTheInterruptedRun(t *testing.T) {
	e := newEnv(t)
	spec := iamuser.Spec{UserName: "fay", NoMFA: true, AccessKey: true}
	e.acct.Inject("iam:CreateAccessKey", fakes.Fault{Times: 1, Err: errLost, LoseReply: true})
	_, err := e.m.Onboard(t.Context(), spec)
	require.ErrorIs(t, err, errLost)
	keys, err := e.iam.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("fay")})
	require.NoError(t, err)
	require.Len(t, keys.AccessKeyMetadata, 1)
	orphan := aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId)

	// Days later, an admin gives fay a key by hand (not used yet), then
	// someone re-runs the onboarding.
	e.acct.Clock().Advance(72 * time.Hour)
	handed, err := e.iam.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("fay")})
	require.NoError(t, err)
	e.acct.Clock().Advance(time.Minute)

	res, err := e.m.Onboard(t.Context(), spec)
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(handed.AccessKey.AccessKeyId), res.AccessKeyID, "the key handed over by hand is kept")
	assert.Equal(t, iamuser.StepExisting, stepOf(t, res, "access key").Status)
	assert.Empty(t, res.SecretAccessKey)
	keys, err = e.iam.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("fay")})
	require.NoError(t, err)
	var ids []string
	for _, k := range keys.AccessKeyMetadata {
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	assert.NotContains(t, ids, orphan, "the interrupted run's own orphan is removed")
	assert.Contains(t, ids, aws.ToString(handed.AccessKey.AccessKeyId))
}
