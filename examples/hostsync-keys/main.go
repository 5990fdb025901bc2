// Command hostsync-keys is a minimal AuthorizedKeysCommand for hostsync:
// the cache-only part of "iamkit hostsync keys", in a binary that links
// nothing but hostsync's read path (package hostsync/authkeys: no AWS SDK,
// no x/crypto/ssh, no os/exec), for hosts where every millisecond of an SSH
// login counts.
//
//	AuthorizedKeysCommand /usr/local/bin/hostsync-keys %u %f
//	AuthorizedKeysCommandUser nobody
//
// It prints the authorized_keys lines of the Linux user USER (only the key
// whose SHA256 fingerprint is FINGERPRINT, when given) from the key cache
// that "iamkit hostsync apply" and hostsyncd keep, and never calls AWS: it
// has no live fallback (use "iamkit hostsync keys --live-fallback" for
// that). A cache older than --max-age fails closed.
//
// Exit codes, as sshd expects them: 0 with the keys on stdout; 0 with no
// output for a user hostsync does not manage (sshd then tries its other
// sources, such as the break-glass account's authorized_keys); 1 with one
// line on stderr when the cache cannot answer (stale, missing, unsafe);
// 2 for an invalid command line. Flags go before USER.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/iamkit/iamkit/hostsync/authkeys"
	"github.com/iamkit/iamkit/internal/durflag"
	"github.com/iamkit/iamkit/internal/version"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `Usage: hostsync-keys [--state-dir DIR] [--config FILE] [--max-age DURATION] [--root DIR] USER [FINGERPRINT]
       hostsync-keys --version

Print USER's authorized_keys lines from hostsync's key cache (sshd's
AuthorizedKeysCommand: hostsync-keys %u %f). No AWS call, ever.

Flags:
`

func run(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hostsync-keys", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	stateDir := fs.String("state-dir", authkeys.DefaultStateDir, "`DIR` whose keys/ is the key cache")
	config := fs.String("config", authkeys.DefaultConfigFile, "the aws-ec2-ssh configuration `FILE`, for its marker group (optional)")
	maxAge := durflag.Duration(fs, "max-age", authkeys.DefaultMaxAge, "trust the cache for this `DURATION` after the last complete sync")
	root := fs.String("root", "", "read `DIR`/etc/passwd and DIR/etc/group instead of /etc's")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "hostsync-keys: %v\n", err)
		return 2
	}
	pos := fs.Args()
	if *showVersion {
		if len(pos) > 0 {
			fmt.Fprintln(stderr, "hostsync-keys: --version takes no USER; see --help")
			return 2
		}
		version.Print(stdout, "hostsync-keys")
		return 0
	}
	if len(pos) < 1 || len(pos) > 2 || *maxAge <= 0 {
		fmt.Fprintln(stderr, "hostsync-keys: want USER [FINGERPRINT] and a positive --max-age; see --help")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "hostsync-keys: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 1
	}
	cfg, err := authkeys.ReadConfigFile(*config)
	if err != nil {
		return fail(err)
	}
	if *stateDir == "" {
		*stateDir = authkeys.DefaultStateDir
	}
	req := authkeys.Request{
		User:     pos[0],
		CacheDir: filepath.Join(*stateDir, authkeys.KeyCacheDirName),
		Config:   cfg,
		Root:     *root,
		MaxAge:   *maxAge,
	}
	if len(pos) == 2 {
		req.Fingerprint = pos[1]
	}
	lines, err := authkeys.Lookup(req)
	if errors.Is(err, authkeys.ErrNotManaged) {
		return 0
	}
	if err != nil {
		return fail(err)
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if _, err := stdout.Write(b.Bytes()); err != nil {
		return fail(err)
	}
	return 0
}
