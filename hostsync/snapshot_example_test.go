package hostsync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/iamkittest"
)

// exampleFleetAccount returns a fake account with alice@corp.com in "ssh"
// and "admins" with one key, and an S3 bucket "fleet".
func exampleFleetAccount() *iamkittest.Account {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	svc := acct.IAM()
	for _, g := range []string{"ssh", "admins"} {
		_, _ = svc.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})
	}
	_, _ = svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice@corp.com")})
	for _, g := range []string{"ssh", "admins"} {
		_, _ = svc.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("alice@corp.com"), GroupName: aws.String(g)})
	}
	_, _ = svc.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice@corp.com"), SSHPublicKeyBody: aws.String(exampleKey("example"))})
	_, _ = acct.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	acct.ResetCalls()
	return acct
}

// A publisher reads IAM once and writes the snapshot to S3 — only when it
// changed. A real publisher passes iam.NewFromConfig(awsCfg) and
// s3.NewFromConfig(awsCfg) where this example passes the fake account.
func ExamplePublish() {
	ctx := context.Background()
	acct := exampleFleetAccount()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	src := iamsource.NewIAMSource(acct.IAM(), cfg) // keep it: it caches key bodies

	for i := range 2 {
		now := iamkittest.DefaultStart.Add(time.Duration(i) * 10 * time.Minute)
		snap, err := iamsource.BuildSnapshot(ctx, src, acct.ID(), now)
		if err != nil {
			panic(err)
		}
		res, err := s3snapshot.Publish(ctx, acct.S3(), "fleet", "hostsync/snapshot.json", snap)
		if err != nil {
			panic(err)
		}
		fmt.Printf("written=%v (%s) users=%d keys=%d\n", res.Written, res.Reason, res.Users, res.Keys)
		fmt.Println(acct.CallSummary())
		acct.ResetCalls()
	}
	// Output:
	// written=true (no object yet) users=1 keys=1
	// iam:GetGroup=2 iam:GetSSHPublicKey=1 iam:ListSSHPublicKeys=1 s3:GetObject=1 s3:PutObject=1
	// written=false (unchanged) users=1 keys=1
	// iam:GetGroup=2 iam:ListSSHPublicKeys=1 s3:GetObject=1
}

// Hosts sync from the snapshot: one conditional GET per sync, a 304 while
// nothing changed, and no IAM call at all.
func ExampleSnapshotSource() {
	ctx := context.Background()
	acct := exampleFleetAccount()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	snap, _ := iamsource.BuildSnapshot(ctx, iamsource.NewIAMSource(acct.IAM(), cfg), acct.ID(), acct.Clock().Now())
	_, _ = s3snapshot.Publish(ctx, acct.S3(), "fleet", "hostsync/snapshot.json", snap)
	acct.ResetCalls()

	src := s3snapshot.NewS3SnapshotSource(acct.S3(), "fleet", "hostsync/snapshot.json", cfg,
		hostsync.WithAccount(acct.ID()),
		hostsync.WithClock(acct.Clock()),
		// hostsync.WithCacheFile("/var/lib/iamkit/snapshot.json"), so a restart starts warm.
	)
	host := iamkittest.NewHost()
	for range 2 {
		p, _, err := hostsync.Sync(ctx, src, host, cfg)
		if err != nil {
			panic(err)
		}
		fmt.Println("actions:", len(p.Actions), "|", acct.CallSummary())
	}
	u, _ := host.User("alice.at.corp.com")
	fmt.Println("sudo:", u.Sudo, "keys:", len(u.Keys))

	// Three hours later the publisher has stopped: the snapshot is stale,
	// the host changes nothing, and sshd keeps its cached keys.
	acct.Clock().Advance(s3snapshot.DefaultSnapshotMaxAge + time.Minute)
	_, _, err := hostsync.Sync(ctx, src, host, cfg)
	fmt.Println(err)
	// Output:
	// actions: 4 | s3:GetObject=1
	// actions: 0 | s3:GetObject=2
	// sudo: true keys: 1
	// hostsync: sync: IAM source unknown: snapshot s3://fleet/hostsync/snapshot.json: stale snapshot: generated 3h1m0s ago at 2026-01-15T09:00:00Z, more than the maximum age 3h0m0s (is the publisher running?)
}
