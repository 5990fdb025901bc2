// Command hostsync-keys is a minimal AuthorizedKeysCommand for hostsync:
// the cache-only part of "iamkit hostsync keys", in a binary that links
// nothing but the hostsync package, for hosts where every millisecond of
// an SSH login counts.
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
	"strings"

	"github.com/iamkit/iamkit/hostsync"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `Usage: hostsync-keys [--state-dir DIR] [--config FILE] [--max-age DURATION] [--root DIR] USER [FINGERPRINT]

Print USER's authorized_keys lines from hostsync's key cache (sshd's
AuthorizedKeysCommand: hostsync-keys %u %f). No AWS call, ever.

Flags:
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hostsync-keys", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	stateDir := fs.String("state-dir", hostsync.DefaultStateDir, "`DIR` whose keys/ is the key cache")
	config := fs.String("config", hostsync.DefaultConfigFile, "the aws-ec2-ssh configuration `FILE`, for its marker group (optional)")
	maxAge := fs.Duration("max-age", hostsync.DefaultMaxCacheAge, "trust the cache for this `DURATION` after the last complete sync")
	root := fs.String("root", "", "read `DIR`/etc/passwd and DIR/etc/group instead of /etc's")
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
	if len(pos) < 1 || len(pos) > 2 || *maxAge <= 0 {
		fmt.Fprintln(stderr, "hostsync-keys: want USER [FINGERPRINT] and a positive --max-age; see --help")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "hostsync-keys: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 1
	}
	cfg, err := hostsync.ReadOptionalConfigFile(*config)
	if err != nil {
		return fail(err)
	}
	host := &hostsync.Linux{Config: cfg, Root: *root}
	fingerprint := ""
	if len(pos) == 2 {
		fingerprint = pos[1]
	}
	lines, err := hostsync.AuthorizedKeys(ctx, pos[0], fingerprint,
		hostsync.WithKeyCache(hostsync.StateDir{Root: *stateDir}.KeyCache()),
		hostsync.WithMaxAge(*maxAge),
		hostsync.WithMarkerCheck(host.IsManaged))
	if errors.Is(err, hostsync.ErrNotManaged) {
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
