package main

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// TestInvalidInputExitsTwo: every invalid input is exit 2, one line naming
// what is wrong (plus the pointer to --help), and nothing changed — the
// credentials file as it was, no directory made, no IAM client built.
func TestInvalidInputExitsTwo(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"clashing suffixes", []string{"mfa", "session", "--profile", "dev", "--long-term-suffix", "x", "--short-term-suffix", "x", "--token", "123456"}, "the suffixes must differ"},
		{"long-term none, short-term none", []string{"mfa", "session", "--profile", "dev", "--long-term-suffix", "none", "--token", "123456"}, "the suffixes must differ"},
		{"duration junk", []string{"mfa", "session", "--duration", "3600junk"}, `"3600junk"`},
		{"duration out of range", []string{"mfa", "session", "--duration", "1m"}, "outside STS's limits"},
		{"profile with a bracket", []string{"mfa", "session", "--profile", "de]v", "--token", "123456"}, "invalid profile"},
		{"no long-term section", []string{"mfa", "session", "--profile", "prod", "--token", "123456"}, "[prod-long-term]"},
		{"bad role", []string{"mfa", "session", "--profile", "dev", "--assume-role", "admin", "--token", "123456"}, "is not a role ARN"},
		{"bad device", []string{"mfa", "session", "--profile", "dev", "--device", "x", "--token", "123456"}, "not an MFA device serial"},
		{"bad token", []string{"mfa", "session", "--profile", "dev", "--token", "12345"}, "--token must be 6 digits"},
		{"bad margin", []string{"mfa", "session", "--margin", "soon"}, "invalid value \"soon\" for flag -margin"},
		{"bad audit source", []string{"mfa", "audit", "--source", "cloudtrail"}, "--source must be"},
		{"import: no such file", []string{"user", "import", "/nonexistent/people.csv"}, "/nonexistent/people.csv"},
		{"import: zero concurrency", []string{"user", "import", "x.csv", "--concurrency", "0"}, "--concurrency must be at least 1"},
		{"import: bad --out", []string{"user", "import", "people.csv", "--out", "/proc/iamkit-out"}, "--out:"},
		{"create: bad --out", []string{"user", "create", "-u", "zed", "--out", "/proc/iamkit-out"}, "--out:"},
		{"version with a command", []string{"--version", "user"}, "--version takes no command"},
		{"create: missing group", []string{"user", "create", "-u", "zed", "-g", "nosuch"}, `"nosuch": no such IAM group`},
		{"import: missing group", []string{"user", "import", "groups.csv"}, "nothing was created"},
		{"console: duration junk", []string{"console", "-d", "1hjunk"}, `"1hjunk": want a number of seconds`},
		{"console: negative duration", []string{"console", "--duration", "-1h"}, "cannot be negative"},
		{"console: bad region", []string{"console", "--role-arn", "arn:aws:iam::123456789012:role/RO", "--region", "us east"}, `--region "us east" is not a region name`},
		{"trust: unusable journal", []string{"trust", "add", "--role", "RO", "--principal", "123456789012", "--journal", "/proc/iamkit/journal"}, "--journal:"},
		{"trust prune: neither --role nor --all-roles", []string{"trust", "prune", "--journal", "j.jsonl"}, "missing --role NAME (or --all-roles)"},
		{"credential-process: bad margin", []string{"mfa", "credential-process", "--profile", "dev", "--margin", "5x"}, `"5x": want a number of seconds`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			require.NoError(t, os.WriteFile("people.csv", []byte("user_name\nzed\n"), 0o600))
			require.NoError(t, os.WriteFile("groups.csv", []byte("user_name,groups\nzed,\nyan,nosuch\n"), 0o600))
			e := newMFAEnv(t)
			before, err := os.ReadFile(e.credPath)
			require.NoError(t, err)

			require.Equal(t, exitUsage, e.run(c.args...), e.stderr.String())
			lines := strings.Split(strings.TrimSpace(e.stderr.String()), "\n")
			assert.Contains(t, lines[0], c.want)
			assert.LessOrEqual(t, len(lines), 2, e.stderr.String())
			if len(lines) == 2 {
				assert.Contains(t, lines[1], "--help")
			}
			after, err := os.ReadFile(e.credPath)
			require.NoError(t, err)
			assert.Equal(t, string(before), string(after), "the credentials file is untouched")
			assert.NoDirExists(t, "iamkit-out")
			assert.False(t, e.userExists("zed"))
			assert.False(t, e.userExists("yan"))
		})
	}
}

// noCredentials clears every source of AWS credentials from the
// environment, the instance metadata service included.
func noCredentials(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_SESSION_TOKEN": "", "AWS_ACCESS_KEY": "", "AWS_SECRET_KEY": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
	} {
		t.Setenv(k, v)
	}
}

// TestNoCredentials: a run without credentials fails before it creates any
// directory, naming AWS_PROFILE and the AWS_* variables, on one line.
func TestNoCredentials(t *testing.T) {
	cases := [][]string{
		{"user", "create", "-u", "alice"},
		{"user", "create", "-u", "alice", "--out", "bundles/alice"},
		{"user", "import", "people.csv"},
		{"user", "delete", "alice"},
		{"mfa", "audit"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			noCredentials(t)
			t.Chdir(t.TempDir())
			require.NoError(t, os.WriteFile("people.csv", []byte("user_name\nalice\n"), 0o600))
			e := newEnv(t)
			e.a.newIAM = e.a.loadIAM
			require.Equal(t, exitFailed, e.run(args...), e.stderr.String())
			out := strings.TrimSpace(e.stderr.String())
			assert.NotContains(t, out, "\n", "one line")
			for _, w := range []string{"no AWS credentials", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
				assert.Contains(t, out, w)
			}
			assert.NotContains(t, out, "user alice (")
			entries, err := os.ReadDir(".")
			require.NoError(t, err)
			require.Len(t, entries, 1, "no directory made")
			assert.Equal(t, "people.csv", entries[0].Name())
		})
	}

	t.Run("AWS_PROFILE names no profile", func(t *testing.T) {
		noCredentials(t)
		t.Setenv("AWS_PROFILE", "nosuch")
		t.Chdir(t.TempDir())
		e := newEnv(t)
		e.a.newIAM = e.a.loadIAM
		require.Equal(t, exitFailed, e.run("user", "create", "-u", "alice"))
		assert.Contains(t, e.stderr.String(), "AWS_PROFILE=nosuch: no such profile")
		assert.NoDirExists(t, "iamkit-out")
	})
}

// TestWarningsDoNotRepeatTheError: without -v a library warning leaves out
// the error the command prints as its last line; -v shows it.
func TestWarningsDoNotRepeatTheError(t *testing.T) {
	e := newEnv(t)
	e.a.log.Warn("onboarding step failed", "user", "alice", "error", errors.New("AccessDenied: no"))
	assert.Contains(t, e.stderr.String(), `level=WARN msg="onboarding step failed" user=alice`)
	assert.NotContains(t, e.stderr.String(), "AccessDenied")

	e.stderr.Reset()
	e.a.level.Set(slog.LevelDebug)
	e.a.log.With("step", "x").Warn("onboarding step failed", "error", "AccessDenied: no")
	assert.Contains(t, e.stderr.String(), `step=x error="AccessDenied: no"`)

	// Through a command: the failed step's error appears once.
	e = newEnv(t)
	e.acct.Inject("iam:CreateLoginProfile", fakes.Fault{Err: errors.New("LoginProfileBroken: the endpoint refused")})
	t.Chdir(t.TempDir())
	require.Equal(t, exitFailed, e.run("user", "create", "-u", "alice"))
	assert.Equal(t, 1, strings.Count(e.stderr.String(), "LoginProfileBroken"), e.stderr.String())
}

// TestDevNullIsNotATerminal: /dev/null is a character device but not a
// terminal: no QR code or progress bar goes there.
func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f))
}

// TestHelpShowsOneDefault: a flag whose usage states its default is not
// given a second "(default 0s)".
func TestHelpShowsOneDefault(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("console", "--help"))
	for _, line := range strings.Split(e.stdout.String(), "\n") {
		assert.LessOrEqual(t, strings.Count(line, "(default"), 1, line)
	}
	assert.NotContains(t, e.stdout.String(), "(default 0s)")
}
