package fakes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/iamkit/iamkit/hostsync"
)

// ErrHostFault is the error a Host method returns for a fault injected with
// Host.Inject whose Err is nil.
var ErrHostFault = errors.New("fakes: injected host failure")

// ErrHostInterrupted is the error every changing Host method returns once
// the budget set with Host.InterruptAfter is used up: the host "crashed"
// half-way through a sync.
var ErrHostInterrupted = errors.New("fakes: host interrupted")

// Host is an in-memory Linux host that implements hostsync.System: local
// accounts with UIDs, groups and a lock flag, the key cache, sudoers
// drop-ins, sessions and the persisted hostsync state. It behaves like the
// real one where hostsync depends on it: CreateUser refuses a taken name
// (hostsync.ErrUserExists), a taken UID, an invalid name, or a user group
// whose name is taken (useradd --user-group); a user's private group goes
// with it on Delete; methods on a missing user return
// hostsync.ErrNoSuchUser; repeated Lock, Unlock, GrantSudo, RevokeSudo,
// AdoptSudo, AddGroups and WriteKeys with the same content change nothing.
//
// A new Host is a typical cloud image: root and the usual system accounts,
// nobody, sshd, and the unmanaged login accounts ec2-user (UID 1000) and
// ubuntu (UID 1001). Tests add accounts with AddUser, inject failures per
// method with Inject, simulate a crash half-way through with
// InterruptAfter, and inspect the result with User, Users, Keys, Log,
// Writes and LastSync (the heartbeat hostsync.Sync records). Methods are
// safe for concurrent use.
type Host struct {
	mu       sync.Mutex
	users    map[string]*hostAccount
	groups   map[string]bool
	keys     map[string][]hostsync.Key
	sudo     map[string]bool
	legacy   map[string]bool // aws-ec2-ssh sudoers files, by user
	sessions map[string]int
	state    []byte
	lastSync time.Time
	calls    map[string]int
	log      []string
	writes   int
	faults   map[string][]*hostFault
	// budget is how many more changing calls may run before the host is
	// "interrupted"; negative means no limit.
	budget int
}

type hostAccount struct {
	name   string
	uid    int
	groups []string // primary (private) group first
	locked bool
	shell  string
}

type hostFault struct {
	Fault
	seen, failed int
}

// NewHost returns a host with root, the usual system accounts (UIDs below
// 1000), nobody (65534), and the unmanaged login accounts ec2-user (1000,
// in wheel) and ubuntu (1001, in sudo).
func NewHost() *Host {
	h := &Host{
		users:    map[string]*hostAccount{},
		groups:   map[string]bool{},
		keys:     map[string][]hostsync.Key{},
		sudo:     map[string]bool{},
		legacy:   map[string]bool{},
		sessions: map[string]int{},
		calls:    map[string]int{},
		faults:   map[string][]*hostFault{},
		budget:   -1,
	}
	for _, g := range []string{"adm", "wheel", "sudo", "docker", "nogroup", "systemd-journal"} {
		h.groups[g] = true
	}
	for _, u := range []struct {
		name   string
		uid    int
		groups []string
	}{
		{"root", 0, nil}, {"daemon", 1, nil}, {"bin", 2, nil}, {"sys", 3, nil},
		{"sync", 4, nil}, {"mail", 8, nil}, {"sshd", 74, nil}, {"systemd-network", 192, nil},
		{"nobody", 65534, nil}, {"ec2-user", 1000, []string{"adm", "wheel"}},
		{"ubuntu", 1001, []string{"adm", "sudo"}},
	} {
		if err := h.AddUser(u.name, u.uid, u.groups...); err != nil {
			panic(err)
		}
	}
	return h
}

// AddUser adds a local account with its private group and the given extra
// groups (created if missing), bypassing faults, the log and the write
// count: the way a test sets up what was on the host before hostsync ran,
// e.g. an admin's own account, or a user aws-ec2-ssh created (in the marker
// group, with a low UID).
func (h *Host) AddUser(name string, uid int, groups ...string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.users[name]; ok {
		return fmt.Errorf("fakes: user %q: %w", name, hostsync.ErrUserExists)
	}
	for _, u := range h.users {
		if u.uid == uid {
			return fmt.Errorf("fakes: UID %d is taken by %q", uid, u.name)
		}
	}
	h.groups[name] = true
	for _, g := range groups {
		h.groups[g] = true
	}
	h.users[name] = &hostAccount{name: name, uid: uid, groups: append([]string{name}, groups...), shell: "/bin/bash"}
	return nil
}

// RemoveFromGroup takes a user out of a group, as an admin would.
func (h *Host) RemoveFromGroup(name, group string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if u, ok := h.users[name]; ok {
		u.groups = slices.DeleteFunc(u.groups, func(g string) bool { return g == group })
	}
}

// StartSession records a login session of the user, which EndSessions ends.
func (h *Host) StartSession(name string) {
	h.mu.Lock()
	h.sessions[name]++
	h.mu.Unlock()
}

// Sessions returns the user's open sessions.
func (h *Host) Sessions(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sessions[name]
}

// Inject adds a fault to a method ("CreateUser", "WriteKeys", ... or "*" for
// every method). Fault.Match, if set, receives the user name (or "" for the
// state methods); Fault.Err nil means ErrHostFault.
func (h *Host) Inject(method string, f Fault) {
	h.mu.Lock()
	h.faults[method] = append(h.faults[method], &hostFault{Fault: f})
	h.mu.Unlock()
}

// InterruptAfter lets the next n calls to changing methods (CreateUser,
// AddGroups, Lock, Unlock, EndSessions, Delete, Rename, WriteKeys,
// GrantSudo, RevokeSudo, SaveState) through and fails every later one with
// ErrHostInterrupted, as if the sync had been killed half-way. ClearFaults
// ends the interruption.
func (h *Host) InterruptAfter(n int) {
	h.mu.Lock()
	h.budget = n
	h.mu.Unlock()
}

// ClearFaults removes injected faults and any interruption.
func (h *Host) ClearFaults() {
	h.mu.Lock()
	h.faults = map[string][]*hostFault{}
	h.budget = -1
	h.mu.Unlock()
}

// Calls returns how many times a method was called, failures included.
func (h *Host) Calls(method string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[method]
}

// Writes returns how many calls actually changed the host. A sync that
// finds nothing to do leaves it unchanged.
func (h *Host) Writes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.writes
}

// Log returns one line per change made through the System methods, in
// order, e.g. "CreateUser alice uid=1900000001 groups=iam-synced-users".
func (h *Host) Log() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.log)
}

// ResetLog clears the log and the write count.
func (h *Host) ResetLog() {
	h.mu.Lock()
	h.log, h.writes = nil, 0
	h.mu.Unlock()
}

// User returns a local account with its cached keys.
func (h *Host) User(name string) (hostsync.HostUser, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.users[name]
	if !ok {
		return hostsync.HostUser{}, false
	}
	hu := h.hostUser(u)
	hu.Keys = slices.Clone(h.keys[name])
	return hu, true
}

// Users returns every local account, sorted by name, with cached keys.
func (h *Host) Users() []hostsync.HostUser {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]hostsync.HostUser, 0, len(h.users))
	for _, u := range h.users {
		hu := h.hostUser(u)
		hu.Keys = slices.Clone(h.keys[u.name])
		out = append(out, hu)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Keys returns the user's cached keys.
func (h *Host) Keys(name string) []hostsync.Key {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.keys[name])
}

// Shell returns the user's login shell ("" for no such user).
func (h *Host) Shell(name string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if u, ok := h.users[name]; ok {
		return u.shell
	}
	return ""
}

// HasGroup reports whether a local group exists.
func (h *Host) HasGroup(group string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.groups[group]
}

// hostUser converts an account; h.mu is held.
func (h *Host) hostUser(u *hostAccount) hostsync.HostUser {
	return hostsync.HostUser{Name: u.name, UID: u.uid, Groups: slices.Clone(u.groups), Locked: u.locked, Sudo: h.sudo[u.name], LegacySudo: h.legacy[u.name]}
}

// begin counts a call and returns an injected error, if any; h.mu is held.
func (h *Host) begin(ctx context.Context, method, name string, changes bool) error {
	h.calls[method]++
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, key := range []string{method, "*"} {
		for _, f := range h.faults[key] {
			if f.Match != nil && !f.Match(name) {
				continue
			}
			f.seen++
			if f.seen <= f.Skip || (f.Times > 0 && f.failed >= f.Times) {
				continue
			}
			f.failed++
			err := f.Err
			if err == nil {
				err = ErrHostFault
			}
			return fmt.Errorf("fakes: %s %s: %w", method, name, err)
		}
	}
	if changes && h.budget >= 0 {
		if h.budget == 0 {
			return fmt.Errorf("fakes: %s %s: %w", method, name, ErrHostInterrupted)
		}
		h.budget--
	}
	return nil
}

// changed records a change; h.mu is held.
func (h *Host) changed(format string, args ...any) {
	h.writes++
	h.log = append(h.log, fmt.Sprintf(format, args...))
}

func (h *Host) account(name string) (*hostAccount, error) {
	u, ok := h.users[name]
	if !ok {
		return nil, fmt.Errorf("fakes: user %q: %w", name, hostsync.ErrNoSuchUser)
	}
	return u, nil
}

// ListUsers implements hostsync.System.
func (h *Host) ListUsers(ctx context.Context) ([]hostsync.HostUser, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "ListUsers", "", false); err != nil {
		return nil, err
	}
	out := make([]hostsync.HostUser, 0, len(h.users))
	for _, u := range h.users {
		out = append(out, h.hostUser(u))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ListGroups implements hostsync.GroupLister: every local group, sorted,
// members or not.
func (h *Host) ListGroups(ctx context.Context) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "ListGroups", "", false); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(h.groups))
	for g := range h.groups {
		out = append(out, g)
	}
	sort.Strings(out)
	return out, nil
}

// LookupUser implements hostsync.System.
func (h *Host) LookupUser(ctx context.Context, name string) (hostsync.HostUser, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "LookupUser", name, false); err != nil {
		return hostsync.HostUser{}, err
	}
	u, err := h.account(name)
	if err != nil {
		return hostsync.HostUser{}, err
	}
	return h.hostUser(u), nil
}

// CreateUser implements hostsync.System.
func (h *Host) CreateUser(ctx context.Context, name string, uid int, groups []string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "CreateUser", name, true); err != nil {
		return err
	}
	if err := hostsync.ValidLinuxName(name); err != nil {
		return fmt.Errorf("fakes: useradd: %w", err)
	}
	if _, ok := h.users[name]; ok {
		return fmt.Errorf("fakes: useradd: user %q: %w", name, hostsync.ErrUserExists)
	}
	for _, u := range h.users {
		if u.uid == uid {
			return fmt.Errorf("fakes: useradd: UID %d is not unique (%q)", uid, u.name)
		}
	}
	if h.groups[name] {
		return fmt.Errorf("fakes: useradd: group %q exists", name)
	}
	for _, g := range groups {
		if err := hostsync.ValidLinuxName(g); err != nil {
			return fmt.Errorf("fakes: useradd: group: %w", err)
		}
	}
	h.groups[name] = true
	for _, g := range groups {
		h.groups[g] = true
	}
	h.users[name] = &hostAccount{name: name, uid: uid, groups: append([]string{name}, groups...), shell: "/bin/bash"}
	h.changed("CreateUser %s uid=%d groups=%s", name, uid, strings.Join(groups, ","))
	return nil
}

// AddGroups implements hostsync.System.
func (h *Host) AddGroups(ctx context.Context, name string, groups []string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "AddGroups", name, true); err != nil {
		return err
	}
	u, err := h.account(name)
	if err != nil {
		return err
	}
	var added []string
	for _, g := range groups {
		if !slices.Contains(u.groups, g) {
			h.groups[g] = true
			u.groups = append(u.groups, g)
			added = append(added, g)
		}
	}
	if len(added) > 0 {
		h.changed("AddGroups %s %s", name, strings.Join(added, ","))
	}
	return nil
}

// Lock implements hostsync.System.
func (h *Host) Lock(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "Lock", name, true); err != nil {
		return err
	}
	u, err := h.account(name)
	if err != nil {
		return err
	}
	if !u.locked {
		u.locked, u.shell = true, "/sbin/nologin"
		h.changed("Lock %s", name)
	}
	return nil
}

// Unlock implements hostsync.System.
func (h *Host) Unlock(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "Unlock", name, true); err != nil {
		return err
	}
	u, err := h.account(name)
	if err != nil {
		return err
	}
	if u.locked {
		u.locked, u.shell = false, "/bin/bash"
		h.changed("Unlock %s", name)
	}
	return nil
}

// EndSessions implements hostsync.System.
func (h *Host) EndSessions(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "EndSessions", name, true); err != nil {
		return err
	}
	if _, err := h.account(name); err != nil {
		return err
	}
	if h.sessions[name] > 0 {
		delete(h.sessions, name)
		h.changed("EndSessions %s", name)
	}
	return nil
}

// Delete implements hostsync.System.
func (h *Host) Delete(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "Delete", name, true); err != nil {
		return err
	}
	if _, err := h.account(name); err != nil {
		return err
	}
	delete(h.users, name)
	delete(h.groups, name)
	delete(h.keys, name)
	delete(h.sudo, name)
	delete(h.legacy, name)
	delete(h.sessions, name)
	h.changed("Delete %s", name)
	return nil
}

// Rename implements hostsync.System like usermod -l and groupmod -n: it
// refuses (hostsync.ErrUserBusy) while the user has sessions
// (StartSession), and a taken new name (hostsync.ErrUserExists); otherwise
// the account keeps its UID and groups, its private group is renamed with
// it (unless a group of the new name exists), and its keys, sudoers drop-in
// and sessions follow.
func (h *Host) Rename(ctx context.Context, oldName, newName string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "Rename", oldName, true); err != nil {
		return err
	}
	if err := hostsync.ValidLinuxName(newName); err != nil {
		return fmt.Errorf("fakes: usermod: %w", err)
	}
	u, err := h.account(oldName)
	if nu, ok := h.users[newName]; err != nil && ok {
		h.finishRename(nu, oldName, newName)
		return nil
	}
	if err != nil {
		return err
	}
	if _, ok := h.users[newName]; ok {
		return fmt.Errorf("fakes: usermod: user %q: %w", newName, hostsync.ErrUserExists)
	}
	if h.sessions[oldName] > 0 {
		return fmt.Errorf("fakes: usermod: user %s is currently used by %d process(es): %w", oldName, h.sessions[oldName], hostsync.ErrUserBusy)
	}
	delete(h.users, oldName)
	u.name = newName
	h.users[newName] = u
	if len(u.groups) > 0 && u.groups[0] == oldName && !h.groups[newName] {
		delete(h.groups, oldName)
		h.groups[newName] = true
		u.groups[0] = newName
	}
	if h.sudo[oldName] {
		delete(h.sudo, oldName)
		h.sudo[newName] = true
	}
	if k, ok := h.keys[oldName]; ok {
		delete(h.keys, oldName)
		h.keys[newName] = k
	}
	h.changed("Rename %s %s", oldName, newName)
	return nil
}

// finishRename ends a rename cut short after the login was renamed, as
// hostsync.System.Rename documents: the private group still named oldName
// follows, the sudoers drop-in and keys left under oldName go.
func (h *Host) finishRename(u *hostAccount, oldName, newName string) {
	if len(u.groups) > 0 && u.groups[0] == oldName && !h.groups[newName] {
		delete(h.groups, oldName)
		h.groups[newName] = true
		u.groups[0] = newName
	}
	delete(h.sudo, oldName)
	delete(h.keys, oldName)
	h.changed("Rename %s %s (finished)", oldName, newName)
}

// RenameLoginOnly renames the account oldName to newName the way a rename
// cut short after usermod -l leaves it: the login is renamed, but its
// private group, sudoers drop-in and keys stay under oldName. It bypasses
// faults and the call counters: the way a test sets up an interrupted
// rename.
func (h *Host) RenameLoginOnly(oldName, newName string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, err := h.account(oldName)
	if err != nil {
		return err
	}
	if _, ok := h.users[newName]; ok {
		return fmt.Errorf("fakes: usermod: user %q: %w", newName, hostsync.ErrUserExists)
	}
	delete(h.users, oldName)
	u.name = newName
	h.users[newName] = u
	return nil
}

// ReadKeys implements hostsync.System.
func (h *Host) ReadKeys(ctx context.Context, name string) ([]hostsync.Key, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "ReadKeys", name, false); err != nil {
		return nil, err
	}
	return slices.Clone(h.keys[name]), nil
}

// WriteKeys implements hostsync.System.
func (h *Host) WriteKeys(ctx context.Context, name string, keys []hostsync.Key) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "WriteKeys", name, true); err != nil {
		return err
	}
	if _, err := h.account(name); err != nil {
		return err
	}
	if slices.Equal(h.keys[name], keys) {
		return nil
	}
	if len(keys) == 0 {
		delete(h.keys, name)
		h.changed("WriteKeys %s (none)", name)
		return nil
	}
	h.keys[name] = slices.Clone(keys)
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	h.changed("WriteKeys %s %s", name, strings.Join(ids, ","))
	return nil
}

// GrantSudo implements hostsync.System.
func (h *Host) GrantSudo(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "GrantSudo", name, true); err != nil {
		return err
	}
	if _, err := h.account(name); err != nil {
		return err
	}
	if !h.sudo[name] {
		h.sudo[name] = true
		h.changed("GrantSudo %s", name)
	}
	return nil
}

// RevokeSudo implements hostsync.System.
func (h *Host) RevokeSudo(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "RevokeSudo", name, true); err != nil {
		return err
	}
	if _, err := h.account(name); err != nil {
		return err
	}
	if h.sudo[name] {
		delete(h.sudo, name)
		h.changed("RevokeSudo %s", name)
	}
	if h.legacy[name] {
		delete(h.legacy, name)
		h.changed("RevokeSudo %s (aws-ec2-ssh file)", name)
	}
	return nil
}

// AdoptSudo implements hostsync.System: the drop-in is installed, then the
// aws-ec2-ssh sudoers file removed.
func (h *Host) AdoptSudo(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "AdoptSudo", name, true); err != nil {
		return err
	}
	if _, err := h.account(name); err != nil {
		return err
	}
	if !h.sudo[name] {
		h.sudo[name] = true
		h.changed("GrantSudo %s", name)
	}
	if h.legacy[name] {
		delete(h.legacy, name)
		h.changed("AdoptSudo %s (aws-ec2-ssh file removed)", name)
	}
	return nil
}

// SetLegacySudo puts (on) or removes the user's aws-ec2-ssh sudoers file
// (hostsync.LegacySudoersFileName), bypassing faults, the log and the write
// count: the way a test sets up a host aws-ec2-ssh managed before.
func (h *Host) SetLegacySudo(name string, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if on {
		h.legacy[name] = true
	} else {
		delete(h.legacy, name)
	}
}

// LoadState implements hostsync.System.
func (h *Host) LoadState(ctx context.Context) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "LoadState", "", false); err != nil {
		return nil, err
	}
	return bytes.Clone(h.state), nil
}

// SaveState implements hostsync.System.
func (h *Host) SaveState(ctx context.Context, state []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "SaveState", "", true); err != nil {
		return err
	}
	if !bytes.Equal(h.state, state) {
		h.state = bytes.Clone(state)
		h.changed("SaveState")
	}
	return nil
}

// State returns the persisted hostsync state bytes.
func (h *Host) State() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return bytes.Clone(h.state)
}

// SetState replaces the persisted hostsync state bytes, e.g. with garbage
// to test a corrupt state file.
func (h *Host) SetState(state []byte) {
	h.mu.Lock()
	h.state = bytes.Clone(state)
	h.mu.Unlock()
}

// MarkSynced implements hostsync.System: it records t as the time of the
// last complete sync (LastSync). It is counted by Calls and can fail through
// Inject, but it is not a change in Log or Writes: it is the one metadata
// write of every complete sync, a no-op sync included.
func (h *Host) MarkSynced(ctx context.Context, t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.begin(ctx, "MarkSynced", "", false); err != nil {
		return err
	}
	h.lastSync = t
	return nil
}

// LastSync returns the time MarkSynced last recorded; ok is false when no
// sync was ever recorded.
func (h *Host) LastSync() (t time.Time, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastSync, !h.lastSync.IsZero()
}

var _ hostsync.System = (*Host)(nil)
