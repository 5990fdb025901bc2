package authkeys

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Names of the key cache's own files and its header (hostsync's keycache.go).
const (
	heartbeat = "@last-sync"
	header    = "# iamkit hostsync key cache v1 user="
)

// Key is one cached key: canonical, Active.
type Key struct {
	// ID is IAM's SSHPublicKeyId.
	ID string
	// Body is the canonical authorized_keys form, "<type> <base64>".
	Body string
	// Fingerprint is "SHA256:" and unpadded base64 of the key blob's
	// SHA-256, as sshd's %f.
	Fingerprint string
}

func unsafePath(format string, args ...any) error {
	return errorf("%w: %s", ErrUnsafeCache, fmt.Sprintf(format, args...))
}

// checkTrusted checks that fi (from Lstat) is a root-owned directory or
// regular file that neither group nor others may write.
func checkTrusted(path string, fi fs.FileInfo, wantDir bool) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return unsafePath("%s is a symlink", path)
	case wantDir && !fi.IsDir():
		return unsafePath("%s is not a directory", path)
	case !wantDir && !fi.Mode().IsRegular():
		return unsafePath("%s is not a regular file", path)
	case fi.Mode().Perm()&0o022 != 0:
		return unsafePath("%s is group- or world-writable (mode %04o)", path, fi.Mode().Perm())
	}
	uid, ok := fileOwner(fi)
	if !ok {
		return unsafePath("%s: cannot tell the owner of files on this system", path)
	}
	if uid != 0 {
		return unsafePath("%s is owned by UID %d, not root", path, uid)
	}
	return nil
}

// openTrustedDir opens dir after checking it, and checks that the directory
// opened is the one checked.
func openTrustedDir(dir string) (*os.Root, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if err := checkTrusted(dir, fi, true); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if opened, err := root.Stat("."); err != nil || !os.SameFile(fi, opened) {
		root.Close()
		return nil, unsafePath("%s changed while it was opened", dir)
	}
	return root, nil
}

func lastSync(root *os.Root) (time.Time, error) {
	path := filepath.Join(root.Name(), heartbeat)
	fi, err := root.Lstat(heartbeat)
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

// readTrusted reads a file of root without following a symlink; a missing
// file is (nil, nil).
func readTrusted(root *os.Root, name string) ([]byte, error) {
	path := filepath.Join(root.Name(), name)
	fi, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := checkTrusted(path, fi, false); err != nil {
		return nil, err
	}
	f, err := root.OpenFile(name, os.O_RDONLY|oNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if opened, err := f.Stat(); err != nil || !os.SameFile(fi, opened) {
		return nil, unsafePath("%s changed while it was opened", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, errorf("%w: %s is larger than %d bytes", ErrCorruptKeyCache, path, MaxFileSize)
	}
	return data, nil
}

func readEntry(root *os.Root, user string) ([]Key, error) {
	data, err := readTrusted(root, user)
	if err != nil {
		return nil, errorf("reading cached keys of %q: %w", user, err)
	}
	if data == nil {
		return nil, nil
	}
	name, keys, err := ParseCacheFile(data)
	if err != nil {
		return nil, errorf("cached keys of %q: %w", user, err)
	}
	if name != user {
		return nil, errorf("%w: the file of %q holds the keys of %q", ErrCorruptKeyCache, user, name)
	}
	return keys, nil
}

// ParseCacheFile parses a key cache file as hostsync.ParseKeyCacheFile does
// and refuses what it refuses (wrapping ErrCorruptKeyCache), but checks a
// key by the structure of its blob rather than with x/crypto/ssh (see the
// package doc).
func ParseCacheFile(data []byte) (user string, keys []Key, err error) {
	bad := func(line int, format string, args ...any) error {
		return errorf("%w: line %d: %s", ErrCorruptKeyCache, line, fmt.Sprintf(format, args...))
	}
	if len(data) > MaxFileSize {
		return "", nil, errorf("%w: larger than %d bytes", ErrCorruptKeyCache, MaxFileSize)
	}
	s := string(data)
	if !strings.HasSuffix(s, "\n") {
		return "", nil, errorf("%w: empty or not ending in a newline", ErrCorruptKeyCache)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	name, ok := strings.CutPrefix(lines[0], header)
	if !ok {
		return "", nil, bad(1, "not a version 1 key cache header")
	}
	if err := ValidLinuxName(name); err != nil {
		return "", nil, bad(1, "%v", err)
	}
	prev := ""
	for i, l := range lines[1:] {
		n := i + 2
		f := strings.Split(l, " ")
		if len(f) != 3 {
			return "", nil, bad(n, "want \"<ID> <type> <base64>\"")
		}
		if err := checkKeyID(f[0]); err != nil {
			return "", nil, bad(n, "%v", err)
		}
		if f[0] <= prev {
			return "", nil, bad(n, "key %s out of order or listed twice", f[0])
		}
		prev = f[0]
		blob, err := base64.StdEncoding.Strict().DecodeString(f[2])
		if err != nil || base64.StdEncoding.EncodeToString(blob) != f[2] {
			return "", nil, bad(n, "key %s is not in canonical form", f[0])
		}
		if err := checkBlob(f[1], blob); err != nil {
			return "", nil, bad(n, "key %s: %v", f[0], err)
		}
		sum := sha256.Sum256(blob)
		keys = append(keys, Key{ID: f[0], Body: f[1] + " " + f[2], Fingerprint: "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])})
	}
	return name, keys, nil
}

func checkKeyID(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("key ID %q must be 1 to 128 characters", id)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("character %q is not allowed in key ID %q", c, id)
		}
	}
	return nil
}
