package hostsync

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/iamkit/iamkit/hostsync/authkeys"
	"github.com/iamkit/iamkit/hostsync/internal/trustfs"
)

// DefaultKeyCacheDir is the directory of the key cache when KeyCache.Dir is
// empty. It lies outside every home directory, so no user can plant a
// symlink or a file in it.
const DefaultKeyCacheDir = DefaultStateDir + "/" + StateKeyCacheDir

// DefaultMaxCacheAge is AuthorizedKeys' WithMaxAge default: the key cache is
// trusted for 24 hours after the last complete sync. A sync runs every few
// minutes, so a day keeps people logging in through an IAM outage of up to a
// day (the cache then serves the keys it last knew), while bounding how long
// a key deactivated in IAM can still be used on a host whose syncs all fail.
// Past it, AuthorizedKeys fails closed (ErrStale): only the break-glass
// account gets in.
const DefaultMaxCacheAge = 24 * time.Hour

// DefaultLiveTimeout is AuthorizedKeys' WithLiveTimeout default: sshd waits for
// the AuthorizedKeysCommand, so a live lookup gets 2 seconds at most.
const DefaultLiveTimeout = 2 * time.Second

// MaxKeyCacheFileSize bounds the size of one key cache file Read accepts.
const MaxKeyCacheFileSize = 256 << 10

// maxFutureHeartbeat is how far in the future a heartbeat may lie (clock
// adjustments after a sync) before the cache counts as stale.
const maxFutureHeartbeat = 5 * time.Minute

// Names of the key cache's own files. Linux user names (ValidLinuxName) never
// hold '@', so these never collide with a user's entry.
const (
	keyCacheHeartbeat = "@last-sync"
	keyCacheTmpPrefix = "@tmp-"
	keyCacheHeader    = "# iamkit hostsync key cache v1 user="
)

// Errors of the key cache and of AuthorizedKeys, for callers (the
// AuthorizedKeysCommand) to pick exit codes and messages. They are the
// values of package authkeys, hostsync-keys's read path.
var (
	// ErrNotManaged: the Linux user name maps back to no IAM user, or the
	// user is not one hostsync manages (MarkerCheck said no).
	ErrNotManaged = authkeys.ErrNotManaged
	// ErrStale: the last complete sync is older than the maximum age (or
	// lies in the future), and no live lookup answered: the cache is not
	// trusted any more and no key is printed.
	ErrStale = authkeys.ErrStale
	// ErrNoCache: no complete sync was ever recorded (no heartbeat), and no
	// live lookup answered.
	ErrNoCache = authkeys.ErrNoCache
	// ErrUnsafeCache: the key cache directory or one of its files (or the
	// state file, or the sudoers drop-in directory, which Linux checks the
	// same way) is a symlink, not root-owned, group- or world-writable, or
	// not a regular file or directory. Nothing is read from or written to
	// it.
	ErrUnsafeCache = authkeys.ErrUnsafeCache
	// ErrCorruptKeyCache: a key cache file does not parse.
	ErrCorruptKeyCache = authkeys.ErrCorruptKeyCache
)

// KeyCache is the root-owned cache of each managed user's Active SSH keys
// that the AuthorizedKeysCommand answers from: one file per Linux user in
// Dir (default DefaultKeyCacheDir), plus a heartbeat file whose modification
// time is the time of the last complete sync.
//
// Safety: Dir must be a directory, not a symlink, owned by root and neither
// group- nor world-writable (its parent directories should be root-owned
// too, as for any path sshd trusts); every file must be a regular file owned
// by root that is not group- or world-writable. Symlinks are never followed:
// files are opened relative to the checked directory and compared with what
// Lstat saw, and temporary files are created with O_EXCL. Anything else is
// an error wrapping ErrUnsafeCache. Files are mode 0644 (public keys; the
// AuthorizedKeysCommandUser must read them), the directory 0755.
//
// Writes are atomic (temporary file, fsync, rename, fsync of the directory)
// and happen only when the content changes. Callers serialize writers (the
// sync lock, AcquireLock); readers need no lock.
//
// The file format is text: a header line
// "# iamkit hostsync key cache v1 user=<linux name>", then one line per key,
// "<key ID> <type> <base64>", sorted by key ID (see ParseKeyCacheFile).
type KeyCache struct {
	// Dir is the cache directory; empty means DefaultKeyCacheDir.
	Dir string
}

func (c KeyCache) dir() string {
	if c.Dir == "" {
		return DefaultKeyCacheDir
	}
	return c.Dir
}

// oNoFollow is O_NOFOLLOW where the system has it (trustfs.ONoFollow).
const oNoFollow = trustfs.ONoFollow

// checkTrusted checks that fi (from Lstat) is a root-owned directory or
// regular file that neither group nor others may write (trustfs.Check).
func checkTrusted(path string, fi fs.FileInfo, wantDir bool) error {
	return trustfs.Check(path, fi, wantDir)
}

// openDir opens the cache directory after checking it; see
// openTrustedDir.
func (c KeyCache) openDir(create bool) (*os.Root, error) {
	root, err := openTrustedDir(c.dir(), create)
	if err != nil {
		return nil, errorf("key cache: %w", err)
	}
	return root, nil
}

// openTrustedDir opens dir after checking that it is a root-owned
// directory, not a symlink, that neither group nor others may write. With
// create, a missing directory is created (mode 0755, parents too). A
// missing directory without create is an error wrapping fs.ErrNotExist.
func openTrustedDir(dir string, create bool) (*os.Root, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) && create {
		if err := mkdirAll0755(dir); err != nil {
			return nil, err
		}
	}
	return trustfs.OpenDir(dir)
}

// mkdirAll0755 creates dir and its missing parents with mode 0755 whatever
// the umask: the AuthorizedKeysCommandUser must be able to traverse them.
func mkdirAll0755(dir string) error {
	dir = filepath.Clean(dir)
	if _, err := os.Lstat(dir); err == nil {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll0755(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	return os.Chmod(dir, 0o755)
}

// readTrusted reads a file of root without following a symlink; a missing
// file is (nil, nil).
func readTrusted(root *os.Root, name string, limit int64) ([]byte, error) {
	return trustfs.ReadFile(root, name, limit, ErrCorruptKeyCache)
}

// writeAtomic replaces root/name with data (mode perm) through a temporary
// file created with O_EXCL, fsynced, optionally checked by validate (given
// the temporary file's path), renamed over name, and the directory fsynced.
func writeAtomic(root *os.Root, name, tmpName string, data []byte, perm fs.FileMode, validate func(tmpPath string) error) (err error) {
	if err := root.Remove(tmpName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			_ = root.Remove(tmpName)
		}
	}()
	if err = f.Chmod(perm); err != nil { // umask
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if validate != nil {
		if err = validate(filepath.Join(root.Name(), tmpName)); err != nil {
			return err
		}
	}
	if err = root.Rename(tmpName, name); err != nil {
		return err
	}
	return syncDir(root)
}

// syncDir fsyncs the directory of root so that a rename or removal survives
// a crash.
func syncDir(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// Read returns the keys cached for a Linux user, sorted by key ID, each
// canonical and Active with its SHA256 fingerprint; none (and no error) when
// the cache holds no entry for the user or does not exist.
func (c KeyCache) Read(linuxName string) ([]Key, error) {
	if err := ValidLinuxName(linuxName); err != nil {
		return nil, err
	}
	root, err := c.openDir(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	keys, _, err := readEntry(root, linuxName)
	return keys, err
}

// readEntry reads and parses one user's file; found is false when there is
// none.
func readEntry(root *os.Root, linuxName string) (keys []Key, found bool, err error) {
	data, err := readTrusted(root, linuxName, MaxKeyCacheFileSize)
	if err != nil {
		return nil, false, errorf("reading cached keys of %q: %w", linuxName, err)
	}
	if data == nil {
		return nil, false, nil
	}
	user, keys, err := ParseKeyCacheFile(data)
	if err != nil {
		return nil, true, errorf("cached keys of %q: %w", linuxName, err)
	}
	if user != linuxName {
		return nil, true, errorf("%w: the file of %q holds the keys of %q", ErrCorruptKeyCache, linuxName, user)
	}
	return keys, true, nil
}

// Write replaces the keys cached for a Linux user. Each key must have an ID
// and a body ParseKey accepts, and a Status that is empty or KeyActive; keys
// are stored canonical (no comment), sorted by ID. No keys removes the
// entry. Nothing is written when the file already holds exactly this
// content with the right owner and mode; changed reports whether anything
// was written or removed. The directory is created if missing.
func (c KeyCache) Write(linuxName string, keys []Key) (changed bool, err error) {
	if err := ValidLinuxName(linuxName); err != nil {
		return false, err
	}
	if len(keys) == 0 {
		return c.remove(linuxName)
	}
	data, err := FormatKeyCacheFile(linuxName, keys)
	if err != nil {
		return false, err
	}
	root, err := c.openDir(true)
	if err != nil {
		return false, err
	}
	defer root.Close()
	cur, err := readTrusted(root, linuxName, MaxKeyCacheFileSize)
	if err != nil && !errors.Is(err, ErrCorruptKeyCache) {
		if errors.Is(err, ErrUnsafeCache) {
			// A symlink or foreign file under a user's name: replace it
			// (rename never follows it) rather than fail the user's sync.
			cur = nil
		} else {
			return false, errorf("reading cached keys of %q: %w", linuxName, err)
		}
	}
	if cur != nil && bytes.Equal(cur, data) {
		if fi, err := root.Lstat(linuxName); err == nil && fi.Mode().Perm() == 0o644 {
			return false, nil
		}
	}
	if err := writeAtomic(root, linuxName, keyCacheTmpPrefix+linuxName, data, 0o644, nil); err != nil {
		return false, errorf("writing cached keys of %q: %w", linuxName, err)
	}
	return true, nil
}

// Remove removes a Linux user's entry; a missing entry is no error.
func (c KeyCache) Remove(linuxName string) error {
	_, err := c.remove(linuxName)
	return err
}

func (c KeyCache) remove(linuxName string) (bool, error) {
	if err := ValidLinuxName(linuxName); err != nil {
		return false, err
	}
	root, err := c.openDir(false)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer root.Close()
	if _, err := root.Lstat(linuxName); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := root.Remove(linuxName); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, errorf("removing cached keys of %q: %w", linuxName, err)
	}
	return true, syncDir(root)
}

// MarkSynced records t as the time of the last complete sync: it sets the
// modification time of the heartbeat file (creating it, empty but for a
// comment, on the first call) with os.Chtimes. Sync calls it, through
// System.MarkSynced (Linux.MarkSynced), after every sync whose source was
// complete and whose apply succeeded, including syncs that change nothing:
// it is the one metadata write of a no-op sync, and it is what keeps the
// AuthorizedKeysCommand answering (see WithMaxAge). A frontend
// never calls it itself.
func (c KeyCache) MarkSynced(t time.Time) error {
	root, err := c.openDir(true)
	if err != nil {
		return err
	}
	defer root.Close()
	path := filepath.Join(root.Name(), keyCacheHeartbeat)
	fi, err := root.Lstat(keyCacheHeartbeat)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		body := []byte("# iamkit hostsync: the modification time of this file is the time of the last complete sync\n")
		if err := writeAtomic(root, keyCacheHeartbeat, keyCacheTmpPrefix+"last-sync", body, 0o644, nil); err != nil {
			return errorf("creating %s: %w", path, err)
		}
	case err != nil:
		return errorf("%w", err)
	default:
		if err := checkTrusted(path, fi, false); err != nil {
			return err
		}
	}
	// Root.Chtimes does not follow a symlink in the final component.
	if err := root.Chtimes(keyCacheHeartbeat, t, t); err != nil {
		return errorf("recording the sync time: %w", err)
	}
	return nil
}

// LastSync returns the time of the last complete sync MarkSynced recorded;
// an error wrapping ErrNoCache when there is none.
func (c KeyCache) LastSync() (time.Time, error) {
	root, err := c.openDir(false)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, errorf("%w: %s does not exist", ErrNoCache, c.dir())
	}
	if err != nil {
		return time.Time{}, err
	}
	defer root.Close()
	return lastSync(root)
}

func lastSync(root *os.Root) (time.Time, error) {
	path := filepath.Join(root.Name(), keyCacheHeartbeat)
	fi, err := root.Lstat(keyCacheHeartbeat)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, errorf("%w: no %s", ErrNoCache, path)
	}
	if err != nil {
		return time.Time{}, errorf("%w", err)
	}
	if err := checkTrusted(path, fi, false); err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}

// FormatKeyCacheFile renders the cache file of a Linux user: the header line,
// then "<ID> <type> <base64>" per key, sorted by ID. It refuses (wrapping
// ErrInvalidKey) a key without a valid ID (1 to 128 printable ASCII
// characters other than space; IAM's are [A-Za-z0-9_]), with a Status other than "" or KeyActive, with a body
// ParseKey rejects, or listed twice.
func FormatKeyCacheFile(linuxName string, keys []Key) ([]byte, error) {
	if err := ValidLinuxName(linuxName); err != nil {
		return nil, err
	}
	type line struct{ id, body string }
	lines := make([]line, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if err := checkKeyID(k.ID); err != nil {
			return nil, err
		}
		if k.Status != "" && k.Status != KeyActive {
			return nil, keyErr("key %s has status %q: only %s keys are cached", k.ID, k.Status, KeyActive)
		}
		if seen[k.ID] {
			return nil, keyErr("key %s listed twice", k.ID)
		}
		seen[k.ID] = true
		pk, err := ParseKey(k.Body)
		if err != nil {
			return nil, errorf("key %s: %w", k.ID, err)
		}
		lines = append(lines, line{k.ID, pk.Body})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].id < lines[j].id })
	var b bytes.Buffer
	b.WriteString(keyCacheHeader + linuxName + "\n")
	for _, l := range lines {
		b.WriteString(l.id + " " + l.body + "\n")
	}
	return b.Bytes(), nil
}

func checkKeyID(id string) error {
	if id == "" || len(id) > 128 {
		return keyErr("key ID %q must be 1 to 128 characters", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f {
			return keyErr("character %q is not allowed in key ID %q", c, id)
		}
	}
	return nil
}

// ParseKeyCacheFile parses a key cache file (see FormatKeyCacheFile): the
// header line naming the Linux user, then one "<ID> <type> <base64>" line
// per key. Keys come back sorted by ID, canonical, Active, with their SHA256
// fingerprint. Anything else — another header or version, a blank or extra
// field, an invalid ID or key, a key listed twice, lines out of order, a
// missing final newline — is an error wrapping ErrCorruptKeyCache: a cache
// file is only ever written by FormatKeyCacheFile, so a file that differs was
// damaged or tampered with.
func ParseKeyCacheFile(data []byte) (linuxName string, keys []Key, err error) {
	// The file's structure is authkeys' (hostsync-keys's reader) to check,
	// so that the two cannot drift apart; each key is then parsed in full.
	name, cached, err := authkeys.ParseCacheFile(data)
	if err != nil {
		return "", nil, err
	}
	for i, k := range cached {
		pk, err := ParseKey(k.Body)
		if err != nil {
			return "", nil, errorf("%w: line %d: %v", ErrCorruptKeyCache, i+2, err)
		}
		if pk.Body != k.Body {
			return "", nil, errorf("%w: line %d: key %s is not in canonical form", ErrCorruptKeyCache, i+2, k.ID)
		}
		keys = append(keys, Key{ID: k.ID, Body: pk.Body, Fingerprint: pk.SHA256, Status: KeyActive})
	}
	return name, keys, nil
}

// AuthorizedKeys answers sshd's AuthorizedKeysCommand ("iamkit hostsync keys
// %u %f"): the authorized_keys lines ("<type> <base64> <key ID>") of the
// Linux user linuxName, restricted to the key whose SHA256 fingerprint (as
// sshd's %f gives it, "SHA256:...") is fingerprint when that is not empty.
//
// It answers only for a name that maps back to an IAM user (IAMName) and,
// with WithMarkerCheck, only for users hostsync manages; otherwise
// ErrNotManaged. It reads the key cache (WithKeyCache; default the one in
// DefaultKeyCacheDir) only — no AWS configuration, no network — as long as
// the last complete sync is younger than WithMaxAge (default
// DefaultMaxCacheAge) by WithClock's time. Without a heartbeat, or with a
// stale one, it asks WithLive (if set, within WithLiveTimeout) and fails
// closed otherwise: ErrNoCache or ErrStale. An unsafe cache (ErrUnsafeCache) or a
// corrupt entry (ErrCorruptKeyCache) is an error too, never an empty answer
// from another source.
//
// No keys is an empty result and no error: sshd then refuses the key.
//
// AuthorizedKeys reads the options WithKeyCache, WithMaxAge, WithClock,
// WithLive, WithLiveTimeout and WithMarkerCheck.
func AuthorizedKeys(ctx context.Context, linuxName, fingerprint string, opts ...Option) ([]string, error) {
	o := newSettings(opts)
	iamName, err := IAMName(linuxName)
	if err != nil {
		return nil, errorf("%w: %w", ErrNotManaged, err)
	}
	if o.markerCheck != nil {
		ok, err := o.markerCheck(linuxName)
		if err != nil {
			return nil, errorf("checking whether %q is managed: %w", linuxName, err)
		}
		if !ok {
			return nil, errorf("%w: local user %q is not in the marker group", ErrNotManaged, linuxName)
		}
	}
	now := o.now()
	maxAge := o.maxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxCacheAge
	}

	keys, cacheErr := func() ([]Key, error) {
		root, err := o.keyCache.openDir(false)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf("%w: %s does not exist", ErrNoCache, o.keyCache.dir())
		}
		if err != nil {
			return nil, err
		}
		defer root.Close()
		last, err := lastSync(root)
		if err != nil {
			return nil, err
		}
		t := now()
		switch age := t.Sub(last); {
		case age > maxAge:
			return nil, errorf("%w: last complete sync %s ago (at %s), more than %s", ErrStale, age.Round(time.Second), last.UTC().Format(time.RFC3339), maxAge)
		case age < -maxFutureHeartbeat:
			return nil, errorf("%w: last complete sync recorded in the future (%s)", ErrStale, last.UTC().Format(time.RFC3339))
		}
		keys, _, err := readEntry(root, linuxName)
		return keys, err
	}()
	if cacheErr != nil {
		if o.live == nil || !(errors.Is(cacheErr, ErrStale) || errors.Is(cacheErr, ErrNoCache)) {
			return nil, cacheErr
		}
		timeout := o.liveTimeout
		if timeout <= 0 {
			timeout = DefaultLiveTimeout
		}
		lctx, cancel := context.WithTimeout(ctx, timeout)
		live, err := o.live(lctx, iamName)
		cancel()
		if err != nil {
			return nil, errorf("%w (live lookup of IAM user %q failed: %w)", cacheErr, iamName, err)
		}
		keys, _ = canonicalKeys(live)
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if fingerprint != "" && k.Fingerprint != fingerprint {
			continue
		}
		out = append(out, k.Body+" "+k.ID)
	}
	return out, nil
}
