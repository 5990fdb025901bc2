package s3snapshot_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestRevocationTargets holds the targets for a change made through
// iamkit (BenchmarkRevocation gives the 1,000-host figures): every host
// refuses the victim's keys and has ended their sessions within 60 s at the
// 99th percentile, for at most 240 requests per host per hour.
func TestRevocationTargets(t *testing.T) {
	hosts := 100
	if testing.Short() {
		hosts = 50
	}
	res := simulateRevocation(t, hosts, 0, 1)
	lat := slices.Clone(res.latencies)
	slices.Sort(lat)
	p99 := percentile(lat, 0.99)
	perHour := float64(res.gets) / float64(hosts) / revokeWindow.Hours()
	t.Logf("%d hosts: p99 %s, max %s, %.1f requests/host/hour, %d publishes", hosts, p99, lat[len(lat)-1], perHour, res.publishes)
	assert.LessOrEqual(t, p99, 60*time.Second, "revoke p99")
	assert.LessOrEqual(t, perHour, 240.0, "requests/host/hour")
}
