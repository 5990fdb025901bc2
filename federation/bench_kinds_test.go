package federation_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// BenchmarkConsoleURLByKind mints a console sign-in URL from each kind of
// credentials, the way the CLI and the broker do (the AWS calls in process,
// the sign-in endpoint over loopback HTTP), and reports the AWS calls and
// sign-in requests per URL. "floor" is the sign-in request alone, with
// credentials already in hand: the part every kind shares.
func BenchmarkConsoleURLByKind(b *testing.B) {
	e := newEnv(b)
	si := e.signIn()
	si.Logger = nil
	ctx := b.Context()
	keys := aws.Credentials{AccessKeyID: e.key, SecretAccessKey: "s"}
	profileRole, err := federation.AssumeRole(ctx, e.acct.STS(), federation.AssumeRoleRequest{RoleARN: e.adminRole, RoleSessionName: "sso", Duration: 12 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	kinds := []struct {
		name  string
		creds func() (mfa.Credentials, error)
	}{
		{"floor", func() (mfa.Credentials, error) { return profileRole, nil }},
		{"assume-role", func() (mfa.Credentials, error) {
			id, err := federation.Identify(ctx, e.acct.STSAs(e.key), keys, "")
			if err != nil {
				return mfa.Credentials{}, err
			}
			return federation.AssumeRole(ctx, e.acct.STSAs(e.key), federation.AssumeRoleRequest{RoleARN: e.adminRole, RoleSessionName: "dana", Source: &id.Credentials.Provenance})
		}},
		{"assume-role-mfa", func() (mfa.Credentials, error) {
			e.acct.Clock().Advance(30 * time.Second) // a fresh code each time
			return federation.AssumeRole(ctx, e.acct.STSAs(e.key), federation.AssumeRoleRequest{RoleARN: e.adminRole, RoleSessionName: "dana",
				MFASerial: e.mfaSerial, Token: mfa.TokenFunc(func(context.Context, mfa.TokenRequest) (string, error) {
					return fakes.TOTP(e.mfaSeed, e.acct.Clock().Now()), nil
				})})
		}},
		{"chained-role", func() (mfa.Credentials, error) {
			return federation.AssumeRole(ctx, e.acct.STSAsSession(profileRole.AccessKeyID), federation.AssumeRoleRequest{
				RoleARN: e.adminRole, RoleSessionName: "dana", Duration: time.Hour, Source: &profileRole.Provenance})
		}},
		{"federation-token", func() (mfa.Credentials, error) {
			id, err := federation.Identify(ctx, e.acct.STSAs(e.key), keys, "")
			if err != nil {
				return mfa.Credentials{}, err
			}
			return federation.FederationToken(ctx, e.acct.STSAs(e.key), federation.FederationTokenRequest{Name: "grace", Policy: readOnly, Source: &id.Credentials.Provenance})
		}},
		{"profile-role-session", func() (mfa.Credentials, error) {
			id, err := federation.Identify(ctx, e.acct.STSAsSession(profileRole.AccessKeyID), profileRole.Credentials, "sso")
			if err != nil {
				return mfa.Credentials{}, err
			}
			return id.Credentials, nil
		}},
		{"cognito-basic", func() (mfa.Credentials, error) {
			req := e.guestRequest()
			req.Ephemeral = true
			s, err := federation.CognitoBasicFlow(ctx, e.acct.Cognito(), e.acct.STS(), req)
			if err != nil {
				return mfa.Credentials{}, err
			}
			return s.Credentials, nil
		}},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			e.acct.ResetCalls()
			b.ReportAllocs()
			for b.Loop() {
				creds, err := k.creds()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := si.ConsoleURL(ctx, federation.ConsoleRequest{Credentials: creds}); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(e.acct.CallsWithPrefix("sts:"))/n, "sts-calls/url")
			b.ReportMetric(float64(e.acct.CallsWithPrefix("cognito-identity:"))/n, "cognito-calls/url")
			b.ReportMetric(float64(e.acct.CallsWithPrefix("signin:"))/n, "signin-requests/url")
		})
	}
}
