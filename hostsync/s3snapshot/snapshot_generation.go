package s3snapshot

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/smithy-go"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// snapshotMark is what a SnapshotSource remembers of the snapshot it last
// applied, to refuse older ones: its generation, generated_at and
// content_sha256.
type snapshotMark struct {
	set         bool
	generation  uint64
	generatedAt time.Time
	digest      string
}

func markOf(s *hostsync.Snapshot) snapshotMark {
	return snapshotMark{set: true, generation: s.Generation, generatedAt: s.GeneratedAt, digest: s.ContentSHA256}
}

func (m snapshotMark) String() string {
	return fmt.Sprintf("generation %d (generated at %s, content %.12s)", m.generation, m.generatedAt.UTC().Format(time.RFC3339), m.digest)
}

// admits returns nil when s may follow the snapshot m marks, else an error
// wrapping ErrSnapshotRollback that names both: snapshots only move
// forward. They are ordered by generation, then (for snapshots without a
// generation, all of generation 0) by generated_at; the same generation
// must have the same content, and so must, at generation 0, the same
// generated_at.
func (m snapshotMark) admits(s *hostsync.Snapshot) error {
	if !m.set {
		return nil
	}
	n := markOf(s)
	switch {
	case n.generation < m.generation:
		return hserr.Errorf("%w: %s is older than %s, the last applied (a replayed, restored or racing object; wait for the publisher's next write)",
			hostsync.ErrSnapshotRollback, n, m)
	case n.generation > m.generation:
		return nil
	case n.digest == m.digest:
		return nil // the same snapshot again
	case n.generation > 0 || n.generatedAt.Equal(m.generatedAt):
		return hserr.Errorf("%w: %s has the same generation as the last applied, %s, with other content (two writers without conditional writes?)",
			hostsync.ErrSnapshotRollback, n, m)
	case n.generatedAt.Before(m.generatedAt):
		return hserr.Errorf("%w: %s is older than %s, the last applied (a replayed, restored or racing object; wait for the publisher's next write)",
			hostsync.ErrSnapshotRollback, n, m)
	}
	return nil
}

// nextGeneration returns the generation of a snapshot written over prev
// (0 when there is no object or it could not be read), generated at at:
// greater than prev, at least at in Unix seconds (so that generations keep
// growing after the object was deleted or restored to an old version), and
// at least want (a floor the caller set in Snapshot.Generation).
func nextGeneration(prev uint64, at time.Time, want uint64) uint64 {
	g := max(prev+1, want)
	if u := at.Unix(); u > 0 && uint64(u) > g {
		g = uint64(u)
	}
	return g
}

// isWriteConflict reports whether a conditional PutObject lost: 412
// PreconditionFailed (the ETag changed, or an object appeared), or 409
// ConditionalRequestConflict (another conditional write was in flight).
func isWriteConflict(err error) bool {
	switch httpStatusOf(err) {
	case http.StatusPreconditionFailed, http.StatusConflict:
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return true
		}
	}
	return false
}
