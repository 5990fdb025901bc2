package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// fakeTTY is a terminal: what the person types, and what they are shown.
type fakeTTY struct {
	in     io.Reader
	shown  bytes.Buffer
	closed bool
}

func (f *fakeTTY) Read(p []byte) (int, error)  { return f.in.Read(p) }
func (f *fakeTTY) Write(p []byte) (int, error) { return f.shown.Write(p) }
func (f *fakeTTY) Close() error                { f.closed = true; return nil }

// decodeProcess decodes stdout as one credential_process document.
func decodeProcess(t *testing.T, out string) mfa.ProcessCredentials {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var p mfa.ProcessCredentials
	require.NoError(t, dec.Decode(&p), out)
	assert.False(t, dec.More(), "one document only")
	return p
}

func TestMFACredentialProcess(t *testing.T) {
	e := newMFAEnv(t)
	opened := 0
	var tty *fakeTTY
	e.a.openTTY = func() (io.ReadWriteCloser, error) {
		opened++
		tty = &fakeTTY{in: strings.NewReader(fakes.TOTP(e.seed, e.acct.Clock().Now()) + "\n")}
		return tty, nil
	}

	// Nothing cached: refreshed with a code asked on the terminal.
	require.Equal(t, exitOK, e.run("mfa", "credential-process", "--profile", "dev"), e.stderr.String())
	assert.Equal(t, 1, opened)
	assert.Contains(t, tty.shown.String(), "Enter AWS MFA code for device ["+e.serial+"]")
	assert.True(t, tty.closed)
	assert.Empty(t, e.stderr.String())
	p := decodeProcess(t, e.stdout.String())
	assert.Equal(t, 1, p.Version)
	assert.True(t, strings.HasPrefix(p.AccessKeyID, "ASIA"), p.AccessKeyID)
	assert.NotEmpty(t, p.SecretAccessKey)
	assert.NotEmpty(t, p.SessionToken)
	exp, err := time.Parse(time.RFC3339, p.Expiration)
	require.NoError(t, err)
	assert.Equal(t, e.acct.Clock().Now().Add(12*time.Hour).UTC().Truncate(time.Second), exp)
	assert.Equal(t, 1, e.acct.Calls("sts:GetSessionToken"))
	assert.Contains(t, e.credsFile(), "\n[dev]\n", "the session is cached in the credentials file")

	// Cached and valid: the same credentials, no terminal, no call.
	require.Equal(t, exitOK, e.run("mfa", "credential-process", "--profile", "dev"), e.stderr.String())
	assert.Equal(t, p, decodeProcess(t, e.stdout.String()))
	assert.Equal(t, 1, opened)
	assert.Equal(t, 1, e.acct.Calls("sts:GetSessionToken"))

	// Expiring and no terminal: a clear failure on stderr, nothing on stdout.
	e.acct.Clock().Advance(12*time.Hour - time.Minute)
	e.a.openTTY = func() (io.ReadWriteCloser, error) { return nil, errors.New("open /dev/tty: no such device or address") }
	before := e.credsFile()
	require.Equal(t, exitFailed, e.run("mfa", "credential-process", "--profile", "dev"))
	assert.Empty(t, e.stdout.String())
	msg := strings.TrimSpace(e.stderr.String())
	assert.Contains(t, msg, "[dev] must be refreshed (expiring) and no terminal to ask for the MFA code on (/dev/tty)")
	assert.Contains(t, msg, "run 'iamkit mfa session --profile dev' in a terminal")
	assert.NotContains(t, msg, "\n")
	assert.Equal(t, before, e.credsFile())
	assert.Equal(t, 1, e.acct.Calls("sts:GetSessionToken"))
}
