package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemo(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("demo"), e.stderr.String())
	out := e.stdout.String()
	for i, ch := range demoChapters() {
		assert.Contains(t, out, fmt.Sprintf("== %d. %s ==", i+1, ch.title))
	}
	for _, want := range []string{
		"Created group developers",
		"alice's laptop made an ed25519 SSH key: SHA256:",
		"user alice (arn:aws:iam::123456789012:user/alice)",
		"ssh keys       created  1 uploaded",
		"Password:", "******** (",
		"█", // the QR code
		"ListMFADevices(alice): arn:aws:iam::123456789012:mfa/alice, enabled 2026-01-15 09:00:00",
		"EnableMFADevice was called 1 time(s)",
		"before\nonboarding and 09:00:00 after",     // the clock did not move
		"1 iam:CreateUser", "1 iam:EnableMFADevice", // call counts
		"-rw-------  0600", "alice.csv", "alice.otpauth", "alice-mfa.png",
		"user           existing", // onboarding again resumes
		"offboarding alice: 7 actions",
		"hostsync apply: 4 done, 0 already done, 0 failed", // the hostsync chapter (more in TestDemoHostsyncChapter)
		"Planning changed nothing",
		"Verified: user alice no longer exists.",
		"GetUser(alice): NoSuchEntity.",
		"That is the story so far.",
	} {
		assert.Contains(t, out, want)
	}
	assert.Regexp(t, `(?m)^\s+7\.\s+DeleteUser\s+done$`, out)
	assert.Empty(t, e.stderr.String())
	assert.Zero(t, e.iamBuilt, "the demo never builds a real AWS client")

	// The temporary bundle directory is gone.
	m := regexp.MustCompile(`Result\.WriteBundle\((.*)\):`).FindStringSubmatch(out)
	require.Len(t, m, 2)
	_, err := os.Stat(m[1])
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestDemoNeverPrintsSecrets(t *testing.T) {
	e := newEnv(t)
	var out bytes.Buffer
	d := newDemo(&out, e.a, t.TempDir())
	require.NoError(t, d.play(context.Background(), demoChapters()))
	require.NotNil(t, d.res)
	for name, secret := range map[string]string{
		"password":    d.res.Password,
		"MFA seed":    d.res.MFASeed,
		"otpauth URI": d.res.OTPAuthURI,
		"secret key":  d.res.SecretAccessKey,
	} {
		require.NotEmpty(t, secret, name)
		assert.NotContains(t, out.String(), secret, name)
	}
	// The bundle was written with the secrets, mode 0600.
	data, err := os.ReadFile(filepath.Join(d.dir, "alice", "alice.csv"))
	require.NoError(t, err)
	assert.Contains(t, string(data), d.res.Password)
}

func TestDemoKeep(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("demo", "--keep"), e.stderr.String())
	m := regexp.MustCompile(`The bundle is kept in (\S+) `).FindStringSubmatch(e.stdout.String())
	require.Len(t, m, 2)
	t.Cleanup(func() { os.RemoveAll(m[1]) })
	fi, err := os.Stat(filepath.Join(m[1], "alice", "alice.csv"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}
