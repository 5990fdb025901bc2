package credfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oldTime is set as the mtime of files a test expects to stay untouched, so
// that a rewrite within the same clock tick would still show.
var oldTime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

func writeOld(t *testing.T, path string, data []byte, mode os.FileMode) os.FileInfo {
	t.Helper()
	require.NoError(t, os.WriteFile(path, data, mode))
	require.NoError(t, os.Chmod(path, mode))
	require.NoError(t, os.Chtimes(path, oldTime, oldTime))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi
}

func assertUntouched(t *testing.T, path string, data []byte, before os.FileInfo) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	after, err := os.Stat(path)
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after), "file was replaced")
	assert.Equal(t, before.ModTime(), after.ModTime(), "mtime changed")
	assert.Equal(t, before.Mode(), after.Mode(), "mode changed")
}

func TestUpdateCreatesFileAndDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home", ".aws")
	path := filepath.Join(dir, "credentials")
	err := Update(path, func(f *File) error {
		return f.ReplaceSection("dev", []KeyValue{{"aws_access_key_id", "ASIA"}, {"aws_session_token", "T"}})
	})
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "[dev]\naws_access_key_id = ASIA\naws_session_token = T\n", string(got))

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())

	// No temporary files are left behind; only the lock file is.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"credentials", "credentials.lock"}, names)
}

func TestUpdateForcesMode0600(t *testing.T) {
	for _, mode := range []os.FileMode{0o600, 0o644, 0o666, 0o400} {
		t.Run(mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "credentials")
			writeOld(t, path, []byte("[p]\na = 1\n"), mode)
			require.NoError(t, Update(path, func(f *File) error { return f.Set("p", "a", "2") }))
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "[p]\na = 2\n", string(got))
		})
	}
}

func TestUpdateUnchangedDoesNotRewrite(t *testing.T) {
	tests := []struct {
		name string
		fn   func(*File) error
	}{
		{"no edit", func(*File) error { return nil }},
		{"same value", func(f *File) error { return f.Set("profile-25", "aws_access_key_id", "AKIAEXAMPLE0025") }},
		{"delete missing key", func(f *File) error { _, err := f.Delete("profile-25", "nope"); return err }},
		{"set then restore", func(f *File) error {
			if err := f.Set("profile-25", "aws_access_key_id", "X"); err != nil {
				return err
			}
			return f.Set("profile-25", "aws_access_key_id", "AKIAEXAMPLE0025")
		}},
	}
	data := readFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "credentials")
			before := writeOld(t, path, data, 0o600)
			require.NoError(t, Update(path, tt.fn))
			assertUntouched(t, path, data, before)
		})
	}
	t.Run("missing file stays missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "credentials")
		require.NoError(t, Update(path, func(*File) error { return nil }))
		_, err := os.Stat(path)
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})
}

func TestUpdateMalformedIsUntouched(t *testing.T) {
	tests := []struct {
		name string
		data string
		line int
	}{
		{"unterminated header", "[default]\naws_access_key_id = A\n\n[dev\naws_access_key_id = B\n", 4},
		{"bare word", "[default]\r\naws_access_key_id\r\n", 2},
		{"text after header", "# c\n[default] x\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "credentials")
			before := writeOld(t, path, []byte(tt.data), 0o644)
			called := false
			err := Update(path, func(f *File) error {
				called = true
				return f.Set("default", "aws_session_token", "T")
			})
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.line, pe.Line)
			assert.Contains(t, err.Error(), path)
			assert.False(t, called, "fn must not run on a malformed file")
			assertUntouched(t, path, []byte(tt.data), before)
		})
	}
}

func TestUpdateFnErrorWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	data := []byte("[p]\na = 1\n")
	before := writeOld(t, path, data, 0o600)
	errBoom := errors.New("boom")
	err := Update(path, func(f *File) error {
		require.NoError(t, f.Set("p", "a", "2"))
		return errBoom
	})
	assert.ErrorIs(t, err, errBoom)
	assertUntouched(t, path, data, before)

	assert.Error(t, Update(path, nil))
}

func TestUpdateConcurrentWriters(t *testing.T) {
	const writers = 20
	data := readFixture(t)
	path := filepath.Join(t.TempDir(), "credentials")
	writeOld(t, path, data, 0o600)

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Update(path, func(f *File) error {
				if err := f.Set(fmt.Sprintf("worker-%02d", i), "aws_session_token", fmt.Sprintf("token-%d", i)); err != nil {
					return err
				}
				// A read-modify-write: a lost update would show as a
				// count below the number of writers.
				n := 0
				if v, ok := f.Get("counter", "n"); ok {
					var err error
					if n, err = strconv.Atoi(v); err != nil {
						return err
					}
				}
				return f.Set("counter", "n", strconv.Itoa(n+1))
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, data, got[:len(data)], "the original contents must be untouched")
	f, err := Parse(got)
	require.NoError(t, err)
	for i := range writers {
		v, ok := f.Get(fmt.Sprintf("worker-%02d", i), "aws_session_token")
		assert.True(t, ok, "worker %d", i)
		assert.Equal(t, fmt.Sprintf("token-%d", i), v)
	}
	n, _ := f.Get("counter", "n")
	assert.Equal(t, strconv.Itoa(writers), n)
	assert.Len(t, f.Sections(), 51+writers+1)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestUpdateContextHonoursCancellation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	unlock, err := lock(context.Background(), path+".lock")
	require.NoError(t, err)
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	called := false
	err = UpdateContext(ctx, path, func(*File) error { called = true; return nil })
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, called)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, UpdateContext(ctx, path, func(*File) error { return nil }), context.Canceled)
}

func TestUpdateFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles-credentials")
	link := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(target, []byte("[p]\na = 1\n"), 0o600))
	require.NoError(t, os.Symlink(target, link))

	require.NoError(t, Update(link, func(f *File) error { return f.Set("p", "a", "2") }))
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSymlink, "the link must stay a link")
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "[p]\na = 2\n", string(got))
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte("[p\n"), 0o600))
	_, err = ReadFile(bad)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 1, pe.Line)

	good := filepath.Join(dir, "good")
	require.NoError(t, os.WriteFile(good, []byte("[p]\na = 1\n"), 0o600))
	f, err := ReadFile(good)
	require.NoError(t, err)
	v, _ := f.Get("p", "a")
	assert.Equal(t, "1", v)
}

// A write that fails after the temporary file was made (here the rename:
// the file was swapped for a directory while the edit ran) returns the
// error, names the file, and leaves no temporary copy of the credentials.
func TestUpdateFailedWriteLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	writeOld(t, path, []byte("[p]\naws_secret_access_key = S\n"), 0o600)
	err := Update(path, func(f *File) error {
		require.NoError(t, os.Remove(path))
		require.NoError(t, os.MkdirAll(filepath.Join(path, "inside"), 0o700))
		return f.Set("p", "aws_secret_access_key", "NEW")
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "credfile: write "+path)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"credentials", "credentials.lock"}, names)
}
