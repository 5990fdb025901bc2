// Package mfa pairs, uses and audits IAM virtual MFA devices.
//
// # TOTP pairing
//
// IAM enables a virtual MFA device only when it is given two consecutive
// time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second
// steps) computed from the device's seed. The usual advice — type a code, wait
// for the next one, type it — costs up to 30 seconds per device. AWS accepts
// the codes of the previous and the current step just as well, so [Enable]
// computes both at once with [PairingCodes] and calls EnableMFADevice
// immediately. Only when IAM refuses the codes (a clock at a step boundary, or
// slightly skewed) does it wait, once, for the next step boundary on the
// injected [Clock] and retry with the next pair.
//
// The seed is the text of IAM's Base32StringSeed, as returned by
// CreateVirtualMFADevice:
//
//	out, err := client.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
//		VirtualMFADeviceName: aws.String("alice"),
//	})
//	seed := string(out.VirtualMFADevice.Base32StringSeed)
//	err = mfa.Enable(ctx, client, mfa.SystemClock{}, "alice",
//		aws.ToString(out.VirtualMFADevice.SerialNumber), seed)
//
// For the person who will carry the device, [URI] builds the otpauth:// key
// URI an authenticator app imports, [QRCodePNG] renders it as a PNG and
// [QRCodeTerminal] as text that scans straight from a terminal.
//
// # Secrets
//
// A seed, a code, a key URI and a QR code all grant the second factor. Nothing
// in this package logs or prints them, and no error it returns contains them;
// callers that store them should write files with mode 0600.
package mfa
