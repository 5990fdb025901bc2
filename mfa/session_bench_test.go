package mfa_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// file500 is a credentials file with 500 profiles and w's long-term section
// in the middle.
func file500(w *world) string {
	var b strings.Builder
	for i := range 500 {
		if i == 250 {
			b.WriteString(w.longTerm("dev") + "\n")
		}
		fmt.Fprintf(&b, "# team %d\n[profile-%03d]\naws_access_key_id = AKIAEXAMPLE%05d\naws_secret_access_key = %040d\n\n", i, i, i, i)
	}
	return b.String()
}

// BenchmarkSession500 measures Session on a 500-profile credentials file:
// "valid" is the common case (read, parse, decide: no call, no write);
// "refresh" is a forced refresh (state file, STS call, locked atomic
// rewrite). The fake's clock absorbs the wait for a fresh TOTP step.
func BenchmarkSession500(b *testing.B) {
	ctx := context.Background()
	for _, force := range []bool{false, true} {
		name := map[bool]string{false: "valid", true: "refresh"}[force]
		b.Run(name, func(b *testing.B) {
			w := newWorld(b)
			w.writeCreds(file500(w))
			req := w.req("dev")
			if _, err := mfa.Session(ctx, req, w.options()...); err != nil {
				b.Fatal(err)
			}
			req.Force = force
			calls := w.stsCalls()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := mfa.Session(ctx, req, w.options()...); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(w.stsCalls()-calls)/float64(b.N), "sts-calls/op")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}

// BenchmarkAudit500 reports the IAM calls one audit of 500 users costs from
// the credential report and from listing (one in ten users without MFA).
func BenchmarkAudit500(b *testing.B) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := acct.IAM()
	for i := range 500 {
		name := fmt.Sprintf("user-%03d", i)
		if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, src := range []mfa.AuditSource{mfa.SourceCredentialReport, mfa.SourceListing} {
		b.Run(string(src), func(b *testing.B) {
			acct.ResetCalls()
			b.ReportAllocs()
			for b.Loop() {
				// A fresh report each time, as a daily run would see.
				acct.Clock().Advance(fakes.CredentialReportMaxAge + time.Second)
				if _, err := mfa.Audit(ctx, api, mfa.WithAuditSource(src), mfa.WithClock(acct.Clock()), mfa.WithConcurrency(8)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(acct.CallsWithPrefix("iam:"))/float64(b.N), "iam-calls/op")
		})
	}
}
