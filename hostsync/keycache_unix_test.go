//go:build unix

package hostsync_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

func TestKeyCacheCreatesDirsDespiteUmask(t *testing.T) {
	requireRoot(t)
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	c := hostsync.KeyCache{Dir: filepath.Join(t.TempDir(), "var", "lib", "iamkit", "keys")}
	_, err := c.Write("alice", []hostsync.Key{activeKey("alice")})
	require.NoError(t, err)
	for _, d := range []string{c.Dir, filepath.Dir(c.Dir), filepath.Dir(filepath.Dir(c.Dir))} {
		fi, err := os.Lstat(d)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), d)
	}
	fi, err := os.Lstat(filepath.Join(c.Dir, "alice"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
}
