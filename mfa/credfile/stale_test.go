//go:build unix

package credfile

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/atomicfile"
)

// envKillWriter makes TestKilledWriterHelper a writer that is killed
// (SIGKILL) just before its temporary file is renamed into place.
const envKillWriter = "CREDFILE_TEST_KILL_WRITER"

// TestKilledWriterHelper is the writer TestKilledWriterLeftoversRemoved
// runs in a child process; on its own it does nothing.
func TestKilledWriterHelper(t *testing.T) {
	path := os.Getenv(envKillWriter)
	if path == "" {
		return // a helper process only
	}
	err := updateContext(context.Background(), path, func(f *File) error {
		return f.Set("dev", "aws_session_token", "SECRET-TOKEN-"+strings.Repeat("x", 64))
	}, atomicfile.BeforeRename(func(string) error {
		return syscall.Kill(os.Getpid(), syscall.SIGKILL) // killed mid-update
	}))
	t.Fatalf("the writer survived: %v", err)
}

// tempFiles lists the temporary files of target in dir.
func tempFiles(t *testing.T, dir, target string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if atomicfile.IsTemp(target, e.Name()) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// A writer killed mid-update leaves a full copy of the new file, secrets
// included, beside the real file (not beside the symlink); the next writer
// removes it under the lock.
func TestKilledWriterLeftoversRemoved(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	root := t.TempDir()
	dotfiles, aws := filepath.Join(root, "dotfiles"), filepath.Join(root, "home", ".aws")
	require.NoError(t, os.MkdirAll(dotfiles, 0o700))
	require.NoError(t, os.MkdirAll(aws, 0o700))
	real := filepath.Join(dotfiles, "credentials")
	link := filepath.Join(aws, "credentials")
	require.NoError(t, os.WriteFile(real, []byte("# mine\n[dev-long-term]\naws_access_key_id = AKIA1\n"), 0o600))
	require.NoError(t, os.Symlink(real, link))

	// Each killed writer leaves its copy; each next one, killed in turn,
	// first removes the copy of the one before.
	var prev []string
	for i := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), envKillWriter+"="+link)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%s", out)
		ws, ok := exit.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "killed: %s\n%s", exit, out)
		left := tempFiles(t, dotfiles, real)
		require.Len(t, left, 1, "kill %d: one copy, beside the real file", i+1)
		for _, p := range prev {
			assert.NoFileExists(t, p, "the previous writer's copy is gone")
		}
		prev = left
	}
	left := prev
	assert.Empty(t, tempFiles(t, aws, link), "nothing beside the link")
	for _, p := range left {
		assert.True(t, strings.HasPrefix(filepath.Base(p), ".credentials.iamkit-tmp-"), p)
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Contains(t, string(data), "SECRET-TOKEN-", "a full copy, secrets included")
	}
	data, err := os.ReadFile(real)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "SECRET-TOKEN-", "the file itself was never replaced")

	// Someone else's files and look-alikes stay.
	keep := []string{filepath.Join(dotfiles, ".credentials.bak"), filepath.Join(dotfiles, ".config.iamkit-tmp-1")}
	for _, p := range keep {
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dotfiles, ".credentials.iamkit-tmp-dir"), 0o700))
	keep = append(keep, filepath.Join(dotfiles, ".credentials.iamkit-tmp-dir"))
	if os.Geteuid() == 0 {
		other := filepath.Join(dotfiles, ".credentials.iamkit-tmp-other")
		require.NoError(t, os.WriteFile(other, []byte("x"), 0o600))
		require.NoError(t, os.Chown(other, 65534, 65534))
		keep = append(keep, other)
	}

	// The next writer, through the link.
	require.NoError(t, Update(link, func(f *File) error { return f.Set("dev", "region", "eu-west-1") }))
	for _, p := range left {
		assert.NoFileExists(t, p)
	}
	for _, p := range keep {
		_, err := os.Lstat(p)
		assert.NoError(t, err, "kept: %s", p)
	}
	assert.Len(t, tempFiles(t, dotfiles, real), len(keep)-2, "only the look-alikes the writer does not own remain")
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.True(t, fi.Mode()&os.ModeSymlink != 0, "the link is kept")
	data, err = os.ReadFile(real)
	require.NoError(t, err)
	assert.Equal(t, "# mine\n[dev-long-term]\naws_access_key_id = AKIA1\n\n[dev]\nregion = eu-west-1\n", string(data))
}

// A writer whose update fails after the temporary file is written leaves
// nothing behind and the file as it was.
func TestAbortedWriterLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(path, []byte("[a]\nk = v\n"), 0o600))
	boom := errors.New("disk on fire")
	var seen string
	err := updateContext(context.Background(), path, func(f *File) error { return f.Set("a", "k", "w") },
		atomicfile.BeforeRename(func(tmp string) error { seen = tmp; return boom }))
	require.ErrorIs(t, err, boom)
	assert.True(t, atomicfile.IsTemp(path, filepath.Base(seen)), seen)
	assert.NoFileExists(t, seen)
	assert.Empty(t, tempFiles(t, dir, path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "[a]\nk = v\n", string(data))
}
