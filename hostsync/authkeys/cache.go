package authkeys

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/iamkit/iamkit/hostsync/internal/trustfs"
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

func lastSync(root *os.Root) (time.Time, error) {
	path := filepath.Join(root.Name(), heartbeat)
	fi, err := root.Lstat(heartbeat)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, errorf("%w: no %s", ErrNoCache, path)
	}
	if err != nil {
		return time.Time{}, errorf("%w", err)
	}
	if err := trustfs.Check(path, fi, false); err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}

func readEntry(root *os.Root, user string) ([]Key, error) {
	data, err := trustfs.ReadFile(root, user, MaxFileSize, ErrCorruptKeyCache)
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
