package s3snapshot_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// slowRead is a source whose read takes long: after reading, it runs
// during (what happens elsewhere while the read is still going) and then
// lets the read's remaining time pass on the clock.
type slowRead struct {
	hostsync.Source
	during func()
	clk    interface{ Advance(time.Duration) }
}

func (s slowRead) Desired(ctx context.Context) hostsync.Desired {
	d := s.Source.Desired(ctx)
	s.clk.Advance(30 * time.Second)
	s.during()
	s.clk.Advance(30 * time.Second)
	return d
}

// A Republisher whose slow IAM read began before a revocation that another
// publisher (hostsync revoke, another Lambda) published while the read
// went on does not overwrite that newer snapshot with its stale read: the
// snapshot is dated when the read began, and Publish keeps a newer object.
func TestRepublisherSlowReadKeepsANewerSnapshot(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	bobKey := f.Keys["bob"][0]
	other := s3snapshot.NewRepublisher(iamsource.NewIAMSource(f.IAM, snapCfg), snapCfg, f.Acct.ID(), f.S3, "fleet", "hosts.json", hostsync.WithClock(f.Clk))
	src := slowRead{Source: iamsource.NewIAMSource(f.IAM, snapCfg), clk: f.Clk, during: func() {
		f.SetKey("bob", bobKey, false) // revoked while the slow read goes on...
		_, err := other.Republish(ctx) // ...and published at once by another
		require.NoError(t, err)
	}}
	slow := s3snapshot.NewRepublisher(src, snapCfg, f.Acct.ID(), f.S3, "fleet", "hosts.json", hostsync.WithClock(f.Clk))
	res, err := slow.Republish(ctx)
	require.NoError(t, err)
	assert.False(t, res.Written, "the stale read is not written over the newer snapshot (%s)", res.Reason)

	snap, err := hostsync.ParseSnapshot(f.Object())
	require.NoError(t, err)
	for _, u := range snap.Users {
		if u.Name == "bob" {
			assert.Empty(t, u.Keys, "bob's revoked key stays out of the snapshot in place")
		}
	}
}
