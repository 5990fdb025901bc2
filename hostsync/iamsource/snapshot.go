package iamsource

import (
	"context"
	"errors"
	"time"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// BuildSnapshot reads src (live IAM, with its key body cache: a steady-state
// read costs one ListSSHPublicKeys per user plus the listing pages) and
// returns the snapshot of what it read, for account, generated at now; see
// SnapshotFromDesired. The source's configuration decides the users and
// groups the snapshot covers: it must cover every host's authorized and
// sudoers groups (hosts refuse a snapshot that does not, ErrSnapshotScope).
// A read that fails returns its error and no snapshot: nothing is
// published from an unknown source.
func BuildSnapshot(ctx context.Context, src *IAMSource, account string, now time.Time) (*hostsync.Snapshot, error) {
	d := src.Desired(ctx)
	if d.Err != nil || !d.Complete {
		err := d.Err
		if err == nil {
			err = errors.New("incomplete source")
		}
		return nil, hserr.Errorf("building snapshot: %w", err)
	}
	return hostsync.SnapshotFromDesired(d, src.cfg, account, now)
}
