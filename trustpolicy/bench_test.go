package trustpolicy_test

import (
	"testing"
	"time"

	"github.com/iamkit/iamkit/trustpolicy"
)

// BenchmarkParseEditSerialize parses a hand-written cross-account policy,
// adds a principal and requires MFA, and serializes it: the local cost of
// one edit, reported in allocations.
func BenchmarkParseEditSerialize(b *testing.B) {
	raw := fixture(b, "cross-account-mfa.json")
	edit := trustpolicy.Edits(trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::111122223333:user/user3")), trustpolicy.RequireMFA(""))
	b.ReportAllocs()
	for b.Loop() {
		d, err := trustpolicy.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		after, err := d.With(edit)
		if err != nil {
			b.Fatal(err)
		}
		_ = trustpolicy.Diff(d, after)
		_ = after.Bytes()
	}
}

// BenchmarkApplyAll20 adds a principal to the same role in 20 accounts whose
// every call takes 20 ms, with the default concurrency. It reports the API
// calls per account (2: GetRole and UpdateAssumeRolePolicy) and the wall
// time of the fan-out (about 20 accounts / 4 at once × 2 calls × 20 ms).
func BenchmarkApplyAll20(b *testing.B) {
	var calls, runs int
	for b.Loop() {
		b.StopTimer()
		accts, targets := accounts(b, 20)
		for _, a := range accts {
			a.SetLatency("*", 20*time.Millisecond)
		}
		b.StartTimer()
		results := trustpolicy.ApplyAll(b.Context(), targets, "Admin", trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser)))
		for _, r := range results {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		for _, a := range accts {
			calls += a.CallsWithPrefix("iam:")
		}
		runs++
	}
	b.ReportMetric(float64(calls)/float64(runs*20), "calls/account")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(runs), "wall-ms/op")
}
