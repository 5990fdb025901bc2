package authkeys_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync/authkeys"
)

func TestIAMName(t *testing.T) {
	tests := []struct {
		linux, want string
		ok          bool
	}{
		{"alice", "alice", true},
		{"bob.at.corp.com", "bob@corp.com", true},
		{"a.plus.b.equal.c.comma.d", "a+b=c,d", true},
		{"bob.AT.corp.com", "", false}, // LinuxName spells it ".at."
		{"..", "", false},
		{"-x", "", false},
		{"1234", "", false},
	}
	for _, tt := range tests {
		got, err := authkeys.IAMName(tt.linux)
		if !tt.ok {
			assert.ErrorIs(t, err, authkeys.ErrInvalidName, tt.linux)
			continue
		}
		require.NoError(t, err, tt.linux)
		assert.Equal(t, tt.want, got)
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, data string
		want       authkeys.Config
		wantErr    string
	}{
		{name: "empty", want: authkeys.Config{MarkerGroup: authkeys.DefaultMarkerGroup}},
		{name: "keys read", data: "export LOCAL_MARKER_GROUP='ssh-users' # marker\nLOCAL_GROUPS=\"a, b\"\nIAMKIT_RESERVED=x,y,x\nOTHER=1\n",
			want: authkeys.Config{MarkerGroup: "ssh-users", LocalGroups: []string{"a", "b"}, Reserved: []string{"x", "y"}}},
		{name: "empty marker means the default", data: "LOCAL_MARKER_GROUP=\n", want: authkeys.Config{MarkerGroup: authkeys.DefaultMarkerGroup}},
		{name: "expansion", data: "LOCAL_MARKER_GROUP=$(id)\n", wantErr: "config line 1: LOCAL_MARKER_GROUP: syntax error"},
		{name: "any line must parse", data: "\nrm -rf /\n", wantErr: "config line 2: syntax error"},
		{name: "invalid group", data: "LOCAL_GROUPS=ok,-bad\n", wantErr: "LOCAL_GROUPS: invalid value"},
		{name: "marker among local groups", data: "LOCAL_GROUPS=iam-synced-users\n", wantErr: "is the marker group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authkeys.ParseConfig([]byte(tt.data))
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
