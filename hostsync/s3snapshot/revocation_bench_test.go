package s3snapshot_test

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/internal/hsfixture"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/fakes"
)

// The fleet BenchmarkRevocation simulates.
const (
	revokeHosts  = 1000
	revokeUsers  = 20               // besides the victim
	revokeWindow = time.Hour        // simulated time, for requests/host/hour
	revokeAt     = 20 * time.Minute // the IAM change, into the window
)

// countingGets counts the hosts' GetObject requests and their 304s. The
// simulation runs hosts one at a time: no locking needed.
type countingGets struct {
	api         s3snapshot.SnapshotGetAPI
	gets, n304s int
}

func (c *countingGets) GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.gets++
	out, err := c.api.GetObject(ctx, in, optFns...)
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NotModified" {
		c.n304s++
	}
	return out, err
}

// simEvent is one host's next poll (host ≥ 0), or the publish (-1).
type simEvent struct {
	at   time.Time
	host int
}

type simQueue []simEvent

func (q simQueue) Len() int           { return len(q) }
func (q simQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q simQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)        { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// revocationResult is what one simulated hour gave.
type revocationResult struct {
	latencies   []time.Duration // per host: IAM change → key refused and sessions ended
	gets, n304s int
	publishes   int
}

// simulateRevocation runs a fleet of hosts for revokeWindow of simulated
// time on the fake account's clock: each host is hostsyncd's snapshot
// loop — a Poller over its own SnapshotSource (conditional GETs on the
// shared fake S3 bucket), hostsync.Sync from Held when the poll says so,
// on a fake host with EndSessionsOnLock (hostsyncd's default) — started at
// a random phase. At revokeAt the victim is cut off in IAM with
// iamsource.PlanRevoke and ApplyRevoke (keys deactivated, removed from the
// authorized group: what 'iamkit hostsync revoke' does); eventDelay later the Republisher publishes (0 for a
// change made through iamkit, which republishes at once). Each host's
// latency is from the IAM change to the first moment its key cache holds
// no key of the victim and the victim has no session left.
func simulateRevocation(b testing.TB, hosts int, eventDelay time.Duration, seed uint64) revocationResult {
	ctx := context.Background()
	clk := fakes.NewClock(fakes.DefaultStart)
	acct := fakes.NewAccount(fakes.WithClock(clk))
	f := hsfixture.OnAccount(b, acct)
	for i := range revokeUsers {
		f.Add(fmt.Sprintf("user%02d", i), []string{"ssh"}, fmt.Sprintf("user%02d-1", i))
	}
	f.Add("mallory", []string{"ssh"}, "mallory-1", "mallory-2")
	if _, err := acct.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")}); err != nil {
		b.Fatal(err)
	}
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, EndSessionsOnLock: true}
	pub := s3snapshot.NewRepublisher(iamsource.NewIAMSource(acct.IAM(), cfg), cfg, acct.ID(), acct.S3(), "fleet", "hosts.json",
		hostsync.WithClock(clk))
	if _, err := pub.Republish(ctx); err != nil {
		b.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(seed, 12))
	gets := &countingGets{api: acct.S3()}
	type simHost struct {
		sys    *fakes.Host
		src    *s3snapshot.SnapshotSource
		poller *s3snapshot.Poller
		done   bool
	}
	start := clk.Now()
	fleet := make([]simHost, hosts)
	q := make(simQueue, 0, hosts+1)
	for i := range fleet {
		src := s3snapshot.NewS3SnapshotSource(gets, "fleet", "hosts.json", cfg, hostsync.WithAccount(acct.ID()), hostsync.WithClock(clk))
		fleet[i] = simHost{sys: fakes.NewHost(), src: src, poller: s3snapshot.NewPoller(src, s3snapshot.WithRand(rng.Float64))}
		q = append(q, simEvent{at: start.Add(time.Duration(rng.Float64() * float64(s3snapshot.DefaultPollInterval))), host: i})
	}
	changeAt := start.Add(revokeAt + time.Duration(rng.Float64()*float64(time.Minute)))
	q = append(q, simEvent{at: changeAt.Add(eventDelay), host: -1})
	heap.Init(&q)

	var res revocationResult
	changed := false
	for q.Len() > 0 {
		e := heap.Pop(&q).(simEvent)
		if !e.at.Before(start.Add(revokeWindow)) {
			break
		}
		if !changed && !e.at.Before(changeAt) {
			changed = true
			clk.Set(changeAt)
			plan, err := iamsource.PlanRevoke(ctx, f.IAM, "mallory", cfg)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := iamsource.ApplyRevoke(ctx, f.IAM, plan); err != nil {
				b.Fatal(err)
			}
		}
		clk.Set(e.at)
		if e.host < 0 {
			if _, err := pub.Republish(ctx); err != nil {
				b.Fatal(err)
			}
			continue
		}
		h := &fleet[e.host]
		dec, err := h.poller.Tick(ctx, clk, func(ctx context.Context, _ string) error {
			_, _, err := hostsync.Sync(ctx, h.src.Held(cfg), h.sys, cfg, hostsync.WithClock(clk))
			return err
		})
		if err != nil {
			b.Fatalf("host %d: %s: %v", e.host, dec.Reason, err)
		}
		if !changed && dec.Reason == "first sync" {
			h.sys.StartSession("mallory") // logged in before the change
		}
		if changed && !h.done {
			keys, err := h.sys.ReadKeys(ctx, "mallory")
			if err != nil {
				b.Fatal(err)
			}
			if len(keys) == 0 && h.sys.Sessions("mallory") == 0 {
				h.done = true
				res.latencies = append(res.latencies, e.at.Sub(changeAt))
			}
		}
		heap.Push(&q, simEvent{at: e.at.Add(h.poller.Next()), host: e.host})
	}
	if len(res.latencies) != hosts {
		b.Fatalf("%d of %d hosts cut the victim off within the window", len(res.latencies), hosts)
	}
	res.gets, res.n304s, res.publishes = gets.gets, gets.n304s, pub.Publishes()
	return res
}

// percentile returns the p-th percentile (nearest rank) of sorted ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(ds))+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// BenchmarkRevocation measures, on the injected clock, how fast a fleet of
// 1,000 hosts following the snapshot (hostsyncd's Poller: a conditional
// GET every 15 s + up to 10% jitter, a full sync when the ETag changed and
// every 10 min) cuts off a revoked person: from the IAM change to every
// host's key cache holding none of their keys and their sessions ended.
// event-delay is the time from the IAM change to the republish: 0 for a
// change made through iamkit (which republishes at once); for a change made
// elsewhere, the CloudTrail → EventBridge delivery plus the publisher's
// run. Reported: revoke-p99-s and revoke-max-s over the hosts, and
// requests/host/hour (the hosts' GETs over the simulated hour; 304s while
// nothing changed), plus s3-304-share. Run with -short for 100 hosts.
func BenchmarkRevocation(b *testing.B) {
	hosts := revokeHosts
	if testing.Short() {
		hosts = 100
	}
	for _, delay := range []time.Duration{0, 30 * time.Second, 2 * time.Minute} {
		name := "via=iamkit/event-delay=0s"
		if delay > 0 {
			name = "via=cloudtrail/event-delay=" + delay.String()
		}
		b.Run(name, func(b *testing.B) {
			var res revocationResult
			seed := uint64(0)
			for b.Loop() {
				seed++
				res = simulateRevocation(b, hosts, delay, seed)
			}
			lat := slices.Clone(res.latencies)
			slices.Sort(lat)
			b.ReportMetric(percentile(lat, 0.99).Seconds(), "revoke-p99-s")
			b.ReportMetric(lat[len(lat)-1].Seconds(), "revoke-max-s")
			b.ReportMetric(float64(res.gets)/float64(hosts)/revokeWindow.Hours(), "requests/host/hour")
			b.ReportMetric(float64(res.n304s)/float64(res.gets), "s3-304-share")
		})
	}
}
