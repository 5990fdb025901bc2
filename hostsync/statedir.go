package hostsync

import (
	"log/slog"
	"path/filepath"
)

// DefaultStateDir is the root of hostsync's files on a host when StateDir's
// Root is empty: the key cache, the persisted state, the key body cache and
// the last good fleet snapshot. It must be owned by root, mode 0755 (sshd's
// AuthorizedKeysCommandUser reads the key cache under it).
const DefaultStateDir = "/var/lib/iamkit"

// The names of hostsync's files under a StateDir. They are the layout hosts
// already have: changing one strands the files of every installed host.
const (
	// StateKeyCacheDir is the key cache (KeyCache) that the
	// AuthorizedKeysCommand reads.
	StateKeyCacheDir = "keys"
	// StateFileName is the persisted State: the UID map, the users hostsync
	// locked and how many complete syncs each has been missing from.
	StateFileName = "state.json"
	// StateKeyBodiesFile is the FileKeyBodyCache: IAM key bodies by key ID,
	// so that a steady-state sync fetches none.
	StateKeyBodiesFile = "key-bodies.json"
	// StateSnapshotFile is the last good fleet snapshot and its ETag
	// (WithCacheFile), so that a restarted host sends a
	// conditional GET and refuses snapshots older than it
	// (Snapshot.Generation).
	StateSnapshotFile = "snapshot.json"
)

// StateDir is the layout of hostsync's files on a host — the one place
// that knows it, shared by every frontend (the iamkit CLI's hostsync
// commands, hostsyncd, hostsync-keys), so that they read and write the same
// files:
//
//	Root/keys/             the key cache (KeyCache), with its heartbeat
//	Root/state.json        the persisted State, with the UID map (mode 0600)
//	Root/key-bodies.json   key bodies by IAM key ID (FileKeyBodyCache)
//	Root/snapshot.json     the last good fleet snapshot (SnapshotSource)
//	Lock                   the sync lock, /run/iamkit-hostsync.lock by default
//
// The lock lives outside Root, on the tmpfs /run, as it always has: it is
// released by the kernel when its holder dies, and the file has no content
// worth keeping. The zero StateDir is the default layout.
type StateDir struct {
	// Root is the state directory; empty means DefaultStateDir.
	Root string
	// Lock is the sync lock file (AcquireLock); empty means
	// DefaultLockFile.
	Lock string
}

// Dir returns the state directory: Root, or DefaultStateDir.
func (d StateDir) Dir() string {
	if d.Root == "" {
		return DefaultStateDir
	}
	return d.Root
}

// KeyCacheDir returns the key cache's directory, Dir()/keys.
func (d StateDir) KeyCacheDir() string { return filepath.Join(d.Dir(), StateKeyCacheDir) }

// KeyCache returns the key cache in KeyCacheDir.
func (d StateDir) KeyCache() KeyCache { return KeyCache{Dir: d.KeyCacheDir()} }

// StateFile returns the persisted State's file (the UID map among it),
// Dir()/state.json.
func (d StateDir) StateFile() string { return filepath.Join(d.Dir(), StateFileName) }

// KeyBodiesFile returns the key body cache's file, Dir()/key-bodies.json.
func (d StateDir) KeyBodiesFile() string { return filepath.Join(d.Dir(), StateKeyBodiesFile) }

// SnapshotFile returns the file of the last good fleet snapshot,
// Dir()/snapshot.json.
func (d StateDir) SnapshotFile() string { return filepath.Join(d.Dir(), StateSnapshotFile) }

// LockFile returns the sync lock's file: Lock, or DefaultLockFile.
func (d StateDir) LockFile() string {
	if d.Lock == "" {
		return DefaultLockFile
	}
	return d.Lock
}

// AcquireLock takes the sync lock (AcquireLock on LockFile).
func (d StateDir) AcquireLock() (release func() error, err error) { return AcquireLock(d.LockFile()) }

// Linux returns this host as a System whose key cache and state are in
// this layout, configured by cfg and logging to log (nil discards).
func (d StateDir) Linux(cfg Config, log *slog.Logger) *Linux {
	return &Linux{Config: cfg, Keys: d.KeyCache(), StateFile: d.StateFile(), Logger: log}
}

// KeyBodyCache returns the key body cache to hand an IAMSource
// (WithKeyBodyCache): the file KeyBodiesFile, so that a steady-state sync
// fetches no key body. The cache is only a cache: when the file cannot be
// used, the error is logged at Warn and an in-memory cache returned. With
// readOnly (a dry run), the file is read but never written.
func (d StateDir) KeyBodyCache(readOnly bool, log *slog.Logger) KeyBodyCache {
	fc, err := OpenFileKeyBodyCache(d.KeyBodiesFile())
	if err != nil {
		if log != nil {
			log.Warn("hostsync: key body cache unusable; keeping key bodies in memory", "file", d.KeyBodiesFile(), "error", err.Error())
		}
		return NewMemoryKeyBodyCache()
	}
	if readOnly {
		return ReadOnlyKeyBodyCache(fc)
	}
	return fc
}

// ReadOnlyKeyBodyCache returns c without its Save: bodies are read and
// added in memory, but never persisted or pruned. A dry run uses it, which
// writes nothing, not even a cache.
func ReadOnlyKeyBodyCache(c KeyBodyCache) KeyBodyCache { return readOnlyBodies{c} }

// readOnlyBodies hides the Save of a KeyBodyCache.
type readOnlyBodies struct{ KeyBodyCache }
