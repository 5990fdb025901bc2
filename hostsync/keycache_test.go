package hostsync_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/testenv"
)

// requireRoot skips a test that needs root (fails it under CI=true): the
// key cache must be root-owned, and so must the temporary directories the
// tests use for it.
func requireRoot(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t, "the key cache must be root-owned")
}

// newCache returns a key cache in a fresh directory that does not exist yet.
func newCache(t testing.TB) hostsync.KeyCache {
	t.Helper()
	requireRoot(t)
	return hostsync.KeyCache{Dir: filepath.Join(t.TempDir(), "keys")}
}

// canonical returns k as the cache returns it.
func canonical(t testing.TB, k hostsync.Key) hostsync.Key {
	t.Helper()
	pk, err := hostsync.ParseKey(k.Body)
	require.NoError(t, err)
	return hostsync.Key{ID: k.ID, Body: pk.Body, Fingerprint: pk.SHA256, Status: hostsync.KeyActive}
}

func TestKeyCacheWriteRead(t *testing.T) {
	c := newCache(t)
	a, b := activeKey("alice-2"), activeKey("alice-1")

	got, err := c.Read("alice")
	require.NoError(t, err, "a missing cache holds no keys")
	assert.Empty(t, got)

	changed, err := c.Write("alice", []hostsync.Key{a, b})
	require.NoError(t, err)
	assert.True(t, changed)

	got, err = c.Read("alice")
	require.NoError(t, err)
	assert.Equal(t, []hostsync.Key{canonical(t, b), canonical(t, a)}, got, "sorted by ID, canonical, Active, fingerprinted")

	dirInfo, err := os.Lstat(c.Dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755)|os.ModeDir, dirInfo.Mode())
	path := filepath.Join(c.Dir, "alice")
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# iamkit hostsync key cache v1 user=alice\n"+
		"APKAALICE-1 "+canonical(t, b).Body+"\n"+
		"APKAALICE-2 "+canonical(t, a).Body+"\n", string(data))

	// Same keys, any order: nothing written.
	old := time.Unix(1_000_000, 0)
	require.NoError(t, os.Chtimes(path, old, old))
	changed, err = c.Write("alice", []hostsync.Key{b, a})
	require.NoError(t, err)
	assert.False(t, changed)
	fi, err = os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, fi.ModTime().Equal(old), "a no-op write leaves the file alone")

	// One key fewer: rewritten.
	changed, err = c.Write("alice", []hostsync.Key{a})
	require.NoError(t, err)
	assert.True(t, changed)
	got, err = c.Read("alice")
	require.NoError(t, err)
	assert.Equal(t, []hostsync.Key{canonical(t, a)}, got)

	// No keys: the entry goes.
	changed, err = c.Write("alice", nil)
	require.NoError(t, err)
	assert.True(t, changed)
	_, err = os.Lstat(path)
	assert.ErrorIs(t, err, os.ErrNotExist)
	changed, err = c.Write("alice", nil)
	require.NoError(t, err)
	assert.False(t, changed)
	require.NoError(t, c.Remove("alice"), "removing a missing entry is no error")

	entries, err := os.ReadDir(c.Dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no temporary file left behind")
}

func TestKeyCacheFixesMode(t *testing.T) {
	c := newCache(t)
	k := activeKey("bob")
	_, err := c.Write("bob", []hostsync.Key{k})
	require.NoError(t, err)
	path := filepath.Join(c.Dir, "bob")
	require.NoError(t, os.Chmod(path, 0o600))
	changed, err := c.Write("bob", []hostsync.Key{k})
	require.NoError(t, err)
	assert.True(t, changed, "a wrong mode is repaired")
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode())
}

func TestKeyCacheRefusesBadInput(t *testing.T) {
	c := newCache(t)
	for _, name := range []string{"", "..", "../etc", "a/b", "-rf", strings.Repeat("a", 33)} {
		_, err := c.Write(name, []hostsync.Key{activeKey("x")})
		assert.ErrorIs(t, err, hostsync.ErrInvalidName, name)
		_, err = c.Read(name)
		assert.ErrorIs(t, err, hostsync.ErrInvalidName, name)
	}
	inactive := activeKey("x")
	inactive.Status = hostsync.KeyInactive
	_, err := c.Write("alice", []hostsync.Key{inactive})
	assert.ErrorIs(t, err, hostsync.ErrInvalidKey)
	_, err = c.Write("alice", []hostsync.Key{{ID: "APKA1", Body: "ssh-ed25519 garbage"}})
	assert.ErrorIs(t, err, hostsync.ErrInvalidKey)
	_, err = c.Write("alice", []hostsync.Key{{ID: "APKA 1", Body: activeKey("x").Body}})
	assert.ErrorIs(t, err, hostsync.ErrInvalidKey)
	_, err = c.Write("alice", []hostsync.Key{activeKey("x"), activeKey("x")})
	assert.ErrorIs(t, err, hostsync.ErrInvalidKey)
	_, err = os.Lstat(c.Dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing written for refused input")
}

func TestKeyCacheUnsafeDirectory(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the Dir to use
	}{
		{"group-writable", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chmod(dir, 0o775))
			return dir
		}},
		{"world-writable", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chmod(dir, 0o757))
			return dir
		}},
		{"sticky world-writable", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chmod(dir, 0o1777|os.ModeSticky))
			return dir
		}},
		{"not root-owned", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chown(dir, 65534, 65534))
			return dir
		}},
		{"symlink", func(t *testing.T, dir string) string {
			link := filepath.Join(filepath.Dir(dir), "link")
			require.NoError(t, os.Symlink(dir, link))
			return link
		}},
		{"a file", func(t *testing.T, dir string) string {
			f := filepath.Join(filepath.Dir(dir), "file")
			require.NoError(t, os.WriteFile(f, nil, 0o644))
			return f
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := hostsync.KeyCache{Dir: filepath.Join(t.TempDir(), "keys")}
			_, err := good.Write("alice", []hostsync.Key{activeKey("alice")})
			require.NoError(t, err)
			require.NoError(t, good.MarkSynced(time.Now()))
			c := hostsync.KeyCache{Dir: tt.setup(t, good.Dir)}

			_, err = c.Read("alice")
			assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
			_, err = c.Write("alice", []hostsync.Key{activeKey("mallory")})
			assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
			assert.ErrorIs(t, c.Remove("alice"), hostsync.ErrUnsafeCache)
			assert.ErrorIs(t, c.MarkSynced(time.Now()), hostsync.ErrUnsafeCache)
			_, err = c.LastSync()
			assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
			lines, err := hostsync.AuthorizedKeys(context.Background(), "alice", "", hostsync.WithKeyCache(c))
			assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
			assert.Empty(t, lines)

			// The real directory was not changed.
			got, err := good.Read("alice")
			if err == nil {
				assert.Equal(t, []hostsync.Key{canonical(t, activeKey("alice"))}, got)
			}
		})
	}
}

func TestKeyCacheUnsafeEntry(t *testing.T) {
	c := newCache(t)
	_, err := c.Write("alice", []hostsync.Key{activeKey("alice")})
	require.NoError(t, err)
	path := filepath.Join(c.Dir, "alice")
	ctx := context.Background()
	require.NoError(t, c.MarkSynced(time.Now()))

	t.Run("not root-owned", func(t *testing.T) {
		require.NoError(t, os.Chown(path, 65534, 65534))
		_, err := c.Read("alice")
		assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
		_, err = hostsync.AuthorizedKeys(ctx, "alice", "", hostsync.WithKeyCache(c))
		assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
		require.NoError(t, os.Chown(path, 0, 0))
	})
	t.Run("world-writable", func(t *testing.T) {
		require.NoError(t, os.Chmod(path, 0o666))
		_, err := c.Read("alice")
		assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
		require.NoError(t, os.Chmod(path, 0o644))
	})
	t.Run("symlink", func(t *testing.T) {
		// A symlink under a user's name is never followed: not for reading,
		// and writing replaces the link, not its target.
		target := filepath.Join(t.TempDir(), "target")
		targetBody := "# iamkit hostsync key cache v1 user=alice\n"
		require.NoError(t, os.WriteFile(target, []byte(targetBody), 0o644))
		require.NoError(t, os.Remove(path))
		require.NoError(t, os.Symlink(target, path))

		_, err := c.Read("alice")
		assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
		_, err = hostsync.AuthorizedKeys(ctx, "alice", "", hostsync.WithKeyCache(c))
		assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)

		changed, err := c.Write("alice", []hostsync.Key{activeKey("alice")})
		require.NoError(t, err)
		assert.True(t, changed)
		fi, err := os.Lstat(path)
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular(), "the link was replaced by a file")
		data, err := os.ReadFile(target)
		require.NoError(t, err)
		assert.Equal(t, targetBody, string(data), "the link's target is untouched")

		// Removing removes the link, never its target.
		require.NoError(t, os.Remove(path))
		require.NoError(t, os.Symlink(target, path))
		require.NoError(t, c.Remove("alice"))
		_, err = os.Lstat(path)
		assert.ErrorIs(t, err, os.ErrNotExist)
		_, err = os.Stat(target)
		assert.NoError(t, err)
	})
	t.Run("heartbeat symlink", func(t *testing.T) {
		hb := filepath.Join(c.Dir, "@last-sync")
		target := filepath.Join(t.TempDir(), "hb")
		require.NoError(t, os.WriteFile(target, nil, 0o644))
		old := time.Unix(1_000_000, 0)
		require.NoError(t, os.Chtimes(target, old, old))
		require.NoError(t, os.Remove(hb))
		require.NoError(t, os.Symlink(target, hb))
		_, err := c.LastSync()
		assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
		assert.ErrorIs(t, c.MarkSynced(time.Now()), hostsync.ErrUnsafeCache)
		fi, err := os.Stat(target)
		require.NoError(t, err)
		assert.True(t, fi.ModTime().Equal(old), "the link's target keeps its time")
		require.NoError(t, os.Remove(hb))
	})
}

func TestKeyCacheCorruptEntry(t *testing.T) {
	c := newCache(t)
	_, err := c.Write("alice", []hostsync.Key{activeKey("alice")})
	require.NoError(t, err)
	path := filepath.Join(c.Dir, "alice")
	for name, content := range map[string]string{
		"garbage":    "hello\n",
		"other user": "# iamkit hostsync key cache v1 user=bob\n",
		"truncated":  "# iamkit hostsync key cache v1 user=alice\nAPKA1 ssh-ed25519",
	} {
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		_, err := c.Read("alice")
		assert.ErrorIs(t, err, hostsync.ErrCorruptKeyCache, name)
	}
	changed, err := c.Write("alice", []hostsync.Key{activeKey("alice")})
	require.NoError(t, err)
	assert.True(t, changed, "a corrupt entry is rewritten")
	got, err := c.Read("alice")
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

func TestKeyCacheHeartbeat(t *testing.T) {
	c := newCache(t)
	_, err := c.LastSync()
	assert.ErrorIs(t, err, hostsync.ErrNoCache)

	t1 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, c.MarkSynced(t1))
	got, err := c.LastSync()
	require.NoError(t, err)
	assert.True(t, got.Equal(t1), "got %s", got)
	fi, err := os.Lstat(filepath.Join(c.Dir, "@last-sync"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode())

	t2 := t1.Add(10 * time.Minute)
	require.NoError(t, c.MarkSynced(t2))
	got, err = c.LastSync()
	require.NoError(t, err)
	assert.True(t, got.Equal(t2))

	// The heartbeat never reads as a user's entry.
	keys, err := c.Read("alice")
	require.NoError(t, err)
	assert.Empty(t, keys)
}

func TestAuthorizedKeys(t *testing.T) {
	c := newCache(t)
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	k1, k2 := activeKey("bob-laptop"), activeKey("bob-desktop")
	_, err := c.Write("bob.at.corp.com", []hostsync.Key{k1, k2})
	require.NoError(t, err)
	require.NoError(t, c.MarkSynced(now.Add(-time.Hour)))
	ctx := context.Background()
	liveCalls := 0
	opts := []hostsync.Option{
		hostsync.WithKeyCache(c),
		hostsync.WithClock(fakes.NewClock(now)),
		hostsync.WithLive(func(context.Context, string) ([]hostsync.Key, error) {
			liveCalls++
			return nil, errors.New("no network in this test")
		}),
	}
	c1, c2 := canonical(t, k1), canonical(t, k2)

	lines, err := hostsync.AuthorizedKeys(ctx, "bob.at.corp.com", "", opts...)
	require.NoError(t, err)
	assert.Equal(t, []string{c2.Body + " " + c2.ID, c1.Body + " " + c1.ID}, lines)

	lines, err = hostsync.AuthorizedKeys(ctx, "bob.at.corp.com", c1.Fingerprint, opts...)
	require.NoError(t, err)
	assert.Equal(t, []string{c1.Body + " " + c1.ID}, lines, "filtered by sshd's %%f")

	lines, err = hostsync.AuthorizedKeys(ctx, "bob.at.corp.com", "SHA256:unknown", opts...)
	require.NoError(t, err)
	assert.Empty(t, lines)

	lines, err = hostsync.AuthorizedKeys(ctx, "carol", "", opts...)
	require.NoError(t, err, "a fresh cache without an entry means no keys")
	assert.Empty(t, lines)
	assert.Zero(t, liveCalls, "a fresh cache never asks IAM")

	for _, name := range []string{"bob.AT.corp.com", "-rf", "..", "1234", strings.Repeat("x", 40)} {
		_, err := hostsync.AuthorizedKeys(ctx, name, "", opts...)
		assert.ErrorIs(t, err, hostsync.ErrNotManaged, name)
	}

	var checked []string
	managed := append(slices.Clip(opts), hostsync.WithMarkerCheck(func(name string) (bool, error) {
		checked = append(checked, name)
		return name != "bob.at.corp.com", nil
	}))
	_, err = hostsync.AuthorizedKeys(ctx, "bob.at.corp.com", "", managed...)
	assert.ErrorIs(t, err, hostsync.ErrNotManaged)
	assert.Equal(t, []string{"bob.at.corp.com"}, checked)
	managed = append(slices.Clip(opts), hostsync.WithMarkerCheck(func(string) (bool, error) { return false, errors.New("cannot read /etc/group") }))
	_, err = hostsync.AuthorizedKeys(ctx, "bob.at.corp.com", "", managed...)
	assert.ErrorContains(t, err, "cannot read /etc/group")
}

func TestAuthorizedKeysStale(t *testing.T) {
	c := newCache(t)
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	k := activeKey("dave")
	_, err := c.Write("dave", []hostsync.Key{k})
	require.NoError(t, err)
	ctx := context.Background()
	opts := []hostsync.Option{hostsync.WithKeyCache(c), hostsync.WithClock(fakes.NewClock(now))}

	// Never synced: fail closed.
	_, err = hostsync.AuthorizedKeys(ctx, "dave", "", opts...)
	assert.ErrorIs(t, err, hostsync.ErrNoCache)

	// Default max age: 24 hours.
	require.NoError(t, c.MarkSynced(now.Add(-23*time.Hour)))
	lines, err := hostsync.AuthorizedKeys(ctx, "dave", "", opts...)
	require.NoError(t, err)
	assert.Len(t, lines, 1)
	require.NoError(t, c.MarkSynced(now.Add(-25*time.Hour)))
	lines, err = hostsync.AuthorizedKeys(ctx, "dave", "", opts...)
	assert.ErrorIs(t, err, hostsync.ErrStale)
	assert.Empty(t, lines)

	opts = append(opts, hostsync.WithMaxAge(48*time.Hour))
	_, err = hostsync.AuthorizedKeys(ctx, "dave", "", opts...)
	require.NoError(t, err)
	opts = append(opts, hostsync.WithMaxAge(time.Hour))
	_, err = hostsync.AuthorizedKeys(ctx, "dave", "", opts...)
	assert.ErrorIs(t, err, hostsync.ErrStale)

	// A heartbeat far in the future does not keep the cache fresh forever.
	opts = append(opts, hostsync.WithMaxAge(0))
	require.NoError(t, c.MarkSynced(now.Add(time.Hour)))
	_, err = hostsync.AuthorizedKeys(ctx, "dave", "", opts...)
	assert.ErrorIs(t, err, hostsync.ErrStale)
	require.NoError(t, c.MarkSynced(now.Add(time.Minute)))
	_, err = hostsync.AuthorizedKeys(ctx, "dave", "", opts...)
	assert.NoError(t, err, "a little clock skew is fine")
}

func TestAuthorizedKeysLive(t *testing.T) {
	c := newCache(t)
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	live, inactive := activeKey("erin"), activeKey("erin-old")
	inactive.Status = hostsync.KeyInactive
	var asked []string
	var deadline time.Duration
	opts := []hostsync.Option{
		hostsync.WithKeyCache(c),
		hostsync.WithClock(fakes.NewClock(now)),
		hostsync.WithLive(func(ctx context.Context, iamName string) ([]hostsync.Key, error) {
			asked = append(asked, iamName)
			d, ok := ctx.Deadline()
			require.True(t, ok, "Live runs under a deadline")
			deadline = time.Until(d)
			return []hostsync.Key{live, inactive, {ID: "APKABAD", Body: "garbage", Status: hostsync.KeyActive}}, nil
		}),
	}
	cl := canonical(t, live)

	// No cache at all: live, only Active valid keys.
	lines, err := hostsync.AuthorizedKeys(ctx, "erin.plus.ops", "", opts...)
	require.NoError(t, err)
	assert.Equal(t, []string{cl.Body + " " + cl.ID}, lines)
	assert.Equal(t, []string{"erin+ops"}, asked, "asked under the IAM name")
	assert.InDelta(t, hostsync.DefaultLiveTimeout, deadline, float64(time.Second))

	// Stale: live too, with the configured timeout.
	require.NoError(t, c.MarkSynced(now.Add(-48*time.Hour)))
	opts = append(opts, hostsync.WithLiveTimeout(300*time.Millisecond))
	lines, err = hostsync.AuthorizedKeys(ctx, "erin.plus.ops", cl.Fingerprint, opts...)
	require.NoError(t, err)
	assert.Equal(t, []string{cl.Body + " " + cl.ID}, lines)
	assert.LessOrEqual(t, deadline, 300*time.Millisecond)

	// Live fails or hangs: fail closed, in time.
	opts = append(opts, hostsync.WithLive(func(ctx context.Context, _ string) ([]hostsync.Key, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	opts = append(opts, hostsync.WithLiveTimeout(50*time.Millisecond))
	start := time.Now()
	_, err = hostsync.AuthorizedKeys(ctx, "erin.plus.ops", "", opts...)
	assert.ErrorIs(t, err, hostsync.ErrStale)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)

	// Fresh: Live is never called.
	require.NoError(t, c.MarkSynced(now))
	opts = append(opts, hostsync.WithLive(func(context.Context, string) ([]hostsync.Key, error) {
		t.Fatal("Live called although the cache is fresh")
		return nil, nil
	}))
	lines, err = hostsync.AuthorizedKeys(ctx, "erin.plus.ops", "", opts...)
	require.NoError(t, err)
	assert.Empty(t, lines)
}

func TestParseKeyCacheFile(t *testing.T) {
	k := canonical(t, activeKey("frank"))
	good := "# iamkit hostsync key cache v1 user=frank\n" + k.ID + " " + k.Body + "\n"
	name, keys, err := hostsync.ParseKeyCacheFile([]byte(good))
	require.NoError(t, err)
	assert.Equal(t, "frank", name)
	assert.Equal(t, []hostsync.Key{k}, keys)
	out, err := hostsync.FormatKeyCacheFile(name, keys)
	require.NoError(t, err)
	assert.Equal(t, good, string(out))

	name, keys, err = hostsync.ParseKeyCacheFile([]byte("# iamkit hostsync key cache v1 user=frank\n"))
	require.NoError(t, err, "a header alone is a user without keys")
	assert.Equal(t, "frank", name)
	assert.Empty(t, keys)

	for label, bad := range map[string]string{
		"empty":          "",
		"no newline":     strings.TrimSuffix(good, "\n"),
		"version 2":      strings.Replace(good, "v1", "v2", 1),
		"bad user":       strings.Replace(good, "user=frank", "user=../x", 1),
		"blank line":     good + "\n",
		"comment":        good + "# hi\n",
		"extra field":    strings.TrimSuffix(good, "\n") + " comment\n",
		"tab":            strings.Replace(good, k.ID+" ", k.ID+"\t", 1),
		"options":        "# iamkit hostsync key cache v1 user=frank\n" + k.ID + " command=\"x\" " + k.Body + "\n",
		"duplicate":      good + k.ID + " " + k.Body + "\n",
		"bad id":         strings.Replace(good, k.ID, "APKA\x01X", 1),
		"not canonical":  strings.Replace(good, k.Body, strings.TrimRight(k.Body, "=")+"=", 1),
		"crlf":           strings.ReplaceAll(good, "\n", "\r\n"),
		"out of order":   "# iamkit hostsync key cache v1 user=frank\nB " + k.Body + "\nA " + k.Body + "\n",
		"too large":      good + strings.Repeat("x", hostsync.MaxKeyCacheFileSize),
		"garbage base64": "# iamkit hostsync key cache v1 user=frank\nA ssh-ed25519 AAAA\n",
	} {
		_, _, err := hostsync.ParseKeyCacheFile([]byte(bad))
		assert.ErrorIs(t, err, hostsync.ErrCorruptKeyCache, label)
	}
}

// FuzzParseKeyCacheFile checks that the cache file parser never panics and
// that whatever it accepts is exactly what FormatKeyCacheFile writes, with
// canonical, Active, fingerprinted keys.
func FuzzParseKeyCacheFile(f *testing.F) {
	k1 := pubKey("fuzz-1")
	pk1, _ := hostsync.ParseKey(k1)
	f.Add([]byte("# iamkit hostsync key cache v1 user=alice\n"))
	f.Add([]byte("# iamkit hostsync key cache v1 user=alice\nAPKA1 " + pk1.Body + "\n"))
	f.Add([]byte("# iamkit hostsync key cache v1 user=bob.at.x\nAPKA1 " + pk1.Body + "\nAPKA2 " + pk1.Body + "\n"))
	f.Add([]byte("# iamkit hostsync key cache v1 user=alice\nAPKA1 ssh-ed25519 AAAA\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		name, keys, err := hostsync.ParseKeyCacheFile(data)
		if err != nil {
			if !errors.Is(err, hostsync.ErrCorruptKeyCache) {
				t.Fatalf("error does not wrap ErrCorruptKeyCache: %v", err)
			}
			return
		}
		if err := hostsync.ValidLinuxName(name); err != nil {
			t.Fatalf("accepted invalid user %q", name)
		}
		for _, k := range keys {
			pk, err := hostsync.ParseKey(k.Body)
			if err != nil || pk.Body != k.Body || pk.SHA256 != k.Fingerprint || k.Status != hostsync.KeyActive {
				t.Fatalf("accepted a key that is not canonical and Active: %+v", k)
			}
		}
		out, err := hostsync.FormatKeyCacheFile(name, keys)
		if err != nil {
			t.Fatalf("cannot format what was parsed: %v", err)
		}
		if string(out) != string(data) {
			t.Fatalf("format(parse(x)) != x:\n%q\n%q", out, data)
		}
	})
}
