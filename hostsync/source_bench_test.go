package hostsync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/internal/fakes"
)

// srcBenchLatency models one IAM round trip.
const srcBenchLatency = 20 * time.Millisecond

// srcBenchIAMAccount returns an account whose group "ssh" holds n users with
// two ed25519 keys each, built without latency.
func srcBenchIAMAccount(b *testing.B, n int) *fakes.Account {
	b.Helper()
	ctx := context.Background()
	acct := fakes.NewAccount()
	svc := acct.IAM()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	_, err := svc.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ssh")})
	must(err)
	for i := range n {
		name := aws.String(fmt.Sprintf("user%04d", i))
		_, err := svc.CreateUser(ctx, &iam.CreateUserInput{UserName: name})
		must(err)
		_, err = svc.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String("ssh")})
		must(err)
		for _, k := range []string{"a", "b"} {
			_, err = svc.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: name, SSHPublicKeyBody: aws.String(pubKey(fmt.Sprintf("bench-%d-%s", i, k)))})
			must(err)
		}
	}
	return acct
}

// srcBenchSync runs one Sync and returns its wall time and IAM calls.
func srcBenchSync(b *testing.B, acct *fakes.Account, src hostsync.Source, h *fakes.Host, cfg hostsync.Config) (time.Duration, int, hostsync.SyncPlan) {
	b.Helper()
	acct.ResetCalls()
	start := time.Now()
	p, r, err := hostsync.Sync(context.Background(), src, h, cfg)
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("sync: %v\n%s", err, r)
	}
	return wall, acct.CallsWithPrefix("iam:"), p
}

// BenchmarkFirstSync1000 syncs 1,000 IAM users × 2 keys from one authorized
// group to an empty host, each IAM call taking 20 ms, with a fresh key body
// cache every time: every body is fetched. Target: under 5 s.
func BenchmarkFirstSync1000(b *testing.B) {
	const n = 1000
	acct := srcBenchIAMAccount(b, n)
	acct.SetLatency("*", srcBenchLatency)
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}}
	var wall time.Duration
	var calls, gets int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := fakes.NewHost()
		src := iamsource.NewIAMSource(acct.IAM(), cfg, hostsync.WithKeyBodyCache(hostsync.NewMemoryKeyBodyCache()))
		b.StartTimer()
		w, c, _ := srcBenchSync(b, acct, src, h, cfg)
		b.StopTimer()
		wall += w
		calls += c
		gets += acct.Calls("iam:GetSSHPublicKey")
		if got := len(managedNames(h)); got != n {
			b.Fatalf("%d users synced, want %d", got, n)
		}
		if keys := len(h.Keys("user0999")); keys != 2 {
			b.Fatalf("user0999 has %d keys, want 2", keys)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "iam-calls/sync")
	b.ReportMetric(float64(gets)/float64(b.N), "GetSSHPublicKey/sync")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/sync")
}

// BenchmarkSteadySync1000 syncs the same 1,000 users × 2 keys again, with a
// warm key body cache and nothing to change, each IAM call taking 20 ms.
// Target: at most one call per user plus the listing pages, no
// GetSSHPublicKey.
func BenchmarkSteadySync1000(b *testing.B) {
	const n = 1000
	acct := srcBenchIAMAccount(b, n)
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}}
	h := fakes.NewHost()
	src := iamsource.NewIAMSource(acct.IAM(), cfg)
	srcBenchSync(b, acct, src, h, cfg) // warm up, without latency
	acct.SetLatency("*", srcBenchLatency)
	var wall time.Duration
	var calls, pages int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, c, p := srcBenchSync(b, acct, src, h, cfg)
		b.StopTimer()
		wall += w
		calls += c
		pages += acct.Calls("iam:GetGroup")
		if !p.Empty() {
			b.Fatalf("steady state planned %d actions", len(p.Actions))
		}
		if g := acct.Calls("iam:GetSSHPublicKey"); g != 0 {
			b.Fatalf("%d GetSSHPublicKey calls in a steady-state sync", g)
		}
		if l := acct.Calls("iam:ListSSHPublicKeys"); c != l+acct.Calls("iam:GetGroup") || l != n {
			b.Fatalf("%d calls: %s", c, acct.CallSummary())
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "iam-calls/sync")
	b.ReportMetric(float64(calls)/float64(b.N)/n, "iam-calls/user")
	b.ReportMetric(float64(pages)/float64(b.N), "listing-pages/sync")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/sync")
}
