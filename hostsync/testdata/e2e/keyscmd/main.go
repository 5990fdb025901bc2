// Command keyscmd is the end-to-end test's fallback AuthorizedKeysCommand,
// used when "iamkit hostsync keys" cannot be built: it answers from the key
// cache in /var/lib/iamkit/keys through hostsync.AuthorizedKeys, for users
// in the default marker group only.
//
//	AuthorizedKeysCommand /path/to/keyscmd %u %f
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/iamkit/iamkit/hostsync"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: keyscmd USER [FINGERPRINT]")
		os.Exit(2)
	}
	fp := ""
	if len(os.Args) == 3 {
		fp = os.Args[2]
	}
	sys := &hostsync.Linux{}
	lines, err := hostsync.AuthorizedKeys(context.Background(), os.Args[1], fp, hostsync.WithMarkerCheck(sys.IsManaged))
	if errors.Is(err, hostsync.ErrNotManaged) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
}
