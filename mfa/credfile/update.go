package credfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/iamkit/iamkit/internal/atomicfile"
)

// ReadFile reads and parses the file at path. A missing file is an error that
// matches fs.ErrNotExist; a malformed one gives a *ParseError (test with
// errors.As).
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credfile: %w", err)
	}
	f, err := parseOwned(data) // data is ours: no copy needed
	if err != nil {
		return nil, fmt.Errorf("credfile: %s: %w", path, err)
	}
	return f, nil
}

// Update is UpdateContext with a context that is never cancelled: it waits
// for the lock as long as it takes.
func Update(path string, fn func(*File) error) error {
	return UpdateContext(context.Background(), path, fn)
}

// UpdateContext edits the file at path under a lock and replaces it
// atomically.
//
// It takes an exclusive advisory lock (flock) on the sibling file
// path+".lock", which it creates and leaves in place, waiting for it until
// ctx is done. It then reads the file (a missing file reads as empty) and
// parses it; a parse error is returned as a *ParseError, and the file is left
// alone. It calls fn with the parsed File; if fn returns an error, that error
// is returned and nothing is written. If the contents changed, it writes them
// to a temporary file in the same directory with mode 0600, syncs it, renames
// it over path and syncs the directory; if they did not change, it writes
// nothing. The temporary file is named ".NAME.iamkit-tmp-RANDOM", beside
// the file the path resolves to; such files that a killed writer left behind
// (full copies of the file, session tokens included) are removed by the
// next update, under the lock, when they belong to the same user. The file
// ends up with mode 0600 whatever its mode was, and keeps its owner where
// the process may set it. A missing parent directory is
// created with mode 0700. If path is a symbolic link, the file it points to is
// edited and the link kept.
//
// Other programs (the AWS CLI itself, for one) do not take the lock: the
// atomic rename means they see the old or the new file, never a mix.
func UpdateContext(ctx context.Context, path string, fn func(*File) error) error {
	return updateContext(ctx, path, fn)
}

// updateContext is UpdateContext with extra options for the atomic write
// (tests interrupt a writer with atomicfile.BeforeRename).
func updateContext(ctx context.Context, path string, fn func(*File) error, wopts ...atomicfile.Option) error {
	if fn == nil {
		return errors.New("credfile: update: nil edit function")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	target := atomicfile.Resolve(path)
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("credfile: update: %w", err)
	}
	unlock, err := lock(ctx, target+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	removeStale(target) // what a killed writer left: copies of the secrets

	old, err := os.ReadFile(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return fmt.Errorf("credfile: update: %w", err)
	}
	f, err := parseOwned(old) // edits never write to f.data in place
	if err != nil {
		return fmt.Errorf("credfile: %s: %w", target, err)
	}
	if err := fn(f); err != nil {
		return err
	}
	if bytes.Equal(old, f.data) {
		return nil
	}
	if _, err := atomicfile.WriteFile(target, f.data, append([]atomicfile.Option{atomicfile.KeepOwner()}, wopts...)...); err != nil {
		return fmt.Errorf("credfile: write %s: %w", target, err)
	}
	return nil
}
