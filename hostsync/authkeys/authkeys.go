package authkeys

import (
	"errors"
	"io/fs"
	"time"

	"github.com/iamkit/iamkit/hostsync/internal/trustfs"
)

// The sentinel errors of the read path. hostsync re-exports them under the
// same names (hostsync.ErrNotManaged is ErrNotManaged...).
var (
	// ErrNotManaged: the Linux user name maps back to no IAM user, or the
	// user is not one hostsync manages.
	ErrNotManaged = errors.New("hostsync: not a user hostsync manages")
	// ErrStale: the last complete sync is older than the maximum age (or
	// lies in the future).
	ErrStale = errors.New("hostsync: key cache is stale")
	// ErrNoCache: no complete sync was ever recorded (no heartbeat).
	ErrNoCache = errors.New("hostsync: no key cache (never synced)")
	// ErrUnsafeCache: a path of the key cache is a symlink, not root-owned,
	// group- or world-writable, or not a regular file or directory.
	ErrUnsafeCache = trustfs.ErrUnsafe
	// ErrCorruptKeyCache: a key cache file does not parse.
	ErrCorruptKeyCache = errors.New("hostsync: corrupt key cache file")
)

// Default values of Request, the same as hostsync's.
const (
	// DefaultMaxAge is hostsync.DefaultMaxCacheAge.
	DefaultMaxAge = 24 * time.Hour
	// DefaultMarkerGroup is hostsync.DefaultMarkerGroup.
	DefaultMarkerGroup = "iam-synced-users"
	// MaxFileSize is hostsync.MaxKeyCacheFileSize.
	MaxFileSize = 256 << 10
	// MaxConfigSize is hostsync.MaxConfigSize.
	MaxConfigSize = 1 << 20
	// MinManagedUID is hostsync.MinManagedUID.
	MinManagedUID = 1000
)

// maxFutureHeartbeat is how far in the future a heartbeat may lie.
const maxFutureHeartbeat = 5 * time.Minute

// Request is one question of sshd: the keys of User (%u), only the one
// whose fingerprint is Fingerprint (%f) when that is not empty.
type Request struct {
	// User is the Linux user name sshd asks about.
	User string
	// Fingerprint, when not empty, keeps only the key with this SHA256
	// fingerprint ("SHA256:..." as sshd's %f).
	Fingerprint string
	// CacheDir is the key cache directory (hostsync.KeyCache.Dir).
	CacheDir string
	// Config is the configuration: its marker group and reserved names.
	Config Config
	// Root is prefixed to /etc/passwd and /etc/group ("" for /).
	Root string
	// MaxAge is how long the cache is trusted after the last complete
	// sync; 0 means DefaultMaxAge.
	MaxAge time.Duration
	// Now is the time the heartbeat's age is measured at; zero means
	// time.Now().
	Now time.Time
}

// Lookup answers r as hostsync.AuthorizedKeys does with WithKeyCache,
// WithMaxAge and WithMarkerCheck(Linux.IsManaged) and no live fallback: the
// authorized_keys lines ("<type> <base64> <key ID>") of r.User. A user
// hostsync does not manage is an error wrapping ErrNotManaged; a cache that
// cannot answer, one wrapping ErrNoCache, ErrStale, ErrUnsafeCache or
// ErrCorruptKeyCache. No keys is an empty result and no error.
func Lookup(r Request) ([]string, error) {
	if _, err := IAMName(r.User); err != nil {
		return nil, errorf("%w: %w", ErrNotManaged, err)
	}
	ok, err := IsManaged(r.Root, r.Config, r.User)
	if err != nil {
		return nil, errorf("checking whether %q is managed: %w", r.User, err)
	}
	if !ok {
		return nil, errorf("%w: local user %q is not in the marker group", ErrNotManaged, r.User)
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	maxAge := r.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	keys, err := readCache(r.CacheDir, r.User, now, maxAge)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if r.Fingerprint != "" && k.Fingerprint != r.Fingerprint {
			continue
		}
		out = append(out, k.Body+" "+k.ID)
	}
	return out, nil
}

func readCache(dir, user string, now time.Time, maxAge time.Duration) ([]Key, error) {
	root, err := trustfs.OpenDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errorf("%w: %s does not exist", ErrNoCache, dir)
	}
	if err != nil {
		return nil, errorf("key cache: %w", err)
	}
	defer root.Close()
	last, err := lastSync(root)
	if err != nil {
		return nil, err
	}
	switch age := now.Sub(last); {
	case age > maxAge:
		return nil, errorf("%w: last complete sync %s ago (at %s), more than %s", ErrStale, age.Round(time.Second), last.UTC().Format(time.RFC3339), maxAge)
	case age < -maxFutureHeartbeat:
		return nil, errorf("%w: last complete sync recorded in the future (%s)", ErrStale, last.UTC().Format(time.RFC3339))
	}
	return readEntry(root, user)
}

// Where hostsync keeps its files by default (hostsync.DefaultStateDir,
// hostsync.StateKeyCacheDir, hostsync.DefaultConfigFile).
const (
	DefaultStateDir   = "/var/lib/iamkit"
	KeyCacheDirName   = "keys"
	DefaultConfigFile = "/etc/aws-ec2-ssh.conf"
)
