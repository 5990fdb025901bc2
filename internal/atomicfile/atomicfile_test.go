package atomicfile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/atomicfile"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestWriteFile(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })

	tests := []struct {
		name     string
		existing []byte // nil: no file before
		opts     []atomicfile.Option
		perm     fs.FileMode
	}{
		{name: "new file, default 0600", perm: 0o600},
		{name: "replaces, and narrows a wider mode", existing: []byte("old"), perm: 0o600},
		{name: "WithPerm widens past the umask", opts: []atomicfile.Option{atomicfile.WithPerm(0o664)}, perm: 0o664},
		{name: "KeepOwner on a file of our own", existing: []byte("old"), opts: []atomicfile.Option{atomicfile.KeepOwner()}, perm: 0o600},
		{name: "NoReplace creates a new file", opts: []atomicfile.Option{atomicfile.NoReplace()}, perm: 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "credentials")
			if tt.existing != nil {
				require.NoError(t, os.WriteFile(p, tt.existing, 0o644))
			}
			got, err := atomicfile.WriteFile(p, []byte("new\n"), tt.opts...)
			require.NoError(t, err)
			assert.Equal(t, p, got)
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, "new\n", string(data))
			assert.Equal(t, tt.perm, perm(t, p))
			assert.Equal(t, []string{"credentials"}, names(t, dir), "no temporary file remains")
		})
	}
}

func TestWriteFileSymlinks(t *testing.T) {
	t.Run("follows a link: the temp lands beside the real file, the link stays", func(t *testing.T) {
		linkDir, realDir := t.TempDir(), t.TempDir()
		real := filepath.Join(realDir, "credentials")
		require.NoError(t, os.WriteFile(real, []byte("old"), 0o600))
		link := filepath.Join(linkDir, "credentials")
		require.NoError(t, os.Symlink(real, link))

		got, err := atomicfile.WriteFile(link, []byte("new"))
		require.NoError(t, err)
		wantReal, err := filepath.EvalSymlinks(real)
		require.NoError(t, err)
		assert.Equal(t, wantReal, got)
		fi, err := os.Lstat(link)
		require.NoError(t, err)
		assert.Equal(t, fs.ModeSymlink, fi.Mode().Type(), "the link is kept")
		data, err := os.ReadFile(real)
		require.NoError(t, err)
		assert.Equal(t, "new", string(data))
		assert.Equal(t, []string{"credentials"}, names(t, linkDir))
		assert.Equal(t, []string{"credentials"}, names(t, realDir))
	})
	t.Run("a relative link, two hops", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "real"), []byte("old"), 0o600))
		require.NoError(t, os.Symlink("real", filepath.Join(dir, "hop")))
		require.NoError(t, os.Symlink("hop", filepath.Join(dir, "link")))
		_, err := atomicfile.WriteFile(filepath.Join(dir, "link"), []byte("new"))
		require.NoError(t, err)
		data, err := os.ReadFile(filepath.Join(dir, "real"))
		require.NoError(t, err)
		assert.Equal(t, "new", string(data))
		assert.ElementsMatch(t, []string{"hop", "link", "real"}, names(t, dir))
	})
	t.Run("NoFollow replaces the link", func(t *testing.T) {
		dir := t.TempDir()
		real := filepath.Join(dir, "real")
		require.NoError(t, os.WriteFile(real, []byte("old"), 0o600))
		link := filepath.Join(dir, "link")
		require.NoError(t, os.Symlink(real, link))
		_, err := atomicfile.WriteFile(link, []byte("new"), atomicfile.NoFollow())
		require.NoError(t, err)
		fi, err := os.Lstat(link)
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular())
		data, err := os.ReadFile(real)
		require.NoError(t, err)
		assert.Equal(t, "old", string(data), "the link's target is untouched")
	})
	t.Run("a dangling link is replaced", func(t *testing.T) {
		dir := t.TempDir()
		link := filepath.Join(dir, "link")
		require.NoError(t, os.Symlink(filepath.Join(dir, "missing"), link))
		_, err := atomicfile.WriteFile(link, []byte("new"))
		require.NoError(t, err)
		fi, err := os.Lstat(link)
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular())
		assert.Equal(t, []string{"link"}, names(t, dir))
	})
}

// Every failure leaves the directory as it was: no temporary file, the
// target untouched.
func TestWriteFileFailuresLeaveNoTemp(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the target
		opts  []atomicfile.Option
		is    error
	}{
		{
			name: "NoReplace on an existing file",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "alice.csv")
				require.NoError(t, os.WriteFile(p, []byte("the only copy of a password"), 0o600))
				return p
			},
			opts: []atomicfile.Option{atomicfile.NoReplace()},
			is:   fs.ErrExist,
		},
		{
			name: "NoReplace on a dangling link",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "alice.csv")
				require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), p))
				return p
			},
			opts: []atomicfile.Option{atomicfile.NoReplace()},
			is:   fs.ErrExist,
		},
		{
			name: "the rename fails: the target is a non-empty directory",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "state")
				require.NoError(t, os.MkdirAll(filepath.Join(p, "inside"), 0o700))
				return p
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			target := tt.setup(t, dir)
			before := names(t, dir)
			var oldData []byte
			if fi, err := os.Lstat(target); err == nil && fi.Mode().IsRegular() {
				oldData, _ = os.ReadFile(target)
			}
			_, err := atomicfile.WriteFile(target, []byte("secret"), tt.opts...)
			require.Error(t, err)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
				assert.Contains(t, err.Error(), target, "the error names the path")
			}
			assert.Equal(t, before, names(t, dir), "no temporary file remains")
			if oldData != nil {
				data, rerr := os.ReadFile(target)
				require.NoError(t, rerr)
				assert.Equal(t, oldData, data)
			}
		})
	}
	t.Run("the directory does not exist", func(t *testing.T) {
		dir := t.TempDir()
		_, err := atomicfile.WriteFile(filepath.Join(dir, "missing", "f"), []byte("x"))
		require.ErrorIs(t, err, fs.ErrNotExist)
		assert.Empty(t, names(t, dir))
	})
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	require.NoError(t, os.WriteFile(real, nil, 0o600))
	require.NoError(t, os.Symlink("real", filepath.Join(dir, "link")))
	require.NoError(t, os.Symlink("gone", filepath.Join(dir, "dangling")))
	want, err := filepath.EvalSymlinks(real)
	require.NoError(t, err)
	assert.Equal(t, want, atomicfile.Resolve(filepath.Join(dir, "link")))
	assert.Equal(t, filepath.Join(dir, "dangling"), atomicfile.Resolve(filepath.Join(dir, "dangling")))
	assert.Equal(t, filepath.Join(dir, "none"), atomicfile.Resolve(filepath.Join(dir, "none")))
}

// BenchmarkWriteFile puts the atomic write (two fsyncs, a rename) beside its
// floor, a plain os.WriteFile of the same 4 KiB.
func BenchmarkWriteFile(b *testing.B) {
	data := make([]byte, 4096)
	for _, bc := range []struct {
		name  string
		write func(path string) error
	}{
		{"floor=os.WriteFile", func(p string) error { return os.WriteFile(p, data, 0o600) }},
		{"atomicfile.WriteFile", func(p string) error { _, err := atomicfile.WriteFile(p, data); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := filepath.Join(b.TempDir(), "credentials")
			for b.Loop() {
				if err := bc.write(p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/write")
		})
	}
}

// Where hard links are not supported, NoReplace still refuses an existing
// target and still creates a new one, leaving no temporary file.
func TestNoReplaceWithoutHardLinks(t *testing.T) {
	noLinks := atomicfile.WithLink(func(o, n string) error {
		return &os.LinkError{Op: "link", Old: o, New: n, Err: syscall.EPERM}
	})
	dir := t.TempDir()
	p := filepath.Join(dir, "alice.csv")
	_, err := atomicfile.WriteFile(p, []byte("first"), atomicfile.NoReplace(), noLinks)
	require.NoError(t, err)
	_, err = atomicfile.WriteFile(p, []byte("second"), atomicfile.NoReplace(), noLinks)
	require.ErrorIs(t, err, fs.ErrExist)
	assert.Contains(t, err.Error(), p)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "first", string(data))
	assert.Equal(t, []string{"alice.csv"}, names(t, dir))
	assert.Equal(t, fs.FileMode(0o600), perm(t, p))
}
