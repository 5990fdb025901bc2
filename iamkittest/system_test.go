package iamkittest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
)

// recorder is a testing.TB that records failures instead of failing the
// test, to test TestSystem itself.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) record(s string) {
	r.mu.Lock()
	r.errors = append(r.errors, s)
	r.mu.Unlock()
}
func (r *recorder) Helper()                           {}
func (r *recorder) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.record("FATAL " + fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) { r.record("FATAL " + fmt.Sprint(args...)) }
func (r *recorder) Fail()             { r.record("Fail") }
func (r *recorder) FailNow()          { r.record("FailNow") }
func (r *recorder) Failed() bool      { r.mu.Lock(); defer r.mu.Unlock(); return len(r.errors) > 0 }

func testUsers(h *iamkittest.Host) []string {
	var out []string
	for _, u := range h.Users() {
		if strings.HasPrefix(u.Name, iamkittest.TestSystemUserPrefix) {
			out = append(out, u.Name)
		}
	}
	return out
}

func TestTestSystemPassesOnTheFakeHost(t *testing.T) {
	h := iamkittest.NewHost()
	before := h.Users()
	start := time.Now().Truncate(time.Second)
	rec := &recorder{TB: t}
	iamkittest.TestSystem(rec, h)
	assert.Empty(t, rec.errors)
	assert.Equal(t, before, h.Users(), "TestSystem leaves the host's users as it found them")
	assert.Nil(t, h.State(), "the state is restored")
	assert.Positive(t, h.Writes())
	last, ok := h.LastSync()
	require.True(t, ok, "a host without a heartbeat is left with one")
	assert.Greater(t, start.Sub(last), hostsync.DefaultMaxCacheAge, "heartbeat %s left so old that no key cache trusts it (started %s)", last, start)
	assert.Equal(t, 4, h.Calls("MarkSynced"), "MarkSynced twice at the same time, once an hour earlier, once to restore")

	// The real TB works too.
	iamkittest.TestSystem(t, iamkittest.NewHost())
}

func TestTestSystemSkipsTakenNamesAndUIDs(t *testing.T) {
	h := iamkittest.NewHost()
	require.NoError(t, h.AddUser("iamkitt1", iamkittest.TestSystemUIDBase, "wheel"))
	h.SetState([]byte(`{"kept":true}`))
	synced := time.Date(2026, 11, 30, 8, 15, 0, 123, time.UTC)
	require.NoError(t, h.MarkSynced(context.Background(), synced))
	rec := &recorder{TB: t}
	iamkittest.TestSystem(rec, h)
	assert.Empty(t, rec.errors)
	last, ok := h.LastSync()
	require.True(t, ok)
	assert.True(t, synced.Equal(last), "the heartbeat found is restored exactly: %s", last)
	assert.Equal(t, []string{"iamkitt1"}, testUsers(h))
	u, ok := h.User("iamkitt1")
	require.True(t, ok)
	assert.Equal(t, iamkittest.TestSystemUIDBase, u.UID)
	assert.Equal(t, `{"kept":true}`, string(h.State()))
	for _, line := range h.Log() {
		assert.NotContains(t, line, "iamkitt1 ", "the existing user is never touched")
	}
}

// broken wraps the fake host and breaks one rule of the contract.
type broken struct {
	*iamkittest.Host
	keys map[string][]hostsync.Key // a key cache Delete forgets to clear
	// overrides
	lock        func(ctx context.Context, name string) error
	unlock      func(ctx context.Context, name string) error
	create      func(ctx context.Context, name string, uid int, groups []string) error
	addGroups   func(ctx context.Context, name string, groups []string) error
	lookup      func(ctx context.Context, name string) (hostsync.HostUser, error)
	list        func(ctx context.Context) ([]hostsync.HostUser, error)
	del         func(ctx context.Context, name string) error
	writeKeys   func(ctx context.Context, name string, keys []hostsync.Key) error
	readKeys    func(ctx context.Context, name string) ([]hostsync.Key, error)
	saveState   func(ctx context.Context, state []byte) error
	grantSudo   func(ctx context.Context, name string) error
	adoptSudo   func(ctx context.Context, name string) error
	endSessions func(ctx context.Context, name string) error
	markSynced  func(ctx context.Context, t time.Time) error
	rename      func(ctx context.Context, oldName, newName string) error
}

func (b *broken) Rename(ctx context.Context, oldName, newName string) error {
	if b.rename != nil {
		return b.rename(ctx, oldName, newName)
	}
	return b.Host.Rename(ctx, oldName, newName)
}

func (b *broken) MarkSynced(ctx context.Context, t time.Time) error {
	if b.markSynced != nil {
		return b.markSynced(ctx, t)
	}
	return b.Host.MarkSynced(ctx, t)
}

func (b *broken) Lock(ctx context.Context, name string) error {
	if b.lock != nil {
		return b.lock(ctx, name)
	}
	return b.Host.Lock(ctx, name)
}
func (b *broken) Unlock(ctx context.Context, name string) error {
	if b.unlock != nil {
		return b.unlock(ctx, name)
	}
	return b.Host.Unlock(ctx, name)
}
func (b *broken) CreateUser(ctx context.Context, name string, uid int, groups []string) error {
	if b.create != nil {
		return b.create(ctx, name, uid, groups)
	}
	return b.Host.CreateUser(ctx, name, uid, groups)
}
func (b *broken) AddGroups(ctx context.Context, name string, groups []string) error {
	if b.addGroups != nil {
		return b.addGroups(ctx, name, groups)
	}
	return b.Host.AddGroups(ctx, name, groups)
}
func (b *broken) LookupUser(ctx context.Context, name string) (hostsync.HostUser, error) {
	if b.lookup != nil {
		return b.lookup(ctx, name)
	}
	return b.Host.LookupUser(ctx, name)
}
func (b *broken) ListUsers(ctx context.Context) ([]hostsync.HostUser, error) {
	if b.list != nil {
		return b.list(ctx)
	}
	return b.Host.ListUsers(ctx)
}
func (b *broken) Delete(ctx context.Context, name string) error {
	if b.del != nil {
		return b.del(ctx, name)
	}
	return b.Host.Delete(ctx, name)
}
func (b *broken) WriteKeys(ctx context.Context, name string, keys []hostsync.Key) error {
	if b.writeKeys != nil {
		return b.writeKeys(ctx, name, keys)
	}
	return b.Host.WriteKeys(ctx, name, keys)
}
func (b *broken) ReadKeys(ctx context.Context, name string) ([]hostsync.Key, error) {
	if b.readKeys != nil {
		return b.readKeys(ctx, name)
	}
	return b.Host.ReadKeys(ctx, name)
}
func (b *broken) SaveState(ctx context.Context, state []byte) error {
	if b.saveState != nil {
		return b.saveState(ctx, state)
	}
	return b.Host.SaveState(ctx, state)
}
func (b *broken) GrantSudo(ctx context.Context, name string) error {
	if b.grantSudo != nil {
		return b.grantSudo(ctx, name)
	}
	return b.Host.GrantSudo(ctx, name)
}
func (b *broken) AdoptSudo(ctx context.Context, name string) error {
	if b.adoptSudo != nil {
		return b.adoptSudo(ctx, name)
	}
	return b.Host.AdoptSudo(ctx, name)
}
func (b *broken) EndSessions(ctx context.Context, name string) error {
	if b.endSessions != nil {
		return b.endSessions(ctx, name)
	}
	return b.Host.EndSessions(ctx, name)
}

var _ hostsync.System = (*broken)(nil)

// hideShell keeps the fake host's Shell method out of the check, for the
// cases about Locked alone; it keeps LastSync.
type hideShell struct {
	hostsync.System
	host *broken
}

func (h hideShell) LastSync() (time.Time, bool) { return h.host.LastSync() }

// StartSession keeps the fake host's sessions in the check of Rename.
func (h hideShell) StartSession(name string) { h.host.StartSession(name) }

func TestTestSystemFailsOnBrokenSystems(t *testing.T) {
	tests := []struct {
		name  string
		setup func(b *broken)
		want  string // part of one of the failures
	}{
		{name: "Lock does nothing", setup: func(b *broken) {
			b.lock = func(context.Context, string) error { return nil }
		}, want: "has Locked false, want true"},
		{name: "Unlock of an unlocked user fails", setup: func(b *broken) {
			b.unlock = func(ctx context.Context, name string) error {
				u, err := b.Host.LookupUser(ctx, name)
				if err == nil && !u.Locked {
					return errors.New("not locked")
				}
				return b.Host.Unlock(ctx, name)
			}
		}, want: "Unlock(iamkitt1) (call 2): not locked"},
		{name: "taken name is a plain error", setup: func(b *broken) {
			b.create = func(ctx context.Context, name string, uid int, groups []string) error {
				if err := b.Host.CreateUser(ctx, name, uid, groups); errors.Is(err, hostsync.ErrUserExists) {
					return errors.New("useradd: user exists")
				} else {
					return err
				}
			}
		}, want: "want an error wrapping hostsync.ErrUserExists"},
		{name: "taken UID is ErrUserExists", setup: func(b *broken) {
			b.create = func(ctx context.Context, name string, uid int, groups []string) error {
				err := b.Host.CreateUser(ctx, name, uid, groups)
				if err != nil && strings.Contains(err.Error(), "UID") {
					return fmt.Errorf("%w: %w", hostsync.ErrUserExists, err)
				}
				return err
			}
		}, want: "with a taken UID"},
		{name: "taken UID is accepted", setup: func(b *broken) {
			b.create = func(ctx context.Context, name string, uid int, groups []string) error {
				err := b.Host.CreateUser(ctx, name, uid, groups)
				if err != nil && strings.Contains(err.Error(), "UID") {
					return b.Host.CreateUser(ctx, name, uid+1000, groups)
				}
				return err
			}
		}, want: "succeeded, want an error"},
		{name: "CreateUser ignores the groups", setup: func(b *broken) {
			b.create = func(ctx context.Context, name string, uid int, groups []string) error {
				return b.Host.CreateUser(ctx, name, uid, nil)
			}
		}, want: "is not in group iamkitt-marker"},
		{name: "AddGroups drops the marker group", setup: func(b *broken) {
			b.addGroups = func(ctx context.Context, name string, groups []string) error {
				b.Host.RemoveFromGroup(name, iamkittest.TestSystemMarkerGroup)
				return b.Host.AddGroups(ctx, name, groups)
			}
		}, want: "is not in group iamkitt-marker"},
		{name: "AddGroups lists a group twice", setup: func(b *broken) {
			b.lookup = func(ctx context.Context, name string) (hostsync.HostUser, error) {
				u, err := b.Host.LookupUser(ctx, name)
				if u.MemberOf(iamkittest.TestSystemGroup2) {
					u.Groups = append(u.Groups, iamkittest.TestSystemGroup2)
				}
				return u, err
			}
		}, want: "lists group iamkitt-g2 2 times"},
		{name: "LookupUser of a missing user is a plain error", setup: func(b *broken) {
			b.lookup = func(ctx context.Context, name string) (hostsync.HostUser, error) {
				u, err := b.Host.LookupUser(ctx, name)
				if errors.Is(err, hostsync.ErrNoSuchUser) {
					return u, errors.New("no such user")
				}
				return u, err
			}
		}, want: "want an error wrapping hostsync.ErrNoSuchUser"},
		{name: "ListUsers misses a user", setup: func(b *broken) {
			b.list = func(ctx context.Context) ([]hostsync.HostUser, error) {
				users, err := b.Host.ListUsers(ctx)
				var out []hostsync.HostUser
				for _, u := range users {
					if u.Name != "iamkitt2" {
						out = append(out, u)
					}
				}
				return out, err
			}
		}, want: "ListUsers does not list iamkitt2"},
		{name: "Sudo is never shown", setup: func(b *broken) {
			b.lookup = func(ctx context.Context, name string) (hostsync.HostUser, error) {
				u, err := b.Host.LookupUser(ctx, name)
				u.Sudo = false
				return u, err
			}
		}, want: "has Sudo false, want true"},
		{name: "GrantSudo does nothing", setup: func(b *broken) {
			b.grantSudo = func(context.Context, string) error { return nil }
		}, want: "has Sudo false, want true"},
		{name: "AdoptSudo does not grant", setup: func(b *broken) {
			b.adoptSudo = func(context.Context, string) error { return nil }
		}, want: "has Sudo false, want true"},
		{name: "EndSessions is not idempotent", setup: func(b *broken) {
			n := 0
			b.endSessions = func(ctx context.Context, name string) error {
				if n++; n > 1 {
					return errors.New("no sessions")
				}
				return nil
			}
		}, want: "EndSessions(iamkitt1) (call 2)"},
		{name: "WriteKeys without keys keeps them", setup: func(b *broken) {
			b.writeKeys = func(ctx context.Context, name string, keys []hostsync.Key) error {
				if len(keys) == 0 {
					return nil
				}
				return b.Host.WriteKeys(ctx, name, keys)
			}
		}, want: "ReadKeys(iamkitt1) ="},
		{name: "Delete leaves the key cache entry", setup: func(b *broken) {
			b.writeKeys = func(ctx context.Context, name string, keys []hostsync.Key) error {
				if len(keys) == 0 {
					delete(b.keys, name)
				} else {
					b.keys[name] = keys
				}
				return nil
			}
			b.readKeys = func(ctx context.Context, name string) ([]hostsync.Key, error) { return b.keys[name], nil }
		}, want: "ReadKeys(iamkitt1) ="},
		{name: "Delete of a missing user succeeds", setup: func(b *broken) {
			b.del = func(ctx context.Context, name string) error {
				if err := b.Host.Delete(ctx, name); !errors.Is(err, hostsync.ErrNoSuchUser) {
					return err
				}
				return nil
			}
		}, want: "of a deleted user = <nil>"},
		{name: "Delete does nothing", setup: func(b *broken) {
			b.del = func(context.Context, string) error { return nil }
		}, want: "after Delete(iamkitt1), LookupUser"},
		{name: "SaveState does nothing", setup: func(b *broken) {
			b.saveState = func(context.Context, []byte) error { return nil }
		}, want: "LoadState after SaveState"},
		{name: "MarkSynced does nothing", setup: func(b *broken) {
			b.markSynced = func(context.Context, time.Time) error { return nil }
		}, want: "reports no heartbeat"},
		{name: "MarkSynced never goes back", setup: func(b *broken) {
			b.markSynced = func(ctx context.Context, t time.Time) error {
				if last, ok := b.Host.LastSync(); ok && t.Before(last) {
					return nil
				}
				return b.Host.MarkSynced(ctx, t)
			}
		}, want: "(call 3) = "},
		{name: "MarkSynced rounds to the minute", setup: func(b *broken) {
			b.markSynced = func(ctx context.Context, t time.Time) error {
				return b.Host.MarkSynced(ctx, t.Truncate(time.Minute).Add(-time.Minute))
			}
		}, want: "want the time given"},
		{name: "MarkSynced fails", setup: func(b *broken) {
			b.markSynced = func(context.Context, time.Time) error { return errors.New("read-only file system") }
		}, want: "(call 1): read-only file system"},
		{name: "Rename ends sessions", setup: func(b *broken) {
			b.rename = func(ctx context.Context, oldName, newName string) error {
				_ = b.Host.EndSessions(ctx, oldName)
				return b.Host.Rename(ctx, oldName, newName)
			}
		}, want: "with a running process = <nil>, want an error wrapping hostsync.ErrUserBusy"},
		{name: "Rename forgets the keys", setup: func(b *broken) {
			b.rename = func(ctx context.Context, oldName, newName string) error {
				if err := b.Host.Rename(ctx, oldName, newName); err != nil {
					return err
				}
				return b.Host.WriteKeys(ctx, newName, nil)
			}
		}, want: "ReadKeys(iamkitt3) = [], want"},
		{name: "Rename replaces a taken name", setup: func(b *broken) {
			b.rename = func(ctx context.Context, oldName, newName string) error {
				if _, ok := b.Host.User(newName); ok {
					return nil
				}
				return b.Host.Rename(ctx, oldName, newName)
			}
		}, want: "onto an existing user = <nil>"},
		{name: "Rename recreates the account", setup: func(b *broken) {
			b.rename = func(ctx context.Context, oldName, newName string) error {
				u, _ := b.Host.User(oldName)
				if err := b.Host.Rename(ctx, oldName, newName); err != nil {
					return err
				}
				_ = b.Host.Delete(ctx, newName)
				return b.Host.CreateUser(ctx, newName, u.UID+7, []string{iamkittest.TestSystemMarkerGroup})
			}
		}, want: "want UID"},
		{name: "ListUsers fails", setup: func(b *broken) {
			b.list = func(context.Context) ([]hostsync.HostUser, error) { return nil, errors.New("no /etc/passwd") }
		}, want: "ListUsers: no /etc/passwd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := iamkittest.NewHost()
			b := &broken{Host: h, keys: map[string][]hostsync.Key{}}
			tt.setup(b)
			rec := &recorder{TB: t}
			iamkittest.TestSystem(rec, hideShell{b, b})
			require.NotEmpty(t, rec.errors, "TestSystem passed a broken System")
			assert.Contains(t, strings.Join(rec.errors, "\n"), tt.want)
			for _, e := range rec.errors {
				assert.True(t, strings.HasPrefix(e, "TestSystem: "), e)
				assert.NotContains(t, e, "FATAL")
			}
			if tt.name != "Delete does nothing" {
				assert.Empty(t, testUsers(h), "the test users are removed even after failures")
			}
		})
	}
}

// lyingShell reports a login shell that does not follow Lock.
type lyingShell struct{ *iamkittest.Host }

func (lyingShell) Shell(string) string { return "/bin/bash" }

func TestTestSystemChecksTheShell(t *testing.T) {
	rec := &recorder{TB: t}
	iamkittest.TestSystem(rec, lyingShell{iamkittest.NewHost()})
	assert.Contains(t, strings.Join(rec.errors, "\n"), `Shell(iamkitt1) = "/bin/bash" with Locked true`)
}

// errorShape reads the heartbeat back the way hostsync.KeyCache does:
// LastSync() (time.Time, error), an error wrapping hostsync.ErrNoCache
// when there is none.
type errorShape struct {
	*iamkittest.Host
	shift time.Duration // added to what LastSync returns
}

func (e errorShape) LastSync() (time.Time, error) {
	t, ok := e.Host.LastSync()
	if !ok {
		return time.Time{}, fmt.Errorf("no heartbeat: %w", hostsync.ErrNoCache)
	}
	return t.Add(e.shift), nil
}

// plain hides every optional method.
type plain struct{ hostsync.System }

func TestTestSystemHeartbeatReaders(t *testing.T) {
	tests := []struct {
		name  string
		sys   func(h *iamkittest.Host) hostsync.System
		want  string // part of a failure; "" for none
		calls int
	}{
		{name: "LastSync (time.Time, error)", sys: func(h *iamkittest.Host) hostsync.System { return errorShape{Host: h} }, calls: 4},
		{name: "LastSync (time.Time, error) off by a second", sys: func(h *iamkittest.Host) hostsync.System {
			return errorShape{Host: h, shift: time.Second}
		}, want: "want the time given", calls: 4},
		{name: "no LastSync: MarkSynced is only called", sys: func(h *iamkittest.Host) hostsync.System { return plain{h} }, calls: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := iamkittest.NewHost()
			rec := &recorder{TB: t}
			iamkittest.TestSystem(rec, tt.sys(h))
			if tt.want == "" {
				assert.Empty(t, rec.errors)
			} else {
				assert.Contains(t, strings.Join(rec.errors, "\n"), tt.want)
			}
			assert.Equal(t, tt.calls, h.Calls("MarkSynced"))
		})
	}
}
