package hostsync_test

import (
	"context"
	"fmt"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/iamkittest"
)

// Cutting a person off the fleet now: revoke in IAM, republish at once,
// and a host polling the snapshot (hostsyncd's loop: Poll every 15 s, Sync
// from Held when it says so) drops the keys, locks the account and ends
// the open session at its next poll.
func ExampleRepublisher() {
	ctx := context.Background()
	acct := exampleFleetAccount()
	clk := acct.Clock()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}, EndSessionsOnLock: true}
	pub := s3snapshot.NewRepublisher(iamsource.NewIAMSource(acct.IAM(), cfg), cfg, acct.ID(), acct.S3(), "fleet", "hostsync/snapshot.json",
		hostsync.WithClock(clk))
	if _, err := pub.Republish(ctx); err != nil {
		panic(err)
	}

	src := s3snapshot.NewS3SnapshotSource(acct.S3(), "fleet", "hostsync/snapshot.json", cfg, hostsync.WithAccount(acct.ID()), hostsync.WithClock(clk))
	poller := s3snapshot.NewPoller(src, s3snapshot.WithRand(func() float64 { return 0 }))
	host := iamkittest.NewHost()
	poll := func() {
		d, err := poller.Poll(ctx, clk.Now())
		if err != nil {
			panic(err)
		}
		if d.Sync {
			_, _, err = hostsync.Sync(ctx, src.Held(cfg), host, cfg)
			poller.Synced(clk.Now(), err)
		}
		u, _ := host.User("alice.at.corp.com")
		fmt.Printf("%s: sync=%v %q keys=%d locked=%v sessions=%d\n", clk.Now().Format("15:04:05"), d.Sync, d.Reason,
			len(u.Keys), u.Locked, host.Sessions("alice.at.corp.com"))
		clk.Advance(poller.Next())
	}
	poll()
	host.StartSession("alice.at.corp.com")
	poll()

	plan, err := iamsource.PlanRevoke(ctx, acct.IAM(), "alice@corp.com", cfg)
	if err != nil {
		panic(err)
	}
	if _, err := iamsource.ApplyRevoke(ctx, acct.IAM(), plan); err != nil {
		panic(err)
	}
	res, err := pub.Republish(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("republished:", res.Written, res.Users, "users")
	poll()
	fmt.Println("poll interval:", s3snapshot.DefaultPollInterval, "full sync every", s3snapshot.DefaultFullSyncInterval)
	// Output:
	// 09:00:00: sync=true "first sync" keys=1 locked=false sessions=0
	// 09:00:15: sync=false "" keys=1 locked=false sessions=1
	// republished: true 0 users
	// 09:00:30: sync=true "snapshot changed" keys=0 locked=true sessions=0
	// poll interval: 15s full sync every 10m0s
}
