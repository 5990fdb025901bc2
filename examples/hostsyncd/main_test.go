package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/version"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, options{
		config: "/etc/aws-ec2-ssh.conf", stateDir: "/var/lib/iamkit", lockFile: hostsync.DefaultLockFile,
		interval: 10 * time.Minute, jitter: 0.1, level: slog.LevelInfo, endSessions: true, pollInterval: 15 * time.Second,
	}, o)

	o, err = parseFlags([]string{"--once", "--dry-run", "--interval", "5m", "--jitter", "25%", "--log-level", "debug", "--config", "/x.conf"}, nil)
	require.NoError(t, err)
	assert.True(t, o.once && o.dryRun)
	assert.Equal(t, 5*time.Minute, o.interval)
	assert.Equal(t, 0.25, o.jitter)
	assert.Equal(t, slog.LevelDebug, o.level)
	assert.Equal(t, "/x.conf", o.config)

	o, err = parseFlags([]string{"--strict"}, nil)
	require.NoError(t, err)
	assert.True(t, o.strict)
	assert.Len(t, o.configOptions(), 1)
	assert.Empty(t, options{}.configOptions())

	o, err = parseFlags([]string{"--jitter", "0.05"}, nil)
	require.NoError(t, err)
	assert.Equal(t, 0.05, o.jitter)

	for args, want := range map[string]string{
		"--interval 10s":    "--interval 10s is too short",
		"--jitter 100%":     "must be at least 0% and under 100%",
		"--jitter -1%":      "must be at least 0% and under 100%",
		"--jitter lots":     "not a number or a percentage",
		"--log-level loud":  "invalid value",
		"--bogus":           "flag provided but not defined: -bogus",
		"now":               `unexpected argument "now"`,
		"--interval weekly": "invalid value",
	} {
		_, err := parseFlags(strings.Fields(args), nil)
		assert.ErrorContains(t, err, want, args)
	}
}

func TestRunUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitOK, run(context.Background(), []string{"--help"}, &stdout, &stderr, nil, nil))
	for _, w := range []string{"Usage: hostsyncd [--once]", "-interval", "-jitter PERCENT", "-log-level LEVEL", "SIGHUP", "Exit codes"} {
		assert.Contains(t, stdout.String(), w)
	}
	assert.Empty(t, stderr.String())

	stdout.Reset()
	assert.Equal(t, exitUsage, run(context.Background(), []string{"--jitter", "2"}, &stdout, &stderr, nil, nil))
	assert.Equal(t, "hostsyncd: invalid value \"2\" for flag -jitter: must be at least 0% and under 100%\nRun 'hostsyncd --help' for usage.\n", stderr.String())
	assert.Empty(t, stdout.String())
}

func TestRunConfigErrorExitsTwo(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--once", "--dry-run", "--config", filepath.Join(dir, "missing.conf"), "--state-dir", dir}, nil, &stderr, nil, nil)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), `"level":"ERROR","msg":"hostsyncd: configuration error; nothing was changed"`)
	assert.Contains(t, stderr.String(), "missing.conf does not exist")

	conf := filepath.Join(dir, "bad.conf")
	require.NoError(t, os.WriteFile(conf, []byte("DONOTSYNC=0\nSUDOER_GROUPS=admins\n"), 0o644))
	stderr.Reset()
	assert.Equal(t, exitUsage, run(context.Background(), []string{"--once", "--dry-run", "--strict", "--config", conf, "--state-dir", dir}, nil, &stderr, nil, nil))
	assert.Contains(t, stderr.String(), "config line 2: SUDOER_GROUPS: unknown key", "--strict refuses an unknown key")
}

// awsServer answers STS AssumeRole and IAM ListUsers (no users), as
// AWS_ENDPOINT_URL points every client at it, and records the calls.
type awsServer struct {
	*httptest.Server
	mu      sync.Mutex
	assumes []string // RoleSessionName of each AssumeRole
	iamAuth []string // Authorization of each IAM call
}

func newAWSServer(t *testing.T) *awsServer {
	s := &awsServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		switch r.Form.Get("Action") {
		case "AssumeRole":
			s.assumes = append(s.assumes, r.Form.Get("RoleSessionName"))
			fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
				`<Credentials><AccessKeyId>ASIAASSUMEDROLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>`+
				`<SessionToken>token</SessionToken><Expiration>%s</Expiration></Credentials>`+
				`<AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/hostsync/x</Arn><AssumedRoleId>AROAEXAMPLE:x</AssumedRoleId></AssumedRoleUser>`+
				`</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
				time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		case "ListUsers":
			s.iamAuth = append(s.iamAuth, r.Header.Get("Authorization"))
			fmt.Fprint(w, `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users/>`+
				`<IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></ListUsersResponse>`)
		default:
			http.Error(w, "unexpected "+r.Form.Get("Action"), http.StatusBadRequest)
		}
	}))
	t.Cleanup(s.Close)
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": s.URL, "AWS_ACCESS_KEY_ID": "AKIDHOSTROLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
	} {
		t.Setenv(k, v)
	}
	return s
}

// TestDaemonWiring runs the daemon as main wires it — configuration file,
// config.LoadDefaultConfig, ASSUMEROLE, the IAM source, the key body cache
// — against a local server standing in for STS and IAM, with the fake host
// in place of this machine: two syncs assume the role once.
func TestDaemonWiring(t *testing.T) {
	srv := newAWSServer(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "aws-ec2-ssh.conf")
	require.NoError(t, os.WriteFile(conf, []byte("ASSUMEROLE=\"arn:aws:iam::111122223333:role/hostsync\"\n"), 0o644))
	o, err := parseFlags([]string{"--config", conf, "--state-dir", dir, "--lock-file", filepath.Join(dir, "lock")}, nil)
	require.NoError(t, err)
	var logs bytes.Buffer
	d := newDaemon(o, slog.New(slog.NewJSONHandler(&logs, nil)))
	host := fakes.NewHost()
	d.newSystem = func(hostsync.Config) hostsync.System { return host }
	stop := make(chan os.Signal, 2)
	d.stop = stop
	waits := 0
	d.after = func(time.Duration) <-chan time.Time {
		waits++
		if waits == 2 {
			stop <- syscall.SIGTERM
			return nil
		}
		ch := make(chan time.Time, 1)
		ch <- time.Now()
		return ch
	}
	require.Equal(t, exitOK, d.run(context.Background()), logs.String())
	assert.Equal(t, 2, host.Calls("MarkSynced"), "two complete syncs, each recorded by hostsync.Sync")
	hostname, _ := os.Hostname()
	assert.Equal(t, []string{hostsync.HostSessionName(hostname)}, srv.assumes, "the role is assumed once, its credentials cached")
	require.Len(t, srv.iamAuth, 2)
	for _, a := range srv.iamAuth {
		assert.Contains(t, a, "Credential=ASIAASSUMEDROLE/", "IAM is called with the role's credentials")
		assert.Contains(t, a, "/us-east-1/iam/aws4_request", "IAM defaults to us-east-1")
	}
}

func TestRunVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitOK, run(context.Background(), []string{"--version"}, &stdout, &stderr, nil, nil))
	assert.Equal(t, "hostsyncd "+version.Read().String()+"\n", stdout.String())
	assert.Empty(t, stderr.String())
}

// Durations take seconds or Go's syntax, as everywhere in iamkit.
func TestDurationFlagsTakeSeconds(t *testing.T) {
	o, err := parseFlags([]string{"--interval", "600", "--snapshot", "s3://b/k", "--snapshot-account", "123456789012", "--poll-interval", "30", "--snapshot-max-age", "2h"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, o.interval)
	assert.Equal(t, 30*time.Second, o.pollInterval)
	assert.Equal(t, 2*time.Hour, o.snap.maxAge)
	_, err = parseFlags([]string{"--interval", "10 minutes"}, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want a number of seconds (3600) or a duration (1h)")
}
