package hostsync

import (
	"context"
	"log/slog"
	"time"

	"github.com/iamkit/iamkit"
)

// Option configures a hostsync function or constructor: Sync,
// AuthorizedKeys, Publish, NewS3SnapshotSource, NewFileSnapshotSource and
// NewIAMSource. Each documents the options it reads and ignores the others,
// so one list of options can be shared (e.g. WithLogger, WithClock).
type Option func(*settings)

// settings is what the options set. Zero values mean "the default of the
// function that reads it".
type settings struct {
	// Shared.
	logger *slog.Logger
	clock  iamkit.Clock
	maxAge time.Duration

	// Sync.
	dryRun bool

	// AuthorizedKeys.
	keyCache    KeyCache
	live        func(ctx context.Context, iamName string) ([]Key, error)
	liveTimeout time.Duration
	markerCheck func(linuxName string) (bool, error)

	// Snapshots: Publish and SnapshotSource.
	kmsKeyID            string
	expectedBucketOwner string
	refreshAfter        time.Duration
	confirmer           AbsenceConfirmer
	account             string
	cacheFile           string

	// IAMSource.
	workers      int
	pageSize     int32
	keyBodyCache KeyBodyCache
}

func newSettings(opts []Option) settings {
	var s settings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	return s
}

// log returns the logger, or one that discards.
func (s *settings) log() *slog.Logger {
	if s.logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.logger
}

// now returns the clock's time function, iamkit.SystemClock's by default.
func (s *settings) now() func() time.Time {
	if s.clock == nil {
		return iamkit.SystemClock{}.Now
	}
	return s.clock.Now
}

// WithLogger sets the logger a function reports to; nil (the default)
// means no logs. Read by Sync (the run's structured logs: user names, key
// IDs and fingerprints, never key bodies or state bytes), SnapshotSource
// (Debug for an unchanged snapshot, Info for a new one, Warn for a refused
// or unreadable one) and NewIAMSource (each read at Debug; a key body cache
// that fails to save at Warn).
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithClock sets the clock; nil (the default) means iamkit.SystemClock.
// Read by Sync (the time recorded as the last complete sync,
// System.MarkSynced), AuthorizedKeys (the time the heartbeat's age is
// measured against) and SnapshotSource (the time a snapshot's age is
// measured against).
func WithClock(c iamkit.Clock) Option { return func(s *settings) { s.clock = c } }

// WithMaxAge sets how old the data a function answers from may be; zero or
// negative means its default. Read by AuthorizedKeys: how long after the
// last complete sync (KeyCache.MarkSynced) the key cache is trusted
// (default DefaultMaxCacheAge, 24 hours); past it — or when the heartbeat
// lies more than 5 minutes in the future — AuthorizedKeys tries WithLive,
// and without a live answer fails closed with ErrStale. Read by
// SnapshotSource: how old a snapshot may be (by its generated_at) before it
// is stale (default DefaultSnapshotMaxAge).
func WithMaxAge(d time.Duration) Option { return func(s *settings) { s.maxAge = d } }

// WithDryRun makes Sync plan without applying: the host is read, never
// changed. Read by Sync only.
func WithDryRun(dryRun bool) Option { return func(s *settings) { s.dryRun = dryRun } }

// WithKeyCache sets the key cache AuthorizedKeys answers from; the default
// is KeyCache{}, the cache in DefaultKeyCacheDir. Read by AuthorizedKeys
// only.
func WithKeyCache(c KeyCache) Option { return func(s *settings) { s.keyCache = c } }

// WithLive sets AuthorizedKeys' live lookup of an IAM user's keys, used
// when the cache cannot answer: no heartbeat (never synced) or a stale one.
// It is called with a context that ends after WithLiveTimeout, and only
// then: a fresh cache is authoritative, so a fresh cache without an entry
// for the user means "no keys", not "ask IAM". Only Active keys that
// ParseKey accepts are used. The caller builds the IAM client lazily inside
// live, so that an answer from the cache loads no AWS configuration:
// LiveKeysFunc does that, with LiveKeys, which applies the sync's rules
// (authorized groups, Active keys) — use it rather than a lookup of your
// own. Default: none. Read by AuthorizedKeys only.
func WithLive(live func(ctx context.Context, iamName string) ([]Key, error)) Option {
	return func(s *settings) { s.live = live }
}

// WithLiveTimeout bounds a WithLive call; zero or negative means
// DefaultLiveTimeout (2 seconds). Read by AuthorizedKeys only.
func WithLiveTimeout(d time.Duration) Option { return func(s *settings) { s.liveTimeout = d } }

// WithMarkerCheck sets a function that reports whether a Linux user is one
// hostsync manages (in the marker group, e.g. Linux.IsManaged);
// AuthorizedKeys then answers ErrNotManaged for any other. An error from it
// is returned as is: no keys. Default: none. Read by AuthorizedKeys only.
func WithMarkerCheck(check func(linuxName string) (bool, error)) Option {
	return func(s *settings) { s.markerCheck = check }
}

// WithKMSKey sets the KMS key of the snapshot object. Read by Publish: it
// writes the object with SSE-KMS under this key (key ID, key ARN or alias);
// empty (the default) leaves it to the bucket's default encryption. Read by
// an S3 SnapshotSource: it accepts only objects encrypted with SSE-KMS under
// this key, given as its key ARN or key ID (S3 reports the key ARN; an alias
// cannot be compared). Only principals allowed to encrypt with the key can
// then write an acceptable snapshot.
func WithKMSKey(keyID string) Option { return func(s *settings) { s.kmsKeyID = keyID } }

// WithExpectedBucketOwner sets the account ID that must own the snapshot's
// bucket: S3 refuses the calls otherwise, so a bucket of the same name in
// another account is never read nor written. Default: not checked. Read by
// Publish and by an S3 SnapshotSource.
func WithExpectedBucketOwner(accountID string) Option {
	return func(s *settings) { s.expectedBucketOwner = accountID }
}

// WithRefreshAfter sets how old an unchanged snapshot object may grow
// before Publish rewrites it anyway; zero or negative means
// DefaultSnapshotRefresh. Read by Publish only.
func WithRefreshAfter(d time.Duration) Option { return func(s *settings) { s.refreshAfter = d } }

// WithAccount sets the 12-digit ID of the AWS account a snapshot must come
// from (the account that holds the IAM users). Empty (the default) accepts
// any account; set it. Read by SnapshotSource only.
func WithAccount(accountID string) Option { return func(s *settings) { s.account = accountID } }

// WithCacheFile sets where an S3 SnapshotSource keeps the last good
// snapshot (and its ETag) on disk, so that a restarted daemon still has it,
// its first GET is a conditional one too, and it refuses a snapshot older
// than it (Snapshot.Generation). The file decides which keys
// hosts accept: keep it in a directory only root can write, such as
// /var/lib/iamkit. Written atomically, mode 0600, only when a new snapshot
// is accepted. Default: none. Read by NewS3SnapshotSource only.
func WithCacheFile(path string) Option { return func(s *settings) { s.cacheFile = path } }

// WithWorkers sets how many IAM calls an IAMSource has in flight at most
// while it reads keys (default DefaultSourceWorkers; n < 1 keeps it). The
// listings of the configured groups run beside them, one call at a time per
// group. Read by NewIAMSource only.
func WithWorkers(n int) Option {
	return func(s *settings) {
		if n > 0 {
			s.workers = n
		}
	}
}

// WithPageSize sets the MaxItems of each listing page of an IAMSource, 1 to
// 1000 (default DefaultSourcePageSize; other values keep it). Read by
// NewIAMSource only.
func WithPageSize(n int) Option {
	return func(s *settings) {
		if n >= 1 && n <= 1000 {
			s.pageSize = int32(n)
		}
	}
}

// WithKeyBodyCache makes an IAMSource keep key bodies in c instead of a
// private in-memory cache: share one cache between the sources a daemon
// builds as its configuration changes, or use a FileKeyBodyCache so a
// restarted daemon does not fetch every body again. After a complete read
// the source prunes the cache down to the keys it listed
// (KeyBodyCacheSaver), so sources that read different users should not
// share a cache. nil keeps the default. Read by NewIAMSource only.
func WithKeyBodyCache(c KeyBodyCache) Option {
	return func(s *settings) {
		if c != nil {
			s.keyBodyCache = c
		}
	}
}

// WithAbsenceConfirmer makes Publish confirm, through c (the IAMSource the
// snapshot was built from), that the users the object in place lists and
// the new snapshot drops are gone from IAM before it writes: a listing that
// skipped a user (a member removed while the group was read page by page)
// then publishes nothing, instead of making every host lock that user.
// Read by Publish.
func WithAbsenceConfirmer(c AbsenceConfirmer) Option {
	return func(s *settings) { s.confirmer = c }
}
