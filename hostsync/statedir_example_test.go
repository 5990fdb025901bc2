package hostsync_test

import (
	"fmt"

	"github.com/iamkit/iamkit/hostsync"
)

// Every frontend finds hostsync's files through one StateDir; the zero
// value is the layout hosts have.
func ExampleStateDir() {
	sd := hostsync.StateDir{} // --state-dir and --lock-file not given
	fmt.Println(sd.KeyCacheDir())
	fmt.Println(sd.StateFile())
	fmt.Println(sd.KeyBodiesFile())
	fmt.Println(sd.SnapshotFile())
	fmt.Println(sd.LockFile())

	// sshd's AuthorizedKeysCommand reads the same cache a sync writes.
	custom := hostsync.StateDir{Root: "/srv/iamkit"}
	// hostsync.AuthorizedKeys(ctx, user, fingerprint, hostsync.WithKeyCache(cache))
	cache := custom.KeyCache()
	fmt.Println(cache.Dir)
	// Output:
	// /var/lib/iamkit/keys
	// /var/lib/iamkit/state.json
	// /var/lib/iamkit/key-bodies.json
	// /var/lib/iamkit/snapshot.json
	// /run/iamkit-hostsync.lock
	// /srv/iamkit/keys
}
