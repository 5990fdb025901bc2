package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// buildStatic builds the package pkg into dir as sshd would run it: static,
// trimmed paths.
func buildStatic(tb testing.TB, dir, pkg, name string) string {
	tb.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	require.NoError(tb, err, "go build %s: %s", pkg, b)
	return out
}

// quantile is the q-quantile (nearest rank) of the sorted durations, in ms.
func quantile(sorted []time.Duration, q float64) float64 {
	i := int(q*float64(len(sorted)-1) + 0.5)
	return float64(sorted[i]) / float64(time.Millisecond)
}

// BenchmarkHostsyncKeysProcess measures what an SSH login pays for
// hostsync-keys: whole-process wall time of "hostsync-keys USER FINGERPRINT"
// (sshd's %u %f) answering from a key cache, interleaved round-robin with a
// static hello-world and /bin/true so that machine noise hits all three
// alike. It reports p50 and p99 of each (ms) and the ratios of
// hostsync-keys to hello-world (target: at most 1.3).
func BenchmarkHostsyncKeysProcess(b *testing.B) {
	h := newHost(b)
	bin := b.TempDir()
	keys := buildStatic(b, bin, ".", "hostsync-keys")
	hello := buildStatic(b, bin, "./testdata/hello", "hello")
	procs := []struct {
		name string
		argv []string
	}{
		{"keys", []string{keys, "--state-dir", h.state, "--config", h.conf, "--root", h.root, "alice", h.key.Fingerprint}},
		{"hello", []string{hello}},
		{"true", []string{"/bin/true"}},
	}
	// Check once that hostsync-keys answers with alice's key.
	out, err := exec.Command(procs[0].argv[0], procs[0].argv[1:]...).Output()
	require.NoError(b, err)
	require.Contains(b, string(out), h.key.Body)

	times := make([][]time.Duration, len(procs))
	for b.Loop() {
		for i, p := range procs {
			start := time.Now()
			cmd := exec.Command(p.argv[0], p.argv[1:]...)
			if err := cmd.Run(); err != nil {
				b.Fatalf("%s: %v", p.name, err)
			}
			times[i] = append(times[i], time.Since(start))
		}
	}
	b.StopTimer()
	p50, p99 := make([]float64, len(procs)), make([]float64, len(procs))
	for i, p := range procs {
		slices.Sort(times[i])
		p50[i], p99[i] = quantile(times[i], 0.50), quantile(times[i], 0.99)
		b.ReportMetric(p50[i], p.name+"-p50-ms")
		b.ReportMetric(p99[i], p.name+"-p99-ms")
	}
	b.ReportMetric(p50[0]/p50[1], "keys/hello-p50")
	b.ReportMetric(p99[0]/p99[1], "keys/hello-p99")
	st, err := os.Stat(keys)
	require.NoError(b, err)
	b.ReportMetric(float64(st.Size())/(1<<20), "keys-MiB")
}
