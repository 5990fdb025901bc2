package fakes_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

const hostMarker = hostsync.DefaultMarkerGroup

func TestNewHostLooksLikeACloudImage(t *testing.T) {
	h := fakes.NewHost()
	tests := []struct {
		name string
		uid  int
	}{
		{"root", 0}, {"daemon", 1}, {"sshd", 74}, {"nobody", 65534}, {"ec2-user", 1000}, {"ubuntu", 1001},
	}
	for _, tt := range tests {
		u, ok := h.User(tt.name)
		require.True(t, ok, tt.name)
		assert.Equal(t, tt.uid, u.UID, tt.name)
		assert.False(t, u.MemberOf(hostMarker), "%s is not hostsync's", tt.name)
		assert.False(t, u.Locked)
	}
	ec2, _ := h.User("ec2-user")
	assert.True(t, ec2.MemberOf("wheel"))
	assert.Zero(t, h.Writes())
	assert.Empty(t, h.Log())
	assert.Nil(t, h.State())
}

func TestHostCreateUser(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		user    string
		uid     int
		groups  []string
		wantErr error
		anyErr  bool
	}{
		{name: "ok", user: "alice", uid: 2000, groups: []string{hostMarker, "docker", "newgroup"}},
		{name: "name taken", user: "ubuntu", uid: 2000, groups: []string{hostMarker}, wantErr: hostsync.ErrUserExists},
		{name: "uid taken", user: "alice", uid: 1000, groups: []string{hostMarker}, anyErr: true},
		{name: "invalid name", user: "-rf", uid: 2000, groups: []string{hostMarker}, wantErr: hostsync.ErrInvalidName},
		{name: "user group taken (useradd --user-group)", user: "docker", uid: 2000, groups: []string{hostMarker}, anyErr: true},
		{name: "invalid group", user: "alice", uid: 2000, groups: []string{"a:b"}, wantErr: hostsync.ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakes.NewHost()
			err := h.CreateUser(ctx, tt.user, tt.uid, tt.groups)
			if tt.wantErr != nil || tt.anyErr {
				require.Error(t, err)
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
				}
				assert.Zero(t, h.Writes())
				return
			}
			require.NoError(t, err)
			u, ok := h.User(tt.user)
			require.True(t, ok)
			assert.Equal(t, tt.uid, u.UID)
			assert.Equal(t, append([]string{tt.user}, tt.groups...), u.Groups, "private group first, like id -Gn")
			assert.Equal(t, "/bin/bash", h.Shell(tt.user))
			assert.True(t, h.HasGroup("newgroup"), "missing groups are created")
			assert.Equal(t, []string{"CreateUser alice uid=2000 groups=iam-synced-users,docker,newgroup"}, h.Log())
		})
	}
}

func TestHostChangesAreIdempotent(t *testing.T) {
	ctx := context.Background()
	h := fakes.NewHost()
	require.NoError(t, h.AddUser("alice", 2000, hostMarker))
	key := hostsync.Key{ID: "K1", Body: "ssh-ed25519 AAAA", Status: hostsync.KeyActive}
	steps := []struct {
		name string
		do   func() error
	}{
		{"Lock", func() error { return h.Lock(ctx, "alice") }},
		{"GrantSudo", func() error { return h.GrantSudo(ctx, "alice") }},
		{"WriteKeys", func() error { return h.WriteKeys(ctx, "alice", []hostsync.Key{key}) }},
		{"AddGroups", func() error { return h.AddGroups(ctx, "alice", []string{"docker"}) }},
		{"SaveState", func() error { return h.SaveState(ctx, []byte("s")) }},
	}
	for _, s := range steps {
		require.NoError(t, s.do(), s.name)
		w := h.Writes()
		require.NoError(t, s.do(), s.name)
		assert.Equal(t, w, h.Writes(), "%s twice changes nothing the second time", s.name)
	}
	u, _ := h.User("alice")
	assert.True(t, u.Locked)
	assert.True(t, u.Sudo)
	assert.Equal(t, "/sbin/nologin", h.Shell("alice"))
	assert.Equal(t, []hostsync.Key{key}, u.Keys)
	assert.Equal(t, []string{"alice", hostMarker, "docker"}, u.Groups)

	require.NoError(t, h.Unlock(ctx, "alice"))
	require.NoError(t, h.RevokeSudo(ctx, "alice"))
	require.NoError(t, h.WriteKeys(ctx, "alice", nil))
	u, _ = h.User("alice")
	assert.False(t, u.Locked)
	assert.False(t, u.Sudo)
	assert.Empty(t, u.Keys)
	assert.Equal(t, "/bin/bash", h.Shell("alice"))
	assert.Equal(t, []string{
		"Lock alice", "GrantSudo alice", "WriteKeys alice K1", "AddGroups alice docker", "SaveState",
		"Unlock alice", "RevokeSudo alice", "WriteKeys alice (none)",
	}, h.Log())
}

func TestHostMissingUser(t *testing.T) {
	ctx := context.Background()
	h := fakes.NewHost()
	calls := map[string]func() error{
		"LookupUser":  func() error { _, err := h.LookupUser(ctx, "ghost"); return err },
		"AddGroups":   func() error { return h.AddGroups(ctx, "ghost", []string{"x"}) },
		"Lock":        func() error { return h.Lock(ctx, "ghost") },
		"Unlock":      func() error { return h.Unlock(ctx, "ghost") },
		"EndSessions": func() error { return h.EndSessions(ctx, "ghost") },
		"Delete":      func() error { return h.Delete(ctx, "ghost") },
		"WriteKeys":   func() error { return h.WriteKeys(ctx, "ghost", nil) },
		"GrantSudo":   func() error { return h.GrantSudo(ctx, "ghost") },
		"RevokeSudo":  func() error { return h.RevokeSudo(ctx, "ghost") },
	}
	for name, call := range calls {
		assert.ErrorIs(t, call(), hostsync.ErrNoSuchUser, name)
	}
	keys, err := h.ReadKeys(ctx, "ghost")
	assert.NoError(t, err, "an empty cache entry is no error")
	assert.Empty(t, keys)
	assert.Zero(t, h.Writes())
}

func TestHostDeleteRemovesEverything(t *testing.T) {
	ctx := context.Background()
	h := fakes.NewHost()
	require.NoError(t, h.CreateUser(ctx, "alice", 2000, []string{hostMarker}))
	require.NoError(t, h.WriteKeys(ctx, "alice", []hostsync.Key{{ID: "K"}}))
	require.NoError(t, h.GrantSudo(ctx, "alice"))
	h.StartSession("alice")
	h.StartSession("alice")
	assert.Equal(t, 2, h.Sessions("alice"))
	require.NoError(t, h.EndSessions(ctx, "alice"))
	assert.Zero(t, h.Sessions("alice"))
	h.StartSession("alice")
	require.NoError(t, h.Delete(ctx, "alice"))
	_, ok := h.User("alice")
	assert.False(t, ok)
	assert.Empty(t, h.Keys("alice"))
	assert.Zero(t, h.Sessions("alice"))
	assert.False(t, h.HasGroup("alice"), "the private group goes too")
	assert.True(t, h.HasGroup(hostMarker))
	// The name and UID can be used again.
	require.NoError(t, h.CreateUser(ctx, "alice", 2000, []string{hostMarker}))
	u, _ := h.User("alice")
	assert.False(t, u.Sudo)
}

func TestHostInject(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	tests := []struct {
		name   string
		method string
		fault  fakes.Fault
		want   []bool // whether each of 4 Lock calls on alice fails
	}{
		{name: "every call", method: "Lock", fault: fakes.Fault{}, want: []bool{true, true, true, true}},
		{name: "times", method: "Lock", fault: fakes.Fault{Times: 2}, want: []bool{true, true, false, false}},
		{name: "skip", method: "Lock", fault: fakes.Fault{Skip: 1, Times: 1}, want: []bool{false, true, false, false}},
		{name: "wildcard", method: "*", fault: fakes.Fault{Times: 1}, want: []bool{true, false, false, false}},
		{name: "match other user", method: "Lock", fault: fakes.Fault{Match: func(in any) bool { return in == "bob" }}, want: []bool{false, false, false, false}},
		{name: "match", method: "Lock", fault: fakes.Fault{Match: func(in any) bool { return in == "alice" }, Err: boom}, want: []bool{true, true, true, true}},
		{name: "other method", method: "Unlock", fault: fakes.Fault{}, want: []bool{false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakes.NewHost()
			require.NoError(t, h.AddUser("alice", 2000, hostMarker))
			h.Inject(tt.method, tt.fault)
			for i, fail := range tt.want {
				err := h.Lock(ctx, "alice")
				if !fail {
					assert.NoError(t, err, "call %d", i)
					continue
				}
				require.Error(t, err, "call %d", i)
				if tt.fault.Err != nil {
					assert.ErrorIs(t, err, tt.fault.Err)
				} else {
					assert.ErrorIs(t, err, fakes.ErrHostFault)
				}
			}
			assert.Equal(t, len(tt.want), h.Calls("Lock"))
			h.ClearFaults()
			assert.NoError(t, h.Lock(ctx, "alice"))
		})
	}
}

func TestHostInterruptAfter(t *testing.T) {
	ctx := context.Background()
	h := fakes.NewHost()
	h.InterruptAfter(2)
	require.NoError(t, h.CreateUser(ctx, "alice", 2000, []string{hostMarker}))
	require.NoError(t, h.Lock(ctx, "alice"))
	assert.ErrorIs(t, h.GrantSudo(ctx, "alice"), fakes.ErrHostInterrupted)
	assert.ErrorIs(t, h.SaveState(ctx, []byte("x")), fakes.ErrHostInterrupted)
	_, err := h.LookupUser(ctx, "alice")
	assert.NoError(t, err, "reads still work")
	_, err = h.ListUsers(ctx)
	assert.NoError(t, err)
	u, _ := h.User("alice")
	assert.False(t, u.Sudo)
	assert.Nil(t, h.State())
	h.ClearFaults()
	assert.NoError(t, h.GrantSudo(ctx, "alice"))
}

func TestHostContext(t *testing.T) {
	h := fakes.NewHost()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, h.CreateUser(ctx, "alice", 2000, []string{hostMarker}), context.Canceled)
	_, err := h.ListUsers(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	_, ok := h.User("alice")
	assert.False(t, ok)
}

func TestHostState(t *testing.T) {
	ctx := context.Background()
	h := fakes.NewHost()
	got, err := h.LoadState(ctx)
	require.NoError(t, err)
	assert.Nil(t, got, "nothing saved yet")
	require.NoError(t, h.SaveState(ctx, []byte(`{"version":1}`)))
	got, err = h.LoadState(ctx)
	require.NoError(t, err)
	assert.Equal(t, `{"version":1}`, string(got))
	got[0] = 'X'
	assert.Equal(t, `{"version":1}`, string(h.State()), "callers get copies")
	h.SetState([]byte("garbage"))
	_, err = hostsync.LoadHostState(ctx, h, hostsync.Config{})
	assert.ErrorIs(t, err, hostsync.ErrCorruptState)
}

func TestHostRemoveFromGroup(t *testing.T) {
	h := fakes.NewHost()
	require.NoError(t, h.AddUser("alice", 2000, hostMarker, "docker"))
	h.RemoveFromGroup("alice", hostMarker)
	u, _ := h.User("alice")
	assert.Equal(t, []string{"alice", "docker"}, u.Groups)
	assert.Error(t, h.AddUser("alice", 2001))
	assert.Error(t, h.AddUser("bob", 2000), "UID taken")
}

func TestHostListUsersSorted(t *testing.T) {
	h := fakes.NewHost()
	users, err := h.ListUsers(context.Background())
	require.NoError(t, err)
	for i := 1; i < len(users); i++ {
		assert.Less(t, users[i-1].Name, users[i].Name)
	}
	assert.Equal(t, h.Users(), users)
}

func TestHostConcurrentUse(t *testing.T) {
	ctx := context.Background()
	h := fakes.NewHost()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user%d", i)
			assert.NoError(t, h.CreateUser(ctx, name, 3000+i, []string{hostMarker}))
			assert.NoError(t, h.WriteKeys(ctx, name, []hostsync.Key{{ID: name}}))
			assert.NoError(t, h.Lock(ctx, name))
			_, _ = h.ListUsers(ctx)
			_ = h.Log()
		}()
	}
	wg.Wait()
	assert.Equal(t, 24, h.Writes())
}

// The fake host is what hostsync's tests and examples sync against.
func ExampleHost() {
	ctx := context.Background()
	h := fakes.NewHost()
	cfg := hostsync.Config{}
	desired := hostsync.Desired{Complete: true, Users: []hostsync.DesiredUser{
		{IAMUserID: "AIDAEXAMPLE1", IAMName: "alice@example.com"},
		{IAMUserID: "AIDAEXAMPLE2", IAMName: "ubuntu"},
	}}
	hs, err := hostsync.LoadHostState(ctx, h, cfg)
	if err != nil {
		panic(err)
	}
	report := hostsync.Apply(ctx, h, hostsync.Plan(desired, hs, cfg))
	fmt.Println(report.Err())
	for _, line := range h.Log() {
		fmt.Println(line)
	}
	// Output:
	// <nil>
	// SaveState
	// CreateUser alice.at.example.com uid=2043089475 groups=iam-synced-users
}

func TestHostMarkSynced(t *testing.T) {
	h := fakes.NewHost()
	ctx := context.Background()
	_, ok := h.LastSync()
	assert.False(t, ok, "never synced")

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, h.MarkSynced(ctx, at))
	got, ok := h.LastSync()
	require.True(t, ok)
	assert.Equal(t, at, got)
	assert.Zero(t, h.Writes(), "the heartbeat is not a change of the host")
	assert.Empty(t, h.Log())
	assert.Equal(t, 1, h.Calls("MarkSynced"))

	h.Inject("MarkSynced", fakes.Fault{})
	err := h.MarkSynced(ctx, at.Add(time.Hour))
	assert.ErrorIs(t, err, fakes.ErrHostFault)
	got, _ = h.LastSync()
	assert.Equal(t, at, got, "a failed heartbeat records nothing")
}
