package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
)

// fleet publishes a snapshot of the story's users to the account's S3 with
// 'iamkit hostsync publish' and syncs two fake hosts from it the way
// hostsyncd --snapshot does (hostsync's S3 snapshot source, over a real S3
// client): one IAM read for the whole fleet, one conditional GET per host,
// a 304 when nothing changed; and a snapshot altered by hand is refused,
// changing nothing.
func (d *demo) fleet(ctx context.Context) error {
	user := d.user
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
		"S3 (here the fake account's S3), and every host reads that one object.\n\n", user)

	const bucket, key = "iamkit-fleet", "hostsync/snapshot.json"
	s3api := s3.NewFromConfig(d.srv.Config())
	if _, err := s3api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return err
	}
	publish := []string{"hostsync", "publish", "--bucket", bucket, "--key", key, "--groups", d.group, "--sudoers-groups", d.group}
	d.acct.ResetCalls()
	if _, err := d.run(ctx, publish...); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "The calls it made: %s\n\n", d.acct.CallSummary())

	hosts := []*iamkittest.Host{iamkittest.NewHost(), iamkittest.NewHost()}
	srcs := make([]*hostsync.SnapshotSource, len(hosts))
	for i := range hosts {
		srcs[i] = hostsync.NewS3SnapshotSource(s3api, bucket, key, cfg, hostsync.SnapshotSourceOptions{
			Account: d.acct.ID(), Clock: d.clock,
		})
	}
	syncHost := func(i int) (hostsync.SyncPlan, error) {
		p, _, err := hostsync.Sync(ctx, srcs[i], hosts[i], cfg, hostsync.SyncOptions{Clock: d.clock})
		return p, err
	}
	syncAll := func() ([]hostsync.SyncPlan, error) {
		var plans []hostsync.SyncPlan
		for i := range hosts {
			p, err := syncHost(i)
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

	d.clock.Advance(10 * time.Minute)
	d.acct.ResetCalls()
	fmt.Fprintln(d.w, "Ten minutes later, nothing changed in IAM:")
	out, err := d.run(ctx, publish...)
	if err != nil {
		return err
	}
	if !bytes.Contains([]byte(out), []byte("unchanged: nothing written")) {
		return errors.New("an unchanged snapshot was written")
	}
	if plans, err = syncAll(); err != nil {
		return err
	}
	for _, p := range plans {
		if !p.Empty() {
			return errors.New("a host changed something in the steady state")
		}
	}
	fmt.Fprintf(d.w, "Each host's conditional GET (If-None-Match) is answered 304 and its plan is\n"+
		"empty. The calls of the whole cycle:\n  %s\n"+
		"(the publisher: who it is, the group listing, each user's keys, and a GetObject\n"+
		"to compare, whatever the number of hosts; each host: one GetObject)\n\n", d.acct.CallSummary())

	obj, err := s3api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		return err
	}
	altered := bytes.Replace(body, []byte(`"sudoers_groups": []`), []byte(`"sudoers_groups": ["wheel"]`), 1)
	if bytes.Equal(altered, body) {
		return errors.New("the snapshot has no empty sudoers_groups to alter")
	}
	if _, err := s3api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(altered)}); err != nil {
		return err
	}
	writes := hosts[0].Writes()
	_, err = syncHost(0)
	if !errors.Is(err, hostsync.ErrSnapshotMalformed) {
		return fmt.Errorf("an altered snapshot was not refused: %v", err)
	}
	if hosts[0].Writes() != writes {
		return errors.New("an altered snapshot changed the host")
	}
	fmt.Fprintf(d.w, "Someone edits the object by hand. Host 1 refuses it (its content_sha256 no\n"+
		"longer matches) and changes nothing; sshd keeps answering from its key cache:\n  %v\n\n", err)
	fmt.Fprintln(d.w, "The publisher's next run:")
	out, err = d.run(ctx, publish...)
	if err != nil {
		return err
	}
	if !bytes.Contains([]byte(out), []byte(" written (")) {
		return errors.New("the publisher did not repair the altered snapshot")
	}
	if _, err := syncHost(0); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "The publisher finds the object invalid and rewrites it; host 1 syncs again.\n"+
		"A stale snapshot (its publisher stopped), another account's, or an\n"+
		"unreachable bucket are refused the same way: nothing is deleted.\n")
	return nil
}
