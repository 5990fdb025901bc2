package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/internal/fakes"
)

// newKey returns a fresh ed25519 public key line.
func newKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

func TestParseSnapshotFlags(t *testing.T) {
	o, err := parseFlags([]string{"--snapshot", "s3://fleet/hostsync/snapshot.json", "--snapshot-account", "123456789012",
		"--snapshot-max-age", "2h", "--snapshot-kms-key", "1234abcd-12ab-34cd-56ef-1234567890ab"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "fleet", o.snap.bucket)
	assert.Equal(t, "hostsync/snapshot.json", o.snap.key)
	assert.Equal(t, "123456789012", o.snap.account)
	assert.Equal(t, 2*time.Hour, o.snap.maxAge)

	o, err = parseFlags([]string{"--snapshot", "/etc/iamkit/snapshot.json"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "/etc/iamkit/snapshot.json", o.snap.path)

	for args, want := range map[string]string{
		"--snapshot fleet/key":                                    "want s3://BUCKET/KEY or an absolute file path",
		"--snapshot s3://fleet":                                   "not an s3://bucket/key URL",
		"--snapshot-account 123456789012":                         "need --snapshot",
		"--snapshot /x.json --snapshot-kms-key k":                 "s3:// snapshot only",
		"--snapshot /x.json --snapshot-bucket-owner 123456789012": "s3:// snapshot only",
		"--snapshot-bucket-owner 123456789012":                    "need --snapshot",
		"--snapshot s3://b/k --snapshot-bucket-owner 12345":       "12-digit AWS account ID",
		"--snapshot s3://b/k --snapshot-max-age -1h":              "cannot be negative",
		"--snapshot s3://b/k --snapshot-max-age forever":          "invalid value",
	} {
		_, err := parseFlags(strings.Fields(args), nil)
		assert.ErrorContains(t, err, want, args)
	}
}

// fleetSnapshot returns the snapshot document of an account whose group
// "devs" holds alice with one key, and the account.
func fleetSnapshot(t *testing.T) ([]byte, *fakes.Account) {
	t.Helper()
	ctx := context.Background()
	acct := fakes.NewAccount(fakes.WithClock(fakes.NewClock(time.Now())))
	api := acct.IAM()
	_, err := api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	_, err = api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("alice"), GroupName: aws.String("devs")})
	require.NoError(t, err)
	_, err = api.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(newKey(t))})
	require.NoError(t, err)
	snap, err := iamsource.BuildSnapshot(ctx, iamsource.NewIAMSource(api, hostsync.Config{AuthorizedGroups: []string{"devs"}}), acct.ID(), time.Now())
	require.NoError(t, err)
	doc, err := hostsync.MarshalSnapshot(snap)
	require.NoError(t, err)
	return doc, acct
}

// runSnapshotDaemon runs one sync (--once) of the daemon as main wires it,
// with args, on a fake host, and returns the host and the logs.
func runSnapshotDaemon(t *testing.T, dir string, args ...string) (*fakes.Host, string, int) {
	t.Helper()
	conf := filepath.Join(dir, "aws-ec2-ssh.conf")
	require.NoError(t, os.WriteFile(conf, []byte("IAM_AUTHORIZED_GROUPS=\"devs\"\n"), 0o644))
	o, err := parseFlags(append([]string{"--once", "--config", conf, "--state-dir", dir, "--lock-file", filepath.Join(dir, "lock")}, args...), nil)
	require.NoError(t, err)
	var logs bytes.Buffer
	d := newDaemon(o, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	host := fakes.NewHost()
	d.newSystem = func(hostsync.Config) hostsync.System { return host }
	code := d.run(context.Background())
	return host, logs.String(), code
}

func TestDaemonSyncsFromASnapshotFile(t *testing.T) {
	newAWSServer(t) // IAM must not be called: the server refuses anything but ListUsers
	doc, acct := fleetSnapshot(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.json")
	require.NoError(t, os.WriteFile(path, doc, 0o644))

	host, logs, code := runSnapshotDaemon(t, dir, "--snapshot", path, "--snapshot-account", acct.ID())
	require.Equal(t, exitOK, code, logs)
	u, ok := host.User("alice")
	require.True(t, ok, logs)
	assert.Len(t, u.Keys, 1)

	// Another account's snapshot changes nothing, and fails the run.
	host, logs, code = runSnapshotDaemon(t, dir, "--snapshot", path, "--snapshot-account", "999999999999")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, logs, "snapshot from an unexpected account")
	assert.Zero(t, host.Writes())
}

// The daemon as main wires it reads s3:// snapshots through the SDK's S3
// client built by config.LoadDefaultConfig (here pointed at an S3-compatible
// server on loopback by AWS_ENDPOINT_URL_S3), and keeps the last good
// snapshot in STATE-DIR/snapshot.json: a restarted daemon's first GET is a
// conditional one.
func TestDaemonSyncsFromAnS3Snapshot(t *testing.T) {
	newAWSServer(t)
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	ctx := context.Background()
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	doc, acct := fleetSnapshot(t)
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hostsync/snapshot.json"), Body: bytes.NewReader(doc)})
	require.NoError(t, err)

	dir := t.TempDir()
	host, logs, code := runSnapshotDaemon(t, dir, "--snapshot", "s3://fleet/hostsync/snapshot.json", "--snapshot-account", acct.ID())
	require.Equal(t, exitOK, code, logs)
	_, ok := host.User("alice")
	assert.True(t, ok, logs)
	assert.Contains(t, logs, "hostsync: new snapshot")
	assert.FileExists(t, filepath.Join(dir, "snapshot.json"))

	_, logs, code = runSnapshotDaemon(t, dir, "--snapshot", "s3://fleet/hostsync/snapshot.json", "--snapshot-account", acct.ID())
	require.Equal(t, exitOK, code, logs)
	assert.Contains(t, logs, "snapshot unchanged (304)")
	assert.NotContains(t, logs, "hostsync: new snapshot")

	srv.Close()
	host, logs, code = runSnapshotDaemon(t, dir, "--snapshot", "s3://fleet/hostsync/snapshot.json", "--snapshot-account", acct.ID())
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, logs, "IAM source unknown")
	assert.Zero(t, host.Writes(), "S3 unreachable: nothing changes")
}

// With --snapshot-bucket-owner, every GET says which account must own the
// bucket (x-amz-expected-bucket-owner), and S3 refuses the request when
// another does: a bucket name re-created by someone else after the fleet's
// bucket was deleted decides nothing on the host.
func TestDaemonChecksTheSnapshotBucketOwner(t *testing.T) {
	newAWSServer(t)
	const owner = "111111111111"
	s3srv := gofakes3.New(s3mem.New()).Server()
	var sawOwner []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// S3's check: a request naming another owner is denied.
		if got := r.Header.Get("X-Amz-Expected-Bucket-Owner"); got != "" {
			sawOwner = append(sawOwner, got)
			if got != owner {
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`))
				return
			}
		}
		s3srv.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	ctx := context.Background()
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	doc, acct := fleetSnapshot(t)
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hostsync/snapshot.json"), Body: bytes.NewReader(doc)})
	require.NoError(t, err)

	host, logs, code := runSnapshotDaemon(t, t.TempDir(), "--snapshot", "s3://fleet/hostsync/snapshot.json", "--snapshot-account", acct.ID(),
		"--snapshot-bucket-owner", "222222222222")
	assert.Equal(t, exitFailed, code, logs)
	assert.Zero(t, host.Writes(), "a bucket of another owner: nothing changes")
	assert.Contains(t, sawOwner, "222222222222")

	host, logs, code = runSnapshotDaemon(t, t.TempDir(), "--snapshot", "s3://fleet/hostsync/snapshot.json", "--snapshot-account", acct.ID(),
		"--snapshot-bucket-owner", owner)
	require.Equal(t, exitOK, code, logs)
	_, ok := host.User("alice")
	assert.True(t, ok, logs)
	assert.NotContains(t, logs, "trusts whoever owns the bucket")
}
