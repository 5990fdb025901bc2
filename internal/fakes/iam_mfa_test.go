package fakes_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"image/png"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

const step = 30 * time.Second

// createVirtualMFA creates a device and returns its serial and seed.
func createVirtualMFA(t *testing.T, f *fakes.IAM, name string) (serial, seed string) {
	t.Helper()
	out, err := f.CreateVirtualMFADevice(context.Background(), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
	require.NoError(t, err)
	return aws.ToString(out.VirtualMFADevice.SerialNumber), string(out.VirtualMFADevice.Base32StringSeed)
}

// enableVirtualMFA creates a device and enables it for user with the codes of
// the previous and the current step, as iamkit's onboarding does.
func enableVirtualMFA(t *testing.T, acct *fakes.Account, f *fakes.IAM, user, device string) string {
	t.Helper()
	serial, seed := createVirtualMFA(t, f, device)
	now := acct.Clock().Now()
	_, err := f.EnableMFADevice(context.Background(), &iam.EnableMFADeviceInput{
		UserName: aws.String(user), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(fakes.TOTP(seed, now.Add(-step))),
		AuthenticationCode2: aws.String(fakes.TOTP(seed, now)),
	})
	require.NoError(t, err)
	return serial
}

func TestTOTP(t *testing.T) {
	// RFC 6238 appendix B, SHA-1 seed "12345678901234567890", last six digits.
	seed := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, fakes.TOTP(seed, time.Unix(tt.unix, 0)), "t=%d", tt.unix)
	}
	assert.Equal(t, fakes.TOTP(seed, time.Unix(60, 0)), fakes.TOTP(seed, time.Unix(89, 0)), "one code per 30-second step")
	assert.Empty(t, fakes.TOTP("not base32!", time.Unix(59, 0)))
}

func TestCreateVirtualMFADevice(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	tags := []types.Tag{{Key: aws.String("owner"), Value: aws.String("alice")}}
	out, err := f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("alice-phone"), Path: aws.String("/people/"), Tags: tags,
	})
	require.NoError(t, err)
	d := out.VirtualMFADevice
	assert.Equal(t, "arn:aws:iam::123456789012:mfa/people/alice-phone", aws.ToString(d.SerialNumber))
	assert.Nil(t, d.User)
	assert.Nil(t, d.EnableDate)
	assert.Equal(t, tags, d.Tags)

	seed := string(d.Base32StringSeed)
	assert.Len(t, seed, 64)
	raw, err := base32.StdEncoding.DecodeString(seed)
	require.NoError(t, err, "the seed is Base32")
	assert.Len(t, raw, 40)

	img, err := png.Decode(bytes.NewReader(d.QRCodePNG))
	require.NoError(t, err, "QRCodePNG is a PNG")
	assert.Positive(t, img.Bounds().Dx())

	stored, ok := acct.MFASeed(aws.ToString(d.SerialNumber))
	require.True(t, ok)
	assert.Equal(t, seed, stored)
	_, ok = acct.MFASeed("arn:aws:iam::123456789012:mfa/nope")
	assert.False(t, ok)

	_, other := createVirtualMFA(t, f, "bob-phone")
	assert.NotEqual(t, seed, other, "each device gets its own seed")

	t.Run("duplicate name refused", func(t *testing.T) {
		_, err := f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone"), Path: aws.String("/people/")})
		requireErrAs[*types.EntityAlreadyExistsException](t, err)
		requireAPIError(t, err, "CreateVirtualMFADevice", "EntityAlreadyExists")
		_, err = f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("BOB-PHONE")})
		requireErrAs[*types.EntityAlreadyExistsException](t, err)
	})
	t.Run("same name at another path is another device", func(t *testing.T) {
		_, err := f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone")})
		require.NoError(t, err)
	})
	t.Run("invalid name or path", func(t *testing.T) {
		_, err := f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("bad name")})
		requireErrAs[*types.InvalidInputException](t, err)
		_, err = f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{})
		requireErrAs[*types.InvalidInputException](t, err)
		_, err = f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("x"), Path: aws.String("nope")})
		requireErrAs[*types.InvalidInputException](t, err)
	})
}

func TestListVirtualMFADevices(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	assigned := enableVirtualMFA(t, acct, f, "alice", "alice-phone")
	unassigned, _ := createVirtualMFA(t, f, "spare")

	tests := []struct {
		status types.AssignmentStatusType
		want   []string
	}{
		{types.AssignmentStatusTypeAssigned, []string{assigned}},
		{types.AssignmentStatusTypeUnassigned, []string{unassigned}},
		{types.AssignmentStatusTypeAny, []string{assigned, unassigned}},
		{"", []string{assigned, unassigned}},
	}
	for _, tt := range tests {
		t.Run("status "+string(tt.status), func(t *testing.T) {
			out, err := f.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: tt.status})
			require.NoError(t, err)
			var got []string
			for _, d := range out.VirtualMFADevices {
				got = append(got, aws.ToString(d.SerialNumber))
				assert.Empty(t, d.Base32StringSeed, "the seed is only returned by CreateVirtualMFADevice")
				assert.Empty(t, d.QRCodePNG, "the QR code is only returned by CreateVirtualMFADevice")
				if aws.ToString(d.SerialNumber) == assigned {
					require.NotNil(t, d.User)
					assert.Equal(t, "alice", aws.ToString(d.User.UserName))
					assert.Equal(t, acct.Clock().Now(), aws.ToTime(d.EnableDate))
				} else {
					assert.Nil(t, d.User)
				}
			}
			assert.ElementsMatch(t, tt.want, got)
		})
	}

	_, err := f.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: "Sometimes"})
	requireErrAs[*types.InvalidInputException](t, err)

	page, err := f.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	assert.Len(t, page.VirtualMFADevices, 1)
	assert.True(t, page.IsTruncated)

	mine, err := f.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, mine.MFADevices, 1)
	assert.Equal(t, assigned, aws.ToString(mine.MFADevices[0].SerialNumber))
	assert.Equal(t, "alice", aws.ToString(mine.MFADevices[0].UserName))
}

func TestEnableMFADeviceCodes(t *testing.T) {
	type codes func(seed string, now time.Time) (string, string)
	pair := func(first, second time.Duration) codes {
		return func(seed string, now time.Time) (string, string) {
			return fakes.TOTP(seed, now.Add(first)), fakes.TOTP(seed, now.Add(second))
		}
	}
	tests := []struct {
		name  string
		codes codes
		ok    bool
	}{
		{"previous and current step", pair(-step, 0), true},
		{"one step earlier", pair(-2*step, -step), true},
		{"one step later", pair(0, step), true},
		{"two steps earlier", pair(-3*step, -2*step), false},
		{"two steps later", pair(step, 2*step), false},
		{"swapped", pair(0, -step), false},
		{"not consecutive", pair(-2*step, 0), false},
		{"same code twice", pair(0, 0), false},
		{"wrong first code", func(seed string, now time.Time) (string, string) {
			return flip(fakes.TOTP(seed, now.Add(-step))), fakes.TOTP(seed, now)
		}, false},
		{"wrong second code", func(seed string, now time.Time) (string, string) {
			return fakes.TOTP(seed, now.Add(-step)), flip(fakes.TOTP(seed, now))
		}, false},
		{"another device's codes", func(_ string, now time.Time) (string, string) {
			other := base32.StdEncoding.EncodeToString([]byte("0123456789012345678901234567890123456789"))
			return fakes.TOTP(other, now.Add(-step)), fakes.TOTP(other, now)
		}, false},
	}
	for _, tt := range tests {
		for _, offset := range []time.Duration{0, 17 * time.Second, step - time.Second} { // anywhere in the current step
			t.Run(tt.name+"/+"+offset.String(), func(t *testing.T) {
				acct, f := newIAM(t)
				acct.Clock().Advance(offset)
				mustCreateUser(t, f, "alice")
				serial, seed := createVirtualMFA(t, f, "alice-phone")
				c1, c2 := tt.codes(seed, acct.Clock().Now())
				_, err := f.EnableMFADevice(context.Background(), &iam.EnableMFADeviceInput{
					UserName: aws.String("alice"), SerialNumber: aws.String(serial),
					AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2),
				})
				list, lerr := f.ListMFADevices(context.Background(), &iam.ListMFADevicesInput{UserName: aws.String("alice")})
				require.NoError(t, lerr)
				if tt.ok {
					require.NoError(t, err)
					assert.Len(t, list.MFADevices, 1)
					return
				}
				requireErrAs[*types.InvalidAuthenticationCodeException](t, err)
				requireAPIError(t, err, "EnableMFADevice", "InvalidAuthenticationCode")
				assert.Empty(t, list.MFADevices, "a refused EnableMFADevice assigns nothing")
			})
		}
	}
}

// flip changes every digit of a code, so it is certainly wrong.
func flip(code string) string {
	b := []byte(code)
	for i, c := range b {
		b[i] = '0' + (c-'0'+5)%10
	}
	return string(b)
}

func TestEnableMFADeviceErrors(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	mustCreateUser(t, f, "bob")
	serial, seed := createVirtualMFA(t, f, "alice-phone")
	now := acct.Clock().Now()
	in := func(user, serial, c1, c2 string) *iam.EnableMFADeviceInput {
		return &iam.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial), AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)}
	}
	c1, c2 := fakes.TOTP(seed, now.Add(-step)), fakes.TOTP(seed, now)

	_, err := f.EnableMFADevice(ctx, in("ghost", serial, c1, c2))
	requireErrAs[*types.NoSuchEntityException](t, err)
	_, err = f.EnableMFADevice(ctx, in("alice", "arn:aws:iam::123456789012:mfa/nope", c1, c2))
	requireErrAs[*types.NoSuchEntityException](t, err)
	_, err = f.EnableMFADevice(ctx, in("alice", serial, "12345", c2))
	requireErrAs[*types.InvalidInputException](t, err)

	_, err = f.EnableMFADevice(ctx, in("alice", serial, c1, c2))
	require.NoError(t, err)

	acct.Clock().Advance(2 * step)
	now = acct.Clock().Now()
	_, err = f.EnableMFADevice(ctx, in("bob", serial, fakes.TOTP(seed, now.Add(-step)), fakes.TOTP(seed, now)))
	requireErrAs[*types.EntityAlreadyExistsException](t, err, "a device assigned to alice cannot be enabled for bob")
}

func TestEnableMFADeviceRefusesReusedCodes(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	serial, seed := createVirtualMFA(t, f, "alice-phone")
	now := acct.Clock().Now()
	c1, c2 := fakes.TOTP(seed, now.Add(-step)), fakes.TOTP(seed, now)
	enable := func(c1, c2 string) error {
		_, err := f.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
			UserName: aws.String("alice"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2),
		})
		return err
	}
	deactivate := func() {
		_, err := f.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)})
		require.NoError(t, err)
	}

	require.NoError(t, enable(c1, c2))
	deactivate()

	err := enable(c1, c2)
	requireErrAs[*types.InvalidAuthenticationCodeException](t, err, "the same pair again")
	err = enable(c2, fakes.TOTP(seed, now.Add(step)))
	requireErrAs[*types.InvalidAuthenticationCodeException](t, err, "a pair starting with an already used code")

	acct.Clock().Advance(2 * step)
	now = acct.Clock().Now()
	require.NoError(t, enable(fakes.TOTP(seed, now.Add(-step)), fakes.TOTP(seed, now)), "fresh codes work")

	t.Run("deactivation", func(t *testing.T) {
		_, err := f.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("ghost"), SerialNumber: aws.String(serial)})
		requireErrAs[*types.NoSuchEntityException](t, err)
		mustCreateUser(t, f, "bob")
		_, err = f.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(serial)})
		requireErrAs[*types.NoSuchEntityException](t, err, "the device is alice's")
		deactivate()
		list, err := f.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned})
		require.NoError(t, err)
		require.Len(t, list.VirtualMFADevices, 1)
		assert.Nil(t, list.VirtualMFADevices[0].EnableDate)
	})
}

func TestDeleteVirtualMFADevice(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	serial := enableVirtualMFA(t, acct, f, "alice", "alice-phone")

	_, err := f.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	requireErrAs[*types.DeleteConflictException](t, err)
	requireAPIError(t, err, "DeleteVirtualMFADevice", "DeleteConflict")

	_, err = f.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)})
	require.NoError(t, err)
	_, err = f.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	require.NoError(t, err)
	_, err = f.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	requireErrAs[*types.NoSuchEntityException](t, err)

	// The name is free again.
	_, err = f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone")})
	require.NoError(t, err)
}
