package version

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFromBuildInfo(t *testing.T) {
	cases := []struct {
		name string
		bi   debug.BuildInfo
		want Info
		str  string
	}{
		{
			name: "tagged, clean",
			bi: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/iamkit/iamkit", Version: "v0.3.0"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}, {Key: "vcs.time", Value: "2026-12-03T13:00:00Z"}}},
			want: Info{Module: "github.com/iamkit/iamkit", Version: "v0.3.0", Revision: "0123456789abcdef0123", Time: "2026-12-03T13:00:00Z", GoVersion: "go1.26.0"},
			str:  "v0.3.0 (revision 0123456789ab, 2026-12-03T13:00:00Z) go1.26.0",
		},
		{
			name: "working tree, modified",
			bi: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/iamkit/iamkit", Version: "(devel)"},
				Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			want: Info{Module: "github.com/iamkit/iamkit", Version: Devel, Revision: "abc", Modified: true, GoVersion: "go1.26.0"},
			str:  "(devel) (revision abc, modified) go1.26.0",
		},
		{
			name: "nothing stamped",
			bi:   debug.BuildInfo{GoVersion: "go1.26.0"},
			want: Info{Version: Devel, GoVersion: "go1.26.0"},
			str:  "(devel) go1.26.0",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FromBuildInfo(&c.bi)
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.str, got.String())
		})
	}
}

func TestRead(t *testing.T) {
	// A test binary has build info: its Go version is the runtime's.
	i := Read()
	assert.Equal(t, runtime.Version(), i.GoVersion)
	assert.NotEmpty(t, i.Version)
	var b bytes.Buffer
	Print(&b, "tool")
	assert.Equal(t, "tool "+i.String()+"\n", b.String())
}

func TestRequested(t *testing.T) {
	assert.True(t, Requested([]string{"--version"}))
	assert.True(t, Requested([]string{"-version"}))
	assert.False(t, Requested(nil))
	assert.False(t, Requested([]string{"--version", "x"}))
	assert.False(t, Requested([]string{"version"}))
}
