package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// fleet publishes a snapshot of the story's users to the account's
// in-memory S3 and syncs two fake hosts from it: one IAM read for the whole
// fleet, one conditional GET per host, a 304 when nothing changed; and a
// snapshot altered by hand is refused, changing nothing.
func (d *demo) fleet(ctx context.Context) error {
	user := d.spec.UserName
	cfg, err := hostsync.ParseConfig([]byte(demoHostsyncConf))
	if err != nil {
		return err
	}
	// The hostsync chapter deactivated her key; the laptop turned up.
	keys, err := d.iam.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String(user)})
	if err != nil {
		return err
	}
	for _, k := range keys.SSHPublicKeys {
		if _, err := d.iam.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{
			UserName: aws.String(user), SSHPublicKeyId: k.SSHPublicKeyId, Status: types.StatusTypeActive,
		}); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.w, "%s's laptop turned up and her key is Active again. Now the fleet: with H hosts\n"+
		"each asking IAM for N users' keys every 10 minutes, IAM throttles long before\n"+
		"H reaches a thousand. Instead one publisher reads IAM and writes a snapshot to\n"+
		"S3 (here the account's in-memory S3), and every host reads that one object.\n\n", user)

	const bucket, key = "iamkit-fleet", "hostsync/snapshot.json"
	s3api := d.acct.S3()
	if _, err := s3api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return err
	}
	pub := hostsync.NewIAMSource(d.iam, cfg) // the publisher's; it caches key bodies
	publish := func() (hostsync.PublishResult, error) {
		snap, err := hostsync.BuildSnapshot(ctx, pub, d.acct.ID(), d.acct.Clock().Now())
		if err != nil {
			return hostsync.PublishResult{}, err
		}
		return hostsync.Publish(ctx, s3api, bucket, key, snap, hostsync.PublishOptions{})
	}
	d.acct.ResetCalls()
	res, err := publish()
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "iamkit hostsync publish --bucket %s --key %s --groups developers --sudoers-groups developers:\n"+
		"  written (%s): %d user(s), %d key(s), %d bytes\n  calls: %s\n\n",
		bucket, key, res.Reason, res.Users, res.Keys, res.Size, d.acct.CallSummary())

	hosts := []*fakes.Host{fakes.NewHost(), fakes.NewHost()}
	srcs := make([]*hostsync.SnapshotSource, len(hosts))
	for i := range hosts {
		srcs[i] = hostsync.NewS3SnapshotSource(s3api, bucket, key, cfg, hostsync.SnapshotSourceOptions{
			Account: d.acct.ID(), Clock: d.acct.Clock(),
		})
	}
	syncAll := func() ([]hostsync.SyncPlan, error) {
		var plans []hostsync.SyncPlan
		for i, h := range hosts {
			p, _, err := hostsync.Sync(ctx, srcs[i], h, cfg, hostsync.SyncOptions{Clock: d.acct.Clock()})
			if err != nil {
				return plans, err
			}
			plans = append(plans, p)
		}
		return plans, nil
	}
	d.acct.ResetCalls()
	plans, err := syncAll()
	if err != nil {
		return err
	}
	for i, h := range hosts {
		u, ok := h.User(user)
		if !ok {
			return fmt.Errorf("host %d has no %s", i+1, user)
		}
		fmt.Fprintf(d.w, "hostsyncd --snapshot s3://%s/%s on host %d: %d actions; %s: uid %d, sudo %t, %d key(s)\n",
			bucket, key, i+1, len(plans[i].Actions), u.Name, u.UID, u.Sudo, len(u.Keys))
	}
	fmt.Fprintf(d.w, "  calls: %s (no IAM call from the hosts)\n\n", d.acct.CallSummary())

	d.acct.Clock().Advance(10 * time.Minute)
	d.acct.ResetCalls()
	if res, err = publish(); err != nil {
		return err
	}
	if res.Written {
		return fmt.Errorf("an unchanged snapshot was written (%s)", res.Reason)
	}
	if plans, err = syncAll(); err != nil {
		return err
	}
	for _, p := range plans {
		if !p.Empty() {
			return errors.New("a host changed something in the steady state")
		}
	}
	fmt.Fprintf(d.w, "Ten minutes later nothing changed: the publisher writes nothing, each host's\n"+
		"conditional GET (If-None-Match) is answered 304 and its plan is empty.\n"+
		"  calls of the whole cycle: %s\n"+
		"  (the publisher: one ListSSHPublicKeys per user plus the group listing, and a\n"+
		"  GetObject to compare; each host: one GetObject)\n\n", d.acct.CallSummary())

	obj, ok := s3api.Object(bucket, key)
	if !ok {
		return errors.New("the snapshot object is gone")
	}
	altered := bytes.Replace(obj.Body, []byte(`"sudoers_groups": []`), []byte(`"sudoers_groups": ["wheel"]`), 1)
	if bytes.Equal(altered, obj.Body) {
		return errors.New("the snapshot has no empty sudoers_groups to alter")
	}
	if _, err := s3api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(altered)}); err != nil {
		return err
	}
	writes := hosts[0].Writes()
	_, _, err = hostsync.Sync(ctx, srcs[0], hosts[0], cfg, hostsync.SyncOptions{Clock: d.acct.Clock()})
	if !errors.Is(err, hostsync.ErrSnapshotMalformed) {
		return fmt.Errorf("an altered snapshot was not refused: %v", err)
	}
	if hosts[0].Writes() != writes {
		return errors.New("an altered snapshot changed the host")
	}
	fmt.Fprintf(d.w, "Someone edits the object by hand. Host 1 refuses it (its content_sha256 no\n"+
		"longer matches) and changes nothing; sshd keeps answering from its key cache:\n  %v\n", err)
	if res, err = publish(); err != nil {
		return err
	}
	if _, _, err := hostsync.Sync(ctx, srcs[0], hosts[0], cfg, hostsync.SyncOptions{Clock: d.acct.Clock()}); err != nil {
		return err
	}
	if !res.Written {
		return errors.New("the publisher did not repair the altered snapshot")
	}
	fmt.Fprintf(d.w, "The publisher's next run finds the object invalid and rewrites it; host 1\n"+
		"syncs again. A stale snapshot (its publisher stopped), another account's, or an\n"+
		"unreachable bucket are refused the same way: nothing is deleted.\n")
	return nil
}
