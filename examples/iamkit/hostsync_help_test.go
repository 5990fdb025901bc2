package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// 'iamkit hostsync --help' says what the code does: sshd's shipped command
// is hostsync-keys, *_TAG falls back to ec2:DescribeTags, a lock waits for a
// direct read and ends sessions by default, and a rename keeps the account.
func TestHostsyncHelpMatchesTheCode(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("hostsync", "--help"))
	out := e.stdout.String()
	for _, want := range []string{
		"hostsync-keys",
		"ec2:DescribeTags",
		"direct read",
		"IAMKIT_END_SESSIONS_ON_LOCK=0",
		"renamed in IAM",
		"revoke",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "locks a user that left IAM at once")
}
