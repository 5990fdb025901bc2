package s3snapshot_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// failingGets fails every GetObject while err is set.
type failingGets struct {
	countingGets
	err error
}

func (f *failingGets) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if f.err != nil {
		f.gets++
		return nil, f.err
	}
	return f.countingGets.GetObject(ctx, in, o...)
}

// Poll is one conditional GET that says whether the object changed; Held
// answers from it without a request.
func TestSnapshotSourcePoll(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	f.Publish(pub)
	api := &failingGets{countingGets: countingGets{api: f.S3}}
	src := s3snapshot.NewS3SnapshotSource(api, "fleet", "hosts.json", snapCfg, hostsync.WithAccount(f.Acct.ID()), hostsync.WithClock(f.Clk))

	steps := []struct {
		name        string
		before      func()
		changed     bool
		err         bool
		gets, n304s int
		users       int // Held's users; -1: unknown
	}{
		{name: "first poll reads the object", changed: true, gets: 1, users: 2},
		{name: "unchanged: a 304", gets: 2, n304s: 1, users: 2},
		{name: "a new snapshot", before: func() { f.AddKey("bob", "bob-2"); f.Publish(pub) }, changed: true, gets: 3, n304s: 1, users: 2},
		{name: "S3 fails: not a change", before: func() { api.err = errors.New("connection reset") }, err: true, gets: 4, n304s: 1, users: -1},
		{name: "S3 back, unchanged", before: func() { api.err = nil }, gets: 5, n304s: 2, users: 2},
		{name: "a refused object is a change", before: func() { f.PutRaw([]byte("{garbage")) }, changed: true, err: true, gets: 6, n304s: 2, users: -1},
		{name: "the same refused object is not", err: true, gets: 7, n304s: 3, users: -1},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		changed, err := src.Poll(ctx)
		assert.Equal(t, st.changed, changed, st.name)
		assert.Equal(t, st.err, err != nil, "%s: %v", st.name, err)
		gets := api.gets
		d := src.Held(snapCfg).Desired(ctx)
		assert.Equal(t, gets, api.gets, "%s: Held makes no request", st.name)
		assert.Equal(t, st.gets, api.gets, st.name)
		assert.Equal(t, st.n304s, api.n304s, st.name)
		if st.users < 0 {
			assert.Error(t, d.Err, st.name)
			assert.False(t, d.Complete, st.name)
		} else {
			require.NoError(t, d.Err, st.name)
			assert.Len(t, d.Users, st.users, st.name)
		}
	}

	// Held before any read reads once; a stale held snapshot is refused.
	fresh := s3snapshot.NewS3SnapshotSource(api, "fleet", "hosts.json", snapCfg, hostsync.WithClock(f.Clk), hostsync.WithMaxAge(time.Hour))
	f.Publish(pub, hostsync.WithRefreshAfter(time.Nanosecond))
	before := api.gets
	require.NoError(t, fresh.Held(snapCfg).Desired(ctx).Err)
	assert.Equal(t, before+1, api.gets)
	f.Clk.Advance(2 * time.Hour)
	assert.ErrorIs(t, fresh.Held(snapCfg).Desired(ctx).Err, hostsync.ErrSnapshotStale)
	assert.Equal(t, before+1, api.gets)
}

// The Poller asks for a sync first, on a change, after a failure (with a
// backoff) and periodically; otherwise every poll is one 304.
func TestPoller(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	f.Publish(pub)
	api := &countingGets{api: f.S3}
	src := s3snapshot.NewS3SnapshotSource(api, "fleet", "hosts.json", snapCfg, hostsync.WithClock(f.Clk))
	half := func() float64 { return 0.5 }
	p := s3snapshot.NewPoller(src, s3snapshot.WithRand(half),
		s3snapshot.WithPollInterval(10*time.Second, 0.2), s3snapshot.WithFullSyncInterval(time.Minute, 0.5))
	assert.Equal(t, 11*time.Second, p.Next(), "interval + jitter × rand")

	now := f.Clk.Now()
	fail := errors.New("lock held")
	steps := []struct {
		name   string
		at     time.Duration // since start
		before func()
		reason string // "" no sync
		result error  // the sync's outcome
	}{
		{name: "first", at: 0, reason: "first sync"},
		{name: "quiet", at: 10 * time.Second},
		{name: "changed", at: 20 * time.Second, before: func() { f.AddKey("bob", "bob-2"); f.Publish(pub) }, reason: "snapshot changed", result: fail},
		{name: "retry waits the backoff (10 s)", at: 25 * time.Second},
		{name: "retry", at: 30 * time.Second, reason: "retry after a failed sync", result: fail},
		{name: "backoff doubled (20 s)", at: 45 * time.Second},
		{name: "retry again", at: 50 * time.Second, reason: "retry after a failed sync"},
		{name: "quiet again", at: 60 * time.Second},
		{name: "periodic: 1 min after the last sync", at: 110 * time.Second, reason: "periodic full sync"},
		{name: "quiet after it", at: 120 * time.Second},
		{name: "forced", at: 130 * time.Second, reason: "SIGHUP"},
		{name: "quiet after the forced sync", at: 140 * time.Second},
	}
	for i, st := range steps {
		if st.before != nil {
			st.before()
		}
		if st.name == "forced" {
			p.Force("SIGHUP")
		}
		d, err := p.Poll(ctx, now.Add(st.at))
		require.NoError(t, err, st.name)
		assert.Equal(t, st.reason, d.Reason, st.name)
		assert.Equal(t, st.reason != "", d.Sync, st.name)
		if d.Sync {
			p.Synced(now.Add(st.at), st.result)
		}
		assert.Equal(t, i+1, api.gets, "%s: one request per poll", st.name)
	}
}

// blockingPublishAPI holds the first publish's read of the object until
// released, so that a test can pile calls up behind it.
type blockingPublishAPI struct {
	s3snapshot.SnapshotPublishAPI
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (a *blockingPublishAPI) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	a.once.Do(func() {
		close(a.entered)
		<-a.release
	})
	return a.SnapshotPublishAPI.GetObject(ctx, in, o...)
}

// A burst of Republish calls coalesces: calls arriving during a publish
// share the one publish after it, whose read includes their change.
func TestRepublisherCoalesces(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	api := &blockingPublishAPI{SnapshotPublishAPI: f.S3, entered: make(chan struct{}), release: make(chan struct{})}
	r := s3snapshot.NewRepublisher(iamsource.NewIAMSource(f.IAM, snapCfg), snapCfg, f.Acct.ID(), api, "fleet", "hosts.json", hostsync.WithClock(f.Clk))

	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := r.Republish(ctx)
		assert.NoError(t, err)
	})
	<-api.entered
	f.AddKey("bob", "bob-2") // changed while the first publish runs
	const burst = 1000
	results := make(chan s3snapshot.PublishResult, burst)
	for range burst {
		wg.Go(func() {
			res, err := r.Republish(ctx)
			assert.NoError(t, err)
			results <- res
		})
	}
	// Let the burst queue up behind the running publish (no sleep: wait
	// until every call has registered).
	for r.Calls() < burst+1 {
		runtime.Gosched()
	}
	close(api.release)
	wg.Wait()
	close(results)
	assert.Equal(t, 2, r.Publishes(), "the running publish, then one for the whole burst")
	for res := range results {
		assert.Equal(t, 3, res.Keys, "every caller's result includes bob's new key")
	}
	t.Logf("%d calls, %d publishes", burst+1, r.Publishes())
}

// Tick polls, runs the sync when asked, and records its outcome.
func TestPollerTick(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	f.Publish(iamsource.NewIAMSource(f.IAM, snapCfg))
	src := s3snapshot.NewS3SnapshotSource(f.S3, "fleet", "hosts.json", snapCfg, hostsync.WithClock(f.Clk))
	p := s3snapshot.NewPoller(src, s3snapshot.WithRand(func() float64 { return 0 }))
	var reasons []string
	fail := errors.New("lock held")
	sync := func(err error) func(context.Context, string) error {
		return func(ctx context.Context, reason string) error {
			reasons = append(reasons, reason)
			f.Clk.Advance(time.Second) // the sync takes a second
			return err
		}
	}
	d, err := p.Tick(ctx, f.Clk, sync(fail))
	assert.ErrorIs(t, err, fail)
	assert.Equal(t, "first sync", d.Reason)
	f.Clk.Advance(p.Next())
	d, err = p.Tick(ctx, f.Clk, sync(nil))
	require.NoError(t, err)
	assert.Equal(t, "retry after a failed sync", d.Reason, "the backoff (one poll interval) ran from the end of the failed sync")
	f.Clk.Advance(p.Next())
	d, err = p.Tick(ctx, f.Clk, sync(nil))
	require.NoError(t, err)
	assert.False(t, d.Sync)
	assert.Equal(t, []string{"first sync", "retry after a failed sync"}, reasons)
}
