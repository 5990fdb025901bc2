package s3snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
	"github.com/iamkit/iamkit/internal/atomicfile"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/iamkit/iamkit"
)

// SnapshotGetAPI is the part of the S3 client a SnapshotSource calls, with
// the SDK's signature. *s3.Client satisfies it, and so does the fake account
// of iamkittest (Account.S3). A host needs s3:GetObject on the one key (and
// kms:Decrypt on the key of an SSE-KMS object), nothing else.
type SnapshotGetAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ SnapshotGetAPI = (*s3.Client)(nil)

// DefaultSnapshotMaxAge is SnapshotSource's WithMaxAge default: a
// snapshot generated more than 3 hours ago is stale. The publisher rewrites
// even an unchanged snapshot every DefaultSnapshotRefresh (1 hour), so 3
// hours tolerate two missed refreshes; past them the hosts stop syncing
// (nothing changes, nobody is deleted) and the key cache keeps answering
// sshd until its own maximum age (DefaultMaxCacheAge). A key deactivated in
// IAM after the publisher died thus stays usable at most MaxAge plus the
// key cache's maximum age — the same bound a host reading IAM directly has
// while IAM is unreachable, plus MaxAge.
const DefaultSnapshotMaxAge = 3 * time.Hour

// maxSnapshotSkew is how far in the future a snapshot's generated_at may
// lie (clocks of publisher and host disagree) before it counts as stale.
const maxSnapshotSkew = 5 * time.Minute

// SnapshotSource is a Source that reads the users from a snapshot (see
// Snapshot) that a publisher wrote to S3 (NewS3SnapshotSource) or to a
// local file (NewFileSnapshotSource), instead of asking IAM: a whole fleet
// then costs IAM one read per cycle, and each host one S3 request.
//
// From S3, every Desired makes one GetObject. Once the source has a
// snapshot, the GET is conditional (If-None-Match with the ETag last seen),
// so an unchanged snapshot costs one 304 and no transfer; the source keeps
// the last good snapshot in memory and, with WithCacheFile, on disk, so a
// restarted daemon sends a conditional GET as well.
//
// Desired is complete only when the snapshot in place is good and fresh:
//
//   - it parses (ParseSnapshot: format, version, content_sha256, keys
//     matching their fingerprints, ...), else ErrSnapshotMalformed;
//   - it comes from WithAccount's account, else ErrSnapshotAccount;
//   - it is encrypted under WithKMSKey's key when set, else
//     ErrSnapshotEncryption;
//   - it is no older than WithMaxAge (default DefaultSnapshotMaxAge,
//     measured by WithClock; and not from the future), else
//     ErrSnapshotStale;
//   - it covers the configuration's groups (Snapshot.Covers), else
//     ErrSnapshotScope;
//   - it is not older than the snapshot the source last applied: not a
//     lower generation, nor the same generation with other content
//     (Snapshot.Generation), else ErrSnapshotRollback. The source
//     remembers the last applied snapshot in memory and, from S3 with
//     WithCacheFile, in the cache file (written atomically), so a
//     restarted daemon refuses a replayed object too; a file source
//     remembers it in memory only.
//
// Any of these, a missing object (ErrSnapshotNotFound) or a failed request
// (S3 unreachable, throttled, access denied: the SDK's error once its
// retryer gave up) gives an unknown source: Desired{Complete: false} with
// Err set, so Plan changes nothing — no user is deleted, the key cache is
// not rewritten and keeps serving sshd the keys of the last good sync. A
// refused object is remembered by its ETag: until it changes, each Desired
// costs one 304 and gives the same error.
//
// A SnapshotSource is safe for concurrent use; reads are serialized. Keep
// one per daemon for its lifetime (it holds the last good snapshot); when
// the configuration changes, use ForConfig.
type SnapshotSource struct {
	api         SnapshotGetAPI
	bucket, key string
	path        string
	cfg         hostsync.Config
	opts        hostsync.Settings
	log         *slog.Logger

	mu       sync.Mutex
	loaded   bool               // CacheFile read
	good     *hostsync.Snapshot // last good snapshot
	goodETag string
	curETag  string // ETag of the object last read (good or refused)
	curErr   error  // why that object was refused; nil if it is good
	fileSum  [sha256.Size]byte
	fileSnap *hostsync.Snapshot
	fileErr  error
	mark     snapshotMark       // the snapshot last applied: none older is accepted
	fetched  bool               // fetch was called at least once
	last     *hostsync.Snapshot // what the last fetch returned
	lastErr  error              // and its error
}

var _ hostsync.Source = (*SnapshotSource)(nil)

// NewS3SnapshotSource returns a source reading the snapshot at
// s3://bucket/key through api, for hosts configured with cfg. It reads the
// options WithAccount, WithMaxAge, WithClock, WithCacheFile, WithKMSKey,
// WithExpectedBucketOwner and WithLogger.
func NewS3SnapshotSource(api SnapshotGetAPI, bucket, key string, cfg hostsync.Config, opts ...hostsync.Option) *SnapshotSource {
	return newSnapshotSource(&SnapshotSource{api: api, bucket: bucket, key: key, cfg: cfg, opts: hostsync.ResolveOptions(opts...)})
}

// NewFileSnapshotSource returns a source reading the snapshot in a local
// file (put there by other means, e.g. configuration management), for hosts
// configured with cfg. It reads the options WithAccount, WithMaxAge,
// WithClock and WithLogger; WithCacheFile, WithKMSKey and
// WithExpectedBucketOwner do not apply. The file is read on every Desired
// and parsed again only when its content changed.
func NewFileSnapshotSource(path string, cfg hostsync.Config, opts ...hostsync.Option) *SnapshotSource {
	o := hostsync.ResolveOptions(opts...)
	o.CacheFile, o.KMSKeyID, o.ExpectedBucketOwner = "", "", ""
	return newSnapshotSource(&SnapshotSource{path: path, cfg: cfg, opts: o})
}

func newSnapshotSource(s *SnapshotSource) *SnapshotSource {
	if s.opts.MaxAge <= 0 {
		s.opts.MaxAge = DefaultSnapshotMaxAge
	}
	if s.opts.Clock == nil {
		s.opts.Clock = iamkit.SystemClock{}
	}
	s.log = s.opts.Log()
	return s
}

// Location returns "s3://bucket/key" or the file's path.
func (s *SnapshotSource) Location() string {
	if s.api != nil {
		return "s3://" + s.bucket + "/" + s.key
	}
	return s.path
}

// Current returns the last good snapshot the source read (nil if none) and
// its ETag (empty for a file). It may be stale: Desired checks the age.
func (s *SnapshotSource) Current() (*hostsync.Snapshot, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.api == nil {
		if s.fileErr != nil {
			return nil, ""
		}
		return s.fileSnap, ""
	}
	return s.good, s.goodETag
}

// ForConfig returns a Source reading through s for hosts configured with
// cfg: the same snapshot, ETag and cache, checked against cfg's groups. A
// daemon that reloads its configuration (or resolves EC2 tags before each
// sync) keeps one SnapshotSource and calls ForConfig per sync.
func (s *SnapshotSource) ForConfig(cfg hostsync.Config) hostsync.Source {
	return snapshotView{s: s, cfg: cfg}
}

type snapshotView struct {
	s   *SnapshotSource
	cfg hostsync.Config
}

func (v snapshotView) Desired(ctx context.Context) hostsync.Desired { return v.s.desired(ctx, v.cfg) }

// Desired reads the snapshot and returns its users, or an unknown source;
// see SnapshotSource.
func (s *SnapshotSource) Desired(ctx context.Context) hostsync.Desired { return s.desired(ctx, s.cfg) }

func (s *SnapshotSource) desired(ctx context.Context, cfg hostsync.Config) hostsync.Desired {
	unknown := func(err error) hostsync.Desired {
		return hostsync.Desired{Err: hserr.Errorf("snapshot %s: %w", s.Location(), err)}
	}
	if (cfg.AuthorizedGroupsTag != "" || cfg.SudoersGroupsTag != "") && !cfg.TagsResolved {
		return hostsync.Desired{Err: hostsync.ErrTagsUnresolved}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, err := s.fetch(ctx)
	if err != nil {
		return unknown(err)
	}
	return s.evaluate(ctx, snap, cfg)
}

// fetch reads the snapshot in place: one (conditional) GetObject, or the
// file. Callers hold s.mu.
func (s *SnapshotSource) fetch(ctx context.Context) (*hostsync.Snapshot, error) {
	s.fetched = true
	if s.api != nil {
		s.last, s.lastErr = s.fetchS3(ctx)
	} else {
		s.last, s.lastErr = s.readFile()
	}
	return s.last, s.lastErr
}

// evaluate checks a snapshot read by fetch against the clock and cfg and
// returns its users, or an unknown source. Callers hold s.mu.
func (s *SnapshotSource) evaluate(ctx context.Context, snap *hostsync.Snapshot, cfg hostsync.Config) hostsync.Desired {
	unknown := func(err error) hostsync.Desired {
		return hostsync.Desired{Err: hserr.Errorf("snapshot %s: %w", s.Location(), err)}
	}
	var err error
	now := s.opts.Clock.Now()
	switch age := now.Sub(snap.GeneratedAt); {
	case age > s.opts.MaxAge:
		err = hserr.Errorf("%w: generated %s ago at %s, more than the maximum age %s (is the publisher running?)",
			hostsync.ErrSnapshotStale, age.Round(time.Second), snap.GeneratedAt.UTC().Format(time.RFC3339), s.opts.MaxAge)
	case age < -maxSnapshotSkew:
		err = hserr.Errorf("%w: generated at %s, %s in the future (check the clocks)",
			hostsync.ErrSnapshotStale, snap.GeneratedAt.UTC().Format(time.RFC3339), (-age).Round(time.Second))
	default:
		err = snap.Covers(cfg)
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "hostsync: snapshot not usable; nothing changes",
			slog.String("snapshot", s.Location()), slog.String("error", err.Error()))
		return unknown(err)
	}
	return snap.Desired()
}

// accept parses a snapshot document and checks what does not change with
// time or configuration: the account, the encryption, and that it is not
// older than the snapshot last applied (s.mark). Callers hold s.mu.
func (s *SnapshotSource) accept(data []byte, sse s3types.ServerSideEncryption, kmsKey string) (*hostsync.Snapshot, error) {
	snap, err := hostsync.ParseSnapshot(data)
	if err != nil {
		return nil, err
	}
	if s.opts.Account != "" && snap.Account != s.opts.Account {
		return nil, hserr.Errorf("%w: account %s, want %s", hostsync.ErrSnapshotAccount, snap.Account, s.opts.Account)
	}
	if want := s.opts.KMSKeyID; want != "" && s.api != nil {
		if !kmsMatches(want, sse, kmsKey, "") {
			return nil, hserr.Errorf("%w: encryption %q with key %q, want aws:kms with %q", hostsync.ErrSnapshotEncryption, sse, kmsKey, want)
		}
	}
	if err := s.mark.admits(snap); err != nil {
		return nil, err
	}
	return snap, nil
}

// isNotModified reports whether err is S3's 304 answer to a conditional
// GET, as the SDK reports it: an error (it treats every non-2xx answer as
// one) whose HTTP status is 304 and whose API error code, derived from the
// status text, is "NotModified".
func isNotModified(err error) bool {
	if httpStatusOf(err) == http.StatusNotModified {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NotModified"
}

// fetchS3 makes one (conditional) GetObject and returns the snapshot in
// place or why it cannot be used. Callers hold s.mu.
func (s *SnapshotSource) fetchS3(ctx context.Context) (*hostsync.Snapshot, error) {
	if !s.loaded {
		s.loaded = true
		s.loadCache(ctx)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key), ExpectedBucketOwner: nonEmpty(s.opts.ExpectedBucketOwner)}
	if s.curETag != "" {
		in.IfNoneMatch = aws.String(s.curETag)
	}
	out, err := s.api.GetObject(ctx, in)
	if err != nil {
		if isNotModified(err) && in.IfNoneMatch != nil {
			if s.curErr != nil {
				return nil, s.curErr
			}
			s.log.LogAttrs(ctx, slog.LevelDebug, "hostsync: snapshot unchanged (304)",
				slog.String("snapshot", s.Location()), slog.String("etag", s.curETag))
			return s.good, nil
		}
		if isS3NotFound(err) {
			err = hserr.Errorf("%w: %w", hostsync.ErrSnapshotNotFound, err)
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "hostsync: reading the snapshot failed; nothing changes",
			slog.String("snapshot", s.Location()), slog.String("error", err.Error()))
		return nil, err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, hostsync.MaxSnapshotSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the object: %w", err)
	}
	etag := aws.ToString(out.ETag)
	snap, err := s.accept(data, out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
	if err != nil {
		s.curETag, s.curErr = etag, err
		s.log.LogAttrs(ctx, slog.LevelWarn, "hostsync: snapshot refused; the last good one stays, nothing changes",
			slog.String("snapshot", s.Location()), slog.String("etag", etag), slog.String("error", err.Error()))
		return nil, err
	}
	s.good, s.goodETag = snap, etag
	s.curETag, s.curErr = etag, nil
	s.mark = markOf(snap)
	s.log.LogAttrs(ctx, slog.LevelInfo, "hostsync: new snapshot",
		slog.String("snapshot", s.Location()), slog.String("etag", etag),
		slog.String("generated_at", snap.GeneratedAt.UTC().Format(time.RFC3339)),
		slog.Uint64("generation", snap.Generation),
		slog.Int("users", len(snap.Users)), slog.Int("keys", snap.KeyCount()), slog.Int("bytes", len(data)))
	if s.opts.CacheFile != "" && etag != "" {
		if hostsync.IsGzipSnapshot(data) {
			// The cache file holds the JSON document.
			if data, err = hostsync.MarshalSnapshot(snap); err != nil {
				return snap, nil
			}
		}
		if err := s.saveCache(data, etag, out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId)); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "hostsync: saving the snapshot cache failed; a restart will download the snapshot again",
				slog.String("file", s.opts.CacheFile), slog.String("error", err.Error()))
		}
	}
	return snap, nil
}

// snapshotCacheFile is the CacheFile document.
type snapshotCacheFile struct {
	Version  int                          `json:"version"`
	Location string                       `json:"location"`
	ETag     string                       `json:"etag"`
	SSE      s3types.ServerSideEncryption `json:"sse,omitempty"`
	KMSKeyID string                       `json:"kms_key_id,omitempty"`
	Snapshot json.RawMessage              `json:"snapshot"`
}

// loadCache reads CacheFile, if any, into the last good snapshot. A file
// that is missing, for another location, or refused is ignored (logged):
// the next GET is then unconditional. Callers hold s.mu.
func (s *SnapshotSource) loadCache(ctx context.Context) {
	if s.opts.CacheFile == "" {
		return
	}
	data, err := readLimited(s.opts.CacheFile, hostsync.MaxSnapshotSize+4096)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var c snapshotCacheFile
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&c)
	}
	var snap *hostsync.Snapshot
	switch {
	case err != nil:
	case c.Version != 1:
		err = fmt.Errorf("version %d, want 1", c.Version)
	case c.Location != s.Location():
		err = fmt.Errorf("for %s, not %s", c.Location, s.Location())
	case c.ETag == "":
		err = errors.New("no ETag")
	default:
		snap, err = s.accept(c.Snapshot, c.SSE, c.KMSKeyID)
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "hostsync: ignoring the snapshot cache file",
			slog.String("file", s.opts.CacheFile), slog.String("error", err.Error()))
		return
	}
	s.good, s.goodETag = snap, c.ETag
	s.curETag, s.curErr = c.ETag, nil
	s.mark = markOf(snap)
}

// saveCache writes CacheFile. Callers hold s.mu.
func (s *SnapshotSource) saveCache(data []byte, etag string, sse s3types.ServerSideEncryption, kmsKey string) error {
	doc, err := json.Marshal(snapshotCacheFile{
		Version: 1, Location: s.Location(), ETag: etag, SSE: sse, KMSKeyID: kmsKey,
		Snapshot: json.RawMessage(bytes.TrimSpace(data)),
	})
	if err != nil {
		return err
	}
	_, err = atomicfile.WriteFile(s.opts.CacheFile, append(doc, '\n'), atomicfile.WithPerm(0o600), atomicfile.NoFollow())
	return err
}

// readFile reads the snapshot file, parsing it again only when its content
// changed. Callers hold s.mu.
func (s *SnapshotSource) readFile() (*hostsync.Snapshot, error) {
	data, err := readLimited(s.path, hostsync.MaxSnapshotSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, hserr.Errorf("%w: %w", hostsync.ErrSnapshotNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if sum != s.fileSum || (s.fileSnap == nil && s.fileErr == nil) {
		s.fileSum = sum
		s.fileSnap, s.fileErr = s.accept(data, "", "")
		if s.fileErr == nil {
			s.mark = markOf(s.fileSnap)
		}
	}
	if s.fileErr != nil {
		return nil, s.fileErr
	}
	return s.fileSnap, nil
}

// readLimited reads a file of at most limit bytes; a larger one is an
// error wrapping ErrSnapshotMalformed.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, hserr.Errorf("%w: %s is larger than %d bytes", hostsync.ErrSnapshotMalformed, path, limit)
	}
	return data, nil
}
