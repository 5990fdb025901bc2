package hostsync_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// startAliceAndBob syncs alice (sudo, key a1) and bob (key b1) onto a new
// fake host and returns it with their UIDs.
func startAliceAndBob(t *testing.T) (h *fakes.Host, aliceUID, bobUID int) {
	t.Helper()
	h = fakes.NewHost()
	syncWith(t, h,
		hostsync.DesiredUser{IAMUserID: "AIDAALICE", IAMName: "alice", Groups: []string{"admins"}, Keys: []hostsync.Key{activeKey("a1")}},
		hostsync.DesiredUser{IAMUserID: "AIDABOB", IAMName: "bob", Keys: []hostsync.Key{activeKey("b1")}})
	a, ok := h.User("alice")
	require.True(t, ok)
	b, ok := h.User("bob")
	require.True(t, ok)
	h.ResetLog()
	return h, a.UID, b.UID
}

// aliceAs is alice's desired entry after her IAM rename to name.
func aliceAs(name string, keys ...string) hostsync.DesiredUser {
	u := renamed(keys...)
	u.IAMName = name
	return u
}

// TestRenameOntoAnotherManagedAccount: alice is renamed in IAM to "bob",
// whose account on the host belongs to another IAM user (AIDABOB, gone from
// IAM). alice's account keeps its name and stays current; bob's account is
// never given to alice, renamed over or deleted; both are reported on every
// sync.
func TestRenameOntoAnotherManagedAccount(t *testing.T) {
	h, aliceUID, bobUID := startAliceAndBob(t)
	for i := 1; i <= 4; i++ { // past MissingSyncsBeforeDelete (2)
		keys := []string{"a1", "a2"}
		p, r := syncWith(t, h, aliceAs("bob", keys...))
		require.NoError(t, r.Err(), "sync %d:\n%s", i, r)
		assert.Contains(t, skipReason(p, "bob"), "is the account of another IAM user", "sync %d:\n%s", i, p)
		assert.Contains(t, skipReason(p, "alice"), "keeps its name (never locked for it)", "sync %d:\n%s", i, p)

		a, ok := h.User("alice")
		require.True(t, ok, "sync %d", i)
		assert.Equal(t, aliceUID, a.UID)
		assert.False(t, a.Locked, "sync %d: alice is never locked for the rename", i)
		assert.True(t, a.Sudo)
		assert.ElementsMatch(t, []string{"APKAA1", "APKAA2"}, keyIDs(a.Keys), "sync %d: alice's keys current under her old name", i)

		b, ok := h.User("bob")
		require.True(t, ok, "sync %d: bob's account is never deleted while alice wants its name", i)
		assert.Equal(t, bobUID, b.UID)
		assert.NotContains(t, keyIDs(b.Keys), "APKAA1", "sync %d: alice never gets bob's account", i)
		assert.True(t, b.Locked, "sync %d: bob, gone from IAM, is locked as any missing user", i)
		assert.False(t, b.Sudo)
		if i >= 2 {
			assert.Contains(t, p.Notes, `local user "bob" is due for deletion but a renamed IAM user wants its name: not deleted (locked) until an admin resolves it`)
		}
	}
	assert.Empty(t, changesTo(h, "Rename", "Delete", "CreateUser"))
	assert.Equal(t, []string{"Lock bob"}, changesTo(h, "Lock"))
}

// TestRenameSwapWithAnotherManagedAccount: bob is renamed to "robert" and
// alice to "bob" between two syncs. The first sync renames bob's account
// away and keeps alice's; the second renames alice's into the freed name.
// No account is locked, deleted or handed over.
func TestRenameSwapWithAnotherManagedAccount(t *testing.T) {
	h, aliceUID, bobUID := startAliceAndBob(t)
	robert := hostsync.DesiredUser{IAMUserID: "AIDABOB", IAMName: "robert", Keys: []hostsync.Key{activeKey("b1")}}
	for range 3 {
		_, r := syncWith(t, h, aliceAs("bob", "a1"), robert)
		require.NoError(t, r.Err(), "%s", r)
	}
	b, ok := h.User("bob")
	require.True(t, ok)
	assert.Equal(t, aliceUID, b.UID, "alice's account now goes by bob")
	assert.Equal(t, []string{"APKAA1"}, keyIDs(b.Keys))
	assert.True(t, b.Sudo)
	r, ok := h.User("robert")
	require.True(t, ok)
	assert.Equal(t, bobUID, r.UID)
	assert.Equal(t, []string{"APKAB1"}, keyIDs(r.Keys))
	assert.False(t, r.Sudo)
	assert.Equal(t, []string{"Rename bob robert", "Rename alice bob"}, changesTo(h, "Rename", "Lock", "Delete", "CreateUser"))
}

// TestInterruptedRenameFinishedByTheNextSync: a sync planned alice's
// rename, saved its state and was killed right after usermod renamed the
// login: her group, sudoers drop-in and keys are still under "alice". The
// next sync finishes the rename, and a new IAM user "alice" later gets
// none of it.
func TestInterruptedRenameFinishedByTheNextSync(t *testing.T) {
	h, uid := startAlice(t)
	p := planFor(t, h, complete(renamed("a1")), renameCfg)
	for _, a := range p.Actions { // the state saved before anything changes
		if a.Kind == hostsync.ActSaveState {
			require.NoError(t, hostsync.Apply(t.Context(), h, hostsync.SyncPlan{Guard: p.Guard, Actions: []hostsync.Action{a}}).Err())
		}
	}
	require.NoError(t, h.RenameLoginOnly("alice", "alice.smith")) // killed after usermod -l

	p, rep := syncWith(t, h, renamed("a1"))
	require.NoError(t, rep.Err(), "%s", rep)
	assert.Contains(t, kinds(p), "rename alice.smith", "the rename is finished:\n%s", p)
	u, ok := h.User("alice.smith")
	require.True(t, ok)
	assert.Equal(t, uid, u.UID)
	assert.Equal(t, "alice.smith", u.Groups[0], "the user's own group follows")
	assert.True(t, u.Sudo)
	assert.Equal(t, []string{"APKAA1"}, keyIDs(u.Keys))
	assert.Empty(t, h.Keys("alice"), "no keys are left under the old name")

	p, _ = syncWith(t, h, renamed("a1"))
	assert.True(t, p.Empty(), "converged:\n%s", p)

	newAlice := hostsync.DesiredUser{IAMUserID: "AIDANEWALICE", IAMName: "alice", Keys: []hostsync.Key{activeKey("n1")}}
	syncWith(t, h, renamed("a1"), newAlice)
	a, ok := h.User("alice")
	require.True(t, ok)
	assert.NotEqual(t, uid, a.UID)
	assert.False(t, a.Sudo, "the old drop-in is gone: the new alice gets no sudo")
	assert.Equal(t, []string{"APKAN1"}, keyIDs(a.Keys))
}

// TestFailedRenameKeepsTheOldName: a rename that fails keeps the
// allocation's record of the old name, so that whatever usermod did is
// finished later.
func TestFailedRenameKeepsTheOldName(t *testing.T) {
	h, _ := startAlice(t)
	h.Inject("Rename", fakes.Fault{Times: 1})
	_, r, err := hostsync.Sync(t.Context(), hostsync.StaticSource(complete(renamed("a1"))), h, renameCfg)
	require.Error(t, err)
	require.Error(t, r.Err())
	assert.Contains(t, string(h.State()), `"name": "alice"`, "state:\n%s", h.State())
	assert.NotContains(t, string(h.State()), `"alice.smith"`)

	syncWith(t, h, renamed("a1"))
	assert.Contains(t, string(h.State()), `"name": "alice.smith"`, "recorded once the rename ran")
	_, ok := h.User("alice.smith")
	assert.True(t, ok)
}

// TestDeferredThenInterruptedRenameIsFinished: a rename deferred while alice
// had processes, then cut short after usermod on a later sync, is still
// finished: the allocation keeps her old name until the rename has run.
func TestDeferredThenInterruptedRenameIsFinished(t *testing.T) {
	h, uid := startAlice(t)
	h.StartSession("alice")
	_, r := syncWith(t, h, renamed("a1"))
	require.Equal(t, 1, r.Count(hostsync.StatusDeferred), "%s", r)
	assert.Contains(t, string(h.State()), `"name": "alice"`, "a deferred rename keeps the old name recorded:\n%s", h.State())
	require.NoError(t, h.EndSessions(t.Context(), "alice"))
	require.NoError(t, h.RenameLoginOnly("alice", "alice.smith")) // the next try is killed after usermod -l

	p, _ := syncWith(t, h, renamed("a1"))
	assert.Contains(t, kinds(p), "rename alice.smith", "the rename is finished:\n%s", p)
	u, ok := h.User("alice.smith")
	require.True(t, ok)
	assert.Equal(t, uid, u.UID)
	assert.Equal(t, "alice.smith", u.Groups[0])
	assert.Empty(t, h.Keys("alice"))
}
