package s3snapshot_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// Under a ".gz" key the publisher writes gzip; hosts read it (and the
// plain JSON of older publishers), keep the JSON in their cache file, and
// an unchanged snapshot keeps its ETag and costs a 304.
func TestGzipSnapshotOnTheWire(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	snap := f.Build(pub)
	res, err := s3snapshot.Publish(ctx, f.S3, "fleet", "hosts.json.gz", snap)
	require.NoError(t, err)
	require.True(t, res.Written)
	obj, ok := f.S3.Object("fleet", "hosts.json.gz")
	require.True(t, ok)
	assert.True(t, hostsync.IsGzipSnapshot(obj.Body))
	assert.Equal(t, len(obj.Body), res.Size)

	again, err := s3snapshot.Publish(ctx, f.S3, "fleet", "hosts.json.gz", f.Build(pub))
	require.NoError(t, err)
	assert.False(t, again.Written, "the gzip object in place is read and found unchanged")
	assert.Equal(t, res.ETag, again.ETag)

	cache := filepath.Join(t.TempDir(), "snapshot.json")
	api := &countingGets{api: f.S3}
	src := s3snapshot.NewS3SnapshotSource(api, "fleet", "hosts.json.gz", snapCfg,
		hostsync.WithAccount(f.Acct.ID()), hostsync.WithClock(f.Clk), hostsync.WithCacheFile(cache))
	d := src.Desired(ctx)
	require.NoError(t, d.Err)
	assert.Len(t, d.Users, 2)
	require.NoError(t, src.Desired(ctx).Err)
	assert.Equal(t, 1, api.n304s)
	data, err := os.ReadFile(cache)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"format":"iamkit-hostsync-snapshot"`, "the cache file holds the JSON")

	// A restarted host reads its cache, and sends a conditional GET.
	restarted := s3snapshot.NewS3SnapshotSource(api, "fleet", "hosts.json.gz", snapCfg,
		hostsync.WithAccount(f.Acct.ID()), hostsync.WithClock(f.Clk), hostsync.WithCacheFile(cache))
	require.NoError(t, restarted.Desired(ctx).Err)
	assert.Equal(t, 2, api.n304s)

	// The same reader takes the plain JSON an older publisher wrote.
	_, err = s3snapshot.Publish(ctx, f.S3, "fleet", "hosts.json", snap)
	require.NoError(t, err)
	plain := s3snapshot.NewS3SnapshotSource(f.S3, "fleet", "hosts.json", snapCfg, hostsync.WithClock(f.Clk))
	require.NoError(t, plain.Desired(ctx).Err)
	out, err := f.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json.gz")})
	require.NoError(t, err)
	assert.Equal(t, "application/gzip", aws.ToString(out.ContentType))
}
