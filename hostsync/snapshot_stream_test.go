package hostsync_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

// refParse is ParseSnapshot as it was before the streaming decoder: the
// whole document decoded at once into the struct.
func refParse(data []byte) (*hostsync.Snapshot, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s hostsync.Snapshot
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data")
	}
	// MarshalSnapshot validates; its content_sha256 must be the one read.
	doc, err := hostsync.MarshalSnapshot(&s)
	if err != nil {
		return nil, err
	}
	var again hostsync.Snapshot
	if err := json.Unmarshal(doc, &again); err != nil || again.ContentSHA256 != s.ContentSHA256 {
		return nil, errors.New("content_sha256 does not match")
	}
	return &s, nil
}

// The streaming digest is the SHA-256 of json.Marshal of the content.
func TestDigestIsTheMarshalledContent(t *testing.T) {
	snap, err := hostsync.ParseSnapshot(fuzzSnapshotDoc(t))
	require.NoError(t, err)
	// Rebuild the content in document order with json.Marshal.
	type contentDoc struct {
		Format           string                  `json:"format"`
		Version          int                     `json:"version"`
		Account          string                  `json:"account"`
		AllUsers         bool                    `json:"all_users"`
		AuthorizedGroups []string                `json:"authorized_groups"`
		SudoersGroups    []string                `json:"sudoers_groups"`
		Users            []hostsync.SnapshotUser `json:"users"`
	}
	data, err := json.Marshal(contentDoc{snap.Format, snap.Version, snap.Account, snap.AllUsers, snap.AuthorizedGroups, snap.SudoersGroups, snap.Users})
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(sum[:]), snap.Digest())
}

// Readers take a gzip document as well as a JSON one, whatever it is
// called; a truncated or oversized one is malformed.
func TestDecodeSnapshotGzip(t *testing.T) {
	doc := fuzzSnapshotDoc(t)
	gz, err := hostsync.GzipSnapshot(doc)
	require.NoError(t, err)
	assert.True(t, hostsync.IsGzipSnapshot(gz))
	assert.False(t, hostsync.IsGzipSnapshot(doc))
	again, err := hostsync.GzipSnapshot(doc)
	require.NoError(t, err)
	assert.Equal(t, gz, again, "deterministic: an unchanged snapshot keeps its ETag")

	fromJSON, err := hostsync.ParseSnapshot(doc)
	require.NoError(t, err)
	fromGzip, err := hostsync.ParseSnapshot(gz)
	require.NoError(t, err)
	assert.Equal(t, fromJSON, fromGzip)

	_, err = hostsync.ParseSnapshot(gz[:len(gz)/2])
	assert.ErrorIs(t, err, hostsync.ErrSnapshotMalformed)
	_, err = hostsync.ParseSnapshot(append([]byte{0x1f, 0x8b}, "not gzip"...))
	assert.ErrorIs(t, err, hostsync.ErrSnapshotMalformed)

	// A small gzip that inflates past MaxSnapshotSize is refused.
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, err = io.WriteString(zw, `{"format":"`)
	require.NoError(t, err)
	_, err = io.CopyN(zw, letters{}, hostsync.MaxSnapshotSize)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	_, err = hostsync.DecodeSnapshot(bytes.NewReader(bomb.Bytes()))
	assert.ErrorIs(t, err, hostsync.ErrSnapshotMalformed)
	assert.ErrorContains(t, err, "more than")
}

// letters reads an endless run of 'a'.
type letters struct{}

func (letters) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// The streaming decoder accepts exactly what decoding the whole document
// did, and gives the same snapshot.
func FuzzDecodeSnapshot(f *testing.F) {
	doc := fuzzSnapshotDoc(f)
	f.Add(doc)
	f.Add([]byte(strings.Replace(string(doc), `"format"`, `"FORMAT"`, 1)))
	f.Add([]byte(strings.Replace(string(doc), `"users": [`, `"users": null, "users": [`, 1)))
	f.Add([]byte(`{"users":[null]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if hostsync.IsGzipSnapshot(data) {
			return // the reference reads JSON only
		}
		got, err := hostsync.ParseSnapshot(data)
		want, refErr := refParse(data)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("streaming: %v; whole document: %v", err, refErr)
		}
		if err == nil {
			want.Users = append([]hostsync.SnapshotUser{}, want.Users...)
			gotDoc, _ := hostsync.MarshalSnapshot(got)
			wantDoc, _ := hostsync.MarshalSnapshot(want)
			if !bytes.Equal(gotDoc, wantDoc) {
				t.Fatalf("different snapshots:\n%s\n%s", gotDoc, wantDoc)
			}
		}
	})
}
