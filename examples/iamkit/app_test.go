package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/version"
)

func TestHelp(t *testing.T) {
	cases := []struct {
		path []string
		want []string
	}{
		{nil, []string{"Usage: iamkit [--verbose] [--version] COMMAND", "user", "demo", "Exit codes", "--version"}},
		{[]string{"user"}, []string{"Usage: iamkit user COMMAND", "create", "delete", "import"}},
		{[]string{"user", "create"}, []string{"Usage: iamkit user create -u NAME", "-access-key", "-ssh-key FILE", "-no-mfa", "-no-console", "-out DIR", "-path PATH", "0600", "Examples:", "iamkit user create -u alice -g developers"}},
		{[]string{"user", "delete"}, []string{"Usage: iamkit user delete NAME [--dry-run]", "-dry-run", "Examples:"}},
		{[]string{"user", "import"}, []string{"Usage: iamkit user import FILE.csv", "-concurrency N", "user_name, groups, path", "Examples:"}},
		{[]string{"demo"}, []string{"Usage: iamkit demo", "-keep", "through real AWS SDK clients", "Examples:"}},
	}
	for _, c := range cases {
		name := strings.Join(append([]string{"iamkit"}, c.path...), " ")
		forms := map[string][]string{
			"--help": append(append([]string{}, c.path...), "--help"),
			"-h":     append(append([]string{}, c.path...), "-h"),
			"help":   append([]string{"help"}, c.path...),
		}
		for form, args := range forms {
			t.Run(name+" "+form, func(t *testing.T) {
				e := newEnv(t)
				require.Equal(t, exitOK, e.run(args...), e.stderr.String())
				for _, w := range c.want {
					assert.Contains(t, e.stdout.String(), w)
				}
				assert.Contains(t, e.stdout.String(), "-verbose")
				assert.Empty(t, e.stderr.String())
				assert.Zero(t, e.iamBuilt, "help must not build an AWS client")
			})
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "iamkit: missing command"},
		{[]string{"bogus"}, `iamkit: unknown command "bogus"`},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"user"}, "iamkit user: missing command"},
		{[]string{"user", "bogus"}, `iamkit user: unknown command "bogus"`},
		{[]string{"user", "create"}, "iamkit user create: missing -u NAME"},
		{[]string{"user", "create", "-u"}, "flag needs an argument: -u"},
		{[]string{"user", "create", "-u", "a b"}, `invalid user name "a b"`},
		{[]string{"user", "create", "-u", strings.Repeat("a", 65)}, "IAM allows at most 64"},
		{[]string{"user", "create", "-u", "alice", "extra"}, `unexpected argument "extra"`},
		{[]string{"user", "create", "-u", "alice", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"user", "create", "-u", "alice", "--qr", "sometimes"}, "--qr must be auto, always or never"},
		{[]string{"user", "create", "-u", "alice", "--tag", "novalue"}, `--tag "novalue" is not KEY=VALUE`},
		{[]string{"user", "create", "-u", "alice", "--ssh-key", "/nonexistent/key.pub"}, "--ssh-key"},
		{[]string{"user", "create", "-u", "alice", "--path", "no-slashes"}, `invalid path "no-slashes"`},
		{[]string{"user", "create", "-u", "alice", "-g", "bad group!"}, "not a valid IAM group name"},
		{[]string{"user", "delete"}, "iamkit user delete: missing the user NAME"},
		{[]string{"user", "delete", "alice", "bob"}, `one user at a time: unexpected argument "bob"`},
		{[]string{"user", "delete", "not/valid"}, `invalid user name "not/valid"`},
		{[]string{"user", "import"}, "iamkit user import: missing the CSV FILE"},
		{[]string{"user", "import", "a.csv", "b.csv"}, `one file at a time`},
		{[]string{"user", "import", "a.csv", "--concurrency", "0"}, "--concurrency must be at least 1"},
		{[]string{"user", "import", "a.csv", "--concurrency", "many"}, `invalid value "many"`},
		{[]string{"demo", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			e := newEnv(t)
			t.Chdir(t.TempDir())
			assert.Equal(t, exitUsage, e.run(c.args...))
			assert.Contains(t, e.stderr.String(), c.want)
			assert.Zero(t, e.acct.CallsWithPrefix("iam:"), "a usage error must not call AWS")
			_, err := os.Stat("iamkit-out")
			assert.ErrorIs(t, err, os.ErrNotExist, "a usage error must not leave a bundle directory")
		})
	}
}

func TestUsageErrorPointsAtHelp(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitUsage, e.run("user", "create"))
	assert.Equal(t, "iamkit user create: missing -u NAME\nRun 'iamkit user create --help' for usage.\n", e.stderr.String())
	assert.Empty(t, e.stdout.String())

	// A group without a command shows its usage on stderr, not stdout.
	require.Equal(t, exitUsage, e.run("user"))
	assert.Contains(t, e.stderr.String(), "Usage: iamkit user COMMAND")
	assert.Empty(t, e.stdout.String())
}

func TestClientErrorExitsOne(t *testing.T) {
	e := newEnv(t)
	e.a.newIAM = func(context.Context) (iamuser.API, error) {
		return nil, errors.New("loading AWS configuration: no such profile")
	}
	assert.Equal(t, exitFailed, e.run("user", "delete", "alice"))
	assert.Equal(t, "iamkit user delete: loading AWS configuration: no such profile\n", e.stderr.String())
}

func TestVerbose(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--verbose", "user", "create", "-u", "alice", "--out", dir},
		{"user", "create", "-v", "-u", "alice", "--out", dir},
	} {
		e := newEnv(t)
		require.Equal(t, exitOK, e.run(args...), e.stderr.String())
		assert.Contains(t, e.stderr.String(), "msg=onboarded", "--verbose shows the library's logs")
		for _, s := range e.secrets("alice") {
			assert.NotContains(t, e.stderr.String(), s, "logs never hold a secret")
		}
	}

	e := newEnv(t)
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--out", dir))
	assert.Empty(t, e.stderr.String(), "without --verbose only warnings and errors reach stderr")
}

func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		args    []string
		pos     []string
		dryRun  bool
		count   int
		wantErr string
	}{
		{args: nil},
		{args: []string{"alice"}, pos: []string{"alice"}},
		{args: []string{"alice", "--dry-run"}, pos: []string{"alice"}, dryRun: true},
		{args: []string{"--dry-run", "alice"}, pos: []string{"alice"}, dryRun: true},
		{args: []string{"a", "-n", "3", "b", "--dry-run", "c"}, pos: []string{"a", "b", "c"}, dryRun: true, count: 3},
		{args: []string{"a", "--", "--dry-run", "-n"}, pos: []string{"a", "--dry-run", "-n"}},
		{args: []string{"--", "-x"}, pos: []string{"-x"}},
		{args: []string{"a", "-x"}, wantErr: "flag provided but not defined: -x"},
		{args: []string{"a", "-n"}, wantErr: "flag needs an argument: -n"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			dry := fs.Bool("dry-run", false, "")
			n := fs.Int("n", 0, "")
			pos, err := parseInterspersed(fs, c.args)
			if c.wantErr != "" {
				require.ErrorContains(t, err, c.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.pos, pos)
			assert.Equal(t, c.dryRun, *dry)
			assert.Equal(t, c.count, *n)
		})
	}
}

func TestMask(t *testing.T) {
	assert.Equal(t, "(none)", mask(""))
	assert.Equal(t, "******** (3 characters)", mask("abc"))
	assert.NotContains(t, mask("s3cr3t-P@ss"), "s3")
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f), "a regular file is not a terminal")
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.False(t, isTerminal(w), "a pipe is not a terminal")
}

// TestLoadIAMUsesTheStandardChain runs a command with the default client
// factory against a local HTTP server standing in for IAM, selected the way
// users select an emulator: AWS_ENDPOINT_URL, with credentials from the
// environment and no region configured.
func TestLoadIAMUsesTheStandardChain(t *testing.T) {
	var (
		mu    sync.Mutex
		auths []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "GetUser" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">`+
			`<Error><Type>Sender</Type><Code>NoSuchEntity</Code>`+
			`<Message>The user with name %s cannot be found.</Message></Error>`+
			`<RequestId>4c1f7e1a-0000-0000-0000-000000000000</RequestId></ErrorResponse>`, r.Form.Get("UserName"))
	}))
	defer srv.Close()

	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            srv.URL,
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLETEST",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		t.Setenv(k, v)
	}

	e := newEnv(t)
	e.a.newIAM = e.a.loadIAM
	require.Equal(t, exitOK, e.run("user", "delete", "alice", "--dry-run"), e.stderr.String())
	assert.Equal(t, "user alice does not exist: nothing to do\n", e.stdout.String())
	require.Len(t, auths, 1)
	assert.Contains(t, auths[0], "Credential=AKIDEXAMPLETEST/", "credentials come from the environment")
	assert.Contains(t, auths[0], "/us-east-1/iam/aws4_request", "IAM defaults to us-east-1 when no region is set")
}

func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-version"} {
		e := newEnv(t)
		require.Equal(t, exitOK, e.run(flag), e.stderr.String())
		want := "iamkit " + version.Read().String() + "\n"
		assert.Equal(t, want, e.stdout.String())
		assert.Contains(t, e.stdout.String(), runtime.Version())
		assert.Empty(t, e.stderr.String())
		assert.Zero(t, e.iamBuilt)
	}
	e := newEnv(t)
	assert.Equal(t, exitUsage, e.run("--version", "user"))
	assert.Contains(t, e.stderr.String(), "--version takes no command")
}
