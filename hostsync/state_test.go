package hostsync_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

func TestHashUID(t *testing.T) {
	lo, hi := hostsync.DefaultUIDMin, hostsync.DefaultUIDMax
	seen := map[int]bool{}
	for i := range 1000 {
		uid := hostsync.HashUID(fmt.Sprintf("AIDA%016d", i), lo, hi)
		assert.GreaterOrEqual(t, uid, lo)
		assert.LessOrEqual(t, uid, hi)
		seen[uid] = true
	}
	assert.Len(t, seen, 1000, "no collisions among 1000 IDs in 200M slots")
	// Stable: the same on every host, pinned so a change is noticed.
	assert.Equal(t, hostsync.HashUID("AIDAEXAMPLE", lo, hi), hostsync.HashUID("AIDAEXAMPLE", lo, hi))
	assert.Equal(t, 5000, hostsync.HashUID("x", 5000, 5000))
}

func TestUIDMapAllocate(t *testing.T) {
	const lo, hi = 10000, 10009
	h := func(id string) int { return hostsync.HashUID(id, lo, hi) }
	tests := []struct {
		name    string
		entries []hostsync.UIDEntry
		inUse   []int
		active  []string
		id, nm  string
		want    int
		wantHow string
		wantErr error
	}{
		{name: "fresh: hashed", id: "AIDA1", nm: "alice", want: h("AIDA1"), wantHow: "hashed"},
		{
			name:    "recorded ID keeps its UID",
			entries: []hostsync.UIDEntry{{UserID: "AIDA1", Name: "alice", UID: 10007}},
			id:      "AIDA1", nm: "alice", want: 10007, wantHow: "recorded",
		},
		{
			name:    "recorded UID held by another local account: refused, never moved",
			entries: []hostsync.UIDEntry{{UserID: "AIDA1", Name: "alice", UID: 10007}},
			inUse:   []int{10007},
			id:      "AIDA1", nm: "alice", wantErr: hostsync.ErrUIDUnavailable,
		},
		{
			name:    "re-created under the same name: old UID back",
			entries: []hostsync.UIDEntry{{UserID: "AIDA-OLD", Name: "alice", UID: 10003}},
			id:      "AIDA-NEW", nm: "Alice", want: 10003, wantHow: "same name",
		},
		{
			name:    "same name but the old ID is still active: no reuse",
			entries: []hostsync.UIDEntry{{UserID: "AIDA-OLD", Name: "alice", UID: 10003}},
			active:  []string{"AIDA-OLD"},
			id:      "AIDA-NEW", nm: "alice", want: -1, wantHow: "",
		},
		{
			name:    "same name but its UID is held locally: no reuse",
			entries: []hostsync.UIDEntry{{UserID: "AIDA-OLD", Name: "alice", UID: 10003}},
			inUse:   []int{10003},
			id:      "AIDA-NEW", nm: "alice", want: -1,
		},
		{
			name:  "hash collides with a local account: probe upward",
			inUse: []int{h("AIDA1")},
			id:    "AIDA1", nm: "alice", want: lo + (h("AIDA1")-lo+1)%10, wantHow: "probed 1",
		},
		{
			name:    "hash collides with a recorded (deleted) user: never reused",
			entries: []hostsync.UIDEntry{{UserID: "AIDA-GONE", Name: "zed", UID: h("AIDA1")}},
			id:      "AIDA1", nm: "alice", want: lo + (h("AIDA1")-lo+1)%10, wantHow: "probed",
		},
		{
			name:  "range full",
			inUse: []int{10000, 10001, 10002, 10003, 10004, 10005, 10006, 10007, 10008, 10009},
			id:    "AIDA1", nm: "alice", wantErr: hostsync.ErrUIDUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m hostsync.UIDMap
			for _, e := range tt.entries {
				require.NoError(t, m.Set(e))
			}
			inUse := map[int]bool{}
			for _, u := range tt.inUse {
				inUse[u] = true
			}
			active := map[string]bool{}
			for _, a := range tt.active {
				active[a] = true
			}
			uid, how, err := m.Allocate(tt.id, tt.nm, lo, hi, inUse, active)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.want >= 0 {
				assert.Equal(t, tt.want, uid)
			}
			assert.GreaterOrEqual(t, uid, lo)
			assert.LessOrEqual(t, uid, hi)
			assert.False(t, inUse[uid])
			assert.Contains(t, how, tt.wantHow)
			e, ok := m.Get(tt.id)
			require.True(t, ok)
			assert.Equal(t, hostsync.UIDEntry{UserID: tt.id, Name: tt.nm, UID: uid}, e)
			for _, old := range tt.entries {
				if old.UserID != tt.id && old.UID == uid {
					_, still := m.Get(old.UserID)
					assert.False(t, still, "a reused UID leaves one entry")
				}
			}
		})
	}
}

func TestUIDMapSet(t *testing.T) {
	var m hostsync.UIDMap
	require.NoError(t, m.Set(hostsync.UIDEntry{UserID: "A", Name: "a", UID: 5000}))
	assert.Error(t, m.Set(hostsync.UIDEntry{UserID: "B", Name: "b", UID: 5000}), "UID taken")
	assert.Error(t, m.Set(hostsync.UIDEntry{UserID: "", Name: "b", UID: 5001}))
	assert.Error(t, m.Set(hostsync.UIDEntry{UserID: "C", Name: "c", UID: 999}))
	c := m.Clone()
	c.Forget("A")
	assert.Equal(t, 1, m.Len(), "Clone is independent")
	assert.Equal(t, 0, c.Len())
	e, ok := m.ByName("A")
	assert.True(t, ok, "ByName ignores case")
	assert.Equal(t, 5000, e.UID)
}

func TestStateRoundTrip(t *testing.T) {
	var s hostsync.State
	empty, err := s.Marshal()
	require.NoError(t, err)
	parsed, err := hostsync.ParseState(empty)
	require.NoError(t, err)
	assert.True(t, parsed.Equal(s))

	s = hostsync.State{Missing: map[string]int{"bob": 1, "carol": 3}, Locked: map[string]bool{"bob": true, "x": false}}
	require.NoError(t, s.UIDs.Set(hostsync.UIDEntry{UserID: "AIDA2", Name: "bob@corp.com", UID: 1900000002}))
	require.NoError(t, s.UIDs.Set(hostsync.UIDEntry{UserID: "AIDA1", Name: "alice", UID: 1900000001}))
	data, err := s.Marshal()
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":1,"missing":{"bob":1,"carol":3},"locked":["bob"],
		"uids":[{"user_id":"AIDA1","name":"alice","uid":1900000001},{"user_id":"AIDA2","name":"bob@corp.com","uid":1900000002}]}`, string(data))
	back, err := hostsync.ParseState(data)
	require.NoError(t, err)
	assert.True(t, back.Equal(s))
	again, err := back.Marshal()
	require.NoError(t, err)
	assert.Equal(t, data, again, "deterministic bytes")
}

func TestParseStateErrors(t *testing.T) {
	for _, in := range []string{
		`{`,
		`[]`,
		`{"version":2}`,
		`{"version":1,"extra":true}`,
		`{"version":1,"missing":{"bob":0}}`,
		`{"version":1,"missing":{"-rf":1}}`,
		`{"version":1,"locked":["bob","bob"]}`,
		`{"version":1,"uids":[{"user_id":"A","name":"a","uid":5000},{"user_id":"A","name":"a","uid":5001}]}`,
		`{"version":1,"uids":[{"user_id":"A","name":"a","uid":5000},{"user_id":"B","name":"b","uid":5000}]}`,
		`{"version":1,"uids":[{"user_id":"A","name":"a","uid":0}]}`,
		`{"version":1,"uids":[{"user_id":"","name":"a","uid":5000}]}`,
		`{"version":1} {"version":1}`,
		`{"version":1} x`,
	} {
		_, err := hostsync.ParseState([]byte(in))
		assert.ErrorIs(t, err, hostsync.ErrCorruptState, in)
	}
	s, err := hostsync.ParseState([]byte("  \n"))
	require.NoError(t, err, "blank means no state yet")
	assert.Empty(t, s.Missing)
}
