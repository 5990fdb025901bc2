package hostsync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"sync"

	"github.com/iamkit/iamkit/internal/atomicfile"
)

// KeyBodyCache holds SSH public key bodies by IAM key ID (SSHPublicKeyId).
// IAM never changes the body behind a key ID, so IAMSource asks
// GetSSHPublicKey only for the keys its cache does not hold yet; a key's
// status always comes from the fresh ListSSHPublicKeys, never from the
// cache. Implementations must be safe for concurrent use.
//
// NewMemoryKeyBodyCache keeps bodies in memory; OpenFileKeyBodyCache keeps
// them in a file as well, so a restarted daemon starts warm. Any other
// store fits behind the interface; implement KeyBodyCacheSaver to persist
// or prune.
type KeyBodyCache interface {
	// Get returns the body cached for a key ID.
	Get(keyID string) (body string, ok bool)
	// Put caches the body of a key ID.
	Put(keyID, body string)
}

// KeyBodyCacheSaver is implemented by a KeyBodyCache that persists or
// prunes its entries. After every complete read, IAMSource calls Save with
// the IDs of every key the read listed, Active or Inactive; the cache may
// drop the others (keys deleted in IAM, or of users no longer synced) and
// write itself out. A Save error is logged and otherwise ignored: the cache
// only saves calls.
type KeyBodyCacheSaver interface {
	Save(live map[string]bool) error
}

// MemoryKeyBodyCache is an in-memory KeyBodyCache. Its Save drops the
// entries of keys no longer listed. The zero value is not ready: use
// NewMemoryKeyBodyCache.
type MemoryKeyBodyCache struct {
	mu     sync.RWMutex
	bodies map[string]string
}

var (
	_ KeyBodyCache      = (*MemoryKeyBodyCache)(nil)
	_ KeyBodyCacheSaver = (*MemoryKeyBodyCache)(nil)
)

// NewMemoryKeyBodyCache returns an empty in-memory cache.
func NewMemoryKeyBodyCache() *MemoryKeyBodyCache {
	return &MemoryKeyBodyCache{bodies: map[string]string{}}
}

// Get implements KeyBodyCache.
func (c *MemoryKeyBodyCache) Get(keyID string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.bodies[keyID]
	return b, ok
}

// Put implements KeyBodyCache.
func (c *MemoryKeyBodyCache) Put(keyID, body string) {
	c.mu.Lock()
	c.bodies[keyID] = body
	c.mu.Unlock()
}

// Len returns the number of cached bodies.
func (c *MemoryKeyBodyCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.bodies)
}

// Save implements KeyBodyCacheSaver: it drops the entries whose key ID is
// not in live.
func (c *MemoryKeyBodyCache) Save(live map[string]bool) error {
	c.prune(live)
	return nil
}

// prune drops the entries not in live and reports whether it dropped any.
func (c *MemoryKeyBodyCache) prune(live map[string]bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.bodies)
	maps.DeleteFunc(c.bodies, func(id, _ string) bool { return !live[id] })
	return len(c.bodies) != n
}

// snapshot returns a copy of the entries.
func (c *MemoryKeyBodyCache) snapshot() map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return maps.Clone(c.bodies)
}

// ErrCorruptKeyBodyCache is wrapped by OpenFileKeyBodyCache's error for a
// file that is not a key body cache.
var ErrCorruptKeyBodyCache = errors.New("hostsync: corrupt key body cache file")

// MaxKeyBodyCacheSize bounds the size of a key body cache file.
const MaxKeyBodyCacheSize = 64 << 20

// FileKeyBodyCache is a KeyBodyCache kept in memory and persisted to one
// file, a JSON document {"version":1,"bodies":{"<key ID>":"<body>"}}. Save
// drops the keys no longer listed and rewrites the file — atomically, mode
// 0600, through a temporary file in the same directory and a rename — only
// when its content changed, so a steady-state sync writes nothing.
//
// The file decides which key a key ID stands for, so it must live in a
// directory only root can write, such as /var/lib/iamkit (never in a home
// directory).
type FileKeyBodyCache struct {
	mem  *MemoryKeyBodyCache
	path string

	mu    sync.Mutex // serializes Save
	saved map[string]string
}

var (
	_ KeyBodyCache      = (*FileKeyBodyCache)(nil)
	_ KeyBodyCacheSaver = (*FileKeyBodyCache)(nil)
)

type keyBodyCacheFile struct {
	Version int               `json:"version"`
	Bodies  map[string]string `json:"bodies"`
}

// OpenFileKeyBodyCache returns a cache persisted at path, loaded with the
// file's entries; a file that does not exist yet is an empty cache. A file
// that does not parse is an error wrapping ErrCorruptKeyBodyCache: remove it
// (it is only a cache) or start from a memory cache.
func OpenFileKeyBodyCache(path string) (*FileKeyBodyCache, error) {
	c := &FileKeyBodyCache{mem: NewMemoryKeyBodyCache(), path: path, saved: map[string]string{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hostsync: opening key body cache: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxKeyBodyCacheSize+1))
	if err != nil {
		return nil, fmt.Errorf("hostsync: reading key body cache: %w", err)
	}
	if len(data) > MaxKeyBodyCacheSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrCorruptKeyBodyCache, path, MaxKeyBodyCacheSize)
	}
	var file keyBodyCacheFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorruptKeyBodyCache, path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: trailing data", ErrCorruptKeyBodyCache, path)
	}
	if file.Version != 1 {
		return nil, fmt.Errorf("%w: %s: version %d, want 1", ErrCorruptKeyBodyCache, path, file.Version)
	}
	for id, body := range file.Bodies {
		if id == "" || body == "" {
			return nil, fmt.Errorf("%w: %s: empty key ID or body", ErrCorruptKeyBodyCache, path)
		}
		c.mem.bodies[id] = body
		c.saved[id] = body
	}
	return c, nil
}

// Path returns the file the cache is persisted to.
func (c *FileKeyBodyCache) Path() string { return c.path }

// Get implements KeyBodyCache.
func (c *FileKeyBodyCache) Get(keyID string) (string, bool) { return c.mem.Get(keyID) }

// Put implements KeyBodyCache. The entry reaches the file on the next Save.
func (c *FileKeyBodyCache) Put(keyID, body string) { c.mem.Put(keyID, body) }

// Len returns the number of cached bodies.
func (c *FileKeyBodyCache) Len() int { return c.mem.Len() }

// Save implements KeyBodyCacheSaver: it drops the entries not in live and
// rewrites the file if its content changed.
func (c *FileKeyBodyCache) Save(live map[string]bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mem.prune(live)
	cur := c.mem.snapshot()
	if maps.Equal(cur, c.saved) {
		return nil
	}
	data, err := json.MarshalIndent(keyBodyCacheFile{Version: 1, Bodies: cur}, "", "  ")
	if err != nil {
		return fmt.Errorf("hostsync: encoding key body cache: %w", err)
	}
	if err := sourceWriteFileAtomic(c.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("hostsync: saving key body cache: %w", err)
	}
	c.saved = cur
	return nil
}

// sourceWriteFileAtomic writes data to path with iamkit's one atomic writer
// (internal/atomicfile): a temporary file in the same directory, mode
// perm, synced and renamed over path, the directory synced, and no
// temporary file left on failure. A symbolic link at path is replaced,
// never followed: these files live in a directory only root writes.
func sourceWriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	_, err := atomicfile.WriteFile(path, data, atomicfile.WithPerm(perm), atomicfile.NoFollow())
	return err
}
