package hostsync_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/authkeys"
	"github.com/iamkit/iamkit/internal/testenv"
)

// fixedClock is an iamkit.Clock stopped at one instant.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                             { return c.t }
func (c fixedClock) Sleep(context.Context, time.Duration) error { return nil }

// agreeHost is a host root, a configuration and a key cache for comparing
// hostsync.AuthorizedKeys (the writer's package) with authkeys.Lookup
// (hostsync-keys's read path).
type agreeHost struct {
	root, conf, cache string
	now               time.Time
}

func newAgreeHost(t *testing.T) *agreeHost {
	t.Helper()
	testenv.RequireRoot(t, "the key cache must be owned by root")
	dir := t.TempDir()
	h := &agreeHost{root: filepath.Join(dir, "root"), conf: filepath.Join(dir, "aws-ec2-ssh.conf"), cache: filepath.Join(dir, "state", "keys"), now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	require.NoError(t, os.MkdirAll(filepath.Join(h.root, "etc"), 0o755))
	h.etc(t,
		"root:x:0:0::/root:/bin/bash\nec2-user:x:1000:1000::/home/ec2-user:/bin/bash\nalice:x:2001:2001::/home/alice:/bin/bash\n"+
			"bob:x:2002:1999::/home/bob:/bin/bash\nlow:x:999:999::/:/bin/sh\npostgres:x:2003:2003::/:/bin/sh\nbob.AT.corp:x:2004:2004::/:/bin/sh\n"+
			"carol:x:2005:2005::/:/bin/sh\nbroken:x:notanumber:1::/:/bin/sh\n",
		"root:x:0:\nec2-user:x:1000:\nalice:x:2001:\nssh-users:x:1999:alice,low,postgres,bob.AT.corp,carol,dave\n")
	h.config(t, "LOCAL_MARKER_GROUP=ssh-users\n")
	kc := hostsync.KeyCache{Dir: h.cache}
	for _, u := range []string{"alice", "bob", "low", "postgres", "bob.AT.corp", "carol"} {
		_, err := kc.Write(u, []hostsync.Key{activeKey(u + "1"), activeKey(u + "2"), {ID: "APKARSA" + u, Body: testdataKey(t, "rsa2048.pub")}})
		require.NoError(t, err)
	}
	require.NoError(t, kc.MarkSynced(h.now.Add(-time.Hour)))
	return h
}

func (h *agreeHost) etc(t *testing.T, passwd, group string) {
	require.NoError(t, os.WriteFile(filepath.Join(h.root, "etc", "passwd"), []byte(passwd), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(h.root, "etc", "group"), []byte(group), 0o644))
}

func (h *agreeHost) config(t *testing.T, s string) {
	require.NoError(t, os.WriteFile(h.conf, []byte(s), 0o644))
}

// outcome is one answer: lines, or an error class and message.
type outcome struct {
	Lines []string
	Class string
	Msg   string
}

func classOf(err error) string {
	for _, c := range []struct {
		name string
		err  error
	}{{"not-managed", hostsync.ErrNotManaged}, {"stale", hostsync.ErrStale}, {"no-cache", hostsync.ErrNoCache}, {"unsafe", hostsync.ErrUnsafeCache}, {"corrupt", hostsync.ErrCorruptKeyCache}} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	if err != nil {
		return "other"
	}
	return ""
}

// writer answers as "iamkit hostsync keys" without live fallback did for
// hostsync-keys before: hostsync's own read path.
func (h *agreeHost) writer(user, fp string, maxAge time.Duration) outcome {
	cfg, err := hostsync.ReadOptionalConfigFile(h.conf)
	if err != nil {
		return outcome{Class: "config", Msg: err.Error()}
	}
	l := &hostsync.Linux{Config: cfg, Root: h.root}
	lines, err := hostsync.AuthorizedKeys(context.Background(), user, fp, hostsync.WithKeyCache(hostsync.KeyCache{Dir: h.cache}),
		hostsync.WithMaxAge(maxAge), hostsync.WithClock(fixedClock{h.now}), hostsync.WithMarkerCheck(l.IsManaged))
	return result(lines, err)
}

func (h *agreeHost) reader(user, fp string, maxAge time.Duration) outcome {
	cfg, err := authkeys.ReadConfigFile(h.conf)
	if err != nil {
		return outcome{Class: "config", Msg: err.Error()}
	}
	lines, err := authkeys.Lookup(authkeys.Request{User: user, Fingerprint: fp, CacheDir: h.cache, Config: cfg, Root: h.root, MaxAge: maxAge, Now: h.now})
	return result(lines, err)
}

func result(lines []string, err error) outcome {
	if err != nil {
		return outcome{Class: classOf(err), Msg: err.Error()}
	}
	if len(lines) == 0 {
		lines = nil
	}
	return outcome{Lines: lines}
}

// TestAuthkeysAgreesWithHostsync: for the same cache, host and
// configuration, hostsync-keys's read path (authkeys) gives the answers and
// the refusals of hostsync.AuthorizedKeys.
func TestAuthkeysAgreesWithHostsync(t *testing.T) {
	cacheFile := func(h *agreeHost, user string) string { return filepath.Join(h.cache, user) }
	overwrite := func(user, content string) func(*testing.T, *agreeHost) {
		return func(t *testing.T, h *agreeHost) {
			require.NoError(t, os.WriteFile(cacheFile(h, user), []byte(content), 0o644))
		}
	}
	aliceFile := func(t *testing.T, h *agreeHost) string {
		b, err := os.ReadFile(cacheFile(h, "alice"))
		require.NoError(t, err)
		return string(b)
	}
	edit := func(f func(string) string) func(*testing.T, *agreeHost) {
		return func(t *testing.T, h *agreeHost) { overwrite("alice", f(aliceFile(t, h)))(t, h) }
	}
	blobLine := func(typ string, blob []byte) string {
		return "APKAZZZ " + typ + " " + base64.StdEncoding.EncodeToString(blob) + "\n"
	}
	wireStr := func(b ...[]byte) []byte {
		var out []byte
		for _, s := range b {
			out = append(out, byte(len(s)>>24), byte(len(s)>>16), byte(len(s)>>8), byte(len(s)))
			out = append(out, s...)
		}
		return out
	}
	tests := []struct {
		name   string
		user   string
		fp     string
		maxAge time.Duration
		setup  func(*testing.T, *agreeHost)
		want   string // expected class ("" = keys printed)
	}{
		{name: "keys", user: "alice"},
		{name: "keys of a user whose primary group is the marker", user: "bob"},
		{name: "one key by fingerprint", user: "alice", fp: "FP:alice2"},
		{name: "unknown fingerprint", user: "alice", fp: "SHA256:AAAA"},
		{name: "not in the marker group", user: "ec2-user", want: "not-managed"},
		{name: "not in passwd", user: "dave", want: "not-managed"},
		{name: "UID below 1000", user: "low", want: "not-managed"},
		{name: "reserved name", user: "postgres", want: "not-managed"},
		{name: "name mapping to no IAM user", user: "bob.AT.corp", want: "not-managed"},
		{name: "invalid name", user: "..", want: "not-managed"},
		{name: "malformed passwd line", user: "broken", want: "not-managed"},
		{name: "reserved by IAMKIT_RESERVED", user: "carol", setup: func(t *testing.T, h *agreeHost) {
			h.config(t, "LOCAL_MARKER_GROUP=ssh-users\nIAMKIT_RESERVED='x, Carol'\n")
		}, want: "not-managed"},
		{name: "named like a LOCAL_GROUPS group", user: "carol", setup: func(t *testing.T, h *agreeHost) {
			h.config(t, "LOCAL_MARKER_GROUP=ssh-users\nLOCAL_GROUPS=carol,wheel\n")
		}, want: "not-managed"},
		{name: "default marker group", user: "alice", setup: func(t *testing.T, h *agreeHost) { require.NoError(t, os.Remove(h.conf)) }, want: "not-managed"},
		{name: "unknown config key ignored", user: "alice", setup: func(t *testing.T, h *agreeHost) {
			h.config(t, "export LOCAL_MARKER_GROUP=\"ssh-users\" # c\nBOGUS=1\n")
		}},
		{name: "config expansion", user: "alice", setup: func(t *testing.T, h *agreeHost) { h.config(t, "LOCAL_MARKER_GROUP=$(id)\n") }, want: "config"},
		{name: "config invalid marker", user: "alice", setup: func(t *testing.T, h *agreeHost) { h.config(t, "LOCAL_MARKER_GROUP=-x\n") }, want: "config"},
		{name: "config marker among local groups", user: "alice", setup: func(t *testing.T, h *agreeHost) {
			h.config(t, "LOCAL_MARKER_GROUP=ssh-users\nLOCAL_GROUPS=ssh-users\n")
		}, want: "config"},
		{name: "config open quote", user: "alice", setup: func(t *testing.T, h *agreeHost) { h.config(t, "LOCAL_GROUPS='a\n") }, want: "config"},
		{name: "config not an assignment", user: "alice", setup: func(t *testing.T, h *agreeHost) { h.config(t, "rm -rf /\n") }, want: "config"},
		{name: "stale", user: "alice", maxAge: 30 * time.Minute, want: "stale"},
		{name: "heartbeat in the future", user: "alice", setup: func(t *testing.T, h *agreeHost) {
			require.NoError(t, hostsync.KeyCache{Dir: h.cache}.MarkSynced(h.now.Add(time.Hour)))
		}, want: "stale"},
		{name: "no heartbeat", user: "alice", setup: func(t *testing.T, h *agreeHost) { require.NoError(t, os.Remove(filepath.Join(h.cache, "@last-sync"))) }, want: "no-cache"},
		{name: "no cache directory", user: "alice", setup: func(t *testing.T, h *agreeHost) { require.NoError(t, os.RemoveAll(h.cache)) }, want: "no-cache"},
		{name: "no entry", user: "alice", setup: func(t *testing.T, h *agreeHost) { require.NoError(t, os.Remove(cacheFile(h, "alice"))) }},
		{name: "directory group-writable", user: "alice", setup: func(t *testing.T, h *agreeHost) { require.NoError(t, os.Chmod(h.cache, 0o775)) }, want: "unsafe"},
		{name: "directory a symlink", user: "alice", setup: func(t *testing.T, h *agreeHost) {
			require.NoError(t, os.Rename(h.cache, h.cache+".real"))
			require.NoError(t, os.Symlink(h.cache+".real", h.cache))
		}, want: "unsafe"},
		{name: "directory not root's", user: "alice", setup: func(t *testing.T, h *agreeHost) { require.NoError(t, os.Chown(h.cache, 2001, 2001)) }, want: "unsafe"},
		{name: "file a symlink", user: "alice", setup: func(t *testing.T, h *agreeHost) {
			require.NoError(t, os.Remove(cacheFile(h, "alice")))
			require.NoError(t, os.Symlink("bob", cacheFile(h, "alice")))
		}, want: "unsafe"},
		{name: "file not root's", user: "alice", setup: func(t *testing.T, h *agreeHost) { require.NoError(t, os.Chown(cacheFile(h, "alice"), 2001, 2001)) }, want: "unsafe"},
		{name: "file world-writable", user: "alice", setup: func(t *testing.T, h *agreeHost) { require.NoError(t, os.Chmod(cacheFile(h, "alice"), 0o646)) }, want: "unsafe"},
		{name: "heartbeat not root's", user: "alice", setup: func(t *testing.T, h *agreeHost) {
			require.NoError(t, os.Lchown(filepath.Join(h.cache, "@last-sync"), 5, 5))
		}, want: "unsafe"},
		{name: "another user's file", user: "alice", setup: func(t *testing.T, h *agreeHost) {
			b, err := os.ReadFile(cacheFile(h, "bob"))
			require.NoError(t, err)
			overwrite("alice", string(b))(t, h)
		}, want: "corrupt"},
		{name: "other header", user: "alice", setup: edit(func(s string) string { return strings.Replace(s, "v1", "v2", 1) }), want: "corrupt"},
		{name: "no final newline", user: "alice", setup: edit(func(s string) string { return strings.TrimSuffix(s, "\n") }), want: "corrupt"},
		{name: "blank line", user: "alice", setup: edit(func(s string) string { return s + "\n" }), want: "corrupt"},
		{name: "comment added", user: "alice", setup: edit(func(s string) string { return strings.TrimSuffix(s, "\n") + " comment\n" }), want: "corrupt"},
		{name: "out of order", user: "alice", setup: edit(func(s string) string {
			l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
			l[1], l[2] = l[2], l[1]
			return strings.Join(l, "\n") + "\n"
		}), want: "corrupt"},
		{name: "key twice", user: "alice", setup: edit(func(s string) string {
			l := strings.Split(s, "\n")
			return s + l[1] + "\n"
		}), want: "corrupt"},
		{name: "base64 padding dropped", user: "alice", setup: edit(func(s string) string {
			f := strings.Fields(testdataKey(t, "ecdsa.pub"))
			return s + "ZZZ " + f[0] + " " + strings.TrimRight(f[1], "=") + "\n"
		}), want: "corrupt"},
		{name: "type of another key", user: "alice", setup: edit(func(s string) string { return strings.Replace(s, " ssh-ed25519 ", " ssh-rsa ", 1) }), want: "corrupt"},
		{name: "DSA key", user: "alice", setup: edit(func(s string) string {
			f := strings.Fields(testdataKey(t, "dsa.pub"))
			return s + "ZZZ " + f[0] + " " + f[1] + "\n"
		}), want: "corrupt"},
		{name: "RSA key of 1024 bits", user: "alice", setup: edit(func(s string) string {
			f := strings.Fields(testdataKey(t, "rsa1024.pub"))
			return s + "ZZZ " + f[0] + " " + f[1] + "\n"
		}), want: "corrupt"},
		{name: "certificate", user: "alice", setup: edit(func(s string) string {
			f := strings.Fields(testdataKey(t, "ed25519-cert.pub"))
			return s + "ZZZ " + f[0] + " " + f[1] + "\n"
		}), want: "corrupt"},
		{name: "ed25519 key of 31 bytes", user: "alice", setup: edit(func(s string) string {
			return s + blobLine("ssh-ed25519", wireStr([]byte("ssh-ed25519"), make([]byte, 31)))
		}), want: "corrupt"},
		{name: "trailing data in the blob", user: "alice", setup: edit(func(s string) string {
			return s + blobLine("ssh-ed25519", append(wireStr([]byte("ssh-ed25519"), make([]byte, 32)), 0))
		}), want: "corrupt"},
		{name: "valid ed25519 blob added", user: "alice", setup: edit(func(s string) string {
			k := make([]byte, 32)
			k[0] = 9
			return s + blobLine("ssh-ed25519", wireStr([]byte("ssh-ed25519"), k))
		})},
		{name: "ECDSA key", user: "alice", setup: edit(func(s string) string {
			f := strings.Fields(testdataKey(t, "ecdsa.pub"))
			return s + "ZZZ " + f[0] + " " + f[1] + "\n"
		})},
		{name: "ECDSA key of another curve", user: "alice", setup: edit(func(s string) string {
			f := strings.Fields(testdataKey(t, "ecdsa.pub"))
			return s + "ZZZ " + strings.Replace(f[0], "256", "384", 1) + " " + f[1] + "\n"
		}), want: "corrupt"},
		{name: "file too large", user: "alice", setup: overwrite("alice", strings.Repeat("#", 256<<10+1)), want: "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAgreeHost(t)
			if tt.setup != nil {
				tt.setup(t, h)
			}
			maxAge := tt.maxAge
			if maxAge == 0 {
				maxAge = 24 * time.Hour
			}
			fp := tt.fp
			if name, ok := strings.CutPrefix(fp, "FP:"); ok {
				pk, err := hostsync.ParseKey(pubKey(name))
				require.NoError(t, err)
				fp = pk.SHA256
			}
			w, r := h.writer(tt.user, fp, maxAge), h.reader(tt.user, fp, maxAge)
			assert.Equal(t, tt.want, w.Class, "hostsync: %s", w.Msg)
			assert.Equal(t, w.Class, r.Class, "authkeys: %s", r.Msg)
			assert.Equal(t, w.Lines, r.Lines)
			if w.Class != "config" && w.Class != "corrupt" {
				assert.Equal(t, w.Msg, r.Msg)
			}
			if tt.want == "" && tt.user == "alice" && tt.fp != "SHA256:AAAA" && !strings.Contains(tt.name, "no entry") {
				assert.NotEmpty(t, r.Lines)
			}
		})
	}
}

// TestAuthkeysLists: authkeys keeps its copies of hostsync's lists and
// defaults equal to hostsync's.
func TestAuthkeysLists(t *testing.T) {
	assert.Equal(t, hostsync.DefaultReserved(), authkeys.DefaultReserved())
	assert.Equal(t, hostsync.DefaultStateDir, authkeys.DefaultStateDir)
	assert.Equal(t, hostsync.StateKeyCacheDir, authkeys.KeyCacheDirName)
	assert.Equal(t, hostsync.DefaultConfigFile, authkeys.DefaultConfigFile)
	assert.Equal(t, hostsync.DefaultMaxCacheAge, authkeys.DefaultMaxAge)
	assert.Equal(t, hostsync.DefaultMarkerGroup, authkeys.DefaultMarkerGroup)
	assert.Equal(t, hostsync.MaxKeyCacheFileSize, authkeys.MaxFileSize)
	assert.Equal(t, hostsync.MaxConfigSize, authkeys.MaxConfigSize)
	assert.Equal(t, hostsync.MinManagedUID, authkeys.MinManagedUID)
	assert.Same(t, hostsync.ErrInvalidName, authkeys.ErrInvalidName)
}
