package hostsync_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/iamkit/iamkit/hostsync"
)

// wireCorpus returns the snapshot document of the 10,000-user corpus
// (benchDesired: 10,000 users × 2 ed25519 keys).
func wireCorpus(b testing.TB) []byte {
	b.Helper()
	snap, err := hostsync.SnapshotFromDesired(wireDesired(10000), hostsync.Config{AuthorizedGroups: []string{"ssh"}},
		"123456789012", time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := hostsync.MarshalSnapshot(snap)
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

// wireID returns an IAM-like unique ID: prefix and 17 characters derived
// from seed (IAM's look random, and so do these).
func wireID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + strings.ToUpper(base32.StdEncoding.EncodeToString(sum[:]))[:17]
}

// wireDesired returns n users named like BenchmarkFleet's (user0000...)
// with two ed25519 keys each and IAM-like IDs.
func wireDesired(n int) hostsync.Desired {
	d := hostsync.Desired{Complete: true}
	for i := range n {
		var keys []hostsync.Key
		for _, k := range []string{"a", "b"} {
			seed := fmt.Sprintf("bench-%d-%s", i, k)
			keys = append(keys, hostsync.Key{ID: wireID("APKA", seed), Body: pubKey(seed), Status: hostsync.KeyActive})
		}
		d.Users = append(d.Users, hostsync.DesiredUser{
			IAMUserID: wireID("AIDA", fmt.Sprint(i)), IAMName: fmt.Sprintf("user%04d", i), Groups: []string{"ssh"}, Keys: keys,
		})
	}
	return d
}

// BenchmarkSnapshotWire measures the 10,000-user corpus (wireDesired:
// the users of BenchmarkFleet's account at 10,000, two ed25519 keys each)
// on the wire and in the reader: json-bytes and gzip-bytes (GzipSnapshot,
// what a publisher writes to a .gz key), wire-ratio (gzip/json, target
// ≤ 0.5), and, for DecodeSnapshot reading the gzip document as a host
// does, alloc-MB per parse (target ≤ 20) and parse-ms beside its floor
// gunzip-ms (decompressing alone) and json-parse-ms (the same document
// uncompressed).
func BenchmarkSnapshotWire(b *testing.B) {
	doc := wireCorpus(b)
	gz, err := hostsync.GzipSnapshot(doc)
	if err != nil {
		b.Fatal(err)
	}
	timeIt := func(f func()) float64 {
		start := time.Now()
		f()
		return float64(time.Since(start).Microseconds()) / 1000
	}
	var gunzipMS, jsonMS float64
	b.ReportAllocs()
	for b.Loop() {
		snap, err := hostsync.DecodeSnapshot(bytes.NewReader(gz))
		if err != nil || len(snap.Users) != 10000 {
			b.Fatalf("%v", err)
		}
	}
	parseMS := float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
	b.StopTimer()
	gunzipMS = timeIt(func() {
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	})
	jsonMS = timeIt(func() {
		if _, err := hostsync.ParseSnapshot(doc); err != nil {
			b.Fatal(err)
		}
	})
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	if _, err := hostsync.DecodeSnapshot(bytes.NewReader(gz)); err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	allocMB := float64(ms.TotalAlloc-before) / (1 << 20)
	b.ReportMetric(float64(len(doc)), "json-bytes")
	b.ReportMetric(float64(len(gz)), "gzip-bytes")
	b.ReportMetric(float64(len(gz))/float64(len(doc)), "wire-ratio")
	b.ReportMetric(allocMB, "alloc-MB")
	b.ReportMetric(parseMS, "parse-ms")
	b.ReportMetric(gunzipMS, "gunzip-ms")
	b.ReportMetric(jsonMS, "json-parse-ms")
	if len(gz)*2 > len(doc) || allocMB > 20 {
		b.Fatalf("gzip %d of %d bytes, %.1f MB allocated: targets ≤ half, ≤ 20 MB", len(gz), len(doc), allocMB)
	}
}
