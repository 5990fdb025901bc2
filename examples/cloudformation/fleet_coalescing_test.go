package cloudformation_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A burst of IAM events coalesces in the publisher because one instance
// handles them one at a time (its handler remembers the last IAM read):
// the fleet stack's PublisherFunction keeps ReservedConcurrentExecutions: 1.
func TestFleetPublisherRunsOneAtATime(t *testing.T) {
	data, err := os.ReadFile("hostsync-fleet.yaml")
	require.NoError(t, err)
	_, fn, ok := strings.Cut(string(data), "\n  PublisherFunction:\n")
	require.True(t, ok, "hostsync-fleet.yaml has a PublisherFunction")
	// The function's block ends at the next resource (two-space indent).
	lines := strings.Split(fn, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			lines = lines[:i]
			break
		}
	}
	fn = strings.Join(lines, "\n")
	assert.Contains(t, fn, "ReservedConcurrentExecutions: 1")
}
