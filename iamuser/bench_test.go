package iamuser_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/iamkit/iamkit/iamuser"
)

// latency is the injected round trip of every fake IAM call in benchmarks.
const latency = 20 * time.Millisecond

// BenchmarkOnboardOne onboards one user with a console password, MFA and a
// group against a fake account answering every call after 20 ms. It reports
// the API calls per onboarding and the clock time spent waiting for a TOTP
// step (0: the device is enabled without waiting).
func BenchmarkOnboardOne(b *testing.B) {
	e := newEnv(b, "developers")
	e.acct.SetLatency("*", latency)
	clockStart := e.acct.Clock().Now()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := e.m.Onboard(b.Context(), iamuser.Spec{UserName: fmt.Sprintf("user%d", i), Groups: []string{"developers"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(e.acct.CallsWithPrefix("iam:"))/float64(b.N), "calls/op")
	b.ReportMetric(e.acct.Clock().Now().Sub(clockStart).Seconds()/float64(b.N), "totp-wait-s/op")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "wall-ms/op")
}

// BenchmarkOnboardBulk100 onboards 100 users from one batch with the default
// bounded concurrency, every call taking 20 ms. Target: under 3 s per batch.
func BenchmarkOnboardBulk100(b *testing.B) {
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		e := newEnv(b, "developers")
		e.acct.SetLatency("*", latency)
		rows := make([]iamuser.Row, 100)
		for i := range rows {
			rows[i] = iamuser.Row{Line: i + 2, Spec: iamuser.Spec{UserName: fmt.Sprintf("user%03d", i), Groups: []string{"developers"}}}
		}
		b.StartTimer()
		start := time.Now()
		for _, r := range e.m.OnboardBulk(b.Context(), rows) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/batch")
		b.ReportMetric(float64(e.acct.CallsWithPrefix("iam:"))/100, "calls/user")
	}
}
