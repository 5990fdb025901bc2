package s3snapshot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
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
	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/internal/fakes"
)

// The scenario: snapshot {alice, bob} at T-1h, then {alice} at T
// (bob locked), then the T-1h object again (a racing publisher, a version
// restore, anyone able to write the object). The replay is refused: the
// host changes nothing, bob stays locked and gets no key back — also after
// a restart of the daemon, which finds the generation in its cache file.
func TestSnapshotReplayRefused(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	cache := filepath.Join(t.TempDir(), "snapshot.json")
	h := fakes.NewHost()
	src := f.Source(hostsync.WithCacheFile(cache))

	first := f.Publish(pub)
	require.True(t, first.Written)
	old := f.Object()
	_, _, err := hostsync.Sync(ctx, src, h, snapCfg)
	require.NoError(t, err)
	require.Equal(t, []string{"alice.at.corp.com", "bob"}, managedNames(h))

	f.Clk.Advance(time.Hour)
	_, err = f.IAM.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("bob"), GroupName: aws.String("ssh")})
	require.NoError(t, err)
	second := f.Publish(pub)
	require.True(t, second.Written)
	assert.Greater(t, second.Generation, first.Generation)
	_, _, err = hostsync.Sync(ctx, src, h, snapCfg)
	require.NoError(t, err)
	bob, ok := h.User("bob")
	require.True(t, ok)
	require.True(t, bob.Locked)
	before, writes := snapshot(h), h.Writes()

	f.PutRaw(old) // the T-1h object, byte for byte: within MaxAge, valid
	for name, s := range map[string]*s3snapshot.SnapshotSource{
		"running daemon":   src,
		"restarted daemon": f.Source(hostsync.WithCacheFile(cache)),
	} {
		t.Run(name, func(t *testing.T) {
			for range 2 {
				p, _, err := hostsync.Sync(ctx, s, h, snapCfg)
				require.Error(t, err)
				assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
				assert.ErrorIs(t, err, hostsync.ErrSnapshotRollback)
				assert.ErrorContains(t, err, fmt.Sprintf("generation %d", first.Generation))
				assert.ErrorContains(t, err, fmt.Sprintf("generation %d", second.Generation))
				assert.True(t, p.Empty())
			}
			assert.Equal(t, before, snapshot(h))
			assert.Equal(t, writes, h.Writes(), "no key written back")
			bob, _ := h.User("bob")
			assert.True(t, bob.Locked)
			assert.Empty(t, bob.Keys)
		})
	}

	// The publisher's next run repairs the object, with a newer generation
	// than any the hosts saw; they sync again (bob's second complete sync
	// missing: his account goes).
	f.Clk.Advance(time.Minute)
	third := f.Publish(pub)
	require.True(t, third.Written)
	assert.Equal(t, "content changed", third.Reason)
	assert.Greater(t, third.Generation, second.Generation)
	_, _, err = hostsync.Sync(ctx, src, h, snapCfg)
	require.NoError(t, err)
	_, ok = h.User("bob")
	assert.False(t, ok, snapshot(h))
	assert.Equal(t, []string{"alice.at.corp.com"}, managedNames(h))
}

// genDoc returns snap as a document with the given generation and
// generated_at, optionally without bob.
func genDoc(t *testing.T, snap *hostsync.Snapshot, gen uint64, at time.Time, withoutBob bool) []byte {
	t.Helper()
	s := *snap
	s.Generation, s.GeneratedAt = gen, at
	if withoutBob {
		s.Users = slices.DeleteFunc(slices.Clone(s.Users), func(u hostsync.SnapshotUser) bool { return u.Name == "bob" })
	}
	data, err := hostsync.MarshalSnapshot(&s)
	require.NoError(t, err)
	return data
}

// Which snapshot may follow which: generations only move forward; the
// same generation must have the same content; snapshots without a
// generation (written before generations existed) are generation 0,
// ordered among themselves by generated_at.
func TestSnapshotGenerationOrder(t *testing.T) {
	f := newSnapFixture(t)
	base := f.Build(iamsource.NewIAMSource(f.IAM, snapCfg))
	t0 := f.Clk.Now().Add(-time.Hour)
	type doc struct {
		gen        uint64
		at         time.Duration // after t0
		withoutBob bool
	}
	for _, tt := range []struct {
		name      string
		applied   doc
		next      doc
		refused   bool
		errSubstr string
	}{
		{"newer generation", doc{5, 0, false}, doc{6, time.Minute, true}, false, ""},
		{"newer generation, earlier generated_at", doc{5, time.Minute, false}, doc{6, 0, true}, false, ""},
		{"older generation", doc{6, time.Minute, true}, doc{5, 0, false}, true, "generation 5 (generated at 2026-01-15T08:00:00Z, content"},
		{"same object again", doc{5, 0, false}, doc{5, 0, false}, false, ""},
		{"same generation, same content, other generated_at", doc{5, 0, false}, doc{5, time.Minute, false}, false, ""},
		{"same generation, other content", doc{5, 0, false}, doc{5, 0, true}, true, "same generation as the last applied, generation 5"},
		{"same generation, other content, later", doc{5, 0, false}, doc{5, time.Minute, true}, true, "same generation"},
		{"legacy after a generation", doc{5, 0, false}, doc{0, time.Minute, true}, true, "generation 0"},
		{"generation after legacy", doc{0, time.Minute, false}, doc{1, 0, true}, false, ""},
		{"legacy, later", doc{0, 0, false}, doc{0, time.Minute, true}, false, ""},
		{"legacy, earlier", doc{0, time.Minute, true}, doc{0, 0, false}, true, "older than generation 0"},
		{"legacy, same time, other content", doc{0, 0, false}, doc{0, 0, true}, true, "same generation"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			for _, kind := range []string{"s3", "file"} {
				var src *s3snapshot.SnapshotSource
				var put func([]byte)
				if kind == "s3" {
					src, put = f.Source(), f.PutRaw
				} else {
					path := filepath.Join(t.TempDir(), "hosts.json")
					src = s3snapshot.NewFileSnapshotSource(path, snapCfg, hostsync.WithAccount(f.Acct.ID()), hostsync.WithClock(f.Clk))
					put = func(data []byte) { require.NoError(t, os.WriteFile(path, data, 0o644)) }
				}
				put(genDoc(t, base, tt.applied.gen, t0.Add(tt.applied.at), tt.applied.withoutBob))
				require.NoError(t, src.Desired(ctx).Err, kind)
				put(genDoc(t, base, tt.next.gen, t0.Add(tt.next.at), tt.next.withoutBob))
				d := src.Desired(ctx)
				if !tt.refused {
					require.NoError(t, d.Err, kind)
					snap, _ := src.Current()
					require.NotNil(t, snap)
					assert.Equal(t, tt.next.gen, snap.Generation, kind)
					continue
				}
				assert.ErrorIs(t, d.Err, hostsync.ErrSnapshotRollback, kind)
				assert.ErrorContains(t, d.Err, tt.errSubstr, kind)
				assert.False(t, d.Complete)
				// Refused again on the next read (S3: a 304 on the
				// refused ETag), and the last good snapshot stays.
				assert.ErrorIs(t, src.Desired(ctx).Err, hostsync.ErrSnapshotRollback, kind)
			}
		})
	}
}

// The generation applied survives a restart through the cache file (its
// last good snapshot), written atomically; a restarted host still takes a
// newer snapshot.
func TestSnapshotGenerationPersisted(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	base := f.Build(iamsource.NewIAMSource(f.IAM, snapCfg))
	cache := filepath.Join(t.TempDir(), "snapshot.json")
	at := f.Clk.Now()

	f.PutRaw(genDoc(t, base, 7, at, true))
	require.NoError(t, f.Source(hostsync.WithCacheFile(cache)).Desired(ctx).Err)

	f.PutRaw(genDoc(t, base, 6, at.Add(time.Minute), false))
	restarted := f.Source(hostsync.WithCacheFile(cache))
	d := restarted.Desired(ctx)
	assert.ErrorIs(t, d.Err, hostsync.ErrSnapshotRollback)
	assert.ErrorContains(t, d.Err, "generation 6")
	assert.ErrorContains(t, d.Err, "generation 7")
	snap, _ := restarted.Current()
	require.NotNil(t, snap)
	assert.Equal(t, uint64(7), snap.Generation, "the cached snapshot stays the last good one")

	// Without the cache file, a new source has nothing to compare with.
	assert.NoError(t, f.Source().Desired(ctx).Err)

	f.PutRaw(genDoc(t, base, 8, at.Add(time.Minute), false))
	again := f.Source(hostsync.WithCacheFile(cache))
	require.NoError(t, again.Desired(ctx).Err)
	f.PutRaw(genDoc(t, base, 7, at, true))
	assert.ErrorIs(t, f.Source(hostsync.WithCacheFile(cache)).Desired(ctx).Err, hostsync.ErrSnapshotRollback,
		"the newer generation was persisted in turn")
}

// Publish numbers generations: at least the previous one plus one, at
// least generated_at in Unix seconds (so a deleted or rolled-back object
// does not restart the count below what hosts applied), never below a
// floor the caller sets.
func TestPublishGenerations(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	unix := uint64(f.Clk.Now().Unix())

	first := f.Publish(pub)
	assert.Equal(t, unix, first.Generation)
	obj, _ := f.S3.Object("fleet", "hosts.json")
	assert.Equal(t, strconv.FormatUint(unix, 10), obj.Metadata[s3snapshot.SnapshotMetaGeneration])
	parsed, err := hostsync.ParseSnapshot(obj.Body)
	require.NoError(t, err)
	assert.Equal(t, unix, parsed.Generation)

	unchanged := f.Publish(pub)
	assert.False(t, unchanged.Written)
	assert.Equal(t, first.Generation, unchanged.Generation)

	f.AddKey("bob", "bob-2") // same second: previous plus one
	changed := f.Publish(pub)
	assert.True(t, changed.Written)
	assert.Equal(t, unix+1, changed.Generation)

	// Someone restores an old version (generation 5): the next write is
	// still above everything hosts applied.
	f.PutRaw(genDoc(t, f.Build(pub), 5, f.Clk.Now().Add(-time.Hour), true))
	f.Clk.Advance(time.Minute)
	repaired := f.Publish(pub)
	assert.True(t, repaired.Written)
	assert.Greater(t, repaired.Generation, changed.Generation)

	// A caller's floor.
	f.AddKey("bob", "bob-3")
	snap := f.Build(pub)
	snap.Generation = 1 << 40
	res, err := s3snapshot.Publish(ctx, f.S3, "fleet", "hosts.json", snap)
	require.NoError(t, err)
	assert.Equal(t, uint64(1<<40), res.Generation)
}

// racingS3 lets a test run something (another publisher) just before a
// PutObject reaches S3, and records the PutObjects that succeed.
type racingS3 struct {
	s3snapshot.SnapshotPublishAPI
	beforePut func()

	mu   sync.Mutex
	puts []putRecord
	lost int // conditional writes refused
}

type putRecord struct {
	cond, etag string // cond: "*" or the If-Match ETag
	generation uint64
}

func (r *racingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if f := r.beforePut; f != nil {
		r.beforePut = nil
		f()
	}
	data, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	in.Body = bytes.NewReader(data)
	out, err := r.SnapshotPublishAPI.PutObject(ctx, in, o...)
	if err != nil {
		r.mu.Lock()
		r.lost++
		r.mu.Unlock()
		return nil, err
	}
	snap, perr := hostsync.ParseSnapshot(data)
	if perr != nil {
		return nil, perr
	}
	cond := aws.ToString(in.IfMatch)
	if aws.ToString(in.IfNoneMatch) == "*" {
		cond = "*"
	}
	r.mu.Lock()
	r.puts = append(r.puts, putRecord{cond: cond, etag: aws.ToString(out.ETag), generation: snap.Generation})
	r.mu.Unlock()
	return out, nil
}

// chain orders the recorded writes by their preconditions — each write's
// If-Match is the ETag of the write it replaced — and checks that none was
// lost (two writes conditional on one ETag) and that generations strictly
// increase along the chain.
func (r *racingS3) chain(t *testing.T) []uint64 {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	byCond := map[string]putRecord{}
	for _, p := range r.puts {
		_, dup := byCond[p.cond]
		require.False(t, dup, "two writes succeeded over the same object %s: a lost update", p.cond)
		byCond[p.cond] = p
	}
	var gens []uint64
	for cur, ok := byCond["*"]; ok; cur, ok = byCond[cur.etag] {
		gens = append(gens, cur.generation)
	}
	require.Len(t, gens, len(r.puts), "every write follows the one before it")
	for i := 1; i < len(gens); i++ {
		require.Greater(t, gens[i], gens[i-1], "generations %v", gens)
	}
	return gens
}

// Two publishers race for the object: the one whose conditional write
// loses re-reads the object and writes over it with the next generation.
func TestPublishRaceConditionalPut(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	api := &racingS3{SnapshotPublishAPI: f.S3}
	first, err := s3snapshot.Publish(ctx, api, "fleet", "hosts.json", f.Build(pub))
	require.NoError(t, err)

	// A read IAM with bob's new key; B read it a second later, without
	// bob, and writes between A's read of the object and A's write.
	f.AddKey("bob", "bob-2")
	snapA := f.Build(pub)
	f.Clk.Advance(time.Second)
	snapB := f.Build(pub)
	snapB.Users = slices.DeleteFunc(snapB.Users, func(u hostsync.SnapshotUser) bool { return u.Name == "bob" })
	var resB s3snapshot.PublishResult
	api.beforePut = func() {
		var err error
		resB, err = s3snapshot.Publish(ctx, api, "fleet", "hosts.json", snapB)
		require.NoError(t, err)
	}
	f.Acct.ResetCalls()
	resA, err := s3snapshot.Publish(ctx, api, "fleet", "hosts.json", snapA)
	require.NoError(t, err)
	assert.True(t, resB.Written)
	assert.Greater(t, resB.Generation, first.Generation)
	// A lost (412), read B's object, newer than its own read: B's stays.
	assert.False(t, resA.Written)
	assert.Contains(t, resA.Reason, "a newer snapshot is in place")
	assert.Equal(t, resB.ETag, resA.ETag)
	assert.Equal(t, resB.Generation, resA.Generation)
	assert.Equal(t, map[string]int{"s3:GetObject": 3, "s3:PutObject": 2}, f.Acct.CallCounts(), "A: 2 GETs, 1 PUT refused; B: 1 GET, 1 PUT")
	assert.Equal(t, []uint64{first.Generation, resB.Generation}, api.chain(t))

	// Now B loses to A, whose read is newer: B re-reads and keeps A's
	// object.
	f.Clk.Advance(time.Second)
	snapB = f.Build(pub)
	f.Clk.Advance(time.Second)
	f.AddKey("bob", "bob-3")
	snapA = f.Build(pub)
	api.beforePut = func() {
		var err error
		resA, err = s3snapshot.Publish(ctx, api, "fleet", "hosts.json", snapA)
		require.NoError(t, err)
	}
	resB, err = s3snapshot.Publish(ctx, api, "fleet", "hosts.json", snapB)
	require.NoError(t, err)
	assert.True(t, resA.Written)
	assert.False(t, resB.Written, "B's read is older than A's object")
	gens := api.chain(t)
	assert.Equal(t, resA.Generation, gens[len(gens)-1])

	// C and D read IAM in the same second and differ (one missed a
	// change): C loses, re-reads D's object and writes over it with the
	// next generation (the newer read cannot be told; the next run
	// converges either way).
	f.Clk.Advance(time.Second)
	f.AddKey("bob", "bob-4")
	snapC := f.Build(pub)
	snapD := f.Build(pub)
	snapD.Users = slices.DeleteFunc(snapD.Users, func(u hostsync.SnapshotUser) bool { return u.Name == "bob" })
	var resD s3snapshot.PublishResult
	api.beforePut = func() {
		var err error
		resD, err = s3snapshot.Publish(ctx, api, "fleet", "hosts.json", snapD)
		require.NoError(t, err)
	}
	resC, err := s3snapshot.Publish(ctx, api, "fleet", "hosts.json", snapC)
	require.NoError(t, err)
	assert.True(t, resD.Written)
	assert.True(t, resC.Written)
	assert.Equal(t, "content changed", resC.Reason)
	assert.Equal(t, resD.Generation+1, resC.Generation)
	gens = api.chain(t)
	assert.Equal(t, []uint64{resD.Generation, resC.Generation}, gens[len(gens)-2:])

	// A publisher that loses every round reports it.
	alwaysLose := &alwaysConflict{SnapshotPublishAPI: f.S3, s3: f.S3}
	f.AddKey("bob", "bob-5")
	f.Clk.Advance(time.Second)
	_, err = s3snapshot.Publish(ctx, alwaysLose, "fleet", "hosts.json", f.Build(pub))
	assert.ErrorIs(t, err, hostsync.ErrSnapshotConflict)
	assert.ErrorContains(t, err, "PreconditionFailed")
	assert.Equal(t, 3, alwaysLose.rounds)
}

// alwaysConflict has another writer replace the object just before every
// PutObject, so that every conditional write fails.
type alwaysConflict struct {
	s3snapshot.SnapshotPublishAPI
	s3     *fakes.S3
	rounds int
}

func (a *alwaysConflict) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	a.rounds++
	_, err := a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: in.Bucket, Key: in.Key, Body: bytes.NewReader([]byte(fmt.Sprintf("other writer %d", a.rounds)))})
	if err != nil {
		return nil, err
	}
	return a.SnapshotPublishAPI.PutObject(ctx, in, o...)
}

// Publishers racing over the wire (the SDK's S3 client against
// iamkittest's server, If-Match and If-None-Match as HTTP headers): no
// write is lost, generations strictly increase from object to object, and
// a publisher either succeeds or reports ErrSnapshotConflict.
func TestPublishRaceOverTheWire(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	srv := iamkittest.NewServer(t)
	client := s3.NewFromConfig(srv.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	api := &racingS3{SnapshotPublishAPI: client}
	base := f.Build(iamsource.NewIAMSource(f.IAM, snapCfg))
	withoutBob := *base
	withoutBob.Users = slices.DeleteFunc(slices.Clone(base.Users), func(u hostsync.SnapshotUser) bool { return u.Name == "bob" })

	// One race on cue: the 412 crosses the wire, the loser re-reads and
	// writes the next generation.
	var inner s3snapshot.PublishResult
	api.beforePut = func() {
		var err error
		inner, err = s3snapshot.Publish(ctx, api, "fleet", "hosts.json", &withoutBob)
		require.NoError(t, err)
	}
	outer, err := s3snapshot.Publish(ctx, api, "fleet", "hosts.json", base)
	require.NoError(t, err)
	require.True(t, inner.Written)
	require.True(t, outer.Written)
	assert.Equal(t, inner.Generation+1, outer.Generation)
	assert.Equal(t, 1, api.lost)

	// Then a free-for-all. Each publisher has its own view (bob or not).
	const publishers, rounds = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, publishers*rounds)
	for p := range publishers {
		wg.Go(func() {
			for r := range rounds {
				s := *base
				s.Users = slices.Clone(base.Users)
				if (p+r)%2 == 0 {
					s.Users = slices.DeleteFunc(s.Users, func(u hostsync.SnapshotUser) bool { return u.Name == "bob" })
				}
				_, err := s3snapshot.Publish(ctx, api, "fleet", "hosts.json", &s)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	conflicts := 0
	for err := range errs {
		if errors.Is(err, hostsync.ErrSnapshotConflict) {
			conflicts++
			continue
		}
		require.NoError(t, err)
	}
	gens := api.chain(t)
	require.NotEmpty(t, gens)
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json")})
	require.NoError(t, err)
	data, err := io.ReadAll(obj.Body)
	require.NoError(t, err)
	final, err := hostsync.ParseSnapshot(data)
	require.NoError(t, err)
	assert.Equal(t, gens[len(gens)-1], final.Generation, "the object in place is the last of the chain")
	t.Logf("%d writes, %d conditional writes lost, generations %d..%d, %d publishes gave up",
		len(gens), api.lost, gens[0], gens[len(gens)-1], conflicts)
}
