package iamuser_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteBundleRefusesAnyExistingBundleFile(t *testing.T) {
	res := &iamuser.Result{UserName: "alice", Password: "pw", MFASeed: "SEED", OTPAuthURI: "otpauth://totp/x", QRCodePNG: []byte("png")}
	for _, existing := range iamuser.BundleFiles("alice") {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, existing)
			require.NoError(t, os.WriteFile(p, []byte("earlier"), 0o600))
			paths, err := res.WriteBundle(dir)
			require.ErrorIs(t, err, fs.ErrExist)
			assert.Contains(t, err.Error(), p)
			assert.Nil(t, paths)
			assert.Equal(t, []string{existing}, dirNames(t, dir), "nothing created")
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, "earlier", string(data))
		})
	}
	t.Run("a symbolic link counts", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Symlink("/nonexistent", filepath.Join(dir, "alice.csv")))
		_, err := res.WriteBundle(dir)
		require.ErrorIs(t, err, fs.ErrExist)
	})
	t.Run("another user's bundle does not", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "bob.csv"), nil, 0o600))
		paths, err := res.WriteBundle(dir)
		require.NoError(t, err)
		assert.Len(t, paths, 3)
	})
}

func TestWriteBundleInvalidUserCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	_, err := (&iamuser.Result{UserName: "../etc/passwd"}).WriteBundle(dir)
	require.Error(t, err)
	assert.NoDirExists(t, dir)
}

func TestNextBundleDir(t *testing.T) {
	tests := []struct {
		name  string
		setup map[string]string // relative file → content
		want  string            // relative to the base
	}{
		{name: "missing directory is used", want: "out"},
		{name: "empty directory is used", setup: map[string]string{"out/": ""}, want: "out"},
		{name: "another user's bundle is no obstacle", setup: map[string]string{"out/bob.csv": "x"}, want: "out"},
		{name: "a bundle moves on to .2", setup: map[string]string{"out/alice.csv": "x"}, want: "out.2"},
		{name: "any bundle file counts", setup: map[string]string{"out/alice-mfa.png": "x", "out.2/alice.otpauth": "x"}, want: "out.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			for rel, content := range tt.setup {
				p := filepath.Join(base, rel)
				if rel[len(rel)-1] == '/' {
					require.NoError(t, os.MkdirAll(p, 0o700))
					continue
				}
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
				require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
			}
			got, err := iamuser.NextBundleDir(filepath.Join(base, "out"), "alice")
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(base, tt.want), got)
			fi, err := os.Stat(got)
			require.NoError(t, err)
			assert.True(t, fi.IsDir())
			names := dirNames(t, got)
			for _, n := range names {
				assert.NotContains(t, n, "probe", "the writability probe is removed")
			}
			res := &iamuser.Result{UserName: "alice", Password: "pw"}
			_, err = res.WriteBundle(got)
			require.NoError(t, err, "WriteBundle accepts the directory NextBundleDir chose")
		})
	}
	t.Run("the directory cannot be made", func(t *testing.T) {
		base := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(base, "file"), nil, 0o600))
		_, err := iamuser.NextBundleDir(filepath.Join(base, "file", "out"), "alice")
		require.Error(t, err)
	})
}

func TestResultHasSecrets(t *testing.T) {
	tests := []struct {
		res  iamuser.Result
		want bool
	}{
		{iamuser.Result{UserName: "a"}, false},
		{iamuser.Result{UserName: "a", AccessKeyID: "AKIA"}, false},
		{iamuser.Result{UserName: "a", Password: "p"}, true},
		{iamuser.Result{UserName: "a", MFASeed: "S"}, true},
		{iamuser.Result{UserName: "a", SecretAccessKey: "s"}, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.res.HasSecrets(), "%+v", tt.res)
	}
}
