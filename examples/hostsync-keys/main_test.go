package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/testenv"
)

// host is a host root with alice (managed) and ec2-user, a key cache with
// alice's key and a configuration, all in a temporary directory.
type host struct {
	dir, root, state, conf string
	key                    hostsync.Key
}

func newHost(t testing.TB) *host {
	t.Helper()
	testenv.RequireRoot(t, "the key cache must be owned by root")
	h := &host{dir: t.TempDir()}
	h.root, h.state, h.conf = filepath.Join(h.dir, "root"), filepath.Join(h.dir, "state"), filepath.Join(h.dir, "aws-ec2-ssh.conf")
	require.NoError(t, os.MkdirAll(filepath.Join(h.root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(h.root, "etc", "passwd"), []byte(
		"root:x:0:0::/root:/bin/bash\nec2-user:x:1000:1000::/home/ec2-user:/bin/bash\nalice:x:1900000001:1900000001::/home/alice:/bin/bash\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(h.root, "etc", "group"), []byte(
		"root:x:0:\nec2-user:x:1000:\nalice:x:1900000001:\nssh-users:x:1999:alice\n"), 0o644))
	require.NoError(t, os.WriteFile(h.conf, []byte("LOCAL_MARKER_GROUP=\"ssh-users\"\n"), 0o644))
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	h.key = hostsync.Key{ID: "APKAEXAMPLE000000001", Body: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))), Fingerprint: ssh.FingerprintSHA256(k)}
	kc := hostsync.KeyCache{Dir: filepath.Join(h.state, "keys")}
	_, err = kc.Write("alice", []hostsync.Key{h.key})
	require.NoError(t, err)
	require.NoError(t, kc.MarkSynced(time.Now()))
	return h
}

func (h *host) run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"--state-dir", h.state, "--config", h.conf, "--root", h.root}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestKeys(t *testing.T) {
	h := newHost(t)
	code, out, errOut := h.run("alice")
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, h.key.Body+" "+h.key.ID+"\n", out)

	code, out, _ = h.run("alice", h.key.Fingerprint)
	assert.Equal(t, 0, code)
	assert.Equal(t, h.key.Body+" "+h.key.ID+"\n", out)

	code, out, _ = h.run("alice", "SHA256:AAAA")
	assert.Equal(t, 0, code)
	assert.Empty(t, out)

	for _, u := range []string{"root", "ec2-user", "mallory", ".."} {
		code, out, errOut = h.run(u)
		assert.Equal(t, 0, code, u)
		assert.Empty(t, out, u)
		assert.Empty(t, errOut, u)
	}
}

func TestKeysFailClosed(t *testing.T) {
	h := newHost(t)
	require.NoError(t, hostsync.KeyCache{Dir: filepath.Join(h.state, "keys")}.MarkSynced(time.Now().Add(-25*time.Hour)))
	code, out, errOut := h.run("alice")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, 1, strings.Count(errOut, "\n"))
	assert.True(t, strings.HasPrefix(errOut, "hostsync-keys: hostsync: key cache is stale"), errOut)

	code, out, _ = h.run("--max-age", "48h", "alice")
	assert.Equal(t, 0, code)
	assert.NotEmpty(t, out)

	// An unknown key is ignored, as the sync ignores it (the sync's
	// frontends log it): logins do not fail over it.
	require.NoError(t, os.WriteFile(h.conf, []byte("LOCAL_MARKER_GROUP=\"ssh-users\"\nBOGUS=1\n"), 0o644))
	code, out, errOut = h.run("--max-age", "48h", "alice")
	assert.Equal(t, 0, code, errOut)
	assert.NotEmpty(t, out)
	assert.Empty(t, errOut)

	// A malformed configuration still fails closed.
	require.NoError(t, os.WriteFile(h.conf, []byte("LOCAL_MARKER_GROUP=$(id)\n"), 0o644))
	code, out, errOut = h.run("--max-age", "48h", "alice")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "LOCAL_MARKER_GROUP")
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"--help"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "Usage: hostsync-keys")
	assert.Contains(t, stdout.String(), "-max-age")
	for _, args := range [][]string{nil, {"a", "b", "c"}, {"--bogus", "alice"}, {"-rf"}, {"--max-age", "0s", "alice"}} {
		stdout.Reset()
		stderr.Reset()
		assert.Equal(t, 2, run(context.Background(), args, &stdout, &stderr), "%q", args)
		assert.Empty(t, stdout.String())
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%q", args)
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"--version"}, &stdout, &stderr))
	assert.Regexp(t, `^hostsync-keys (\(devel\)|v\S+) .*go1\.\d+.*\n$`, stdout.String(), "version and Go version, as the other binaries")
	assert.Empty(t, stderr.String())
	stdout.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"--version", "alice"}, &stdout, &stderr))
	assert.Empty(t, stdout.String())
}
