package fakes

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	qrcode "github.com/skip2/go-qrcode"
)

// totpStep is the TOTP time step virtual MFA devices use.
const totpStep = 30 * time.Second

// totp computes the 6-digit RFC 6238 code (SHA-1) of a base32 seed at a step.
// The fake carries its own implementation so it does not trust the code under test.
func totp(seed string, step int64) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(strings.ToUpper(seed), "="))
	if err != nil {
		return ""
	}
	var msgBuf [8]byte
	binary.BigEndian.PutUint64(msgBuf[:], uint64(step))
	m := hmac.New(sha1.New, key)
	m.Write(msgBuf[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// TOTP returns the code a virtual MFA device with the given seed shows at t
// (test helper for tests that play the part of the person's phone).
func TOTP(seed string, t time.Time) string { return totp(seed, t.Unix()/int64(totpStep/time.Second)) }

func (d *mfaDevice) sdk(a *Account) types.VirtualMFADevice {
	out := types.VirtualMFADevice{SerialNumber: aws.String(d.serial)}
	if len(d.tags) > 0 {
		out.Tags = append([]types.Tag(nil), d.tags...)
	}
	if d.user != "" {
		if u, ok := a.iam.users[d.user]; ok {
			su := u.sdk()
			su.Tags = nil
			out.User = su
		}
		out.EnableDate = aws.Time(d.enabled)
	}
	return out
}

// CreateVirtualMFADevice implements iam.Client.CreateVirtualMFADevice. The
// Base32 seed and the QR code PNG are returned here and never again.
func (f *IAM) CreateVirtualMFADevice(ctx context.Context, in *iam.CreateVirtualMFADeviceInput, _ ...func(*iam.Options)) (*iam.CreateVirtualMFADeviceOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateVirtualMFADevice", in, func() (*iam.CreateVirtualMFADeviceOutput, error) {
		name := aws.ToString(in.VirtualMFADeviceName)
		if !mfaNameRE().MatchString(name) {
			return nil, invalidInput("1 validation error detected: Value '%s' at 'virtualMFADeviceName' failed to satisfy constraint", name)
		}
		path, err := pathOrDefault(in.Path)
		if err != nil {
			return nil, err
		}
		serial := a.arn("iam", "mfa"+path+name)
		for s := range a.iam.mfa {
			if strings.EqualFold(s, serial) {
				return nil, &types.EntityAlreadyExistsException{Message: msg("MFADevice entity at the same path and name already exists.")}
			}
		}
		raw := make([]byte, 40)
		if _, err := rand.Read(raw); err != nil {
			return nil, &types.ServiceFailureException{Message: msg("%v", err)}
		}
		seed := base32.StdEncoding.EncodeToString(raw) // 64 characters, no padding needed
		uri := fmt.Sprintf("otpauth://totp/%s?secret=%s", url.PathEscape("Amazon Web Services:"+name+"@"+a.id), seed)
		png, err := qrcode.Encode(uri, qrcode.Medium, 256)
		if err != nil {
			return nil, &types.ServiceFailureException{Message: msg("%v", err)}
		}
		d := &mfaDevice{serial: serial, seed: seed, created: a.clock.Now().UTC(), tags: in.Tags, lastStep: -1}
		a.iam.mfa[serial] = d
		out := d.sdk(a)
		out.Base32StringSeed = []byte(seed)
		out.QRCodePNG = png
		return &iam.CreateVirtualMFADeviceOutput{VirtualMFADevice: &out}, nil
	})
}

func invalidCode(format string, args ...any) error {
	return &types.InvalidAuthenticationCodeException{Message: msg(format, args...)}
}

// EnableMFADevice implements iam.Client.EnableMFADevice. The two codes must be
// those of two consecutive 30-second steps of the device's seed, the later one
// no more than one step away from the account clock's current step; a code
// already used to enable the device is refused.
func (f *IAM) EnableMFADevice(ctx context.Context, in *iam.EnableMFADeviceInput, _ ...func(*iam.Options)) (*iam.EnableMFADeviceOutput, error) {
	a := f.a
	return call(ctx, a, "iam:EnableMFADevice", in, func() (*iam.EnableMFADeviceOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		d, ok := a.iam.mfa[aws.ToString(in.SerialNumber)]
		if !ok {
			return nil, &types.NoSuchEntityException{Message: msg("MFA device %s cannot be found.", aws.ToString(in.SerialNumber))}
		}
		if d.user != "" {
			return nil, &types.EntityAlreadyExistsException{Message: msg("MFA device is already in use.")}
		}
		c1, c2 := aws.ToString(in.AuthenticationCode1), aws.ToString(in.AuthenticationCode2)
		if len(c1) != 6 || len(c2) != 6 {
			return nil, invalidInput("Authentication codes must be 6 digits.")
		}
		now := a.clock.Now().Unix() / int64(totpStep/time.Second)
		matched := int64(-1)
		for s2 := now - 1; s2 <= now+1; s2++ {
			if totp(d.seed, s2-1) == c1 && totp(d.seed, s2) == c2 {
				matched = s2
				break
			}
		}
		if matched < 0 {
			return nil, invalidCode("Authentication code for device is not valid.")
		}
		if matched-1 <= d.lastStep {
			return nil, invalidCode("Authentication code for device has already been used.")
		}
		d.lastStep = matched
		d.user = strings.ToLower(u.name)
		d.enabled = a.clock.Now().UTC()
		return &iam.EnableMFADeviceOutput{}, nil
	})
}

// DeactivateMFADevice implements iam.Client.DeactivateMFADevice.
func (f *IAM) DeactivateMFADevice(ctx context.Context, in *iam.DeactivateMFADeviceInput, _ ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeactivateMFADevice", in, func() (*iam.DeactivateMFADeviceOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		d, ok := a.iam.mfa[aws.ToString(in.SerialNumber)]
		if !ok || d.user != strings.ToLower(u.name) {
			return nil, &types.NoSuchEntityException{Message: msg("MFA Device with serial number %s does not exist for user %s.", aws.ToString(in.SerialNumber), u.name)}
		}
		d.user = ""
		d.enabled = time.Time{}
		return &iam.DeactivateMFADeviceOutput{}, nil
	})
}

// DeleteVirtualMFADevice implements iam.Client.DeleteVirtualMFADevice; it fails
// with DeleteConflict while the device is assigned to a user.
func (f *IAM) DeleteVirtualMFADevice(ctx context.Context, in *iam.DeleteVirtualMFADeviceInput, _ ...func(*iam.Options)) (*iam.DeleteVirtualMFADeviceOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteVirtualMFADevice", in, func() (*iam.DeleteVirtualMFADeviceOutput, error) {
		d, ok := a.iam.mfa[aws.ToString(in.SerialNumber)]
		if !ok {
			return nil, &types.NoSuchEntityException{Message: msg("VirtualMFADevice with serial number %s doesn't exist.", aws.ToString(in.SerialNumber))}
		}
		if d.user != "" {
			return nil, &types.DeleteConflictException{Message: msg("MFA VirtualDevice in use. Must deactivate first.")}
		}
		delete(a.iam.mfa, d.serial)
		return &iam.DeleteVirtualMFADeviceOutput{}, nil
	})
}

// ListMFADevices implements iam.Client.ListMFADevices for one user.
func (f *IAM) ListMFADevices(ctx context.Context, in *iam.ListMFADevicesInput, _ ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListMFADevices", in, func() (*iam.ListMFADevicesOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		var all []types.MFADevice
		for _, s := range sortedKeys(a.iam.mfa) {
			d := a.iam.mfa[s]
			if d.user == strings.ToLower(u.name) {
				all = append(all, types.MFADevice{EnableDate: aws.Time(d.enabled), SerialNumber: aws.String(d.serial), UserName: aws.String(u.name)})
			}
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListMFADevicesOutput{MFADevices: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// ListVirtualMFADevices implements iam.Client.ListVirtualMFADevices, filtered
// by assignment status. Seeds and QR codes are never returned.
func (f *IAM) ListVirtualMFADevices(ctx context.Context, in *iam.ListVirtualMFADevicesInput, _ ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListVirtualMFADevices", in, func() (*iam.ListVirtualMFADevicesOutput, error) {
		var all []types.VirtualMFADevice
		for _, s := range sortedKeys(a.iam.mfa) {
			d := a.iam.mfa[s]
			switch in.AssignmentStatus {
			case types.AssignmentStatusTypeAssigned:
				if d.user == "" {
					continue
				}
			case types.AssignmentStatusTypeUnassigned:
				if d.user != "" {
					continue
				}
			case types.AssignmentStatusTypeAny, "":
			default:
				return nil, invalidInput("Invalid AssignmentStatus %q", in.AssignmentStatus)
			}
			all = append(all, d.sdk(a))
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListVirtualMFADevicesOutput{VirtualMFADevices: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// MFASeed returns a virtual MFA device's seed (test helper standing in for the
// person's phone, which kept the seed from the QR code).
func (a *Account) MFASeed(serial string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d, ok := a.iam.mfa[serial]
	if !ok {
		return "", false
	}
	return d.seed, true
}
