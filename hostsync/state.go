package hostsync

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ErrUIDUnavailable is wrapped by UIDMap.Allocate's error when no UID can be
// given to a user: the range is full, or the user's recorded UID is held by
// another local account.
var ErrUIDUnavailable = errors.New("hostsync: no UID available")

// ErrCorruptState is wrapped by ParseState's errors.
var ErrCorruptState = errors.New("hostsync: corrupt state file")

// UIDEntry records the UID given to one IAM user.
type UIDEntry struct {
	// UserID is the IAM user ID (AIDA...), which IAM never reuses.
	UserID string `json:"user_id"`
	// Name is the IAM user name the user had when last seen.
	Name string `json:"name"`
	// UID is the Linux UID.
	UID int `json:"uid"`
}

// UIDMap is the persisted UID allocation: which UID each IAM user ID has
// been given on this host. Entries are kept after the user is deleted, so a
// UID once given to one person is never given by hashing to another; see
// Allocate for the rules. The zero UIDMap is empty and ready to use. A
// UIDMap holds a map: copy it with Clone before changing a shared one.
type UIDMap struct {
	byID   map[string]UIDEntry
	byUID  map[int]string             // UID → user ID
	byName map[string]map[string]bool // lower-case IAM name → user IDs
}

// put records e, replacing the entry of its user ID; the caller has checked
// that no other user ID holds e.UID.
func (m *UIDMap) put(e UIDEntry) {
	if m.byID == nil {
		m.byID = make(map[string]UIDEntry)
		m.byUID = make(map[int]string)
		m.byName = make(map[string]map[string]bool)
	}
	m.Forget(e.UserID)
	m.byID[e.UserID] = e
	m.byUID[e.UID] = e.UserID
	k := strings.ToLower(e.Name)
	if m.byName[k] == nil {
		m.byName[k] = make(map[string]bool)
	}
	m.byName[k][e.UserID] = true
}

// HashUID returns the UID hostsync derives from an IAM user ID within
// [lo, hi]: lo + (the first 8 bytes of SHA-256(userID) as a big-endian
// uint64) mod (hi-lo+1). Every host computes the same value, so, barring
// collisions, a user has the same UID across a fleet.
func HashUID(userID string, lo, hi int) int {
	sum := sha256.Sum256([]byte(userID))
	n := binary.BigEndian.Uint64(sum[:8])
	return lo + int(n%uint64(hi-lo+1))
}

// Len returns the number of entries.
func (m UIDMap) Len() int { return len(m.byID) }

// Get returns the entry of an IAM user ID.
func (m UIDMap) Get(userID string) (UIDEntry, bool) {
	e, ok := m.byID[userID]
	return e, ok
}

// ByName returns the entry recorded under an IAM user name, compared
// ignoring case as IAM does; with several (a name reused more than once),
// the one with the lowest UID.
func (m UIDMap) ByName(name string) (UIDEntry, bool) {
	var best UIDEntry
	found := false
	for id := range m.byName[strings.ToLower(name)] {
		if e := m.byID[id]; !found || e.UID < best.UID {
			best, found = e, true
		}
	}
	return best, found
}

// ByUID returns the entry holding a UID.
func (m UIDMap) ByUID(uid int) (UIDEntry, bool) {
	id, ok := m.byUID[uid]
	if !ok {
		return UIDEntry{}, false
	}
	return m.byID[id], true
}

// Entries returns all entries sorted by UID.
func (m UIDMap) Entries() []UIDEntry {
	out := make([]UIDEntry, 0, len(m.byID))
	for _, e := range m.byID {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].UID != out[j].UID {
			return out[i].UID < out[j].UID
		}
		return out[i].UserID < out[j].UserID
	})
	return out
}

// Clone returns an independent copy.
func (m UIDMap) Clone() UIDMap {
	var c UIDMap
	for _, e := range m.byID {
		c.put(e)
	}
	return c
}

// Set records e, replacing the entry of the same user ID. It refuses an
// empty user ID, a UID outside [MinManagedUID, 4294967294], and a UID already
// recorded for another user ID.
func (m *UIDMap) Set(e UIDEntry) error {
	if e.UserID == "" {
		return errors.New("hostsync: UID entry without an IAM user ID")
	}
	if e.UID < MinManagedUID || e.UID > maxUID {
		return errorf("UID %d of IAM user %s is outside %d–%d", e.UID, e.UserID, MinManagedUID, maxUID)
	}
	if other, ok := m.ByUID(e.UID); ok && other.UserID != e.UserID {
		return errorf("UID %d is already recorded for IAM user %s (%s)", e.UID, other.UserID, other.Name)
	}
	m.put(e)
	return nil
}

// Forget removes the entry of an IAM user ID, making its UID available
// again. Nothing in hostsync calls it: it is for an admin who knows the UID
// owns no file any more.
func (m *UIDMap) Forget(userID string) {
	e, ok := m.byID[userID]
	if !ok {
		return
	}
	delete(m.byUID, e.UID)
	delete(m.byID, userID)
	k := strings.ToLower(e.Name)
	delete(m.byName[k], userID)
	if len(m.byName[k]) == 0 {
		delete(m.byName, k)
	}
}

// special UIDs never allocated: nobody and the 16-bit (uid_t)-1.
func specialUID(uid int) bool { return uid == 65534 || uid == 65535 }

// Allocate returns the UID for an IAM user about to get a local account and
// records it. inUse holds the UIDs of the existing local accounts; active
// holds the IAM user IDs being synced now. The rules, in order:
//
//  1. A user ID already in the map keeps its UID. If a local account holds
//     that UID, the user cannot be created yet (ErrUIDUnavailable); its UID
//     never changes.
//  2. A new user ID whose IAM name (ignoring case) is recorded for another
//     user ID that is not active — the IAM user was deleted and created
//     again under the same name, so IAM gave it a new ID — takes over that
//     UID if no local account holds it. hostsync identifies people by IAM
//     name, as aws-ec2-ssh and sshd do, so the re-created user gets its old
//     UID (and whatever files outside its home still carry it) back. Do not
//     reuse an IAM user name for a different person.
//  3. Otherwise the UID is HashUID(userID, lo, hi), or, if that is recorded
//     for another user ID, used by a local account, or 65534/65535, the next
//     free one above it, wrapping from hi to lo (ErrUIDUnavailable when the
//     range is full).
//
// how describes which rule applied, for the plan's reason.
func (m *UIDMap) Allocate(userID, name string, lo, hi int, inUse map[int]bool, active map[string]bool) (uid int, how string, err error) {
	if userID == "" {
		return 0, "", errors.New("hostsync: IAM user without a user ID")
	}
	if lo < MinManagedUID || hi > maxUID || lo > hi {
		return 0, "", errorf("invalid UID range %d–%d", lo, hi)
	}
	if e, ok := m.Get(userID); ok {
		if inUse[e.UID] {
			return 0, "", errorf("%w: UID %d recorded for IAM user %s is held by another local account", ErrUIDUnavailable, e.UID, userID)
		}
		if e.Name != name {
			e.Name = name
			m.put(e)
		}
		return e.UID, fmt.Sprintf("recorded UID %d", e.UID), nil
	}
	if e, ok := m.ByName(name); ok && e.UserID != userID && !active[e.UserID] && !inUse[e.UID] {
		m.Forget(e.UserID)
		m.put(UIDEntry{UserID: userID, Name: name, UID: e.UID})
		return e.UID, fmt.Sprintf("UID %d of the earlier IAM user %s of the same name", e.UID, e.UserID), nil
	}
	size := hi - lo + 1
	start := HashUID(userID, lo, hi)
	// Each probe that fails hits a distinct UID of taken, inUse or the two
	// special ones, so a free UID turns up within that many probes.
	limit := min(size, len(m.byUID)+len(inUse)+3)
	for i := 0; i < limit; i++ {
		cand := lo + (start-lo+i)%size
		if _, taken := m.byUID[cand]; taken || specialUID(cand) || inUse[cand] {
			continue
		}
		m.put(UIDEntry{UserID: userID, Name: name, UID: cand})
		if i == 0 {
			return cand, fmt.Sprintf("UID %d hashed from user ID", cand), nil
		}
		return cand, fmt.Sprintf("UID %d (hash %d taken, probed %d)", cand, start, i), nil
	}
	return 0, "", errorf("%w: UID range %d–%d is full", ErrUIDUnavailable, lo, hi)
}

// State is what hostsync persists on a host between syncs (System.LoadState
// and SaveState hold its bytes, see ParseState and State.Marshal).
type State struct {
	// Missing counts, per managed Linux user, the consecutive complete syncs
	// that did not list it. A user is deleted once its count reaches
	// Config.MissingSyncsBeforeDelete.
	Missing map[string]int
	// Locked holds the managed Linux users hostsync locked because they went
	// missing; only those are unlocked when they come back (an account an
	// admin locked stays locked).
	Locked map[string]bool
	// UIDs is the UID allocation.
	UIDs UIDMap
}

// Clone returns an independent copy of s.
func (s State) Clone() State {
	c := State{Missing: make(map[string]int, len(s.Missing)), Locked: make(map[string]bool, len(s.Locked)), UIDs: s.UIDs.Clone()}
	for k, v := range s.Missing {
		c.Missing[k] = v
	}
	for k, v := range s.Locked {
		if v {
			c.Locked[k] = true
		}
	}
	return c
}

// stateVersion is the version of the state file format.
const stateVersion = 1

type stateFile struct {
	Version int            `json:"version"`
	Missing map[string]int `json:"missing,omitempty"`
	Locked  []string       `json:"locked,omitempty"`
	UIDs    []UIDEntry     `json:"uids,omitempty"`
}

// Marshal encodes s as the state file: a small JSON document
// {"version":1,"missing":{name:count},"locked":[names],"uids":[{"user_id",
// "name","uid"}]}, with names sorted and entries sorted by UID, so equal
// states give equal bytes.
func (s State) Marshal() ([]byte, error) {
	f := stateFile{Version: stateVersion, UIDs: s.UIDs.Entries()}
	if len(s.Missing) > 0 {
		f.Missing = s.Missing
	}
	for n, ok := range s.Locked {
		if ok {
			f.Locked = append(f.Locked, n)
		}
	}
	sort.Strings(f.Locked)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, errorf("encoding state: %w", err)
	}
	return buf.Bytes(), nil
}

// Equal reports whether s and o hold the same state.
func (s State) Equal(o State) bool {
	a, err1 := s.Marshal()
	b, err2 := o.Marshal()
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// MaxStateSize bounds the size of a state file ParseState accepts.
const MaxStateSize = 64 << 20

// ParseState decodes a state file written by State.Marshal. Empty input (no
// state file yet) is the empty state. Anything else that is not a valid
// version 1 state — unknown fields, a count below 1, a user ID or UID
// recorded twice, a UID outside [MinManagedUID, 4294967294] — is an error
// wrapping ErrCorruptState: hostsync then changes nothing rather than guess.
func ParseState(data []byte) (State, error) {
	s := State{Missing: map[string]int{}, Locked: map[string]bool{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return s, nil
	}
	if len(data) > MaxStateSize {
		return State{}, errorf("%w: larger than %d bytes", ErrCorruptState, MaxStateSize)
	}
	var f stateFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return State{}, errorf("%w: %w", ErrCorruptState, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return State{}, errorf("%w: trailing data", ErrCorruptState)
	}
	if f.Version != stateVersion {
		return State{}, errorf("%w: version %d, want %d", ErrCorruptState, f.Version, stateVersion)
	}
	for n, c := range f.Missing {
		if err := ValidLinuxName(n); err != nil {
			return State{}, errorf("%w: missing count for %w", ErrCorruptState, err)
		}
		if c < 1 {
			return State{}, errorf("%w: missing count %d for %q", ErrCorruptState, c, n)
		}
		s.Missing[n] = c
	}
	for _, n := range f.Locked {
		if err := ValidLinuxName(n); err != nil {
			return State{}, errorf("%w: locked user %w", ErrCorruptState, err)
		}
		if s.Locked[n] {
			return State{}, errorf("%w: locked user %q listed twice", ErrCorruptState, n)
		}
		s.Locked[n] = true
	}
	for _, e := range f.UIDs {
		if _, dup := s.UIDs.Get(e.UserID); dup {
			return State{}, errorf("%w: IAM user %s recorded twice", ErrCorruptState, e.UserID)
		}
		if err := s.UIDs.Set(e); err != nil {
			return State{}, errorf("%w: %w", ErrCorruptState, err)
		}
	}
	return s, nil
}
