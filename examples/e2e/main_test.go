package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamkittest"
)

// The binaries under test, as built into binDir by TestMain.
const (
	iamkitBin        = "iamkit"
	hostsyncdBin     = "hostsyncd"
	hostsyncKeysBin  = "hostsync-keys"
	consolebrokerBin = "consolebroker"
)

// binDir holds the binaries TestMain built; empty under -short.
var binDir string

// deadProxy is a proxy URL nothing listens on (the discard port).
const deadProxy = "http://127.0.0.1:9"

// runTimeout bounds one run of a binary: a hang fails the test instead of
// the whole package timing out.
const runTimeout = time.Minute

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	dir, err := os.MkdirTemp("", "iamkit-e2e-bin-")
	if err == nil {
		// Readable by all: one test runs a binary as nobody.
		err = os.Chmod(dir, 0o755)
	}
	if err == nil {
		err = build(dir)
	}
	if err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "e2e: building the binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build builds every binary under test into dir with one go build, run
// from the module root.
func build(dir string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	cmd := exec.Command(goBin, "build", "-o", dir+string(filepath.Separator),
		"./examples/iamkit", "./examples/hostsyncd", "./examples/hostsync-keys", "./examples/consolebroker")
	cmd.Dir = filepath.Join("..", "..")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w\n%s", err, out.String())
	}
	return nil
}

// bin returns the path of a built binary, skipping the test under -short.
func bin(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() || binDir == "" {
		t.Skip("end-to-end test: builds and runs the binaries (not with -short)")
	}
	return filepath.Join(binDir, name)
}

// world is one test's server and the environment the binaries run in.
type world struct {
	t    *testing.T
	srv  *iamkittest.Server // nil for newWorldless
	cfg  aws.Config         // the root's: for seeding and inspecting over the wire
	home string             // HOME, with the AWS config and credentials files
	env  map[string]string
}

// newWorld starts a server and prepares a clean environment for the
// binaries: PATH, HOME in a temporary directory, AWS_ENDPOINT_URL at the
// server, the account root's access key, the region, IMDS off, the shared
// config and credentials files inside HOME (empty unless a test writes
// them), and a dead proxy for anything off the loopback interface.
// Nothing else of the test process's environment leaks in.
func newWorld(t *testing.T) *world {
	t.Helper()
	bin(t, iamkitBin) // skips under -short
	w := newWorldless(t)
	w.srv = iamkittest.NewServer(t)
	w.cfg = w.srv.Config()
	creds, err := w.cfg.Credentials.Retrieve(t.Context())
	require.NoError(t, err)
	w.env["AWS_ENDPOINT_URL"] = w.srv.URL()
	w.env["AWS_ACCESS_KEY_ID"] = creds.AccessKeyID
	w.env["AWS_SECRET_ACCESS_KEY"] = creds.SecretAccessKey
	w.env["AWS_REGION"] = w.srv.Account().Region()
	return w
}

// newWorldless is newWorld without a server: no endpoint, no keys, no
// region in the environment.
func newWorldless(t *testing.T) *world {
	t.Helper()
	home := t.TempDir()
	w := &world{t: t, home: home, env: map[string]string{
		"PATH":                        os.Getenv("PATH"),
		"HOME":                        home,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, ".aws", "credentials"),
		// A dead proxy for everything but the loopback interface (which
		// Go never proxies): a binary that tried to reach real AWS, or
		// anything else off this machine, fails at once instead of
		// leaking out or hanging.
		"HTTPS_PROXY": deadProxy,
		"HTTP_PROXY":  deadProxy,
	}}
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".aws"), 0o700))
	return w
}

// environ renders w.env with extra on top; an empty value in extra removes
// the variable.
func (w *world) environ(extra map[string]string) []string {
	merged := map[string]string{}
	for k, v := range w.env {
		merged[k] = v
	}
	for k, v := range extra {
		if v == "" {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	env := make([]string, 0, len(merged))
	for k, v := range merged {
		env = append(env, k+"="+v)
	}
	return env
}

// result is one finished run of a binary.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs a built binary to completion in w's environment (plus extra),
// in HOME, with stdin, and returns its exit code and output.
func (w *world) run(name string, extra map[string]string, stdin string, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin(w.t, name), args...)
	cmd.Env = w.environ(extra)
	cmd.Dir = w.home
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		calls := "(no server)"
		if w.srv != nil {
			calls = w.srv.Account().CallSummary()
		}
		w.t.Fatalf("%s %s did not finish within %s; calls: %s\n%s", name, strings.Join(args, " "), runTimeout, calls, r)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		w.t.Fatalf("running %s %s: %v", name, strings.Join(args, " "), err)
	}
	r.code = cmd.ProcessState.ExitCode()
	return r
}

// iamkit runs the iamkit binary with args in w's environment.
func (w *world) iamkit(args ...string) result {
	w.t.Helper()
	return w.run(iamkitBin, nil, "", args...)
}
