package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersion runs each binary with --version: one line naming the binary,
// its module version and the Go version.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the built binaries")
	}
	for _, bin := range []string{iamkitBin, hostsyncdBin, consolebrokerBin} {
		t.Run(bin, func(t *testing.T) {
			out, err := exec.Command(filepath.Join(binDir, bin), "--version").Output()
			require.NoError(t, err)
			line := string(out)
			assert.True(t, strings.HasPrefix(line, bin+" "), line) // "(devel)", or a version stamped from git
			assert.Equal(t, 1, strings.Count(line, "\n"), line)
			assert.True(t, strings.HasSuffix(line, " "+runtime.Version()+"\n"), line)
		})
	}
}

// TestVersionRevision builds iamkit with VCS stamping on (whatever GOFLAGS
// says) from the git checkout and finds the checked-out revision in
// --version.
func TestVersionRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	root := filepath.Join("..", "..")
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	cmd := exec.Command(git, "rev-parse", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	head := strings.TrimSpace(string(out))
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "iamkit")
	build := exec.Command(goBin, "build", "-buildvcs=true", "-o", bin, "./examples/iamkit")
	build.Dir = root
	msg, err := build.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	if fi, err := os.Stat(filepath.Join(root, ".git")); err == nil && !fi.IsDir() {
		// The go command recognises a git repository by its .git
		// directory: a worktree (.git is a file) is not stamped.
		meta, err := exec.Command(goBin, "version", "-m", bin).Output()
		require.NoError(t, err)
		if !strings.Contains(string(meta), "vcs.revision=") {
			t.Skip("a git worktree: the go command stamps no revision")
		}
	}
	out, err = exec.Command(bin, "--version").Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "(revision "+head[:12])
}
