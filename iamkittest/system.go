package iamkittest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
)

// Test users, groups and UIDs of TestSystem.
const (
	// TestSystemUserPrefix starts the names of the users TestSystem creates
	// ("iamkitt1", "iamkitt2", ...; names already taken are skipped).
	TestSystemUserPrefix = "iamkitt"
	// TestSystemMarkerGroup is the marker group of TestSystem's users; it
	// and the groups TestSystemGroup1 and TestSystemGroup2 stay on the host
	// (hostsync.System cannot delete groups).
	TestSystemMarkerGroup = "iamkitt-marker"
	// TestSystemGroup1 and TestSystemGroup2 are supplementary groups
	// TestSystem adds its users to.
	TestSystemGroup1 = "iamkitt-g1"
	TestSystemGroup2 = "iamkitt-g2"
	// TestSystemUIDBase is the first UID TestSystem gives a user (UIDs
	// already taken are skipped): just above hostsync's default UID range
	// (hostsync.DefaultUIDMax), so it never collides with synced users,
	// and below 2^31.
	TestSystemUIDBase = 2_100_000_000
)

// TestSystem checks an implementation of hostsync.System against the
// contract documented on that interface, in the spirit of
// testing/fstest.TestFS: ListUsers and LookupUser fill in Name, UID, Groups,
// Locked and Sudo, and an unknown user wraps hostsync.ErrNoSuchUser;
// CreateUser makes a member of the marker group (groups[0]) and the other
// groups, refuses a taken name with an error wrapping
// hostsync.ErrUserExists and a taken UID with another error, creating
// nothing; AddGroups adds and never removes, idempotently; Lock and Unlock
// are idempotent and show in Locked (and, for a System that has a
// Shell(name string) string method, in the login shell); EndSessions is
// idempotent; WriteKeys and ReadKeys round-trip, no keys removing the
// entry; GrantSudo, RevokeSudo and AdoptSudo (which, with no aws-ec2-ssh
// sudoers file to replace, grants) are idempotent and show in Sudo;
// Rename keeps the UID, groups, keys and sudo under the new name, leaves
// nothing under the old one, refuses a taken name (hostsync.ErrUserExists)
// and a missing user (hostsync.ErrNoSuchUser) and, for a System with a
// StartSession(name string) method (like Host's), a user with a running
// process (hostsync.ErrUserBusy), changing nothing;
// SaveState and LoadState round-trip; MarkSynced succeeds, repeated too,
// and, for a System that reads the heartbeat back with a LastSync() method
// (returning (time.Time, bool) like Host's, or (time.Time, error) like
// hostsync.KeyCache's), records exactly the time given, later or earlier
// than the one before (to the second: times are whole seconds); Delete
// removes the account with its keys and sudo, and a missing account wraps
// hostsync.ErrNoSuchUser.
//
// TestSystem CREATES AND DELETES REAL USERS on the host sys manages: users
// named TestSystemUserPrefix followed by a number, with UIDs from
// TestSystemUIDBase, in the groups TestSystemMarkerGroup, TestSystemGroup1
// and TestSystemGroup2 (which it leaves behind). It also overwrites the
// persisted hostsync state, restoring it at the end (a host that had none
// is left with an empty one), and the sync heartbeat (MarkSynced), which it
// restores when the System reads it back with a LastSync method (as
// hostsync.Linux does); a host that had none, or whose System cannot read
// it back, is left with a heartbeat 30 days old, which no key cache trusts
// — never with a fresh one, which would make a cache answer logins again
// as after a successful sync. Run it against hostsync.Linux only on a
// throwaway host or inside an isolated namespace (a mount namespace with
// its own copy of /etc and its own /home and /var/lib), never on a machine
// people use. iamkit's own TestE2ESystem (hostsync/e2e_system_test.go) does
// it that way, as root, and checks afterwards that the machine's account
// databases and sudoers drop-ins did not change.
//
// Every failure is reported with tb.Errorf, naming the call and what the
// contract wanted. TestSystem calls no method of tb but Helper and Errorf
// (so it never stops the test itself, and runs with any testing.TB); it
// stops early only when a failure leaves nothing sensible to check. It removes
// the users it created before returning, also after failures.
func TestSystem(tb testing.TB, sys hostsync.System) {
	tb.Helper()
	c := &sysCheck{tb: tb, sys: sys, ctx: context.Background()}
	c.run()
}

type sysCheck struct {
	tb    testing.TB
	sys   hostsync.System
	ctx   context.Context
	names []string
	uids  []int
}

func (c *sysCheck) errorf(format string, args ...any) {
	c.tb.Helper()
	c.tb.Errorf("TestSystem: "+format, args...)
}

// pick chooses n unused names and UIDs.
func (c *sysCheck) pick(users []hostsync.HostUser, n int) {
	names := map[string]bool{}
	uids := map[int]bool{}
	for _, u := range users {
		names[u.Name] = true
		uids[u.UID] = true
	}
	for i := 1; len(c.names) < n; i++ {
		if name := TestSystemUserPrefix + strconv.Itoa(i); !names[name] {
			c.names = append(c.names, name)
		}
	}
	for uid := TestSystemUIDBase; len(c.uids) < n; uid++ {
		if !uids[uid] {
			c.uids = append(c.uids, uid)
		}
	}
}

func (c *sysCheck) cleanup() {
	c.tb.Helper()
	for _, name := range c.names {
		if _, err := c.sys.LookupUser(c.ctx, name); err != nil {
			continue
		}
		if err := c.sys.Delete(c.ctx, name); err != nil {
			c.errorf("removing test user %s: %v", name, err)
		}
	}
}

func (c *sysCheck) run() {
	c.tb.Helper()
	ctx, sys := c.ctx, c.sys
	users, err := sys.ListUsers(ctx)
	if err != nil {
		c.errorf("ListUsers: %v", err)
		return
	}
	for _, u := range users {
		if u.Name == "" || u.UID < 0 {
			c.errorf("ListUsers lists a user with name %q and UID %d", u.Name, u.UID)
		}
	}
	c.pick(users, 4)
	defer c.cleanup()
	u1, u2, u3 := c.names[0], c.names[1], c.names[2]
	uid1, uid2, uid3 := c.uids[0], c.uids[1], c.uids[2]
	m, g1, g2 := TestSystemMarkerGroup, TestSystemGroup1, TestSystemGroup2

	if _, err := sys.LookupUser(ctx, u1); !errors.Is(err, hostsync.ErrNoSuchUser) {
		c.errorf("LookupUser(%s) of a missing user = %v, want an error wrapping hostsync.ErrNoSuchUser", u1, err)
	}

	// CreateUser.
	if err := sys.CreateUser(ctx, u1, uid1, []string{m, g1}); err != nil {
		c.errorf("CreateUser(%s, %d, [%s %s]): %v", u1, uid1, m, g1, err)
		return
	}
	if !c.expect(u1, uid1, []string{m, g1}, nil, false, false) {
		return
	}
	if gl, ok := sys.(hostsync.GroupLister); ok {
		groups, err := gl.ListGroups(ctx)
		if err != nil {
			c.errorf("ListGroups: %v", err)
		}
		for _, g := range []string{m, g1} {
			if !slices.Contains(groups, g) {
				c.errorf("after CreateUser(%s, [%s %s]), ListGroups does not list %s", u1, m, g1, g)
			}
		}
	}
	if err := sys.CreateUser(ctx, u1, uid3, []string{m}); !errors.Is(err, hostsync.ErrUserExists) {
		c.errorf("CreateUser(%s, %d) of an existing name = %v, want an error wrapping hostsync.ErrUserExists", u1, uid3, err)
	}
	err = sys.CreateUser(ctx, u3, uid1, []string{m})
	switch {
	case err == nil:
		c.errorf("CreateUser(%s, %d) with the UID of %s succeeded, want an error", u3, uid1, u1)
	case errors.Is(err, hostsync.ErrUserExists):
		c.errorf("CreateUser(%s, %d) with a taken UID = %v, which wraps hostsync.ErrUserExists (that means a taken name)", u3, uid1, err)
	}
	if _, err := sys.LookupUser(ctx, u3); !errors.Is(err, hostsync.ErrNoSuchUser) {
		c.errorf("after CreateUser(%s) with a taken UID failed, LookupUser(%s) = %v, want hostsync.ErrNoSuchUser", u3, u3, err)
	}
	c.expect(u1, uid1, []string{m, g1}, nil, false, false)
	if err := sys.CreateUser(ctx, u2, uid2, []string{m}); err != nil {
		c.errorf("CreateUser(%s, %d, [%s]): %v", u2, uid2, m, err)
		return
	}
	c.expect(u2, uid2, []string{m}, []string{g1}, false, false)

	// AddGroups.
	for i, groups := range [][]string{{g2, g1}, {g2, g1}, nil} {
		if err := sys.AddGroups(ctx, u1, groups); err != nil {
			c.errorf("AddGroups(%s, %v) (call %d): %v", u1, groups, i+1, err)
		}
		c.expect(u1, uid1, []string{m, g1, g2}, nil, false, false)
	}
	c.expect(u2, uid2, []string{m}, []string{g1, g2}, false, false)

	// Lock, Unlock.
	for i := range 2 {
		if err := sys.Lock(ctx, u1); err != nil {
			c.errorf("Lock(%s) (call %d): %v", u1, i+1, err)
		}
		c.expect(u1, uid1, []string{m, g1, g2}, nil, true, false)
		c.shell(u1, true)
	}
	c.expect(u2, uid2, []string{m}, nil, false, false)
	for i := range 2 {
		if err := sys.Unlock(ctx, u1); err != nil {
			c.errorf("Unlock(%s) (call %d): %v", u1, i+1, err)
		}
		c.expect(u1, uid1, []string{m, g1, g2}, nil, false, false)
		c.shell(u1, false)
	}

	// EndSessions.
	for i := range 2 {
		if err := sys.EndSessions(ctx, u1); err != nil {
			c.errorf("EndSessions(%s) (call %d): %v", u1, i+1, err)
		}
	}

	// ReadKeys, WriteKeys.
	keys := testKeys()
	c.keys(u1, nil)
	for i, want := range [][]hostsync.Key{keys, keys, keys[:1], nil, keys} {
		if err := sys.WriteKeys(ctx, u1, want); err != nil {
			c.errorf("WriteKeys(%s, %d keys) (step %d): %v", u1, len(want), i+1, err)
		}
		c.keys(u1, want)
	}
	c.keys(u2, nil)

	// GrantSudo, RevokeSudo.
	for i := range 2 {
		if err := sys.GrantSudo(ctx, u1); err != nil {
			c.errorf("GrantSudo(%s) (call %d): %v", u1, i+1, err)
		}
		c.expect(u1, uid1, []string{m, g1, g2}, nil, false, true)
	}
	c.expect(u2, uid2, []string{m}, nil, false, false)
	for i := range 2 {
		if err := sys.RevokeSudo(ctx, u1); err != nil {
			c.errorf("RevokeSudo(%s) (call %d): %v", u1, i+1, err)
		}
		c.expect(u1, uid1, []string{m, g1, g2}, nil, false, false)
	}
	// AdoptSudo with no aws-ec2-ssh file grants like GrantSudo.
	for i := range 2 {
		if err := sys.AdoptSudo(ctx, u1); err != nil {
			c.errorf("AdoptSudo(%s) (call %d): %v", u1, i+1, err)
		}
		c.expect(u1, uid1, []string{m, g1, g2}, nil, false, true)
	}
	if err := sys.RevokeSudo(ctx, u1); err != nil {
		c.errorf("RevokeSudo(%s) after AdoptSudo: %v", u1, err)
	}
	c.expect(u1, uid1, []string{m, g1, g2}, nil, false, false)

	c.rename(u1, u3, u2, c.names[3], uid1, []string{m, g1, g2}, keys)

	c.state()
	c.heartbeat()

	// Delete, with keys and sudo in place, then a re-creation that must
	// start clean.
	if err := sys.GrantSudo(ctx, u1); err != nil {
		c.errorf("GrantSudo(%s): %v", u1, err)
	}
	if err := sys.Delete(ctx, u1); err != nil {
		c.errorf("Delete(%s): %v", u1, err)
		return
	}
	if _, err := sys.LookupUser(ctx, u1); !errors.Is(err, hostsync.ErrNoSuchUser) {
		c.errorf("after Delete(%s), LookupUser = %v, want an error wrapping hostsync.ErrNoSuchUser", u1, err)
	}
	if c.listed(u1) != nil {
		c.errorf("after Delete(%s), ListUsers still lists it", u1)
	}
	c.keys(u1, nil)
	if err := sys.Delete(ctx, u1); !errors.Is(err, hostsync.ErrNoSuchUser) {
		c.errorf("Delete(%s) of a deleted user = %v, want an error wrapping hostsync.ErrNoSuchUser", u1, err)
	}
	c.expect(u2, uid2, []string{m}, nil, false, false)
	if err := sys.CreateUser(ctx, u1, uid1, []string{m}); err != nil {
		c.errorf("CreateUser(%s) again after Delete: %v", u1, err)
		return
	}
	c.expect(u1, uid1, []string{m}, []string{g2}, false, false)
	c.keys(u1, nil)
	for _, name := range []string{u1, u2} {
		if err := sys.Delete(ctx, name); err != nil {
			c.errorf("Delete(%s): %v", name, err)
		}
	}
}

// sessionStarter is a System that can start a process of a user, which
// EndSessions ends: TestSystem then checks that Rename refuses to rename a
// user with running processes.
type sessionStarter interface {
	StartSession(name string)
}

// rename checks Rename: name (UID uid, in groups, with keys, given sudo
// here) is renamed to spare and back, keeping UID, groups, keys and sudo;
// the old name is gone; renaming onto taken or renaming missing fails with
// the right error and changes nothing; with a running process (for a
// System that can start one) it fails with hostsync.ErrUserBusy and
// changes nothing.
func (c *sysCheck) rename(name, spare, taken, missing string, uid int, groups []string, keys []hostsync.Key) {
	c.tb.Helper()
	ctx, sys := c.ctx, c.sys
	if err := sys.GrantSudo(ctx, name); err != nil {
		c.errorf("GrantSudo(%s): %v", name, err)
	}
	if err := sys.Rename(ctx, name, taken); !errors.Is(err, hostsync.ErrUserExists) {
		c.errorf("Rename(%s, %s) onto an existing user = %v, want an error wrapping hostsync.ErrUserExists", name, taken, err)
	}
	c.expect(name, uid, groups, nil, false, true)
	c.keys(name, keys)
	if err := sys.Rename(ctx, missing, spare); !errors.Is(err, hostsync.ErrNoSuchUser) {
		c.errorf("Rename(%s, %s) of a missing user = %v, want an error wrapping hostsync.ErrNoSuchUser", missing, spare, err)
	}
	if s, ok := sys.(sessionStarter); ok {
		s.StartSession(name)
		if err := sys.Rename(ctx, name, spare); !errors.Is(err, hostsync.ErrUserBusy) {
			c.errorf("Rename(%s, %s) of a user with a running process = %v, want an error wrapping hostsync.ErrUserBusy", name, spare, err)
		}
		if err := sys.EndSessions(ctx, name); err != nil {
			c.errorf("EndSessions(%s): %v", name, err)
		}
		if _, err := sys.LookupUser(ctx, spare); !errors.Is(err, hostsync.ErrNoSuchUser) {
			c.errorf("after a refused Rename(%s, %s), LookupUser(%s) = %v, want hostsync.ErrNoSuchUser", name, spare, spare, err)
		}
		c.expect(name, uid, groups, nil, false, true)
		c.keys(name, keys)
	}
	for _, step := range [][2]string{{name, spare}, {spare, name}} {
		from, to := step[0], step[1]
		if err := sys.Rename(ctx, from, to); err != nil {
			c.errorf("Rename(%s, %s): %v", from, to, err)
			return
		}
		if _, err := sys.LookupUser(ctx, from); !errors.Is(err, hostsync.ErrNoSuchUser) {
			c.errorf("after Rename(%s, %s), LookupUser(%s) = %v, want an error wrapping hostsync.ErrNoSuchUser", from, to, from, err)
		}
		if c.listed(from) != nil {
			c.errorf("after Rename(%s, %s), ListUsers still lists %s", from, to, from)
		}
		c.keys(from, nil)
		c.expect(to, uid, groups, nil, false, true)
		c.keys(to, keys)
		// Again, as the next sync does after a rename cut short: with
		// nothing left under the old name, nothing changes.
		if err := sys.Rename(ctx, from, to); err != nil {
			c.errorf("Rename(%s, %s) once %s is renamed (finishing a cut-short rename): %v, want nil", from, to, from, err)
		}
		c.expect(to, uid, groups, nil, false, true)
		c.keys(to, keys)
	}
	if err := sys.RevokeSudo(ctx, name); err != nil {
		c.errorf("RevokeSudo(%s): %v", name, err)
	}
}

// expect checks a user as LookupUser and ListUsers show it: its UID, that
// it is in every group of in (each listed once) and in none of out, its
// Locked and Sudo. It reports whether the user was found.
func (c *sysCheck) expect(name string, uid int, in, out []string, locked, sudo bool) bool {
	c.tb.Helper()
	u, err := c.sys.LookupUser(c.ctx, name)
	if err != nil {
		c.errorf("LookupUser(%s): %v", name, err)
		return false
	}
	c.compare("LookupUser", u, name, uid, in, out, locked, sudo)
	if l := c.listed(name); l == nil {
		c.errorf("ListUsers does not list %s", name)
	} else {
		c.compare("ListUsers", *l, name, uid, in, out, locked, sudo)
	}
	return true
}

func (c *sysCheck) compare(call string, u hostsync.HostUser, name string, uid int, in, out []string, locked, sudo bool) {
	c.tb.Helper()
	if u.Name != name || u.UID != uid {
		c.errorf("%s shows %s as %q with UID %d, want UID %d", call, name, u.Name, u.UID, uid)
	}
	for _, g := range in {
		switch n := count(u.Groups, g); n {
		case 1:
		case 0:
			c.errorf("%s: %s is not in group %s (groups %v)", call, name, g, u.Groups)
		default:
			c.errorf("%s: %s lists group %s %d times (groups %v)", call, name, g, n, u.Groups)
		}
	}
	for _, g := range out {
		if slices.Contains(u.Groups, g) {
			c.errorf("%s: %s is in group %s, which it was never added to (groups %v)", call, name, g, u.Groups)
		}
	}
	if u.Locked != locked {
		c.errorf("%s: %s has Locked %v, want %v", call, name, u.Locked, locked)
	}
	if u.Sudo != sudo {
		c.errorf("%s: %s has Sudo %v, want %v", call, name, u.Sudo, sudo)
	}
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// listed returns the user as ListUsers shows it, nil if it does not.
func (c *sysCheck) listed(name string) *hostsync.HostUser {
	c.tb.Helper()
	users, err := c.sys.ListUsers(c.ctx)
	if err != nil {
		c.errorf("ListUsers: %v", err)
		return nil
	}
	for i := range users {
		if users[i].Name == name {
			return &users[i]
		}
	}
	return nil
}

// shell checks the login shell of a System that exposes it.
func (c *sysCheck) shell(name string, locked bool) {
	c.tb.Helper()
	s, ok := c.sys.(interface{ Shell(name string) string })
	if !ok {
		return
	}
	sh := s.Shell(name)
	if got := strings.HasSuffix(sh, "nologin") || strings.HasSuffix(sh, "/false"); got != locked {
		c.errorf("Shell(%s) = %q with Locked %v: a locked account's shell is nologin, an unlocked one's is not", name, sh, locked)
	}
}

// keys checks what ReadKeys returns, by ID and canonical body, in any order.
func (c *sysCheck) keys(name string, want []hostsync.Key) {
	c.tb.Helper()
	have, err := c.sys.ReadKeys(c.ctx, name)
	if err != nil {
		c.errorf("ReadKeys(%s): %v", name, err)
		return
	}
	idBody := func(keys []hostsync.Key) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = k.ID + " " + k.Body
		}
		slices.Sort(out)
		return out
	}
	if h, w := idBody(have), idBody(want); !slices.Equal(h, w) {
		c.errorf("ReadKeys(%s) = %q, want %q", name, h, w)
	}
}

// state checks that SaveState and LoadState round-trip, then restores the
// state found.
func (c *sysCheck) state() {
	c.tb.Helper()
	orig, err := c.sys.LoadState(c.ctx)
	if err != nil {
		c.errorf("LoadState: %v", err)
		return
	}
	for _, s := range [][]byte{[]byte(`{"iamkittest":1}`), []byte(`{"iamkittest":2}` + "\n")} {
		if err := c.sys.SaveState(c.ctx, s); err != nil {
			c.errorf("SaveState(%q): %v", s, err)
			continue
		}
		got, err := c.sys.LoadState(c.ctx)
		if err != nil {
			c.errorf("LoadState after SaveState: %v", err)
		} else if !bytes.Equal(got, s) {
			c.errorf("LoadState after SaveState(%q) = %q", s, got)
		}
	}
	if err := c.sys.SaveState(c.ctx, orig); err != nil {
		c.errorf("SaveState restoring the original state: %v", err)
	}
}

// staleHeartbeatAge is how old TestSystem leaves the heartbeat of a System
// that had none: far beyond any key cache's maximum age.
const staleHeartbeatAge = 30 * 24 * time.Hour

// heartbeat checks MarkSynced, and that it records the time given when the
// System reads it back, then restores the heartbeat found.
func (c *sysCheck) heartbeat() {
	c.tb.Helper()
	read := lastSyncReader(c.sys)
	var orig time.Time
	hadOrig := false
	if read != nil {
		orig, hadOrig, _ = read()
	}
	now := time.Now().UTC().Truncate(time.Second)
	steps := []time.Time{now, now, now.Add(-time.Hour)}
	if hadOrig {
		steps = append(steps, orig)
	} else {
		// No heartbeat to put back: leave one so old that no key cache
		// trusts it, rather than a fresh one that would make a host whose
		// syncs fail answer logins from its cache again.
		steps = append(steps, now.Add(-staleHeartbeatAge))
	}
	for i, t := range steps {
		if err := c.sys.MarkSynced(c.ctx, t); err != nil {
			c.errorf("MarkSynced(%s) (call %d): %v", t.Format(time.RFC3339), i+1, err)
			continue
		}
		if read == nil {
			continue
		}
		got, ok, err := read()
		switch {
		case err != nil:
			c.errorf("LastSync after MarkSynced(%s) (call %d): %v", t.Format(time.RFC3339), i+1, err)
		case !ok:
			c.errorf("LastSync after MarkSynced(%s) (call %d) reports no heartbeat", t.Format(time.RFC3339), i+1)
		case !got.Equal(t):
			c.errorf("LastSync after MarkSynced(%s) (call %d) = %s, want the time given", t.Format(time.RFC3339), i+1, got.Format(time.RFC3339Nano))
		}
	}
}

// lastSyncReader returns a function reading the heartbeat of a System that
// has a LastSync method of either shape, or nil.
func lastSyncReader(sys hostsync.System) func() (time.Time, bool, error) {
	switch s := sys.(type) {
	case interface{ LastSync() (time.Time, bool) }:
		return func() (time.Time, bool, error) {
			t, ok := s.LastSync()
			return t, ok, nil
		}
	case interface{ LastSync() (time.Time, error) }:
		return func() (time.Time, bool, error) {
			t, err := s.LastSync()
			if errors.Is(err, hostsync.ErrNoCache) {
				return time.Time{}, false, nil
			}
			return t, err == nil, err
		}
	}
	return nil
}

// testKeys returns two valid, fixed SSH keys.
func testKeys() []hostsync.Key {
	keys := make([]hostsync.Key, 2)
	for i := range keys {
		seed := bytes.Repeat([]byte{byte(i + 1)}, ed25519.SeedSize)
		pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
		if err != nil {
			panic(err)
		}
		keys[i] = hostsync.Key{
			ID:          fmt.Sprintf("APKAIAMKITTEST%06d", i+1),
			Body:        strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
			Fingerprint: ssh.FingerprintSHA256(pub),
			Status:      hostsync.KeyActive,
		}
	}
	return keys
}
