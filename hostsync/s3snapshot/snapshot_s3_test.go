package s3snapshot_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/fakes"
)

// s3Requests counts the requests an S3 server answers, by method and
// status ("GET 304"), through a wrapping http.Handler.
type s3Requests struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (c *s3Requests) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	c.next.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	c.mu.Lock()
	c.n[fmt.Sprintf("%s %d", req.Method, rec.status)]++
	c.mu.Unlock()
}

// take returns the counts since the last take, as "GET 304=1 HEAD 200=1".
func (c *s3Requests) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for k, v := range c.n {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	c.n = map[string]int{}
	return strings.Join(parts, " ")
}

// s3Server is gofakes3 (in-memory backend) on loopback, and the SDK's S3
// client for it with static credentials and path-style addressing.
type s3Server struct {
	srv    *httptest.Server
	client *s3.Client
	reqs   *s3Requests
}

func newS3Server(t *testing.T) *s3Server {
	t.Helper()
	reqs := &s3Requests{next: gofakes3.New(s3mem.New()).Server(), n: map[string]int{}}
	srv := httptest.NewServer(reqs)
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		// One attempt: a closed server must fail at once, not after the
		// standard retryer's backoff.
		RetryMaxAttempts: 1,
	})
	_, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	reqs.take()
	return &s3Server{srv: srv, client: client, reqs: reqs}
}

// Publish to and read from an S3-compatible server through the real SDK
// client: the whole round trip on the wire.
func TestSnapshotOverS3Protocol(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	s3s := newS3Server(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	publish := func() s3snapshot.PublishResult {
		t.Helper()
		res, err := s3snapshot.Publish(ctx, s3s.client, "fleet", "hosts.json", f.Build(pub))
		require.NoError(t, err)
		return res
	}
	cache := filepath.Join(t.TempDir(), "snapshot-cache.json")
	newHost := func(opts ...hostsync.Option) *s3snapshot.SnapshotSource {
		opts = append([]hostsync.Option{hostsync.WithAccount(f.Acct.ID()), hostsync.WithClock(f.Clk)}, opts...)
		return s3snapshot.NewS3SnapshotSource(s3s.client, "fleet", "hosts.json", snapCfg, opts...)
	}

	// Publish: the object does not exist yet.
	res := publish()
	require.True(t, res.Written)
	assert.Equal(t, "GET 404=1 PUT 200=1", s3s.reqs.take())

	// Fetch.
	host := newHost(hostsync.WithCacheFile(cache))
	h := fakes.NewHost()
	_, _, err := hostsync.Sync(ctx, host, h, snapCfg)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"alice.at.corp.com", "bob"}, managedNames(h))
	assert.Len(t, h.Keys("bob"), 1)
	assert.Equal(t, "GET 200=1", s3s.reqs.take())

	// No change: the publisher reads the object and writes nothing, each
	// host read is one 304.
	f.Clk.Advance(10 * time.Minute)
	res = publish()
	assert.False(t, res.Written, res.Reason)
	p, _, err := hostsync.Sync(ctx, host, h, snapCfg)
	require.NoError(t, err)
	assert.True(t, p.Empty())
	assert.Equal(t, "GET 200=1 GET 304=1", s3s.reqs.take())

	// A restarted host starts from its cache file: one 304 as well.
	restarted := newHost(hostsync.WithCacheFile(cache))
	d := restarted.Desired(ctx)
	require.NoError(t, d.Err)
	assert.Len(t, d.Users, 2)
	assert.Equal(t, "GET 304=1", s3s.reqs.take())

	// A change in IAM reaches the host at its next sync.
	f.AddKey("bob", "bob-2")
	f.Clk.Advance(10 * time.Minute)
	res = publish()
	assert.True(t, res.Written)
	_, _, err = hostsync.Sync(ctx, host, h, snapCfg)
	require.NoError(t, err)
	assert.Len(t, h.Keys("bob"), 2)
	assert.Equal(t, "GET 200=2 PUT 200=1", s3s.reqs.take())
	good := snapshot(h)

	unknown := func(t *testing.T, src hostsync.Source, want error) {
		t.Helper()
		writes := h.Writes()
		for range hostsync.DefaultMissingSyncsBeforeDelete + 1 {
			p, _, err := hostsync.Sync(ctx, src, h, snapCfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
			if want != nil {
				assert.ErrorIs(t, err, want)
			}
			assert.True(t, p.Empty())
		}
		assert.Equal(t, good, snapshot(h), "nothing changed on the host")
		assert.Equal(t, writes, h.Writes())
	}

	t.Run("stale", func(t *testing.T) {
		stale := newHost(hostsync.WithClock(fakes.NewClock(f.Clk.Now().Add(s3snapshot.DefaultSnapshotMaxAge + time.Second))))
		unknown(t, stale, hostsync.ErrSnapshotStale)
		s3s.reqs.take()
	})
	t.Run("wrong account", func(t *testing.T) {
		unknown(t, newHost(hostsync.WithAccount("210987654321")), hostsync.ErrSnapshotAccount)
		s3s.reqs.take()
	})
	t.Run("tampered", func(t *testing.T) {
		out, err := s3s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json")})
		require.NoError(t, err)
		var buf bytes.Buffer
		_, err = buf.ReadFrom(out.Body)
		require.NoError(t, err)
		out.Body.Close()
		// Give bob alice's key: the fingerprint check passes only if the
		// digest is not checked, and the digest catches it.
		snap, err := hostsync.ParseSnapshot(buf.Bytes())
		require.NoError(t, err)
		tampered := bytes.Replace(buf.Bytes(), []byte(snap.Users[1].Keys[0].Body), []byte(snap.Users[0].Keys[0].Body), 1)
		tampered = bytes.Replace(tampered, []byte(snap.Users[1].Keys[0].Fingerprint), []byte(snap.Users[0].Keys[0].Fingerprint), 1)
		require.NotEqual(t, buf.Bytes(), tampered)
		_, err = s3s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json"), Body: bytes.NewReader(tampered)})
		require.NoError(t, err)
		s3s.reqs.take()

		unknown(t, host, hostsync.ErrSnapshotMalformed)
		// One download, then 304s for the refused ETag.
		assert.Equal(t, "GET 200=1 GET 304=2", s3s.reqs.take())

		// Malformed JSON too.
		_, err = s3s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json"), Body: strings.NewReader(`{"format":`)})
		require.NoError(t, err)
		unknown(t, host, hostsync.ErrSnapshotMalformed)

		// The publisher repairs it at its next run.
		f.Clk.Advance(time.Minute)
		res := publish()
		assert.True(t, res.Written, res.Reason)
		p, _, err := hostsync.Sync(ctx, host, h, snapCfg)
		require.NoError(t, err)
		assert.True(t, p.Empty())
		s3s.reqs.take()
	})
	t.Run("bucket unreachable", func(t *testing.T) {
		s3s.srv.Close()
		unknown(t, host, nil)
		d := host.Desired(ctx)
		assert.False(t, d.Complete)
		assert.ErrorContains(t, d.Err, "connect")

		// A fresh host that never synced deletes nothing either: it has
		// nothing to go on.
		empty := fakes.NewHost()
		p, _, err := hostsync.Sync(ctx, newHost(), empty, snapCfg)
		assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
		assert.True(t, p.Empty())
		assert.Empty(t, managedNames(empty))
		assert.Zero(t, empty.Writes())

		_, err = s3snapshot.Publish(ctx, s3s.client, "fleet", "hosts.json", f.Build(pub))
		assert.Error(t, err, "the publisher reports the failed write")
	})
}
