package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamkit/iamkit/iamkittest"
)

// fleet publishes a snapshot of the story's users to the account's S3 with
// 'iamkit hostsync publish' and syncs two fake hosts from it with 'iamkit
// hostsync apply --snapshot' (what hostsyncd --snapshot does on an
// interval): one IAM read for the whole fleet, one conditional GET per
// host, a 304 when nothing changed; and a snapshot altered by hand is
// refused, changing nothing.
func (d *demo) fleet(ctx context.Context) error {
	user := d.user
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

	conf, _, err := d.hostsyncFiles("host")
	if err != nil {
		return err
	}
	// Each host is a fake Linux host with a state directory of its own;
	// each runs the CLI's one-shot sync from the snapshot (hostsyncd
	// --snapshot does the same on an interval).
	var applies [][]string
	var hosts []*iamkittest.Host
	for i := range 2 {
		_, stateDir, err := d.hostsyncFiles(fmt.Sprintf("fleet-host%d", i+1))
		if err != nil {
			return err
		}
		hosts = append(hosts, d.host(stateDir))
		applies = append(applies, []string{"hostsync", "apply", "--config", conf, "--state-dir", stateDir,
			"--lock-file", filepath.Join(stateDir, "hostsync.lock"),
			"--snapshot", "s3://" + bucket + "/" + key, "--snapshot-account", d.acct.ID()})
	}
	d.acct.ResetCalls()
	for i, h := range hosts {
		fmt.Fprintf(d.w, "On host %d ($DEMO/fleet-host%d):\n", i+1, i+1)
		if _, err := d.run(ctx, applies[i]...); err != nil {
			return err
		}
		u, ok := h.User(user)
		if !ok {
			return fmt.Errorf("host %d has no %s", i+1, user)
		}
		fmt.Fprintf(d.w, "Host %d: %s has uid %d, sudo %t, %d key(s).\n\n", i+1, u.Name, u.UID, u.Sudo, len(u.Keys))
	}
	fmt.Fprintf(d.w, "The hosts' calls: %s (no IAM call from the hosts)\n\n", d.acct.CallSummary())

	d.clock.Advance(10 * time.Minute)
	d.acct.ResetCalls()
	fmt.Fprintln(d.w, "Ten minutes later, nothing changed in IAM:")
	out, err := d.run(ctx, publish...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "unchanged: nothing written") {
		return errors.New("an unchanged snapshot was written")
	}
	for i := range hosts {
		out, err := d.run(ctx, applies[i]...)
		if err != nil {
			return err
		}
		if !strings.Contains(out, "in sync, nothing to do") {
			return fmt.Errorf("host %d changed something in the steady state", i+1)
		}
	}
	fmt.Fprintf(d.w, "Each host's conditional GET (If-None-Match, with the ETag kept in its state\n"+
		"directory) is answered 304 and there is nothing to do. The calls of the whole\n"+
		"cycle:\n  %s\n"+
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
	fmt.Fprintf(d.w, "Someone edits the object by hand. Host 1 refuses it (its content_sha256 no\n"+
		"longer matches) and changes nothing; sshd keeps answering from its key cache:\n")
	writes := hosts[0].Writes()
	if _, _, err := d.cmd(ctx, exitFailed, applies[0]...); err != nil {
		return err
	}
	if hosts[0].Writes() != writes {
		return errors.New("an altered snapshot changed the host")
	}
	fmt.Fprintln(d.w, "The publisher's next run:")
	out, err = d.run(ctx, publish...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, " written (") {
		return errors.New("the publisher did not repair the altered snapshot")
	}
	fmt.Fprintln(d.w, "The publisher finds the object invalid and rewrites it; host 1 syncs again:")
	if _, err := d.run(ctx, applies[0]...); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "A stale snapshot (its publisher stopped), another account's, or an\n"+
		"unreachable bucket are refused the same way: nothing is deleted.\n")
	return nil
}
