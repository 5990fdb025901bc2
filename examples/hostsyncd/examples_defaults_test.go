package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

// The example aws-ec2-ssh.conf shows iamkit's own keys commented out with
// their defaults: each such line, uncommented, must give the configuration
// an empty file gives.
func TestExampleConfigShowsTheDefaults(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(examplesDir, "aws-ec2-ssh.conf"))
	require.NoError(t, err)
	def, err := hostsync.ParseConfig(nil)
	require.NoError(t, err)
	shown := regexp.MustCompile(`(?m)^#(IAMKIT_[A-Z_]+=\S+)`).FindAllStringSubmatch(string(data), -1)
	require.NotEmpty(t, shown, "the commented defaults")
	var keys []string
	for _, m := range shown {
		keys = append(keys, strings.SplitN(m[1], "=", 2)[0])
		c, err := hostsync.ParseConfig([]byte(m[1] + "\n"))
		require.NoError(t, err, m[1])
		assert.Equal(t, def, c, "%s is not the default", m[1])
	}
	assert.Contains(t, keys, "IAMKIT_END_SESSIONS_ON_LOCK")
}
