package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/durflag"
)

// snapshotOptions are the --snapshot flags: sync from the fleet snapshot a
// publisher writes (examples/lambda/snapshotpublisher, 'iamkit hostsync
// publish') instead of reading IAM.
type snapshotOptions struct {
	url, account, kmsKey string
	bucketOwner          string // --snapshot-bucket-owner
	maxAge               time.Duration
	bucket, key, path    string // from url
}

// register adds the --snapshot flags.
func (s *snapshotOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&s.url, "snapshot", "", "sync from the fleet snapshot at `URL` (s3://BUCKET/KEY, or an absolute file path) instead of reading IAM")
	fs.StringVar(&s.account, "snapshot-account", "", "accept only a snapshot of this AWS `ACCOUNT` ID's users")
	durflag.Var(fs, &s.maxAge, "snapshot-max-age", 0, "refuse a snapshot older than this `DURATION` (default 3h)")
	fs.StringVar(&s.kmsKey, "snapshot-kms-key", "", "accept only a snapshot object encrypted with this KMS `KEY` (key ID or ARN)")
	fs.StringVar(&s.bucketOwner, "snapshot-bucket-owner", "", "read the snapshot only if its bucket belongs to this AWS `ACCOUNT` ID (S3's expected-bucket-owner check: a bucket deleted and re-created by someone else is refused)")
}

// check validates the flags and splits the URL.
func (s *snapshotOptions) check() error {
	if s.url == "" {
		if s.account != "" || s.kmsKey != "" || s.maxAge != 0 || s.bucketOwner != "" {
			return errors.New("--snapshot-account, --snapshot-max-age, --snapshot-kms-key and --snapshot-bucket-owner need --snapshot")
		}
		return nil
	}
	switch {
	case strings.HasPrefix(s.url, "s3://"):
		b, k, err := s3snapshot.ParseS3URL(s.url)
		if err != nil {
			return fmt.Errorf("--snapshot: %w", err)
		}
		s.bucket, s.key = b, k
	case filepath.IsAbs(s.url):
		s.path = s.url
		if s.kmsKey != "" || s.bucketOwner != "" {
			return errors.New("--snapshot-kms-key and --snapshot-bucket-owner apply to an s3:// snapshot only")
		}
	default:
		return fmt.Errorf("--snapshot %q: want s3://BUCKET/KEY or an absolute file path", s.url)
	}
	if s.maxAge < 0 {
		return errors.New("--snapshot-max-age must be positive")
	}
	if s.bucketOwner != "" && !isAccountID(s.bucketOwner) {
		return fmt.Errorf("--snapshot-bucket-owner %q: want a 12-digit AWS account ID", s.bucketOwner)
	}
	return nil
}

// useSnapshot makes d read the snapshot instead of IAM, when --snapshot is
// given: one SnapshotSource for the daemon's lifetime (it keeps the last
// good snapshot and its ETag, in memory and in STATE-DIR/snapshot.json, so
// each sync costs one conditional GET), viewed with each sync's
// configuration.
func useSnapshot(d *daemon, o options, log *slog.Logger) {
	s := o.snap
	if s.url == "" {
		return
	}
	opts := []hostsync.Option{hostsync.WithAccount(s.account), hostsync.WithMaxAge(s.maxAge), hostsync.WithKMSKey(s.kmsKey),
		hostsync.WithExpectedBucketOwner(s.bucketOwner), hostsync.WithLogger(log)}
	if !o.dryRun {
		opts = append(opts, hostsync.WithCacheFile(o.stateDirLayout().SnapshotFile())) // a dry run writes nothing
	}
	var src *s3snapshot.SnapshotSource
	if s.path != "" {
		src = s3snapshot.NewFileSnapshotSource(s.path, hostsync.Config{}, opts...)
	} else {
		src = s3snapshot.NewS3SnapshotSource(&lazyS3{}, s.bucket, s.key, hostsync.Config{}, opts...)
	}
	if s.account == "" {
		log.Warn("hostsyncd: --snapshot without --snapshot-account accepts a snapshot of any account's users")
	}
	if s.path == "" && s.bucketOwner == "" && s.kmsKey == "" {
		log.Warn("hostsyncd: an s3:// --snapshot without --snapshot-bucket-owner or --snapshot-kms-key trusts whoever owns the bucket (its name could be re-created by another account)")
	}
	d.newSource = func(_ iamsource.IAMAPI, cfg hostsync.Config) hostsync.Source { return src.ForConfig(cfg) }
	if o.pollInterval > 0 && !o.once {
		// The poll makes the request; the sync it triggers reads what the
		// poll read (Held), so a poll and its sync cost one GET.
		d.poller = s3snapshot.NewPoller(src,
			s3snapshot.WithPollInterval(o.pollInterval, s3snapshot.DefaultPollJitter),
			s3snapshot.WithFullSyncInterval(o.interval, o.jitter))
		d.pollInterval = o.pollInterval
		d.newSource = func(_ iamsource.IAMAPI, cfg hostsync.Config) hostsync.Source { return src.Held(cfg) }
	}
}

// lazyS3 is the S3 client, built from the standard configuration chain on
// its first call (the daemon wires itself before it has a context). The
// region comes from the configuration or, on EC2, the instance metadata; the
// bucket must be in that region.
type lazyS3 struct {
	mu  sync.Mutex
	api *s3.Client
}

func (l *lazyS3) GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	l.mu.Lock()
	if l.api == nil {
		awsCfg, err := config.LoadDefaultConfig(ctx, config.WithEC2IMDSRegion())
		if err != nil {
			l.mu.Unlock()
			return nil, fmt.Errorf("loading AWS configuration: %w", err)
		}
		if awsCfg.Region == "" {
			awsCfg.Region = "us-east-1"
		}
		l.api = s3snapshot.NewS3Client(awsCfg)
	}
	api := l.api
	l.mu.Unlock()
	return api.GetObject(ctx, in, optFns...)
}

var _ s3snapshot.SnapshotGetAPI = (*lazyS3)(nil)

// isAccountID reports whether s is a 12-digit AWS account ID.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
