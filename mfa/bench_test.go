package mfa_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

func BenchmarkPairingCodes(b *testing.B) {
	now := time.Date(2026, 1, 15, 9, 0, 17, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := mfa.PairingCodes(rfcSeed, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnable reports the EnableMFADevice calls and the clock time one
// Enable costs, without and with a refused first attempt.
func BenchmarkEnable(b *testing.B) {
	for _, bc := range []struct {
		name    string
		refused int
	}{
		{"accepted", 0},
		{"refused-once", 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			var calls int
			var waited time.Duration
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				d := newDevice(b, stepStart.Add(7*time.Second))
				if bc.refused > 0 {
					d.acct.Inject(opEnable, fakes.Fault{Times: bc.refused, Err: &types.InvalidAuthenticationCodeException{Message: aws.String("x")}})
				}
				start := d.acct.Clock().Now()
				b.StartTimer()

				if err := mfa.Enable(ctx, d.api, d.acct.Clock(), d.user, d.serial, d.seed); err != nil {
					b.Fatal(err)
				}

				b.StopTimer()
				calls += d.acct.Calls(opEnable)
				waited += d.acct.Clock().Now().Sub(start)
				b.StartTimer()
			}
			b.ReportMetric(float64(calls)/float64(b.N), "api-calls/op")
			b.ReportMetric(waited.Seconds()/float64(b.N), "clock-s/op")
		})
	}
}
