package mfa_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/iamkit/iamkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

const opEnable = "iam:EnableMFADevice"

// The fake account's IAM is what the tests enable devices against.
var _ mfa.EnableAPI = (*fakes.IAM)(nil)

// The fake clock is what the tests pass as the package's iamkit.Clock.
var _ iamkit.Clock = (*fakes.Clock)(nil)

// device is a user with a fresh, not yet enabled virtual MFA device.
type device struct {
	acct   *fakes.Account
	api    *fakes.IAM
	user   string
	serial string
	seed   string
}

// newDevice creates user "alice" and a virtual MFA device on a fresh fake
// account whose clock shows at, and resets the call counters.
func newDevice(t testing.TB, at time.Time) device {
	t.Helper()
	ctx := context.Background()
	acct := fakes.NewAccount(fakes.WithClock(fakes.NewClock(at)))
	api := acct.IAM()
	_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	out, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	require.NoError(t, err)
	acct.ResetCalls()
	return device{
		acct:   acct,
		api:    api,
		user:   "alice",
		serial: aws.ToString(out.VirtualMFADevice.SerialNumber),
		seed:   string(out.VirtualMFADevice.Base32StringSeed),
	}
}

// enabled reports the serial numbers of the MFA devices enabled for d.user.
func (d device) enabled(t testing.TB) []string {
	t.Helper()
	out, err := d.api.ListMFADevices(context.Background(), &iam.ListMFADevicesInput{UserName: aws.String(d.user)})
	require.NoError(t, err)
	var serials []string
	for _, m := range out.MFADevices {
		serials = append(serials, aws.ToString(m.SerialNumber))
	}
	return serials
}

// stepStart is a 30-second step boundary (fakes.DefaultStart is one too).
var stepStart = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

// offsets are clock positions inside a step that Enable must cope with.
var offsets = []struct {
	name string
	d    time.Duration
}{
	{"at the step boundary", 0},
	{"one nanosecond into the step", time.Nanosecond},
	{"mid-step", 17 * time.Second},
	{"last nanosecond of the step", mfa.Period - time.Nanosecond},
}

func TestEnableAtOnceWithoutSleeping(t *testing.T) {
	for _, tt := range offsets {
		t.Run(tt.name, func(t *testing.T) {
			start := stepStart.Add(tt.d)
			d := newDevice(t, start)

			err := mfa.Enable(context.Background(), d.api, d.acct.Clock(), d.user, d.serial, d.seed)
			require.NoError(t, err)

			assert.Equal(t, start, d.acct.Clock().Now(), "Enable must not sleep when the first codes are accepted")
			assert.Equal(t, 1, d.acct.Calls(opEnable))
			assert.Equal(t, []string{d.serial}, d.enabled(t))
		})
	}
}

func TestEnableRetriesOnceAtTheNextStep(t *testing.T) {
	for _, tt := range offsets {
		t.Run(tt.name, func(t *testing.T) {
			start := stepStart.Add(tt.d)
			d := newDevice(t, start)
			d.acct.Inject(opEnable, fakes.Fault{Times: 1, Err: &types.InvalidAuthenticationCodeException{Message: aws.String("x")}})

			err := mfa.Enable(context.Background(), d.api, d.acct.Clock(), d.user, d.serial, d.seed)
			require.NoError(t, err)

			assert.Equal(t, mfa.NextStep(start), d.acct.Clock().Now(), "Enable must sleep exactly to the next step boundary")
			assert.Equal(t, 2, d.acct.Calls(opEnable))
			assert.Equal(t, []string{d.serial}, d.enabled(t))
		})
	}
}

// TestEnableRetrySendsTheNextPair records the codes of both attempts.
func TestEnableRetrySendsTheNextPair(t *testing.T) {
	start := stepStart.Add(12 * time.Second)
	d := newDevice(t, start)
	var sent [][2]string
	d.acct.Inject(opEnable, fakes.Fault{
		Times: 1,
		Err:   &types.InvalidAuthenticationCodeException{Message: aws.String("x")},
		Match: func(in any) bool {
			e := in.(*iam.EnableMFADeviceInput)
			sent = append(sent, [2]string{aws.ToString(e.AuthenticationCode1), aws.ToString(e.AuthenticationCode2)})
			return true
		},
	})

	require.NoError(t, mfa.Enable(context.Background(), d.api, d.acct.Clock(), d.user, d.serial, d.seed))

	next := mfa.NextStep(start)
	want := [][2]string{
		{fakes.TOTP(d.seed, start.Add(-mfa.Period)), fakes.TOTP(d.seed, start)},
		{fakes.TOTP(d.seed, start), fakes.TOTP(d.seed, next)},
	}
	assert.Equal(t, want, sent)
}

func TestEnableSecondRefusal(t *testing.T) {
	start := stepStart.Add(5 * time.Second)
	d := newDevice(t, start)
	d.acct.Inject(opEnable, fakes.Fault{Times: 2, Err: &types.InvalidAuthenticationCodeException{Message: aws.String("codes refused")}})

	err := mfa.Enable(context.Background(), d.api, d.acct.Clock(), d.user, d.serial, d.seed)
	require.Error(t, err)

	var invalid *types.InvalidAuthenticationCodeException
	require.ErrorAs(t, err, &invalid)
	var ee *mfa.EnableError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, d.user, ee.UserName)
	assert.Equal(t, d.serial, ee.SerialNumber)
	assert.Equal(t, 2, ee.Attempts)

	msg := err.Error()
	assert.Contains(t, msg, "alice")
	assert.Contains(t, msg, d.serial)
	assert.Contains(t, msg, "after 2 attempts")
	assert.Contains(t, msg, "codes refused")
	assertNoSecrets(t, msg, d.seed, start)

	assert.Equal(t, 2, d.acct.Calls(opEnable), "exactly one retry")
	assert.Equal(t, mfa.NextStep(start), d.acct.Clock().Now())
	assert.Empty(t, d.enabled(t))
}

func TestEnableOtherErrorsAreNotRetried(t *testing.T) {
	tests := []struct {
		name   string
		fault  *fakes.Fault
		user   string
		serial string
		check  func(t *testing.T, err error)
	}{
		{
			name:  "throttling",
			fault: &fakes.Fault{Times: 1},
			check: func(t *testing.T, err error) {
				var api smithy.APIError
				require.ErrorAs(t, err, &api)
				assert.Equal(t, "Throttling", api.ErrorCode())
			},
		},
		{
			name: "no such user",
			user: "bob",
			check: func(t *testing.T, err error) {
				var nse *types.NoSuchEntityException
				require.ErrorAs(t, err, &nse)
				assert.Contains(t, err.Error(), "bob")
			},
		},
		{
			name:   "no such device",
			serial: "arn:aws:iam::123456789012:mfa/nobody",
			check: func(t *testing.T, err error) {
				var nse *types.NoSuchEntityException
				require.ErrorAs(t, err, &nse)
				assert.Contains(t, err.Error(), "arn:aws:iam::123456789012:mfa/nobody")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := stepStart.Add(3 * time.Second)
			d := newDevice(t, start)
			if tt.fault != nil {
				d.acct.Inject(opEnable, *tt.fault)
			}
			user, serial := d.user, d.serial
			if tt.user != "" {
				user = tt.user
			}
			if tt.serial != "" {
				serial = tt.serial
			}

			err := mfa.Enable(context.Background(), d.api, d.acct.Clock(), user, serial, d.seed)
			require.Error(t, err)
			tt.check(t, err)
			var ee *mfa.EnableError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, 1, ee.Attempts)
			assertNoSecrets(t, err.Error(), d.seed, start)

			assert.Equal(t, 1, d.acct.Calls(opEnable))
			assert.Equal(t, start, d.acct.Clock().Now(), "no wait for errors other than InvalidAuthenticationCode")
		})
	}
}

func TestEnableAlreadyEnabled(t *testing.T) {
	d := newDevice(t, stepStart)
	ctx := context.Background()
	require.NoError(t, mfa.Enable(ctx, d.api, d.acct.Clock(), d.user, d.serial, d.seed))
	d.acct.Clock().Advance(2 * mfa.Period)

	err := mfa.Enable(ctx, d.api, d.acct.Clock(), d.user, d.serial, d.seed)
	var exists *types.EntityAlreadyExistsException
	require.ErrorAs(t, err, &exists, "callers branch on this to resume an interrupted onboarding")
	assert.Equal(t, 2, d.acct.Calls(opEnable))
}

func TestEnableInvalidSeedMakesNoCall(t *testing.T) {
	d := newDevice(t, stepStart)
	err := mfa.Enable(context.Background(), d.api, d.acct.Clock(), d.user, d.serial, "not base32!")
	require.ErrorIs(t, err, mfa.ErrInvalidSeed)
	var ee *mfa.EnableError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 0, ee.Attempts)
	assert.Contains(t, err.Error(), d.serial)
	assert.Equal(t, 0, d.acct.Calls(opEnable))
}

func TestEnableContextDone(t *testing.T) {
	t.Run("before the first call", func(t *testing.T) {
		d := newDevice(t, stepStart)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		err := mfa.Enable(ctx, d.api, d.acct.Clock(), d.user, d.serial, d.seed)
		require.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), d.serial)
		assert.Equal(t, 0, d.acct.Calls(opEnable))
		assert.Empty(t, d.enabled(t))
	})

	t.Run("while waiting for the next step", func(t *testing.T) {
		start := stepStart.Add(20 * time.Second)
		d := newDevice(t, start)
		d.acct.Inject(opEnable, fakes.Fault{Times: 1, Err: &types.InvalidAuthenticationCodeException{Message: aws.String("x")}})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clk := &cancelOnSleep{Clock: d.acct.Clock(), cancel: cancel}

		err := mfa.Enable(ctx, d.api, clk, d.user, d.serial, d.seed)
		require.ErrorIs(t, err, context.Canceled)
		var ee *mfa.EnableError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 1, ee.Attempts)
		assert.Contains(t, err.Error(), "waiting for the next TOTP step")

		assert.Equal(t, []time.Duration{10 * time.Second}, clk.asked, "Enable asks to sleep to the step boundary")
		assert.Equal(t, start, d.acct.Clock().Now(), "the wait was cut short")
		assert.Equal(t, 1, d.acct.Calls(opEnable), "no retry after ctx is done")
		assert.Empty(t, d.enabled(t))
	})

	t.Run("cancelled during the call", func(t *testing.T) {
		d := newDevice(t, stepStart)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// The fake checks ctx after its fault hook, so cancelling there is a
		// caller giving up while the request is in flight.
		d.acct.Inject(opEnable, fakes.Fault{Times: 1, Err: errors.New("unreachable"), Match: func(any) bool {
			cancel()
			return true
		}})

		err := mfa.Enable(ctx, d.api, d.acct.Clock(), d.user, d.serial, d.seed)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, d.acct.Calls(opEnable))
		assert.Equal(t, stepStart, d.acct.Clock().Now())
		assert.Empty(t, d.enabled(t))
	})
}

// cancelOnSleep is a fake clock whose Sleep cancels the context first, as if
// the caller gave up while Enable was waiting for the next step.
type cancelOnSleep struct {
	*fakes.Clock
	cancel context.CancelFunc
	asked  []time.Duration
}

func (c *cancelOnSleep) Sleep(ctx context.Context, d time.Duration) error {
	c.asked = append(c.asked, d)
	c.cancel()
	return c.Clock.Sleep(ctx, d)
}

// assertNoSecrets fails if msg contains the seed or any code near at. The
// account ID is cut out first: a code may be a substring of it by chance.
func assertNoSecrets(t *testing.T, msg, seed string, at time.Time) {
	t.Helper()
	assert.NotContains(t, msg, seed)
	msg = strings.ReplaceAll(msg, fakes.DefaultAccountID, "")
	for i := -2; i <= 2; i++ {
		code := fakes.TOTP(seed, at.Add(time.Duration(i)*mfa.Period))
		assert.NotContains(t, msg, code, "error leaks a TOTP code")
	}
}

// TestEnableErrorUnwrap checks the error chain on a hand-made EnableError.
func TestEnableErrorUnwrap(t *testing.T) {
	cause := errors.New("boom")
	err := error(&mfa.EnableError{UserName: "u", SerialNumber: "s", Attempts: 1, Err: cause})
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "mfa: enable MFA device s for user u: boom", err.Error())
}
