package hostsync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/internal/hsfixture"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/fakes"
)

// The snapshot fixture shared by hostsync's packages (internal/hsfixture).
var (
	snapCfg        = hsfixture.SnapConfig
	newSnapFixture = hsfixture.NewSnap
)

func TestBuildSnapshotContent(t *testing.T) {
	f := newSnapFixture(t)
	snap := f.Build(iamsource.NewIAMSource(f.IAM, snapCfg))
	assert.Equal(t, hostsync.SnapshotFormat, snap.Format)
	assert.Equal(t, hostsync.SnapshotVersion, snap.Version)
	assert.Equal(t, f.Acct.ID(), snap.Account)
	assert.Equal(t, fakes.DefaultStart, snap.GeneratedAt)
	assert.False(t, snap.AllUsers)
	assert.Equal(t, []string{"ssh"}, snap.AuthorizedGroups)
	assert.Equal(t, []string{"admins"}, snap.SudoersGroups)
	require.Len(t, snap.Users, 2, "carol is in no authorized group")

	alice, bob := snap.Users[0], snap.Users[1]
	assert.Equal(t, "alice@corp.com", alice.Name)
	assert.Equal(t, f.IDs["alice@corp.com"], alice.IAMUserID)
	assert.Equal(t, "alice.at.corp.com", alice.LinuxName)
	assert.Equal(t, []string{"admins", "ssh"}, alice.Groups)
	require.Len(t, alice.Keys, 1, "the Inactive key is left out")
	pk, err := hostsync.ParseKey(pubKey("alice-1"))
	require.NoError(t, err)
	assert.Equal(t, hostsync.SnapshotKey{ID: f.Keys["alice@corp.com"][0], Fingerprint: pk.SHA256, Body: pk.Body}, alice.Keys[0])
	assert.Equal(t, "bob", bob.LinuxName)
	assert.Equal(t, []string{"ssh"}, bob.Groups)
	assert.Equal(t, 2, snap.KeyCount())
	assert.Equal(t, snap.Digest(), snap.ContentSHA256)
}

func TestBuildSnapshotEveryUser(t *testing.T) {
	f := newSnapFixture(t)
	cfg := hostsync.Config{SudoersGroups: []string{"admins"}}
	snap := f.Build(iamsource.NewIAMSource(f.IAM, cfg))
	assert.True(t, snap.AllUsers)
	assert.Empty(t, snap.AuthorizedGroups)
	assert.Len(t, snap.Users, 3)
	assert.Equal(t, "carol", snap.Users[2].Name)
	assert.Empty(t, snap.Users[2].Groups)
}

func TestBuildSnapshotUnknownSourcePublishesNothing(t *testing.T) {
	f := newSnapFixture(t)
	f.Acct.Throttle("iam:ListSSHPublicKeys", 1)
	_, err := iamsource.BuildSnapshot(context.Background(), iamsource.NewIAMSource(f.IAM, snapCfg), f.Acct.ID(), f.Clk.Now())
	var se *hostsync.SourceError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "iam:ListSSHPublicKeys", se.Op)

	_, err = iamsource.BuildSnapshot(context.Background(), iamsource.NewIAMSource(f.IAM, snapCfg), "12345", f.Clk.Now())
	assert.ErrorContains(t, err, "12-digit")
}

// Same IAM state, same bytes: whatever order IAM (and the source's
// concurrent workers) listed things in. A later generation time changes
// generated_at only, not the content digest.
func TestSnapshotDeterministic(t *testing.T) {
	f := newSnapFixture(t)
	for i := range 20 {
		f.Add("user"+string(rune('a'+i)), []string{"ssh"}, "k"+string(rune('a'+i)))
	}
	var first []byte
	var digest string
	for range 5 {
		snap := f.Build(iamsource.NewIAMSource(f.IAM, snapCfg, hostsync.WithWorkers(8), hostsync.WithPageSize(3)))
		data, err := hostsync.MarshalSnapshot(snap)
		require.NoError(t, err)
		if first == nil {
			first, digest = data, snap.Digest()
			continue
		}
		assert.Equal(t, string(first), string(data))
	}
	f.Clk.Advance(time.Hour)
	later := f.Build(iamsource.NewIAMSource(f.IAM, snapCfg))
	assert.Equal(t, digest, later.Digest())
	data, err := hostsync.MarshalSnapshot(later)
	require.NoError(t, err)
	assert.NotEqual(t, string(first), string(data))
	assert.Equal(t, strings.Replace(string(first), "2026-01-15T09:00:00Z", "2026-01-15T10:00:00Z", 1), string(data))

	// The document parses back to the same snapshot.
	parsed, err := hostsync.ParseSnapshot(first)
	require.NoError(t, err)
	again, err := hostsync.MarshalSnapshot(parsed)
	require.NoError(t, err)
	assert.Equal(t, string(first), string(again))
}

// mutate decodes a valid snapshot document without checks, applies edit,
// recomputes content_sha256 unless keepDigest, and encodes it again.
func mutate(t *testing.T, doc []byte, keepDigest bool, edit func(s *hostsync.Snapshot)) []byte {
	t.Helper()
	var s hostsync.Snapshot
	require.NoError(t, json.Unmarshal(doc, &s))
	edit(&s)
	if !keepDigest {
		s.ContentSHA256 = s.Digest()
	}
	out, err := json.Marshal(&s)
	require.NoError(t, err)
	return out
}

func TestParseSnapshotRefuses(t *testing.T) {
	f := newSnapFixture(t)
	f.Add("dave", []string{"ssh"}, "dave-1", "dave-2")
	doc, err := hostsync.MarshalSnapshot(f.Build(iamsource.NewIAMSource(f.IAM, snapCfg)))
	require.NoError(t, err)
	_, err = hostsync.ParseSnapshot(doc)
	require.NoError(t, err)

	other, err := hostsync.ParseKey(pubKey("mallory"))
	require.NoError(t, err)
	tests := []struct {
		name string
		doc  []byte
		want string
	}{
		{"empty", nil, "EOF"},
		{"not JSON", []byte("hello"), "invalid character"},
		{"trailing data", append(bytes.Clone(doc), []byte(`{}`)...), "trailing data"},
		{"unknown field", bytes.Replace(doc, []byte(`"version": 1,`), []byte(`"version": 1, "extra": true,`), 1), "unknown field"},
		{"negative generation", bytes.Replace(doc, []byte(`"version": 1,`), []byte(`"version": 1, "generation": -1,`), 1), "generation"},
		{"fractional generation", bytes.Replace(doc, []byte(`"version": 1,`), []byte(`"version": 1, "generation": 1.5,`), 1), "generation"},
		{"newer version", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Version = 2 }), "version 2"},
		{"other format", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Format = "aws-ec2-ssh" }), "format"},
		{"no generation time", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.GeneratedAt = time.Time{} }), "generated_at"},
		{"bad account", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Account = "12345678901x" }), "12-digit"},
		{"no authorized groups", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.AuthorizedGroups = nil }), "no authorized_groups"},
		{"all users with groups", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.AllUsers = true }), "all_users with"},
		{"edited name, digest kept", mutate(t, doc, true, func(s *hostsync.Snapshot) { s.Users[1].Name = "bobby"; s.Users[1].LinuxName = "bobby" }), "does not match the content"},
		{"added user, digest kept", mutate(t, doc, true, func(s *hostsync.Snapshot) {
			s.Users = append(s.Users, hostsync.SnapshotUser{IAMUserID: "AIDAMALLORY0000000001", Name: "zed", Groups: []string{"ssh"},
				Keys: []hostsync.SnapshotKey{{ID: "APKAMALLORY000000001", Fingerprint: other.SHA256, Body: other.Body}}})
		}), "does not match the content"},
		{"digest not hex", mutate(t, doc, true, func(s *hostsync.Snapshot) { s.ContentSHA256 = strings.Repeat("z", 64) }), "hex"},
		{"key swapped, fingerprint kept", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[0].Keys[0].Body = other.Body }), "does not match the body"},
		{"key not canonical", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[0].Keys[0].Body += " comment" }), "canonical"},
		{"not a key", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[0].Keys[0].Body = "ssh-ed25519 AAAA" }), "invalid SSH public key"},
		{"bad key ID", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[0].Keys[0].ID = "x" }), "key ID"},
		{"key twice", mutate(t, doc, false, func(s *hostsync.Snapshot) {
			u := &s.Users[2]
			u.Keys[1].Body, u.Keys[1].Fingerprint = u.Keys[0].Body, u.Keys[0].Fingerprint
		}), "same key listed twice"},
		{"key ID twice", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[1].Keys[0].ID = s.Users[0].Keys[0].ID }), "listed twice"},
		{"keys unsorted", mutate(t, doc, false, func(s *hostsync.Snapshot) {
			u := &s.Users[2]
			u.Keys[0], u.Keys[1] = u.Keys[1], u.Keys[0]
		}), "not sorted"},
		{"users unsorted", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[0], s.Users[1] = s.Users[1], s.Users[0] }), "not sorted"},
		{"user ID twice", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[1].IAMUserID = s.Users[0].IAMUserID }), "listed twice"},
		{"name twice ignoring case", mutate(t, doc, false, func(s *hostsync.Snapshot) {
			s.Users[1].Name, s.Users[1].LinuxName = "boB", ""
			s.Users[2].Name, s.Users[2].LinuxName = "bob", ""
		}), "listed twice"},
		{"bad IAM name", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[1].Name = "bob smith"; s.Users[1].LinuxName = "" }), "not allowed"},
		{"wrong linux name", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[1].LinuxName = "root" }), "linux_name"},
		{"unknown group", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[1].Groups = []string{"ssh", "wheel"} }), "not among"},
		{"in no authorized group", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[1].Groups = []string{"admins"} }), "no authorized group"},
		{"groups unsorted", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.Users[0].Groups = []string{"ssh", "admins"} }), "not sorted"},
		{"group twice across lists", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.SudoersGroups = []string{"SSH"} }), "listed twice"},
		{"bad group name", mutate(t, doc, false, func(s *hostsync.Snapshot) { s.SudoersGroups = []string{"a b"} }), "not allowed"},
		{"too large", append(bytes.Clone(doc), bytes.Repeat([]byte(" "), hostsync.MaxSnapshotSize)...), "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hostsync.ParseSnapshot(tt.doc)
			require.Error(t, err)
			assert.ErrorIs(t, err, hostsync.ErrSnapshotMalformed)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestSnapshotCovers(t *testing.T) {
	groups := &hostsync.Snapshot{AuthorizedGroups: []string{"ops", "ssh"}, SudoersGroups: []string{"admins"}}
	all := &hostsync.Snapshot{AllUsers: true, SudoersGroups: []string{"admins"}}
	tests := []struct {
		name string
		snap *hostsync.Snapshot
		cfg  hostsync.Config
		ok   bool
	}{
		{"same groups", groups, hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}, true},
		{"case differs", groups, hostsync.Config{AuthorizedGroups: []string{"SSH", "Ops"}, SudoersGroups: []string{"ADMINS"}}, true},
		{"sudo through an authorized group", groups, hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"ops"}}, true},
		{"sudo for all", groups, hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoAll: true}, true},
		{"authorized group not listed", groups, hostsync.Config{AuthorizedGroups: []string{"dev"}}, false},
		{"authorized group only a sudoers group there", groups, hostsync.Config{AuthorizedGroups: []string{"admins"}}, false},
		{"sudoers group not listed", groups, hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"wheel"}}, false},
		{"every user wanted", groups, hostsync.Config{}, false},
		{"every user listed", all, hostsync.Config{}, true},
		{"every user listed, host wants a group", all, hostsync.Config{AuthorizedGroups: []string{"anything"}, SudoersGroups: []string{"admins"}}, true},
		{"every user listed, sudoers not", all, hostsync.Config{SudoersGroups: []string{"wheel"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.snap.Covers(tt.cfg)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, hostsync.ErrSnapshotScope)
			}
		})
	}
}

func TestPublishWritesOnlyWhenChanged(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	src := iamsource.NewIAMSource(f.IAM, snapCfg)

	res := f.Publish(src)
	assert.True(t, res.Written)
	assert.Equal(t, "no object yet", res.Reason)
	assert.Equal(t, 2, res.Users)
	assert.Equal(t, 2, res.Keys)
	obj, ok := f.S3.Object("fleet", "hosts.json")
	require.True(t, ok)
	assert.Equal(t, res.ETag, obj.ETag)
	assert.Equal(t, "application/json", obj.ContentType)
	assert.Equal(t, res.Digest, obj.Metadata[s3snapshot.SnapshotMetaDigest])
	assert.Equal(t, "2026-01-15T09:00:00Z", obj.Metadata[s3snapshot.SnapshotMetaGeneratedAt])
	assert.Equal(t, s3types.ServerSideEncryptionAes256, obj.ServerSideEncryption)
	assert.Equal(t, 1, f.Acct.Calls("s3:GetObject"))
	assert.Equal(t, 1, f.Acct.Calls("s3:PutObject"))

	// Ten minutes later, nothing changed in IAM: one GetObject, no write,
	// the object keeps its bytes and ETag.
	f.Clk.Advance(10 * time.Minute)
	f.Acct.ResetCalls()
	again := f.Publish(src)
	assert.False(t, again.Written)
	assert.Equal(t, "unchanged", again.Reason)
	assert.Equal(t, res.ETag, again.ETag)
	assert.Equal(t, map[string]int{"s3:GetObject": 1, "iam:GetGroup": 2, "iam:ListSSHPublicKeys": 2}, f.Acct.CallCounts())

	// A key added in IAM: written.
	f.Clk.Advance(10 * time.Minute)
	f.AddKey("bob", "bob-2")
	changed := f.Publish(src)
	assert.True(t, changed.Written)
	assert.Equal(t, "content changed", changed.Reason)
	assert.NotEqual(t, res.ETag, changed.ETag)

	// Unchanged but older than RefreshAfter: rewritten, so hosts can tell a
	// quiet fleet from a dead publisher.
	f.Clk.Advance(s3snapshot.DefaultSnapshotRefresh)
	refreshed := f.Publish(src)
	assert.True(t, refreshed.Written)
	assert.Equal(t, "refresh: 1h0m0s old", refreshed.Reason)
	assert.Equal(t, changed.Digest, refreshed.Digest)

	// The same bytes copied in by hand (without metadata) are the same
	// snapshot; an edited or broken object is replaced.
	f.PutRaw(f.Object())
	f.Clk.Advance(time.Minute)
	res = f.Publish(src)
	assert.False(t, res.Written, res.Reason)
	f.PutRaw(bytes.Replace(f.Object(), []byte(`"bob"`), []byte(`"eve"`), -1))
	res = f.Publish(src)
	assert.True(t, res.Written)
	assert.Contains(t, res.Reason, "not a valid snapshot")
	assert.Contains(t, res.Reason, "does not match the content")

	// A GetObject that fails (403 without s3:ListBucket, throttling...)
	// leads to a write only if there is no object (If-None-Match "*"): an
	// object in place is never overwritten unread — the write fails 412,
	// and the next round reads it.
	f.Acct.Throttle("s3:GetObject", 1)
	f.Acct.ResetCalls()
	before := f.Object()
	res, err := s3snapshot.Publish(ctx, f.S3, "fleet", "hosts.json", f.Build(src))
	require.NoError(t, err)
	assert.False(t, res.Written)
	assert.Equal(t, "unchanged", res.Reason)
	assert.Equal(t, before, f.Object())
	assert.Equal(t, 2, f.Acct.Calls("s3:GetObject"))
	assert.Equal(t, 1, f.Acct.Calls("s3:PutObject"))
	_, err = f.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json")})
	require.NoError(t, err)
	f.Acct.Throttle("s3:GetObject", 1)
	res, err = s3snapshot.Publish(ctx, f.S3, "fleet", "hosts.json", f.Build(src))
	require.NoError(t, err)
	assert.True(t, res.Written)
	assert.Contains(t, res.Reason, "could not be read")

	// A failed write is an error.
	f.Acct.Throttle("s3:PutObject", 1)
	f.AddKey("bob", "bob-3")
	_, err = s3snapshot.Publish(ctx, f.S3, "fleet", "hosts.json", f.Build(src))
	assert.ErrorContains(t, err, "Throttling")
}

func TestPublishKMS(t *testing.T) {
	f := newSnapFixture(t)
	src := iamsource.NewIAMSource(f.IAM, snapCfg)
	const key = "1234abcd-12ab-34cd-56ef-1234567890ab"
	res := f.Publish(src, hostsync.WithKMSKey(key))
	require.True(t, res.Written)
	obj, _ := f.S3.Object("fleet", "hosts.json")
	assert.Equal(t, s3types.ServerSideEncryptionAwsKms, obj.ServerSideEncryption)
	assert.True(t, strings.HasSuffix(obj.SSEKMSKeyID, ":key/"+key), obj.SSEKMSKeyID)

	res = f.Publish(src, hostsync.WithKMSKey(key))
	assert.False(t, res.Written)
	res = f.Publish(src, hostsync.WithKMSKey("alias/other"))
	assert.True(t, res.Written)
	assert.Equal(t, "encryption changed", res.Reason)
	res = f.Publish(src, hostsync.WithKMSKey("alias/other"))
	assert.False(t, res.Written, "an alias is matched through the recorded metadata")
	res = f.Publish(src)
	assert.False(t, res.Written, "no key asked: any encryption will do")

	// Hosts can insist on the key.
	d := f.Source(hostsync.WithKMSKey(key)).Desired(context.Background())
	assert.ErrorIs(t, d.Err, hostsync.ErrSnapshotEncryption)
	f.Publish(src, hostsync.WithKMSKey(key))
	d = f.Source(hostsync.WithKMSKey(key)).Desired(context.Background())
	require.NoError(t, d.Err)
	assert.True(t, d.Complete)
	arn := obj.SSEKMSKeyID[:strings.LastIndex(obj.SSEKMSKeyID, "/")+1] + key
	d = f.Source(hostsync.WithKMSKey(arn)).Desired(context.Background())
	assert.True(t, d.Complete, "%v", d.Err)
}

func TestSnapshotSourceConditionalGet(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	f.Publish(pub)
	host := f.Source()

	f.Acct.ResetCalls()
	d := host.Desired(ctx)
	require.NoError(t, d.Err)
	require.True(t, d.Complete)
	require.Len(t, d.Users, 2)
	assert.Equal(t, "alice.at.corp.com", d.Users[0].LinuxName)
	assert.Equal(t, hostsync.KeyActive, d.Users[0].Keys[0].Status)
	assert.Equal(t, 1, f.Acct.Calls("s3:GetObject"))

	// Nothing changed: each read is one GetObject answered 304.
	for range 3 {
		f.Clk.Advance(10 * time.Minute)
		f.Publish(pub)
		d2 := host.Desired(ctx)
		require.NoError(t, d2.Err)
		assert.Equal(t, d, d2)
	}
	assert.Equal(t, 4+3, f.Acct.Calls("s3:GetObject"), "the host's 4 reads and the publisher's 3")
	assert.Equal(t, 0, f.Acct.Calls("s3:PutObject"), "the publisher wrote nothing")

	// A change reaches the host at its next read.
	f.AddKey("bob", "bob-2")
	f.Publish(pub)
	d = host.Desired(ctx)
	require.NoError(t, d.Err)
	assert.Len(t, d.Users[1].Keys, 2)
	snap, etag := host.Current()
	require.NotNil(t, snap)
	obj, _ := f.S3.Object("fleet", "hosts.json")
	assert.Equal(t, obj.ETag, etag)
}

func TestSnapshotSourceRefuses(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	f.Publish(pub)
	good, err := hostsync.ParseSnapshot(f.Object())
	require.NoError(t, err)

	t.Run("stale", func(t *testing.T) {
		host := f.Source(hostsync.WithMaxAge(time.Hour), hostsync.WithClock(fakes.NewClock(f.Clk.Now().Add(61*time.Minute))))
		d := host.Desired(ctx)
		assert.False(t, d.Complete)
		assert.ErrorIs(t, d.Err, hostsync.ErrSnapshotStale)
		assert.ErrorContains(t, d.Err, "is the publisher running?")
		assert.Empty(t, d.Users)
	})
	t.Run("from the future", func(t *testing.T) {
		host := f.Source(hostsync.WithClock(fakes.NewClock(f.Clk.Now().Add(-time.Hour))))
		assert.ErrorIs(t, host.Desired(ctx).Err, hostsync.ErrSnapshotStale)
	})
	t.Run("another account", func(t *testing.T) {
		host := f.Source(hostsync.WithAccount("999999999999"))
		d := host.Desired(ctx)
		assert.ErrorIs(t, d.Err, hostsync.ErrSnapshotAccount)
		assert.False(t, d.Complete)
	})
	t.Run("groups not covered", func(t *testing.T) {
		host := s3snapshot.NewS3SnapshotSource(f.S3, "fleet", "hosts.json", hostsync.Config{AuthorizedGroups: []string{"dev"}},
			hostsync.WithAccount(f.Acct.ID()), hostsync.WithClock(f.Clk))
		assert.ErrorIs(t, host.Desired(ctx).Err, hostsync.ErrSnapshotScope)
		// The same source, viewed with a configuration it covers.
		assert.True(t, host.ForConfig(snapCfg).Desired(ctx).Complete)
	})
	t.Run("unresolved tags", func(t *testing.T) {
		host := f.Source()
		d := host.ForConfig(hostsync.Config{AuthorizedGroupsTag: "ssh-groups"}).Desired(ctx)
		assert.ErrorIs(t, d.Err, hostsync.ErrTagsUnresolved)
	})
	t.Run("missing object", func(t *testing.T) {
		host := s3snapshot.NewS3SnapshotSource(f.S3, "fleet", "nope.json", snapCfg, hostsync.WithClock(f.Clk))
		assert.ErrorIs(t, host.Desired(ctx).Err, hostsync.ErrSnapshotNotFound)
	})
	t.Run("throttled", func(t *testing.T) {
		host := f.Source()
		f.Acct.Throttle("s3:GetObject", 1)
		d := host.Desired(ctx)
		assert.False(t, d.Complete)
		assert.ErrorContains(t, d.Err, "Throttling")
		assert.True(t, host.Desired(ctx).Complete, "the next read succeeds")
	})
	t.Run("tampered, then fixed", func(t *testing.T) {
		host := f.Source()
		require.True(t, host.Desired(ctx).Complete)
		tampered := bytes.Replace(f.Object(), []byte(`"bob"`), []byte(`"eve"`), 2)
		f.PutRaw(tampered)

		f.Acct.ResetCalls()
		d := host.Desired(ctx)
		assert.False(t, d.Complete)
		assert.ErrorIs(t, d.Err, hostsync.ErrSnapshotMalformed)
		last, _ := host.Current()
		assert.Equal(t, good.Digest(), last.Digest(), "the last good snapshot stays")

		// The refused object is remembered by its ETag: 304, same error.
		d = host.Desired(ctx)
		assert.ErrorIs(t, d.Err, hostsync.ErrSnapshotMalformed)
		assert.Equal(t, 2, f.Acct.Calls("s3:GetObject"))

		f.Clk.Advance(time.Minute)
		f.Publish(pub)
		assert.True(t, host.Desired(ctx).Complete)
	})
}

func TestSnapshotSourceCacheFile(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	f.Publish(pub)
	cache := filepath.Join(t.TempDir(), "snapshot.json")

	host := f.Source(hostsync.WithCacheFile(cache))
	want := host.Desired(ctx)
	require.True(t, want.Complete)
	fi, err := os.Stat(cache)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// A restarted daemon starts from the file: its first GET is conditional
	// and answered 304.
	f.Acct.ResetCalls()
	restarted := f.Source(hostsync.WithCacheFile(cache))
	got := restarted.Desired(ctx)
	assert.Equal(t, want, got)
	assert.Equal(t, 1, f.Acct.Calls("s3:GetObject"))
	snap, etag := restarted.Current()
	require.NotNil(t, snap)
	assert.NotEmpty(t, etag)

	// While S3 is unreachable the restarted host changes nothing, even
	// with a good cached snapshot: a failed read is an unknown source.
	f.Acct.Inject("s3:GetObject", fakes.Fault{Times: 1, Err: errors.New("dial tcp: connection refused")})
	again := f.Source(hostsync.WithCacheFile(cache))
	d := again.Desired(ctx)
	assert.False(t, d.Complete)
	assert.ErrorContains(t, d.Err, "connection refused")

	// A cache file for another object, or a corrupt one, is ignored.
	other := s3snapshot.NewS3SnapshotSource(f.S3, "fleet", "other.json", snapCfg, hostsync.WithCacheFile(cache), hostsync.WithClock(f.Clk))
	assert.ErrorIs(t, other.Desired(ctx).Err, hostsync.ErrSnapshotNotFound)
	require.NoError(t, os.WriteFile(cache, []byte("{garbage"), 0o600))
	f.Acct.ResetCalls()
	fresh := f.Source(hostsync.WithCacheFile(cache))
	assert.True(t, fresh.Desired(ctx).Complete)
	assert.Equal(t, 1, f.Acct.Calls("s3:GetObject"))
	data, err := os.ReadFile(cache)
	require.NoError(t, err)
	assert.True(t, json.Valid(data), "rewritten")

	// A cached snapshot from another account is not trusted after a
	// configuration change.
	f.Acct.ResetCalls()
	strict := f.Source(hostsync.WithCacheFile(cache), hostsync.WithAccount("999999999999"))
	assert.ErrorIs(t, strict.Desired(ctx).Err, hostsync.ErrSnapshotAccount)
}

func TestFileSnapshotSource(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	data, err := hostsync.MarshalSnapshot(f.Build(iamsource.NewIAMSource(f.IAM, snapCfg)))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "hosts.json")
	opts := []hostsync.Option{hostsync.WithAccount(f.Acct.ID()), hostsync.WithClock(f.Clk)}
	src := s3snapshot.NewFileSnapshotSource(path, snapCfg, opts...)
	assert.Equal(t, path, src.Location())

	assert.ErrorIs(t, src.Desired(ctx).Err, hostsync.ErrSnapshotNotFound)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	d := src.Desired(ctx)
	require.NoError(t, d.Err)
	assert.Len(t, d.Users, 2)
	snap, _ := src.Current()
	require.NotNil(t, snap)

	require.NoError(t, os.WriteFile(path, data[:len(data)/2], 0o644))
	d = src.Desired(ctx)
	assert.ErrorIs(t, d.Err, hostsync.ErrSnapshotMalformed)
	snap, _ = src.Current()
	assert.Nil(t, snap)

	require.NoError(t, os.WriteFile(path, data, 0o644))
	f.Clk.Advance(s3snapshot.DefaultSnapshotMaxAge + time.Second)
	assert.ErrorIs(t, src.Desired(ctx).Err, hostsync.ErrSnapshotStale)
}

// A host synced from the snapshot ends up exactly like a host synced from
// live IAM with the same configuration.
func TestSnapshotSyncMatchesLiveSync(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	f.Add("dave+ops", []string{"ssh", "admins"}, "dave-1")
	f.Add("root", []string{"ssh"}, "root-1") // refused by every host
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	f.Publish(pub)

	live, fromSnap := fakes.NewHost(), fakes.NewHost()
	livePlan, _, err := hostsync.Sync(ctx, iamsource.NewIAMSource(f.IAM, snapCfg), live, snapCfg)
	require.NoError(t, err)
	snapPlan, _, err := hostsync.Sync(ctx, f.Source(), fromSnap, snapCfg)
	require.NoError(t, err)
	assert.Equal(t, snapshot(live), snapshot(fromSnap))
	assert.Equal(t, livePlan.String(), snapPlan.String())
	assert.Contains(t, skipReason(snapPlan, "root"), "reserved")
}

// A snapshot that goes bad or stale, or a bucket that cannot be read,
// changes nothing on the host: no user locked or deleted, no key file
// rewritten.
func TestSnapshotUnknownChangesNothing(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	pub := iamsource.NewIAMSource(f.IAM, snapCfg)
	f.Publish(pub)
	h := fakes.NewHost()
	src := f.Source()
	_, _, err := hostsync.Sync(ctx, src, h, snapCfg)
	require.NoError(t, err)
	before, writes := snapshot(h), h.Writes()
	require.Len(t, managedNames(h), 2)

	check := func(t *testing.T, want error) {
		t.Helper()
		for range hostsync.DefaultMissingSyncsBeforeDelete + 2 {
			p, _, err := hostsync.Sync(ctx, src, h, snapCfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
			if want != nil {
				assert.ErrorIs(t, err, want)
			}
			assert.True(t, p.Empty())
		}
		assert.Equal(t, before, snapshot(h))
		assert.Equal(t, writes, h.Writes())
	}
	t.Run("empty document", func(t *testing.T) {
		f.PutRaw([]byte("{}"))
		check(t, hostsync.ErrSnapshotMalformed)
	})
	t.Run("bucket unreachable", func(t *testing.T) {
		f.Acct.Inject("s3:GetObject", fakes.Fault{Err: errors.New("dial tcp 127.0.0.1:9: connect: connection refused")})
		defer f.Acct.ClearFaults()
		check(t, nil)
	})
	t.Run("stale", func(t *testing.T) {
		f.Publish(pub)
		f.Clk.Advance(s3snapshot.DefaultSnapshotMaxAge + time.Minute)
		check(t, hostsync.ErrSnapshotStale)
	})
}

func TestParseS3URL(t *testing.T) {
	b, k, err := s3snapshot.ParseS3URL("s3://fleet/path/to/hosts.json")
	require.NoError(t, err)
	assert.Equal(t, "fleet", b)
	assert.Equal(t, "path/to/hosts.json", k)
	for _, bad := range []string{"fleet/hosts.json", "s3://fleet", "s3://fleet/", "s3:///k", "https://fleet/k"} {
		_, _, err := s3snapshot.ParseS3URL(bad)
		assert.Error(t, err, bad)
	}
}
