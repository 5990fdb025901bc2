package hostsync_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/iamkit/iamkit/hostsync"
)

// fuzzSnapshotDoc returns a valid snapshot document: two users, one with
// sudo, three keys.
func fuzzSnapshotDoc(tb testing.TB) []byte {
	tb.Helper()
	d := hostsync.Desired{Complete: true, Users: []hostsync.DesiredUser{
		{IAMUserID: "AIDAEXAMPLEALICE00001", IAMName: "alice@corp.com", Groups: []string{"ssh", "admins"},
			Keys: []hostsync.Key{
				{ID: "APKAEXAMPLEALICE0001", Body: pubKey("fuzz-alice-1"), Status: hostsync.KeyActive},
				{ID: "APKAEXAMPLEALICE0002", Body: pubKey("fuzz-alice-2"), Status: hostsync.KeyActive},
			}},
		{IAMUserID: "AIDAEXAMPLEBOB000001", IAMName: "bob", Groups: []string{"ssh"},
			Keys: []hostsync.Key{{ID: "APKAEXAMPLEBOB000001", Body: pubKey("fuzz-bob-1"), Status: hostsync.KeyActive}}},
	}}
	snap, err := hostsync.SnapshotFromDesired(d, hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}},
		"123456789012", time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := hostsync.MarshalSnapshot(snap)
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// FuzzParseSnapshot checks that ParseSnapshot never panics, that every
// error wraps ErrSnapshotMalformed, and that whatever it accepts encodes
// back to a document it accepts with the same content, byte for byte the
// same on a second round (the encoding is canonical).
func FuzzParseSnapshot(f *testing.F) {
	doc := fuzzSnapshotDoc(f)
	f.Add(doc)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"iamkit-hostsync-snapshot","version":1}`))
	f.Add(bytes.Replace(doc, []byte(`"bob"`), []byte(`"eve"`), 1))
	f.Add(bytes.ReplaceAll(doc, []byte("\n"), nil))
	f.Add(doc[:len(doc)/2])
	f.Add(bytes.Replace(doc, []byte(`"account"`), []byte(`"generation": 1768467600, "account"`), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := hostsync.ParseSnapshot(data)
		if err != nil {
			if !errors.Is(err, hostsync.ErrSnapshotMalformed) {
				t.Fatalf("error does not wrap ErrSnapshotMalformed: %v", err)
			}
			return
		}
		if snap.ContentSHA256 != snap.Digest() {
			t.Fatalf("accepted a digest that does not match")
		}
		first, err := hostsync.MarshalSnapshot(snap)
		if err != nil {
			t.Fatalf("accepted but does not encode: %v", err)
		}
		again, err := hostsync.ParseSnapshot(first)
		if err != nil {
			t.Fatalf("encoding does not parse: %v\n%s", err, first)
		}
		if again.Digest() != snap.Digest() || !again.GeneratedAt.Equal(snap.GeneratedAt) || again.Generation != snap.Generation {
			t.Fatalf("round trip changed the snapshot")
		}
		second, err := hostsync.MarshalSnapshot(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("encoding not canonical:\n%s\n%s", first, second)
		}
		// Every key of an accepted snapshot is one sshd may use.
		for _, u := range snap.Users {
			for _, k := range u.Keys {
				pk, err := hostsync.ParseKey(k.Body)
				if err != nil || pk.SHA256 != k.Fingerprint {
					t.Fatalf("accepted key %s: %v", k.ID, err)
				}
			}
		}
	})
}
