package hostsync_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/testenv"
)

// TestCoreLinksNoAWSSDK keeps the hostsync package itself (names, config,
// plan, apply, state, key cache, AuthorizedKeys) free of the AWS SDK, as
// its documentation says: the SDK adapters live in hostsync/iamsource,
// hostsync/s3snapshot and hostsync/ec2tags.
func TestCoreLinksNoAWSSDK(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		testenv.Skip(t, "no go command to list the package's dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/iamkit/iamkit/hostsync", "github.com/iamkit/iamkit/hostsync/authkeys").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/iamkit/iamkit/hostsync", "go list listed the package")
	var sdk []string
	for _, p := range deps {
		if strings.HasPrefix(p, "github.com/aws/") {
			sdk = append(sdk, p)
		}
	}
	assert.Empty(t, sdk, "the hostsync core links AWS SDK packages")
	for _, adapter := range []string{"iamsource", "s3snapshot", "ec2tags"} {
		assert.NotContains(t, deps, "github.com/iamkit/iamkit/hostsync/"+adapter, "the core links the adapter %s", adapter)
	}
}

// Sessions end on a lock by default: an aws-ec2-ssh.conf that does not
// mention IAMKIT_END_SESSIONS_ON_LOCK turns it on, =0 turns it off.
func TestConfigEndSessionsOnLockByDefault(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{name: "empty file", in: "", want: true},
		{name: "aws-ec2-ssh's file", in: "IAM_AUTHORIZED_GROUPS=\"ssh\"\nDONOTSYNC=0\n", want: true},
		{name: "turned off", in: "IAMKIT_END_SESSIONS_ON_LOCK=0\n", want: false},
		{name: "turned on", in: "IAMKIT_END_SESSIONS_ON_LOCK=1\n", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := hostsync.ParseConfig([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.EndSessionsOnLock)
		})
	}
	assert.True(t, hostsync.DefaultConfig().EndSessionsOnLock)
	assert.False(t, hostsync.Config{}.EndSessionsOnLock, "off in a zero Config")
}
