package hostsync

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iamkit/iamkit/internal/awsname"
)

// SnapshotFormat is the "format" field of every snapshot document.
const SnapshotFormat = "iamkit-hostsync-snapshot"

// SnapshotVersion is the version of the snapshot format this package writes
// and reads. A reader refuses any other version: a snapshot written by a
// newer publisher is unknown to an older host, never half-understood.
const SnapshotVersion = 1

// MaxSnapshotSize bounds the size of a snapshot document ParseSnapshot
// accepts (about 100,000 users with two RSA-4096 keys each).
const MaxSnapshotSize = 64 << 20

// maxSnapshotGroupLen is IAM's limit on group names.
const maxSnapshotGroupLen = 128

// Errors of snapshots, wrapped by the errors ParseSnapshot returns and by
// the Desired.Err of a SnapshotSource that refuses a snapshot, for callers
// to branch on with errors.Is.
var (
	// ErrSnapshotMalformed: the document is not a valid snapshot: not JSON,
	// an unknown field or version, a field out of place, a key whose
	// fingerprint or canonical body does not match, or a content_sha256
	// that does not match the content (edited by hand, truncated, or
	// corrupted).
	ErrSnapshotMalformed = errors.New("hostsync: malformed snapshot")
	// ErrSnapshotStale: the snapshot was generated longer ago than the
	// source's MaxAge (its publisher stopped publishing), or lies in the
	// future.
	ErrSnapshotStale = errors.New("hostsync: stale snapshot")
	// ErrSnapshotAccount: the snapshot comes from another AWS account than
	// the source expects.
	ErrSnapshotAccount = errors.New("hostsync: snapshot from an unexpected account")
	// ErrSnapshotScope: the host's configuration authorizes or gives sudo
	// through a group whose members the snapshot does not list, so users
	// missing from it might not be missing from IAM.
	ErrSnapshotScope = errors.New("hostsync: snapshot does not cover the configured groups")
	// ErrSnapshotEncryption: the snapshot object is not encrypted with the
	// KMS key the source requires.
	ErrSnapshotEncryption = errors.New("hostsync: snapshot not encrypted with the required KMS key")
	// ErrSnapshotNotFound: there is no snapshot object (or file) yet.
	ErrSnapshotNotFound = errors.New("hostsync: no snapshot")
	// ErrSnapshotRollback: the snapshot is older than the one the source
	// last applied (a lower generation, or for snapshots without one an
	// earlier generated_at), or has the same generation with other
	// content: a replayed, restored or racing object. Snapshots only move
	// forward; see Snapshot.Generation.
	ErrSnapshotRollback = errors.New("hostsync: snapshot older than the one last applied")
	// ErrSnapshotConflict: Publish kept losing the race for the object to
	// other writers (its conditional PutObject failed each attempt).
	ErrSnapshotConflict = errors.New("hostsync: the snapshot object kept changing while publishing")
)

// Snapshot is the desired state of a whole fleet, as one publisher read it
// from IAM: the users (the members of the authorized groups, or every IAM
// user), their groups among the groups of interest, their mapped Linux
// names and their Active SSH keys. Hosts read it (SnapshotSource) instead of
// asking IAM themselves.
//
// The document is JSON (see MarshalSnapshot):
//
//	{
//	  "format": "iamkit-hostsync-snapshot",
//	  "version": 1,
//	  "generated_at": "2026-01-15T09:00:00Z",
//	  "generation": 1768467600,
//	  "account": "123456789012",
//	  "all_users": false,
//	  "authorized_groups": ["ssh"],
//	  "sudoers_groups": ["admins"],
//	  "content_sha256": "…",
//	  "users": [
//	    {
//	      "iam_user_id": "AIDA…",
//	      "name": "alice@corp.com",
//	      "linux_name": "alice.at.corp.com",
//	      "groups": ["admins", "ssh"],
//	      "keys": [
//	        {"id": "APKA…", "fingerprint": "SHA256:…", "body": "ssh-ed25519 AAAA…"}
//	      ]
//	    }
//	  ]
//	}
//
// Determinism: the same IAM state gives the same content and so the same
// content_sha256, whatever the order IAM listed things in: users are sorted
// by name then ID, groups by name, keys by ID, and keys are in canonical
// form (PublicKey.Body, no comment). generated_at and generation are the
// fields that change with every write; they are left out of content_sha256,
// and Publish rewrites
// the object only when content_sha256 changed or the object is older than
// its refresh interval. Between two such writes the object's bytes — and so
// its ETag — do not change, and a host's conditional GET costs one 304.
//
// content_sha256 is the hex SHA-256 of the compact JSON encoding of the
// document without generated_at, generation and content_sha256 (see
// Digest). It
// detects corruption and hand edits; it is no signature: whoever may write
// the object could recompute it. Authenticity comes from who may write the
// object (the publisher's IAM policy) and, optionally, from SSE-KMS with a
// key only the publisher may encrypt with (WithKMSKey).
type Snapshot struct {
	// Format is SnapshotFormat.
	Format string `json:"format"`
	// Version is SnapshotVersion.
	Version int `json:"version"`
	// GeneratedAt is when the publisher read IAM, in UTC.
	GeneratedAt time.Time `json:"generated_at"`
	// Generation orders the snapshots of one object: Publish writes each
	// new object with a generation greater than the one in place (at
	// least its generation plus one, and at least GeneratedAt in Unix
	// seconds, so that it still grows after the object was deleted or
	// rolled back), with a PutObject conditional on the ETag it read, so
	// that of two racing publishers one wins and the other re-reads. A
	// SnapshotSource refuses (ErrSnapshotRollback) a snapshot with a lower
	// generation than the one it last applied, or the same generation and
	// another content_sha256, and persists that generation with its cache
	// file. Zero (absent: snapshots written before generations existed)
	// is the lowest: such a snapshot is accepted only while no snapshot
	// with a generation was applied, and only if its generated_at is not
	// older than the last applied one's. Not covered by content_sha256.
	Generation uint64 `json:"generation,omitempty"`
	// Account is the 12-digit ID of the AWS account whose IAM users these
	// are.
	Account string `json:"account"`
	// AllUsers is set when the snapshot lists every IAM user of the account
	// (the publisher's configuration names no authorized group).
	AllUsers bool `json:"all_users"`
	// AuthorizedGroups are the groups whose members the snapshot lists
	// (empty when AllUsers).
	AuthorizedGroups []string `json:"authorized_groups"`
	// SudoersGroups are further groups whose membership the users' Groups
	// report (for sudo).
	SudoersGroups []string `json:"sudoers_groups"`
	// ContentSHA256 is the hex SHA-256 of the content; see Digest.
	ContentSHA256 string `json:"content_sha256"`
	// Users are the users, sorted by name then IAM user ID.
	Users []SnapshotUser `json:"users"`
}

// SnapshotUser is one IAM user of a snapshot.
type SnapshotUser struct {
	// IAMUserID is the IAM user ID (AIDA…); UIDs derive from it.
	IAMUserID string `json:"iam_user_id"`
	// Name is the IAM user name.
	Name string `json:"name"`
	// LinuxName is the Linux user name (MapNames), or empty when the name
	// cannot be mapped (every host then skips the user, with the reason).
	LinuxName string `json:"linux_name,omitempty"`
	// Groups are the user's groups among AuthorizedGroups and
	// SudoersGroups, sorted.
	Groups []string `json:"groups"`
	// Keys are the user's Active SSH keys, sorted by ID.
	Keys []SnapshotKey `json:"keys"`
}

// SnapshotKey is one Active SSH public key of a snapshot user.
type SnapshotKey struct {
	// ID is IAM's SSHPublicKeyId.
	ID string `json:"id"`
	// Fingerprint is the SHA256 fingerprint, as sshd's %f prints it.
	Fingerprint string `json:"fingerprint"`
	// Body is the key in canonical authorized_keys form (PublicKey.Body).
	Body string `json:"body"`
}

// normalize replaces nil slices by empty ones, so that null and [] encode
// (and hash) alike.
func (s *Snapshot) normalize() {
	orEmpty := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	s.AuthorizedGroups = orEmpty(s.AuthorizedGroups)
	s.SudoersGroups = orEmpty(s.SudoersGroups)
	if s.Users == nil {
		s.Users = []SnapshotUser{}
	}
	for i := range s.Users {
		u := &s.Users[i]
		u.Groups = orEmpty(u.Groups)
		if u.Keys == nil {
			u.Keys = []SnapshotKey{}
		}
	}
}

// Digest returns the hex SHA-256 of the snapshot's content: the
// compact JSON encoding of every field but GeneratedAt, Generation and
// ContentSHA256, in document order, with absent lists as []. Two snapshots
// of the same IAM state have the same Digest; MarshalSnapshot stores it as content_sha256.
func (s *Snapshot) Digest() string {
	c := *s
	c.normalize()
	// The compact JSON of the content (format, version, account,
	// all_users, authorized_groups, sudoers_groups, users, in this order),
	// written to the hash piece by piece — the header, then one user at a
	// time — rather than built whole: the same bytes as json.Marshal of the
	// whole.
	d := newDigestWriter()
	hdr := struct {
		Format           string   `json:"format"`
		Version          int      `json:"version"`
		Account          string   `json:"account"`
		AllUsers         bool     `json:"all_users"`
		AuthorizedGroups []string `json:"authorized_groups"`
		SudoersGroups    []string `json:"sudoers_groups"`
	}{c.Format, c.Version, c.Account, c.AllUsers, c.AuthorizedGroups, c.SudoersGroups}
	d.buf.Reset()
	if err := d.enc.Encode(hdr); err != nil {
		// Strings, bools and ints always encode.
		panic(fmt.Sprintf("hostsync: encoding snapshot content: %v", err))
	}
	head := bytes.TrimSuffix(bytes.TrimSuffix(d.buf.Bytes(), []byte("\n")), []byte("}"))
	d.h.Write(head)
	d.raw(`,"users":[`)
	for i := range c.Users {
		if i > 0 {
			d.raw(",")
		}
		if err := d.value(&c.Users[i]); err != nil {
			panic(fmt.Sprintf("hostsync: encoding snapshot content: %v", err))
		}
	}
	d.raw("]}")
	return hex.EncodeToString(d.h.Sum(nil))
}

// KeyCount returns the number of keys in the snapshot.
func (s *Snapshot) KeyCount() int {
	n := 0
	for _, u := range s.Users {
		n += len(u.Keys)
	}
	return n
}

// MarshalSnapshot returns the snapshot document: indented JSON with a final
// newline, ContentSHA256 computed, GeneratedAt in UTC. The same snapshot
// always gives the same bytes. It fails, wrapping ErrSnapshotMalformed,
// when the snapshot would not pass ParseSnapshot.
func MarshalSnapshot(s *Snapshot) ([]byte, error) {
	c := *s
	c.Users = slices.Clone(s.Users)
	c.GeneratedAt = s.GeneratedAt.UTC()
	c.normalize()
	c.ContentSHA256 = c.Digest()
	if err := c.validate(); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, errorf("encoding snapshot: %w", err)
	}
	return append(data, '\n'), nil
}

func malformed(format string, args ...any) error {
	return errorf("%w: %s", ErrSnapshotMalformed, fmt.Sprintf(format, args...))
}

// ParseSnapshot parses and checks a snapshot document. Every error wraps
// ErrSnapshotMalformed. It accepts only what MarshalSnapshot writes (any
// white space aside): the format and version this package knows, no
// unknown field, no trailing data, at most MaxSnapshotSize bytes; a
// 12-digit account; valid, sorted, unique group names; users sorted by name
// then ID with unique IDs and names (ignoring case, like IAM), valid IAM
// names, a linux_name that is empty or LinuxName(name), groups among the
// snapshot's groups and, unless all_users, at least one authorized group;
// keys sorted by ID, unique IDs, bodies that ParseKey accepts, in canonical
// form, with the matching fingerprint, no key twice for a user; and a
// content_sha256 that matches the content.
//
// Whether the snapshot is recent enough, from the right account and covers
// the host's groups is for the reader to check (SnapshotSource does).
func ParseSnapshot(data []byte) (*Snapshot, error) {
	if len(data) > MaxSnapshotSize {
		return nil, malformed("%d bytes, more than %d", len(data), MaxSnapshotSize)
	}
	return DecodeSnapshot(bytes.NewReader(data))
}

// validate checks everything but content_sha256; see ParseSnapshot.
func (s *Snapshot) validate() error {
	switch {
	case s.Format != SnapshotFormat:
		return malformed("format %q, want %q", s.Format, SnapshotFormat)
	case s.Version != SnapshotVersion:
		return malformed("version %d: this reader knows version %d only", s.Version, SnapshotVersion)
	case s.GeneratedAt.IsZero():
		return malformed("no generated_at")
	case !awsname.IsAccountID(s.Account):
		return malformed("account %q is not a 12-digit AWS account ID", s.Account)
	case s.AllUsers && len(s.AuthorizedGroups) > 0:
		return malformed("all_users with authorized_groups")
	case !s.AllUsers && len(s.AuthorizedGroups) == 0:
		return malformed("no authorized_groups and not all_users")
	}
	if len(s.ContentSHA256) != sha256.Size*2 || strings.ToLower(s.ContentSHA256) != s.ContentSHA256 {
		return malformed("content_sha256 is not 64 lower-case hex digits")
	}
	if _, err := hex.DecodeString(s.ContentSHA256); err != nil {
		return malformed("content_sha256 is not 64 lower-case hex digits")
	}
	groups := map[string]bool{} // lower case → authorized
	for _, list := range []struct {
		name       string
		groups     []string
		authorized bool
	}{{"authorized_groups", s.AuthorizedGroups, true}, {"sudoers_groups", s.SudoersGroups, false}} {
		for i, g := range list.groups {
			if err := checkGroupName(g); err != nil {
				return malformed("%s: %v", list.name, err)
			}
			if i > 0 && list.groups[i-1] >= g {
				return malformed("%s not sorted or not unique at %q", list.name, g)
			}
			if _, dup := groups[strings.ToLower(g)]; dup {
				return malformed("%s: group %q listed twice", list.name, g)
			}
			groups[strings.ToLower(g)] = list.authorized
		}
	}
	ids := make(map[string]bool, len(s.Users))
	names := make(map[string]bool, len(s.Users))
	keyIDs := map[string]bool{}
	scratch := make([]byte, 0, 1024)
	for i := range s.Users {
		u := &s.Users[i]
		if err := u.validate(groups, s.AllUsers, &scratch); err != nil {
			return err
		}
		if i > 0 {
			p := &s.Users[i-1]
			if cmp.Or(strings.Compare(p.Name, u.Name), strings.Compare(p.IAMUserID, u.IAMUserID)) >= 0 {
				return malformed("users not sorted by name and ID at %q", u.Name)
			}
		}
		if ids[u.IAMUserID] {
			return malformed("IAM user ID %s listed twice", u.IAMUserID)
		}
		ids[u.IAMUserID] = true
		if lower := strings.ToLower(u.Name); names[lower] {
			return malformed("user name %q listed twice (IAM names are unique regardless of case)", u.Name)
		} else {
			names[lower] = true
		}
		for _, k := range u.Keys {
			if keyIDs[k.ID] {
				return malformed("key ID %s listed twice", k.ID)
			}
			keyIDs[k.ID] = true
		}
	}
	return nil
}

// validate checks one user; groups maps the snapshot's groups (lower case)
// to whether they are authorized groups; scratch is reused to decode keys.
func (u *SnapshotUser) validate(groups map[string]bool, allUsers bool, scratch *[]byte) error {
	if !validIAMID(u.IAMUserID) {
		return malformed("user %q: IAM user ID %q is not valid", u.Name, u.IAMUserID)
	}
	if err := checkIAMName(u.Name); err != nil {
		return malformed("user ID %s: %v", u.IAMUserID, err)
	}
	if u.LinuxName != "" {
		want, err := LinuxName(u.Name)
		if err != nil || want != u.LinuxName {
			return malformed("user %q: linux_name %q is not the name's mapping", u.Name, u.LinuxName)
		}
	}
	authorized := allUsers
	for i, g := range u.Groups {
		auth, ok := groups[strings.ToLower(g)]
		if !ok {
			return malformed("user %q: group %q is not among the snapshot's groups", u.Name, g)
		}
		authorized = authorized || auth
		if i > 0 && u.Groups[i-1] >= g {
			return malformed("user %q: groups not sorted or not unique at %q", u.Name, g)
		}
	}
	if !authorized {
		return malformed("user %q is in no authorized group", u.Name)
	}
	fps := make(map[string]bool, len(u.Keys))
	for i, k := range u.Keys {
		if !validIAMID(k.ID) {
			return malformed("user %q: key ID %q is not valid", u.Name, k.ID)
		}
		if i > 0 && u.Keys[i-1].ID >= k.ID {
			return malformed("user %q: keys not sorted by ID at %s", u.Name, k.ID)
		}
		var fpErr *fingerprintError
		switch err := checkSnapshotKey(k.Body, k.Fingerprint, scratch); {
		case errors.Is(err, errNotCanonical):
			return malformed("user %q key %s: body is not in canonical form", u.Name, k.ID)
		case errors.As(err, &fpErr):
			return malformed("user %q key %s: fingerprint %q does not match the body (%s)", u.Name, k.ID, k.Fingerprint, fpErr.want)
		case err != nil:
			return malformed("user %q key %s: %v", u.Name, k.ID, err)
		}
		if fps[k.Fingerprint] {
			return malformed("user %q key %s: same key listed twice", u.Name, k.ID)
		}
		fps[k.Fingerprint] = true
	}
	return nil
}

// validIAMID reports whether s looks like an IAM unique ID (user ID, SSH
// key ID) as IAM's API reference describes them: 16 to 128 word characters.
func validIAMID(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// checkGroupName checks an IAM group name.
func checkGroupName(g string) error {
	if g == "" || len(g) > maxSnapshotGroupLen {
		return fmt.Errorf("group name %q is empty or longer than %d characters", g, maxSnapshotGroupLen)
	}
	for i := 0; i < len(g); i++ {
		if !isIAMNameChar(g[i]) {
			return fmt.Errorf("group name %q: character %q is not allowed", g, g[i])
		}
	}
	return nil
}

// sortedGroups returns groups deduplicated ignoring case (the first
// spelling wins) and sorted.
func sortedGroups(groups []string) []string {
	out := dedupeFold(groups)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return out
}

// SnapshotFromDesired makes a snapshot of a complete Desired read with
// configuration cfg (whose AuthorizedGroups and SudoersGroups say which
// groups the Desired covers) from account, generated at now (truncated to
// the second).
//
// Each user's keys are canonicalized as Plan would: keys that are not
// Active, that ParseKey rejects or that repeat another key of the user are
// left out. A user's Groups keep only the configured groups. Linux names
// come from MapNames over all the users; a name it refuses gets no
// linux_name (hosts then skip the user and say why). An incomplete Desired,
// a user twice, or anything that would not pass ParseSnapshot is an error.
func SnapshotFromDesired(d Desired, cfg Config, account string, now time.Time) (*Snapshot, error) {
	if d.Err != nil || !d.Complete {
		err := d.Err
		if err == nil {
			err = errors.New("incomplete source")
		}
		return nil, errorf("snapshot: the source is unknown: %w", err)
	}
	if !awsname.IsAccountID(account) {
		return nil, errorf("snapshot: account %q is not a 12-digit AWS account ID", account)
	}
	s := &Snapshot{
		Format:           SnapshotFormat,
		Version:          SnapshotVersion,
		GeneratedAt:      now.UTC().Truncate(time.Second),
		Account:          account,
		AllUsers:         len(cfg.AuthorizedGroups) == 0,
		AuthorizedGroups: sortedGroups(cfg.AuthorizedGroups),
	}
	// A sudoers group that is also authorized is listed once, as authorized.
	var sudoers []string
	for _, g := range cfg.SudoersGroups {
		if !slices.ContainsFunc(s.AuthorizedGroups, func(a string) bool { return strings.EqualFold(a, g) }) {
			sudoers = append(sudoers, g)
		}
	}
	s.SudoersGroups = sortedGroups(sudoers)
	known := map[string]string{} // lower case → spelling in the snapshot
	for _, g := range slices.Concat(s.AuthorizedGroups, s.SudoersGroups) {
		known[strings.ToLower(g)] = g
	}

	names := make([]string, len(d.Users))
	for i, u := range d.Users {
		names[i] = u.IAMName
	}
	mapped, _ := MapNames(names)
	s.Users = make([]SnapshotUser, 0, len(d.Users))
	for _, du := range d.Users {
		var groups []string
		for _, g := range du.Groups {
			if spelled, ok := known[strings.ToLower(g)]; ok && !slices.Contains(groups, spelled) {
				groups = append(groups, spelled)
			}
		}
		slices.Sort(groups)
		if !s.AllUsers && !cfg.Authorizes(groups) {
			continue // not a member of an authorized group: no host wants it
		}
		keys, _ := canonicalKeys(du.Keys)
		sk := make([]SnapshotKey, len(keys))
		for i, k := range keys {
			sk[i] = SnapshotKey{ID: k.ID, Fingerprint: k.Fingerprint, Body: k.Body}
		}
		s.Users = append(s.Users, SnapshotUser{
			IAMUserID: du.IAMUserID, Name: du.IAMName, LinuxName: mapped[du.IAMName],
			Groups: groups, Keys: sk,
		})
	}
	slices.SortFunc(s.Users, func(a, b SnapshotUser) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.IAMUserID, b.IAMUserID))
	})
	s.normalize()
	s.ContentSHA256 = s.Digest()
	if err := s.validate(); err != nil {
		return nil, errorf("snapshot: %w", err)
	}
	return s, nil
}

// Desired returns the snapshot's users as a complete Desired (fresh slices
// on every call), with LinuxName set and every key Active.
func (s *Snapshot) Desired() Desired {
	d := Desired{Complete: true, Users: make([]DesiredUser, len(s.Users))}
	for i, u := range s.Users {
		keys := make([]Key, len(u.Keys))
		for j, k := range u.Keys {
			keys[j] = Key{ID: k.ID, Body: k.Body, Fingerprint: k.Fingerprint, Status: KeyActive}
		}
		d.Users[i] = DesiredUser{
			IAMUserID: u.IAMUserID, IAMName: u.Name, LinuxName: u.LinuxName,
			Groups: slices.Clone(u.Groups), Keys: keys,
		}
	}
	return d
}

// Covers reports, as an error wrapping ErrSnapshotScope, a group of cfg
// whose members the snapshot does not list: every authorized group must be
// one of the snapshot's authorized groups (or the snapshot lists every
// user), every sudoers group one of its groups; a configuration that names
// no authorized group (every IAM user) needs an all_users snapshot. Group
// names compare ignoring case, as IAM's do.
func (s *Snapshot) Covers(cfg Config) error {
	has := func(list []string, g string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, g) })
	}
	if len(cfg.AuthorizedGroups) == 0 && !s.AllUsers {
		return errorf("%w: the configuration authorizes every IAM user, the snapshot lists the members of %s only",
			ErrSnapshotScope, strings.Join(s.AuthorizedGroups, ", "))
	}
	if !s.AllUsers {
		for _, g := range cfg.AuthorizedGroups {
			if !has(s.AuthorizedGroups, g) {
				return errorf("%w: authorized group %q is not among the snapshot's authorized groups (%s)",
					ErrSnapshotScope, g, strings.Join(s.AuthorizedGroups, ", "))
			}
		}
	}
	for _, g := range cfg.SudoersGroups {
		if !has(s.AuthorizedGroups, g) && !has(s.SudoersGroups, g) {
			return errorf("%w: sudoers group %q is not among the snapshot's groups", ErrSnapshotScope, g)
		}
	}
	return nil
}

// SeedKeyBodyCache puts the body of every key of the snapshot into c and
// returns how many it put. A publisher that starts cold (a new Lambda
// execution environment) seeds its IAMSource's cache from the snapshot in
// place, so that even its first read costs one ListSSHPublicKeys per user
// plus the listing pages, with no GetSSHPublicKey for keys already
// published. IAM never changes the body behind a key ID, and the snapshot
// was checked by ParseSnapshot (each body matches its fingerprint); seed
// only from a snapshot read from the publisher's own bucket and account.
func (s *Snapshot) SeedKeyBodyCache(c KeyBodyCache) int {
	n := 0
	for _, u := range s.Users {
		for _, k := range u.Keys {
			c.Put(k.ID, k.Body)
			n++
		}
	}
	return n
}

// dedupeFold drops names equal up to letter case to an earlier one (IAM
// group names are unique regardless of case).
func dedupeFold(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	return out
}
