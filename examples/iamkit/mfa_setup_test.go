package main

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	setupKeyID  = "AKIASETUP00000000000"
	setupSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSETUPKEY01"
)

func (e *mfaEnv) credsFile() string {
	e.t.Helper()
	b, err := os.ReadFile(e.credPath)
	require.NoError(e.t, err)
	return string(b)
}

func TestMFASetup(t *testing.T) {
	t.Run("non-interactive: flag and environment", func(t *testing.T) {
		e := newMFAEnv(t)
		e.vars["AWS_SECRET_ACCESS_KEY"] = setupSecret
		before := e.credsFile()
		require.Equal(t, exitOK, e.run("mfa", "session", "--setup", "--profile", "ci", "--access-key-id", setupKeyID, "--device", "arn:aws:iam::123456789012:mfa/ci"), e.stderr.String())
		assert.Equal(t, before+"\n[ci-long-term]\naws_access_key_id = "+setupKeyID+"\naws_secret_access_key = "+setupSecret+"\naws_mfa_device = arn:aws:iam::123456789012:mfa/ci\n", e.credsFile())
		assert.Contains(t, e.stdout.String(), "Wrote [ci-long-term] in "+e.credPath)
		assert.NotContains(t, e.stdout.String()+e.stderr.String(), setupSecret)
	})

	t.Run("non-interactive: --secret-stdin, AWS_ACCESS_KEY_ID", func(t *testing.T) {
		e := newMFAEnv(t)
		e.vars["AWS_ACCESS_KEY_ID"] = setupKeyID
		e.vars["AWS_PROFILE"] = "ci"
		e.a.stdin = strings.NewReader(setupSecret + "\n")
		require.Equal(t, exitOK, e.run("mfa", "session", "--setup", "--secret-stdin"), e.stderr.String())
		assert.Contains(t, e.credsFile(), "[ci-long-term]\naws_access_key_id = "+setupKeyID+"\naws_secret_access_key = "+setupSecret+"\n")
	})

	t.Run("interactive: questions on stderr, the secret without echo", func(t *testing.T) {
		e := newMFAEnv(t)
		e.a.stdinTTY = true
		e.a.stdin = strings.NewReader(setupKeyID + "\n\n")
		asked := 0
		e.a.readSecret = func() (string, error) { asked++; return setupSecret, nil }
		require.Equal(t, exitOK, e.run("mfa", "session", "--setup", "--profile", "ops"), e.stderr.String())
		assert.Equal(t, 1, asked)
		assert.Contains(t, e.stderr.String(), "Access key ID for profile ops")
		assert.Contains(t, e.stderr.String(), "Secret access key (not shown)")
		assert.Contains(t, e.stderr.String(), "MFA device ARN")
		assert.NotContains(t, e.stdout.String()+e.stderr.String(), setupSecret)
		assert.Contains(t, e.credsFile(), "[ops-long-term]\naws_access_key_id = "+setupKeyID+"\naws_secret_access_key = "+setupSecret+"\n")
		assert.NotContains(t, e.credsFile(), "[ops-long-term]\naws_access_key_id = "+setupKeyID+"\naws_secret_access_key = "+setupSecret+"\naws_mfa_device")
	})

	t.Run("interactive: existing keys replaced only on yes", func(t *testing.T) {
		for answer, replaced := range map[string]bool{"n": false, "": false, "y": true, "YES": true} {
			e := newMFAEnv(t)
			e.a.stdinTTY = true
			e.a.stdin = strings.NewReader(setupKeyID + "\n" + e.serial + "\n" + answer + "\n")
			e.a.readSecret = func() (string, error) { return setupSecret, nil }
			before := e.credsFile()
			require.Equal(t, exitOK, e.run("mfa", "session", "--setup", "--profile", "dev"), e.stderr.String())
			assert.Contains(t, e.stderr.String(), "[dev-long-term] in "+e.credPath+" already holds keys")
			if replaced {
				assert.Contains(t, e.credsFile(), "aws_access_key_id = "+setupKeyID, answer)
				assert.Contains(t, e.stdout.String(), "Replaced the keys of [dev-long-term]")
			} else {
				assert.Equal(t, before, e.credsFile(), answer)
				assert.Contains(t, e.stdout.String(), "Nothing was changed.")
			}
		}
	})

	cases := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no terminal, no key ID", nil, []string{"--profile", "ci"}, "no access key ID and no terminal"},
		{"no terminal, no secret", nil, []string{"--profile", "ci", "--access-key-id", setupKeyID}, "no secret access key and no terminal"},
		{"existing keys, no --overwrite", map[string]string{"AWS_SECRET_ACCESS_KEY": setupSecret}, []string{"--profile", "dev", "--access-key-id", setupKeyID}, "already holds keys"},
		{"temporary key", map[string]string{"AWS_SECRET_ACCESS_KEY": setupSecret}, []string{"--profile", "ci", "--access-key-id", "ASIATEMP000000000000"}, "temporary key"},
		{"with --token", nil, []string{"--token", "123456"}, "--token does not go with --setup"},
		{"--overwrite without --setup", nil, nil, "--overwrite goes with --setup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newMFAEnv(t)
			for k, v := range c.vars {
				e.vars[k] = v
			}
			before := e.credsFile()
			args := append([]string{"mfa", "session", "--setup"}, c.args...)
			if c.args == nil {
				args = []string{"mfa", "session", "--overwrite"}
			}
			require.Equal(t, exitUsage, e.run(args...), e.stderr.String())
			assert.Contains(t, strings.Split(e.stderr.String(), "\n")[0], c.want)
			assert.Equal(t, before, e.credsFile())
		})
	}

	t.Run("--overwrite replaces, keeps the rest", func(t *testing.T) {
		e := newMFAEnv(t)
		e.vars["AWS_SECRET_ACCESS_KEY"] = setupSecret
		require.Equal(t, exitOK, e.run("mfa", "session", "--setup", "--profile", "dev", "--access-key-id", setupKeyID, "--overwrite"), e.stderr.String())
		assert.Equal(t, "# mine\n[dev-long-term]\naws_access_key_id = "+setupKeyID+"\naws_secret_access_key = "+setupSecret+"\naws_mfa_device = "+e.serial+"\n", e.credsFile())
	})
}

func TestLogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "DEBUG": slog.LevelDebug, "notset": slog.LevelDebug, "info": slog.LevelInfo,
		"warning": slog.LevelWarn, "WARN": slog.LevelWarn, "error": slog.LevelError, "CRITICAL": levelCritical,
	} {
		got, err := parseLogLevel(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := parseLogLevel("loud")
	assert.ErrorContains(t, err, `"loud" is not debug, info, warning, error or critical`)

	e := newMFAEnv(t)
	assert.Equal(t, exitUsage, e.run("mfa", "session", "--log-level", "loud"))
	assert.Contains(t, e.stderr.String(), "invalid value \"loud\" for flag -log-level")

	// --log-level info shows the library's info lines; the default does not.
	e.vars["AWS_SECRET_ACCESS_KEY"] = setupSecret
	require.Equal(t, exitOK, e.run("mfa", "session", "--setup", "--profile", "a", "--access-key-id", setupKeyID))
	assert.NotContains(t, e.stderr.String(), "long-term keys written")
	require.Equal(t, exitOK, e.run("--log-level", "INFO", "mfa", "session", "--setup", "--profile", "b", "--access-key-id", setupKeyID))
	assert.Contains(t, e.stderr.String(), "level=INFO msg=\"mfa: long-term keys written\" section=b-long-term")
	assert.NotContains(t, e.stderr.String(), setupSecret)
}

// FuzzParseLogLevel: any input is a known level or an error naming it,
// never a panic; the names round-trip whatever their case.
func FuzzParseLogLevel(f *testing.F) {
	for _, s := range []string{"debug", "INFO", "Warning", "warn", "error", "CRITICAL", "notset", "", "loud", " info "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseLogLevel(s)
		if err != nil {
			assert.Contains(t, err.Error(), "is not debug, info, warning, error or critical")
			return
		}
		assert.Contains(t, []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, levelCritical}, l)
		again, err := parseLogLevel(strings.ToUpper(s))
		require.NoError(t, err)
		assert.Equal(t, l, again)
	})
}
