package credfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Errors start with "credfile: " once: Parse, ReadFile and Update around a
// parse error, the edit methods around their sentinels, CredentialsPath
// around ErrNoHome.
func TestErrorPrefixOnce(t *testing.T) {
	bad := []byte("[p]\na = 1\n[unclosed\n")
	path := filepath.Join(t.TempDir(), "credentials")
	require.NoError(t, os.WriteFile(path, bad, 0o600))

	_, parseErr := Parse(bad)
	_, readErr := ReadFile(path)
	updateErr := Update(path, func(*File) error { return nil })
	f, err := Parse([]byte("[p]\n"))
	require.NoError(t, err)
	setErr := f.Set("p", "", "v")
	_, homeErr := CredentialsPath(func(string) string { return "" })
	errs := map[string]error{"Parse": parseErr, "ReadFile": readErr, "Update": updateErr, "Set": setErr}
	if homeErr != nil { // a home directory may be known from the system
		errs["CredentialsPath"] = homeErr
	}
	for name, err := range errs {
		require.Error(t, err, name)
		assert.True(t, strings.HasPrefix(err.Error(), "credfile: "), "%s: %v", name, err)
		assert.Equal(t, 1, strings.Count(err.Error(), "credfile:"), "%s: %v", name, err)
	}
	var pe *ParseError
	assert.ErrorAs(t, readErr, &pe)
	assert.ErrorIs(t, setErr, ErrInvalidKey)
}
