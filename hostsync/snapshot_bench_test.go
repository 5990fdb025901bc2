package hostsync_test

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/fakes"
)

// The fleet the simulation models: H hosts, N IAM users with two keys
// each, one sync per host per cycle.
const (
	fleetHosts = 1000
	fleetUsers = 1000
	fleetCycle = 10 * time.Minute
	// fleetLiveSample is how many hosts the live-mode simulation really
	// syncs. Every live host makes the same IAM calls (its own IAMSource
	// with its own warm key body cache reads the same users), so the fleet's
	// figure is the sample's per-host figure times H: syncing 1,000 hosts
	// of 1,000 users each would only take longer, not tell more.
	fleetLiveSample = 2
)

// hostGets wraps one host's S3 client and counts its GetObject answers.
// Each host is simulated by one goroutine: no locking needed.
type hostGets struct {
	api                     s3snapshot.SnapshotGetAPI
	gets, notModified, size int64
}

func (c *hostGets) GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.gets++
	out, err := c.api.GetObject(ctx, in, optFns...)
	var ae smithy.APIError
	switch {
	case err == nil:
		c.size += aws.ToInt64(out.ContentLength)
	case errors.As(err, &ae) && ae.ErrorCode() == "NotModified":
		c.notModified++
	}
	return out, err
}

// fleetTotals sums the hosts' requests over one cycle.
type fleetTotals struct{ gets, notModified, size atomic.Int64 }

func (t *fleetTotals) add(c *hostGets) {
	t.gets.Add(c.gets)
	t.notModified.Add(c.notModified)
	t.size.Add(c.size)
	*c = hostGets{api: c.api}
}

// BenchmarkFleet simulates one 10-minute cycle of a fleet of H = 1,000
// hosts syncing N = 1,000 IAM users × 2 keys, on the fake account:
//
//   - live mode: every host reads IAM itself (an IAMSource with its own warm
//     key body cache): N ListSSHPublicKeys + the GetGroup pages per host
//     and cycle. Measured on fleetLiveSample hosts really synced (warm-up
//     sync, then the steady-state sync counted) and multiplied by H.
//   - snapshot mode: one publisher (BuildSnapshot + Publish) reads IAM once
//     per cycle — the same N + pages calls — and every host makes one
//     conditional GetObject, answered 304 while nothing changed. All H
//     hosts are simulated, each with its own SnapshotSource: a first read
//     (200, the cycle after a change) and the steady-state read (304).
//     fleetLiveSample of them also run a full Sync on a fake host.
//
// Reported per cycle: live-iam-calls, snapshot-iam-calls (target ≤ N +
// ⌈N/100⌉), s3-requests (hosts' GETs plus the publisher's GET/PUT),
// s3-304s, host-bytes (downloaded by hosts in the steady cycle) and
// after-change-bytes (downloaded by hosts in a cycle that follows a change),
// and the average request rates against IAM (iam-calls/s over the cycle).
// Run with -short for 50 hosts.
func BenchmarkFleet(b *testing.B) {
	ctx := context.Background()
	hosts := fleetHosts
	if testing.Short() {
		hosts = 50
	}
	acct := srcBenchIAMAccount(b, fleetUsers)
	clk := acct.Clock()
	if _, err := acct.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")}); err != nil {
		b.Fatal(err)
	}
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}}

	var liveFirst, liveSteady, pubFirst, pubSteady, pubS3 int
	var snapBytes int
	var afterChange, steady fleetTotals
	for b.Loop() {
		// ---- live mode: a sample of hosts, each on its own ----
		liveFirst, liveSteady = 0, 0
		for range fleetLiveSample {
			h := fakes.NewHost()
			src := iamsource.NewIAMSource(acct.IAM(), cfg)
			acct.ResetCalls()
			if _, _, err := hostsync.Sync(ctx, src, h, cfg); err != nil {
				b.Fatal(err)
			}
			liveFirst += acct.CallsWithPrefix("iam:")
			acct.ResetCalls()
			p, _, err := hostsync.Sync(ctx, src, h, cfg)
			if err != nil || !p.Empty() {
				b.Fatalf("steady live sync: %v, %d actions", err, len(p.Actions))
			}
			liveSteady += acct.CallsWithPrefix("iam:")
		}
		liveFirst /= fleetLiveSample
		liveSteady /= fleetLiveSample

		// ---- snapshot mode: one publisher ----
		_, _ = acct.S3().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("fleet"), Key: aws.String("snapshot.json")})
		pub := iamsource.NewIAMSource(acct.IAM(), cfg)
		publish := func() (iamCalls, s3Calls int, res s3snapshot.PublishResult) {
			acct.ResetCalls()
			snap, err := iamsource.BuildSnapshot(ctx, pub, acct.ID(), clk.Now())
			if err != nil {
				b.Fatal(err)
			}
			res, err = s3snapshot.Publish(ctx, acct.S3(), "fleet", "snapshot.json", snap)
			if err != nil {
				b.Fatal(err)
			}
			return acct.CallsWithPrefix("iam:"), acct.CallsWithPrefix("s3:"), res
		}
		var res s3snapshot.PublishResult
		if pubFirst, _, res = publish(); !res.Written { // cold: every key body fetched
			b.Fatal("first publish wrote nothing")
		}
		snapBytes = res.Size
		clk.Advance(fleetCycle)
		if pubSteady, pubS3, res = publish(); res.Written { // steady: nothing changed
			b.Fatalf("steady publish wrote: %s", res.Reason)
		}

		// ---- snapshot mode: every host, each with its own source ----
		afterChange, steady = fleetTotals{}, fleetTotals{}
		var failed atomic.Value
		fail := func(err error) { failed.CompareAndSwap(nil, err) }
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := range jobs {
					c := &hostGets{api: acct.S3()}
					src := s3snapshot.NewS3SnapshotSource(c, "fleet", "snapshot.json", cfg,
						hostsync.WithAccount(acct.ID()), hostsync.WithClock(clk))
					if i < fleetLiveSample {
						// A full sync on a fake host, then a steady one.
						h := fakes.NewHost()
						if _, _, err := hostsync.Sync(ctx, src, h, cfg); err != nil {
							fail(err)
						}
						afterChange.add(c)
						if p, _, err := hostsync.Sync(ctx, src, h, cfg); err != nil || !p.Empty() {
							fail(errors.New("a steady sync from the snapshot changed something"))
						}
						steady.add(c)
						if len(managedNames(h)) != fleetUsers || len(h.Keys("user0999")) != 2 {
							fail(errors.New("the host synced from the snapshot misses users or keys"))
						}
						continue
					}
					if d := src.Desired(ctx); !d.Complete || len(d.Users) != fleetUsers {
						fail(errors.New("first read incomplete"))
					}
					afterChange.add(c)
					if d := src.Desired(ctx); !d.Complete || len(d.Users) != fleetUsers {
						fail(errors.New("steady read incomplete"))
					}
					steady.add(c)
				}
			})
		}
		for i := range hosts {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		if v := failed.Load(); v != nil {
			b.Fatal(v)
		}
		if g, nm := steady.gets.Load(), steady.notModified.Load(); g != int64(hosts) || nm != int64(hosts) {
			b.Fatalf("steady cycle: %d GETs, %d 304s for %d hosts", g, nm, hosts)
		}
	}

	n := float64(fleetUsers)
	live := float64(liveSteady) * float64(hosts)
	target := n + math.Ceil(n/100)
	if float64(pubSteady) > target {
		b.Fatalf("snapshot mode: %d IAM calls per cycle, target ≤ %.0f", pubSteady, target)
	}
	b.ReportMetric(float64(liveSteady), "live-iam-calls/host")
	b.ReportMetric(live, "live-iam-calls/cycle")
	b.ReportMetric(live/fleetCycle.Seconds(), "live-iam-calls/s")
	b.ReportMetric(float64(liveFirst)*float64(hosts), "live-cold-iam-calls/cycle")
	b.ReportMetric(float64(pubSteady), "snapshot-iam-calls/cycle")
	b.ReportMetric(float64(pubSteady)/fleetCycle.Seconds(), "snapshot-iam-calls/s")
	b.ReportMetric(float64(pubFirst), "snapshot-cold-iam-calls/cycle")
	b.ReportMetric(float64(steady.gets.Load()+int64(pubS3)), "s3-requests/cycle")
	b.ReportMetric(float64(steady.notModified.Load()), "s3-304s/cycle")
	b.ReportMetric(float64(steady.size.Load()), "host-bytes/cycle")
	b.ReportMetric(float64(afterChange.size.Load()), "after-change-bytes/cycle")
	b.ReportMetric(float64(snapBytes), "snapshot-bytes")
}
