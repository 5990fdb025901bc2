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
// injected [github.com/iamkit/iamkit.Clock] and retry with the next pair.
//
// The seed is the text of IAM's Base32StringSeed, as returned by
// CreateVirtualMFADevice:
//
//	out, err := client.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
//		VirtualMFADeviceName: aws.String("alice"),
//	})
//	seed := string(out.VirtualMFADevice.Base32StringSeed)
//	err = mfa.Enable(ctx, client, iamkit.SystemClock{}, "alice",
//		aws.ToString(out.VirtualMFADevice.SerialNumber), seed)
//
// For the person who will carry the device, [URI] builds the otpauth:// key
// URI an authenticator app imports, [QRCodePNG] renders it as a PNG and
// [QRCodeTerminal] as text that scans straight from a terminal.
//
// # MFA sessions (an aws-mfa drop-in)
//
// [Session] does what aws-mfa does, with the same files, flags (as
// [SessionRequest] fields) and environment variables (AWS_PROFILE,
// MFA_DEVICE, MFA_STS_DURATION, MFA_ASSUME_ROLE):
//
//	[dev-long-term]                      ← read: the IAM user's access key
//	aws_access_key_id = AKIA...
//	aws_secret_access_key = ...
//	aws_mfa_device = arn:aws:iam::123456789012:mfa/alice
//	assume_role = arn:aws:iam::123456789012:role/Admin   (optional)
//
//	[dev]                                ← written: MFA-backed, short-term
//	assumed_role = True
//	assumed_role_arn = arn:aws:iam::123456789012:role/Admin
//	aws_access_key_id = ASIA...
//	aws_secret_access_key = ...
//	aws_session_token = ...
//	aws_security_token = ...
//	expiration = 2026-01-15 10:00:00
//
// While [dev] holds credentials for the same role (or none) that stay valid
// for longer than the refresh margin (5 minutes), Session returns them and
// calls nothing. Otherwise it gets an MFA code, calls AssumeRole (1 hour by
// default) or GetSessionToken (12 hours), and rewrites [dev] in place: its
// other keys and comments, and every other byte of the file, are kept; the
// file is replaced atomically with mode 0600 under a lock (see
// [github.com/iamkit/iamkit/mfa/credfile]). Expirations are read in aws-mfa's
// UTC "YYYY-MM-DD HH:MM:SS" and in RFC 3339 ([ParseExpiration]) and compared
// in UTC, whatever the local time zone. Durations are checked against STS's
// limits before any call. The config file's [profile dev] may supply
// mfa_serial, role_arn, duration_seconds (for a role) and region. A missing
// long-term section, a malformed file (a [credfile.ParseError] with its
// line), or a bad duration, device or role is a clear error, and the file is
// left untouched. [PlanSession] computes the decision alone, for a dry run.
//
// The STS client is the caller's: [WithSTS]'s factory builds it from the
// long-term keys read from the file ([NewSTSFactory] does so from an
// aws.Config, in the profile's region).
//
// [Setup] writes the long-term section itself (aws-mfa's --setup): the
// access key and, optionally, the device, checked first, under the same lock;
// keys already there are replaced only with SetupRequest.Overwrite.
//
// For tools that run a credential_process command (the AWS CLI, the SDKs,
// aws-vault, granted), [MarshalProcessCredentials] renders a session as the
// JSON they read ([ProcessCredentials]: Version 1, AccessKeyId,
// SecretAccessKey, SessionToken, Expiration in RFC 3339); the iamkit CLI's
// "mfa credential-process" prints the cached session that way.
//
// # Codes
//
// A [TokenSource] yields the code: [StaticToken] (a --token flag or an
// environment variable), [Prompt] (a person at a terminal; six digits are
// checked), [Command] (an mfa_process-style program, as credential_process
// works; [SplitCommandLine] reads the config value), or [SeedToken] — a TOTP
// seed stored as aws_mfa_seed in the long-term section, used only with
// [WithStoredSeed]. A stored seed is weaker than a device: whoever reads the
// file holds both factors.
//
// No code is sent twice for a device. AWS refuses a used code, and aws-mfa
// users who share one device across several profiles meet that refusal
// often. Session keeps, in a state file next to the credentials file
// (credentials.mfa-state, mode 0600, one section per device serial), the
// last 30-second step a code was sent in and a hash of that code. Before
// asking a source that can produce a fresh code, it waits on the injected
// [github.com/iamkit/iamkit.Clock] for the next step; a [StaticToken] equal
// to the code just sent is refused with [ErrCodeReused] instead. The state is per device, not per
// profile, so it lives beside the credentials file rather than in a
// [p-long-term] section.
//
// # Provenance
//
// [Credentials] are aws.Credentials with a [Provenance]: the [Kind]
// (long-term, session token, assumed role, chained role, web identity,
// federation token), the source profile, the role, the MFA device used and
// the expiration. They are an aws.CredentialsProvider, and their provenance
// goes where they go, so code that receives them (console federation, for
// one) need not guess from the access key prefix.
//
// # MFA audit
//
// [Audit] lists the identities that can sign in to the console or hold an
// active access key but have no MFA device, as [Finding] values. It reads
// IAM's credential report ([FetchCredentialReport], [ParseCredentialReport]):
// one CSV for the whole account, the root included, for three API calls.
// When the report cannot be had — access denied, throttled, generation limit,
// not ready in time, unreadable — it falls back to listing users (ListUsers,
// then ListMFADevices, GetLoginProfile and ListAccessKeys per user), which
// cannot see the root.
//
// # Interfaces
//
// Each operation asks only for the SDK methods it calls, with the SDK's
// signatures (*iam.Client and *sts.Client satisfy them; so does the fake
// account of iamkittest):
//
//   - [Enable] takes an [EnableAPI] (IAM EnableMFADevice).
//   - [Session] and [PlanSession] take an [STSFactory] building an [STSAPI]
//     (STS GetSessionToken and AssumeRole) from the long-term keys.
//   - [Audit] and [FetchCredentialReport] take an [AuditAPI] (the
//     credential report, and the listing calls of the fallback).
//   - TOTP codes, key URIs, QR codes, [ParseCredentialReport] and the token
//     sources call no AWS API.
//
// Time comes from a [github.com/iamkit/iamkit.Clock] (default
// iamkit.SystemClock): Enable's clk argument, and [WithClock] for Session,
// PlanSession and Audit.
//
// # Secrets
//
// A seed, a code, a key URI and a QR code all grant the second factor. Nothing
// in this package logs or prints them, and no error it returns contains them;
// callers that store them should write files with mode 0600. The same holds
// for secret access keys and session tokens.
package mfa
