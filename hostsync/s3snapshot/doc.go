// Package s3snapshot is hostsync's snapshot adapter: SnapshotSource (a
// hostsync.Source reading a fleet snapshot from S3 with one conditional GET
// per sync, or from a file), Publish (the publisher's conditional,
// generation-numbered PutObject), NewS3Client and ParseS3URL; for
// revocation in seconds, Poller (a host's 15-second conditional GET that
// asks for a sync only when the snapshot changed, with SnapshotSource.Poll
// and Held) and Republisher (publish now, concurrent calls coalesced).
//
// It is apart from hostsync's core, which keeps the SDK-free Snapshot
// format (ParseSnapshot, MarshalSnapshot, SnapshotFromDesired), so that a
// binary that reads no snapshot does not link the AWS SDK. It imports
// hostsync, never the reverse.
package s3snapshot
