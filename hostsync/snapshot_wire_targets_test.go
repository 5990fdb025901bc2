package hostsync_test

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

// TestSnapshotWireTargets holds BenchmarkSnapshotWire's targets for the
// 10,000-user corpus: gzip on the wire is at most half the JSON, and a
// host's streaming parse of it allocates at most 20 MB.
func TestSnapshotWireTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the 10,000-user corpus (about 1 s, 13 s under -race): not in -short mode")
	}
	doc := wireCorpus(t)
	gz, err := hostsync.GzipSnapshot(doc)
	require.NoError(t, err)
	assert.LessOrEqual(t, 2*len(gz), len(doc), "gzip %d of %d bytes", len(gz), len(doc))

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	snap, err := hostsync.DecodeSnapshot(bytes.NewReader(gz))
	runtime.ReadMemStats(&ms)
	require.NoError(t, err)
	require.Len(t, snap.Users, 10000)
	allocMB := float64(ms.TotalAlloc-before) / (1 << 20)
	t.Logf("gzip %d of %d bytes (%.2f), %.1f MB allocated parsing", len(gz), len(doc), float64(len(gz))/float64(len(doc)), allocMB)
	assert.LessOrEqual(t, allocMB, 20.0, "MB allocated by DecodeSnapshot")
}
