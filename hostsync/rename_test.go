package hostsync_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// renameCfg authorizes everyone and gives sudo to "admins".
var renameCfg = hostsync.Config{SudoersGroups: []string{"admins"}}

// syncWith runs hostsync.Sync with a fixed source.
func syncWith(t *testing.T, h *fakes.Host, users ...hostsync.DesiredUser) (hostsync.SyncPlan, hostsync.Report) {
	t.Helper()
	p, r, err := hostsync.Sync(t.Context(), hostsync.StaticSource(complete(users...)), h, renameCfg)
	require.NoError(t, err, "plan:\n%s\nreport:\n%s", p, r)
	return p, r
}

// changesTo lists the host's log lines that name a user, e.g. "Lock alice".
func changesTo(h *fakes.Host, verbs ...string) []string {
	var out []string
	for _, l := range h.Log() {
		for _, v := range verbs {
			if strings.HasPrefix(l, v+" ") {
				out = append(out, l)
			}
		}
	}
	return out
}

// renamed returns alice's desired entry after her IAM rename.
func renamed(keys ...string) hostsync.DesiredUser {
	u := hostsync.DesiredUser{IAMUserID: "AIDAALICE", IAMName: "alice.smith", Groups: []string{"admins"}}
	for _, k := range keys {
		u.Keys = append(u.Keys, activeKey(k))
	}
	return u
}

// startAlice syncs alice (with sudo and one key) onto a new fake host and
// returns it with her UID.
func startAlice(t *testing.T) (*fakes.Host, int) {
	t.Helper()
	h := fakes.NewHost()
	syncWith(t, h, hostsync.DesiredUser{IAMUserID: "AIDAALICE", IAMName: "alice", Groups: []string{"admins"}, Keys: []hostsync.Key{activeKey("a1")}})
	a, ok := h.User("alice")
	require.True(t, ok)
	require.True(t, a.Sudo)
	h.ResetLog()
	return h, a.UID
}

func keyIDs(ks []hostsync.Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.ID)
	}
	return out
}

func TestRenameFollowsTheIAMUserID(t *testing.T) {
	h, uid := startAlice(t)
	for i := 1; i <= 3; i++ {
		p, r := syncWith(t, h, renamed("a1", "a2"))
		if i == 1 {
			assert.Equal(t, []hostsync.ActionKind{hostsync.ActRename, hostsync.ActWriteKeys}, actionsFor(p, "alice.smith"), "plan:\n%s", p)
			assert.Contains(t, p.String(), "rename alice → alice.smith: IAM user AIDAALICE was renamed")
			assert.Equal(t, 0, r.Count(hostsync.StatusFailed), "report:\n%s", r)
		} else {
			assert.True(t, p.Empty(), "sync %d has nothing left to do:\n%s", i, p)
		}
		_, ok := h.User("alice")
		assert.False(t, ok, "sync %d: the old name is gone", i)
		u, ok := h.User("alice.smith")
		require.True(t, ok, "sync %d", i)
		assert.Equal(t, uid, u.UID, "the UID is kept")
		assert.False(t, u.Locked)
		assert.True(t, u.Sudo, "sudo follows")
		assert.Equal(t, []string{"alice.smith", hostsync.DefaultMarkerGroup}, u.Groups[:2], "the user's own group is renamed")
		assert.ElementsMatch(t, []string{"APKAA1", "APKAA2"}, keyIDs(u.Keys), "keys current under the new name")
	}
	assert.Equal(t, []string{"Rename alice alice.smith"}, changesTo(h, "Rename", "Lock", "Delete", "CreateUser", "EndSessions"),
		"renamed in place: never locked, deleted or re-created")
}

func TestRenameAfterAnOlderHostsyncLockedTheAccount(t *testing.T) {
	// What the bug left behind: sync 1 of the rename locked alice.
	h, uid := startAlice(t)
	syncWith(t, h)
	a, _ := h.User("alice")
	require.True(t, a.Locked)

	p, _ := syncWith(t, h, renamed("a1"))
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActRename, hostsync.ActUnlock, hostsync.ActWriteKeys, hostsync.ActGrantSudo}, actionsFor(p, "alice.smith"), "plan:\n%s", p)
	u, ok := h.User("alice.smith")
	require.True(t, ok)
	assert.Equal(t, uid, u.UID)
	assert.False(t, u.Locked, "hostsync's own lock is lifted under the new name")
	assert.True(t, u.Sudo)
	assert.Equal(t, []string{"APKAA1"}, keyIDs(u.Keys))
	for range 2 {
		p, _ = syncWith(t, h, renamed("a1")) // the first forgets the old name's lock record
	}
	assert.True(t, p.Empty(), "converged:\n%s\nstate %s", p, h.State())
	assert.NotContains(t, string(h.State()), `"alice"`, "no state is left under the old name")
}

func TestRenameRefusedWhenTheNameIsTaken(t *testing.T) {
	h, uid := startAlice(t)
	require.NoError(t, h.AddUser("alice.smith", 1500))
	before, _ := h.User("alice.smith")
	for i := 1; i <= 3; i++ {
		keys := []string{"a1"}
		if i == 3 {
			keys = []string{"a2"} // a key change still reaches the account
		}
		p, r := syncWith(t, h, renamed(keys...))
		assert.Contains(t, skipReason(p, "alice.smith"), `not renamed; local user "alice" (UID`, "sync %d reports the refusal", i)
		assert.NotContains(t, kinds(p), "rename alice.smith", "sync %d:\n%s", i, p)
		assert.NoError(t, r.Err())
		a, ok := h.User("alice")
		require.True(t, ok, "sync %d", i)
		assert.Equal(t, uid, a.UID)
		assert.False(t, a.Locked, "sync %d: never locked", i)
		assert.True(t, a.Sudo)
		assert.Equal(t, []string{"APKA" + strings.ToUpper(keys[0])}, keyIDs(a.Keys), "sync %d: keys current under the old name", i)
		other, _ := h.User("alice.smith")
		assert.Equal(t, before, other, "the unmanaged account is untouched")
	}
	assert.Empty(t, changesTo(h, "Rename", "Lock", "Delete", "CreateUser", "EndSessions"))
}

func TestRenameDeferredWhileTheUserHasProcesses(t *testing.T) {
	h, uid := startAlice(t)
	h.StartSession("alice")
	for i := 1; i <= 2; i++ {
		p, r := syncWith(t, h, renamed("a2")) // no error: a deferred rename is not a failed sync
		require.Len(t, r.Results, len(p.Actions))
		byKind := map[hostsync.ActionKind]hostsync.Result{}
		for _, res := range r.Results {
			byKind[res.Action.Kind] = res
		}
		assert.Equal(t, hostsync.StatusDeferred, byKind[hostsync.ActRename].Status, "sync %d:\n%s", i, r)
		require.ErrorIs(t, byKind[hostsync.ActRename].Err, hostsync.ErrUserBusy)
		if i == 1 {
			assert.Equal(t, "alice", byKind[hostsync.ActWriteKeys].Action.User, "the keys go to the old name:\n%s\n%s", p, r)
			assert.Equal(t, hostsync.StatusDone, byKind[hostsync.ActWriteKeys].Status)
		} else {
			// Only the rename is retried; the allocation records the new
			// name once it has run (the commit keeps the old one meanwhile).
			assert.Equal(t, []string{"rename alice.smith", "commit-state"}, kinds(p), "only the rename is retried")
		}
		assert.Contains(t, r.String(), "1 deferred")
		_, ok := h.LastSync()
		assert.True(t, ok, "the heartbeat is recorded: the key cache keeps answering")

		a, ok := h.User("alice")
		require.True(t, ok)
		assert.Equal(t, uid, a.UID)
		assert.False(t, a.Locked)
		assert.True(t, a.Sudo)
		assert.Equal(t, []string{"APKAA2"}, keyIDs(a.Keys), "sync %d: keys current under the old name", i)
		assert.Equal(t, 1, h.Sessions("alice"), "a rename never ends sessions")
		_, ok = h.User("alice.smith")
		assert.False(t, ok)
	}
	require.NoError(t, h.EndSessions(t.Context(), "alice")) // alice logs out

	p, r := syncWith(t, h, renamed("a2"))
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActRename}, actionsFor(p, "alice.smith"), "plan:\n%s", p)
	assert.Equal(t, 2, r.Count(hostsync.StatusDone), "the rename, and the new name recorded:\n%s", r)
	u, ok := h.User("alice.smith")
	require.True(t, ok)
	assert.Equal(t, uid, u.UID)
	assert.Equal(t, []string{"APKAA2"}, keyIDs(u.Keys))
	assert.True(t, u.Sudo)
	assert.Empty(t, changesTo(h, "Lock", "Delete", "CreateUser"))
}

func TestRenameDryRun(t *testing.T) {
	h, _ := startAlice(t)
	p, r, err := hostsync.Sync(t.Context(), hostsync.StaticSource(complete(renamed("a1"))), h, renameCfg, hostsync.WithDryRun(true))
	require.NoError(t, err)
	assert.Empty(t, r.Results)
	assert.Contains(t, p.String(), "rename alice → alice.smith")
	assert.Zero(t, h.Writes())
}

func TestRenameThenTheOldNameIsTakenInIAM(t *testing.T) {
	h, uid := startAlice(t)
	newAlice := hostsync.DesiredUser{IAMUserID: "AIDANEWALICE", IAMName: "alice", Keys: []hostsync.Key{activeKey("n1")}}
	p, _ := syncWith(t, h, renamed("a1"), newAlice)
	assert.Contains(t, skipReason(p, "alice"), `renamed to "alice.smith", and is renamed first`)
	assert.NotContains(t, kinds(p), "write-keys alice", "the new alice gets nothing of the old account:\n%s", p)
	u, ok := h.User("alice.smith")
	require.True(t, ok)
	assert.Equal(t, uid, u.UID)
	assert.Equal(t, []string{"APKAA1"}, keyIDs(u.Keys))

	syncWith(t, h, renamed("a1"), newAlice)
	a, ok := h.User("alice")
	require.True(t, ok, "created on the next sync")
	assert.NotEqual(t, uid, a.UID)
	assert.False(t, a.Sudo)
	assert.Equal(t, []string{"APKAN1"}, keyIDs(a.Keys))
}

func TestApplyRenameGuardAndResume(t *testing.T) {
	h, uid := startAlice(t)
	p := planFor(t, h, complete(renamed("a1")), renameCfg)
	r := hostsync.Apply(t.Context(), h, p)
	require.NoError(t, r.Err())
	r = hostsync.Apply(t.Context(), h, p) // the same plan again, as after an interruption
	require.NoError(t, r.Err(), "report:\n%s", r)
	assert.Equal(t, hostsync.StatusAlreadyDone, r.Results[0].Status, "report:\n%s", r)

	require.NoError(t, h.AddUser("carol", 1600))
	tests := []struct {
		name string
		a    hostsync.Action
		want error
	}{
		{"unmanaged source", hostsync.Action{Kind: hostsync.ActRename, From: "ec2-user", User: "ec2", UID: 1000}, hostsync.ErrRefused},
		{"UID differs", hostsync.Action{Kind: hostsync.ActRename, From: "alice.smith", User: "alice2", UID: uid + 1}, hostsync.ErrRefused},
		{"reserved source", hostsync.Action{Kind: hostsync.ActRename, From: "root", User: "alice3", UID: 0}, hostsync.ErrRefused},
		{"reserved target", hostsync.Action{Kind: hostsync.ActRename, From: "alice.smith", User: "root", UID: uid}, hostsync.ErrRefused},
		{"taken target", hostsync.Action{Kind: hostsync.ActRename, From: "alice.smith", User: "carol", UID: uid}, hostsync.ErrUserExists},
		{"missing source", hostsync.Action{Kind: hostsync.ActRename, From: "nobody2", User: "alice4", UID: uid}, hostsync.ErrNoSuchUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.ResetLog()
			r := hostsync.Apply(t.Context(), h, hostsync.SyncPlan{Guard: p.Guard, Actions: []hostsync.Action{tt.a}})
			require.Len(t, r.Results, 1)
			assert.Equal(t, hostsync.StatusFailed, r.Results[0].Status)
			assert.ErrorIs(t, r.Results[0].Err, tt.want)
			assert.Empty(t, h.Log(), "nothing changed")
		})
	}
}

func TestRenameRefusedAndTheOldNameIsTakenInIAM(t *testing.T) {
	h, uid := startAlice(t)
	require.NoError(t, h.AddUser("alice.smith", 1500))
	newAlice := hostsync.DesiredUser{IAMUserID: "AIDANEWALICE", IAMName: "alice", Keys: []hostsync.Key{activeKey("n1")}}
	for range 2 {
		p, r := syncWith(t, h, renamed("a1"), newAlice)
		require.NoError(t, r.Err())
		assert.Contains(t, skipReason(p, "alice"), "AIDAALICE", "the new alice is told why she waits:\n%s", p)
		a, ok := h.User("alice")
		require.True(t, ok)
		assert.Equal(t, uid, a.UID, "the account stays the renamed user's")
		assert.Equal(t, []string{"APKAA1"}, keyIDs(a.Keys), "and never gets the new alice's keys")
		assert.True(t, a.Sudo)
	}
}

func TestRenameToAnUnusableNameKeepsTheAccount(t *testing.T) {
	for _, name := range []string{"root", "alice-with-a-name-far-too-long-for-linux-accounts"} {
		t.Run(name, func(t *testing.T) {
			h, uid := startAlice(t)
			u := renamed("a2")
			u.IAMName = name
			for range 2 {
				p, r := syncWith(t, h, u)
				require.NoError(t, r.Err())
				assert.Contains(t, skipReason(p, "alice"), "keeps its name", "plan:\n%s", p)
				a, ok := h.User("alice")
				require.True(t, ok)
				assert.Equal(t, uid, a.UID)
				assert.False(t, a.Locked, "never locked for the rename")
				assert.True(t, a.Sudo)
				assert.Equal(t, []string{"APKAA2"}, keyIDs(a.Keys))
			}
			assert.Empty(t, changesTo(h, "Rename", "Lock", "Delete", "CreateUser", "EndSessions"))
		})
	}
}
