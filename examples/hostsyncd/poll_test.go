package main

import (
	"context"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// In snapshot mode the daemon polls every --poll-interval (one
// conditional GET), syncs only when the snapshot changed (or the full-sync
// interval passed), and a revocation published to the snapshot locks the
// user and ends their sessions at the next poll.
func TestDaemonPollsTheSnapshot(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	clk := w.acct.Clock()
	_, err := w.acct.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	pub := s3snapshot.NewRepublisher(iamsource.NewIAMSource(w.acct.IAM(), w.cfg), w.cfg, w.acct.ID(), w.acct.S3(), "fleet", "hosts.json",
		hostsync.WithClock(clk))
	_, err = pub.Republish(ctx)
	require.NoError(t, err)

	cfg := w.cfg
	cfg.EndSessionsOnLock = true // what ParseConfig gives by default
	w.cfg = cfg
	d := w.daemon(false)
	src := s3snapshot.NewS3SnapshotSource(w.acct.S3(), "fleet", "hosts.json", hostsync.Config{}, hostsync.WithClock(clk))
	d.newSource = func(_ iamsource.IAMAPI, cfg hostsync.Config) hostsync.Source { return src.Held(cfg) }
	d.poller = s3snapshot.NewPoller(src, s3snapshot.WithRand(func() float64 { return 0 }),
		s3snapshot.WithFullSyncInterval(10*time.Minute, 0))
	d.pollInterval = s3snapshot.DefaultPollInterval

	const polls = 8
	w.onAfter = func(n int) <-chan time.Time {
		clk.Advance(w.delays[n-1])
		switch n {
		case 1:
			w.host.StartSession("alice")
		case 4: // alice is cut off in IAM and the snapshot republished
			_, err := w.acct.IAM().RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("alice"), GroupName: aws.String("devs")})
			require.NoError(t, err)
			_, err = pub.Republish(ctx)
			require.NoError(t, err)
		case 2: // SIGHUP: reload and sync at once
			w.hup <- syscall.SIGHUP
			return nil
		case polls:
			w.stop <- syscall.SIGTERM
			return nil
		}
		return fired()
	}
	w.acct.ResetCalls()
	require.Equal(t, exitOK, w.run(d))

	assert.Equal(t, 3, w.locks, "a sync at start, one after the change, one on SIGHUP, none for the 304s")
	assert.Equal(t, 2, w.loads, "loaded at start and on SIGHUP")
	assert.Contains(t, w.logs.String(), `"reason":"SIGHUP"`)
	for _, dl := range w.delays {
		assert.Equal(t, s3snapshot.DefaultPollInterval, dl)
	}
	assert.Equal(t, 0, w.host.Sessions("alice"), "alice's session ended on lock")
	u, ok := w.host.User("alice")
	require.True(t, ok)
	assert.True(t, u.Locked)
	assert.Empty(t, u.Keys)
	gets := w.acct.CallCounts()["s3:GetObject"]
	assert.Equal(t, polls+1, gets, "one GET per poll, plus the publisher's read")
	assert.Contains(t, w.logs.String(), `"reason":"snapshot changed"`)

	// --end-sessions=false keeps sessions running.
	o, err := parseFlags([]string{"--end-sessions=false", "--snapshot", "s3://fleet/hosts.json"}, nil)
	require.NoError(t, err)
	assert.False(t, o.endSessions)
	assert.True(t, newDaemon(o, slog.New(slog.DiscardHandler)).keepSessions)
}

func TestParsePollFlags(t *testing.T) {
	o, err := parseFlags(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 15*time.Second, o.pollInterval)
	assert.True(t, o.endSessions)
	for args, want := range map[string]string{
		"--snapshot s3://b/k --poll-interval 1s":  "too short",
		"--snapshot s3://b/k --poll-interval -5s": "cannot be negative",
		"--snapshot s3://b/k --poll-interval 2":   "too short",
		"--poll-interval 30s":                     "needs --snapshot",
	} {
		_, err := parseFlags(strings.Fields(args), nil)
		assert.ErrorContains(t, err, want, args)
	}
	o, err = parseFlags([]string{"--snapshot", "s3://b/k", "--poll-interval", "0"}, nil)
	require.NoError(t, err)
	assert.Zero(t, o.pollInterval)
}
