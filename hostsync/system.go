package hostsync

import (
	"context"
	"errors"
	"slices"
	"time"
)

// ErrNoSuchUser is wrapped by a System's error for a local user that does
// not exist.
var ErrNoSuchUser = errors.New("hostsync: no such local user")

// ErrUserExists is wrapped by System.CreateUser's error when the name is
// taken.
var ErrUserExists = errors.New("hostsync: local user already exists")

// ErrUserBusy is wrapped by System.Rename's error when the account has
// running processes (usermod refuses to rename it then): nothing was
// changed, and the rename can be tried again later.
var ErrUserBusy = errors.New("hostsync: local user has running processes")

// HostUser is one local account as a System reports it.
type HostUser struct {
	// Name is the Linux user name.
	Name string
	// UID is the user's UID.
	UID int
	// Groups are the local groups the user is a member of (supplementary
	// groups; the primary group may be listed too). A user in the marker
	// group is hostsync's own.
	Groups []string
	// Locked is true when the account is locked (password locked and login
	// shell set to nologin).
	Locked bool
	// Sudo is true when hostsync's sudoers drop-in for the user exists.
	Sudo bool
	// LegacySudo is true when the user's aws-ec2-ssh sudoers file exists:
	// LegacySudoersFileName in the drop-in directory, holding what
	// aws-ec2-ssh writes (IsLegacySudoers). Plan adopts it (ActAdoptSudo)
	// or, when the user is no longer granted sudo, revokes it.
	LegacySudo bool
	// Keys are the user's keys in hostsync's key cache. ListUsers and
	// LookupUser may leave it empty; LoadHostState fills it in for managed
	// users with ReadKeys.
	Keys []Key
}

// MemberOf reports whether u is a member of the local group g.
func (u HostUser) MemberOf(g string) bool { return slices.Contains(u.Groups, g) }

// System is the Linux host as hostsync sees it. Names passed in are valid
// Linux user names (ValidLinuxName) that Apply has checked against the plan's
// Guard. Every method that changes something must leave the host consistent
// when interrupted, and must be idempotent where this contract says so, so
// that Apply can resume an interrupted run. Implementations: the Linux one,
// and an in-memory one for tests (iamkittest.NewHost); iamkittest.TestSystem
// checks an implementation against this contract.
//
// # Why one interface, not several
//
// System stays whole on purpose. It has one caller, Sync (LoadHostState,
// then Apply, then MarkSynced), and that caller uses every method: each is
// a step a plan can emit, or part of reading the host before planning. An
// implementation missing any of them cannot sync, so splitting the
// interface (accounts, key cache, sudo, state) would add names without
// letting anyone implement less; the pieces would only ever be used
// together. What goes wrong in an implementation is not a missing method
// but a method that breaks the contract — a CreateUser that leaves the
// account outside the marker group for a moment, a Lock that is not
// idempotent, a missing user that is not ErrNoSuchUser — and no split of
// the method set can catch that. A conformance suite can: run
// iamkittest.TestSystem against a new implementation (it creates and
// deletes accounts, so against a real host run it only in a throwaway
// namespace or VM, as hostsync's TestE2ESystem does in the mount namespace of
// its sshd end-to-end test).
type System interface {
	// ListUsers returns every local account, system accounts included, with
	// Name, UID, Groups, Locked and Sudo filled in.
	ListUsers(ctx context.Context) ([]HostUser, error)
	// LookupUser returns one local account like ListUsers does, or an error
	// wrapping ErrNoSuchUser.
	LookupUser(ctx context.Context, name string) (HostUser, error)
	// CreateUser creates an account with the given UID (useradd with
	// USERADD_PROGRAM and USERADD_ARGS) that is a member of groups, creating
	// any group that does not exist yet. groups[0] is the marker group, and
	// the account must never exist outside it (useradd -G does both at
	// once). A taken name is an error wrapping ErrUserExists; a taken UID is
	// an error.
	CreateUser(ctx context.Context, name string, uid int, groups []string) error
	// AddGroups adds the account to groups, creating any that does not exist
	// yet, and removes it from none. Idempotent.
	AddGroups(ctx context.Context, name string, groups []string) error
	// Lock locks the account: password locked and login shell set to
	// nologin, so that no new session starts. Idempotent.
	Lock(ctx context.Context, name string) error
	// Unlock reverses Lock. Idempotent.
	Unlock(ctx context.Context, name string) error
	// EndSessions ends the user's sessions and processes. Idempotent.
	EndSessions(ctx context.Context, name string) error
	// Delete deletes the account with its home directory (USERDEL_PROGRAM
	// and USERDEL_ARGS), its key cache entry and its sudoers drop-in (and
	// aws-ec2-ssh sudoers file). A
	// missing account is an error wrapping ErrNoSuchUser.
	Delete(ctx context.Context, name string) error
	// Rename renames the account oldName to newName in place: login name,
	// home directory (moved when it is named after the user), primary group
	// when it is the user's own (named oldName), sudoers drop-in and key
	// cache entry follow; the UID and the files are kept. A missing oldName
	// is an error wrapping ErrNoSuchUser, a taken newName one wrapping
	// ErrUserExists, and an account with running processes one wrapping
	// ErrUserBusy; in those cases nothing changes.
	//
	// When oldName no longer exists but newName does (a rename cut short
	// after the login was renamed), Rename finishes it: the primary group
	// still named oldName is renamed, and the sudoers drop-in and key cache
	// entry left under oldName are removed (the sync sets those of newName);
	// nil when nothing is left.
	Rename(ctx context.Context, oldName, newName string) error
	// ReadKeys returns the user's keys from the key cache; none if the cache
	// holds nothing for the user.
	ReadKeys(ctx context.Context, name string) ([]Key, error)
	// WriteKeys replaces the user's keys in the key cache that the
	// AuthorizedKeysCommand answers from; no keys removes the entry. It
	// writes nothing when the cache already holds these keys, and writes
	// atomically otherwise.
	WriteKeys(ctx context.Context, name string, keys []Key) error
	// GrantSudo installs the user's sudoers drop-in (SudoersFileName,
	// SudoersLine). Idempotent.
	GrantSudo(ctx context.Context, name string) error
	// RevokeSudo removes the user's sudoers drop-in, and the user's
	// aws-ec2-ssh sudoers file (HostUser.LegacySudo) if there is one.
	// Idempotent.
	RevokeSudo(ctx context.Context, name string) error
	// AdoptSudo migrates a user from aws-ec2-ssh: it installs the user's
	// drop-in as GrantSudo does and only then removes the user's aws-ec2-ssh
	// sudoers file, so that sudo never lapses. Idempotent.
	AdoptSudo(ctx context.Context, name string) error
	// LoadState returns the bytes last saved with SaveState, or nil and no
	// error when nothing was ever saved.
	LoadState(ctx context.Context) ([]byte, error)
	// SaveState replaces the persisted state atomically.
	SaveState(ctx context.Context, state []byte) error
	// MarkSynced records t as the time of the last complete sync: the key
	// cache's heartbeat (KeyCache.MarkSynced), without which AuthorizedKeys
	// stops answering once DefaultMaxCacheAge has passed. Sync calls it
	// after every complete, successful, non-dry-run sync — one that
	// changed nothing too — and never after a failed or halted one.
	MarkSynced(ctx context.Context, t time.Time) error
}

// HostState is what Plan knows of the host: its accounts and hostsync's
// persisted state.
type HostState struct {
	// Users are all local accounts; managed ones (in the marker group) have
	// their Keys filled in.
	Users []HostUser
	// State is the persisted state.
	State State
	// Groups are the names of the local groups, when the System lists them
	// (GroupLister). Plan treats these, and every group a user in Users is
	// a member of, as taken: it creates no account named like one.
	Groups []string
}

// GroupLister is implemented by a System that can list the host's local
// groups, members or not. LoadHostState uses it, when present, to fill in
// HostState.Groups; without it, Plan knows only the groups some local user
// is a member of. The Linux System and iamkittest's Host implement it.
type GroupLister interface {
	// ListGroups returns the name of every local group.
	ListGroups(ctx context.Context) ([]string, error)
}

// LoadHostState reads the host's accounts, the key cache of each managed
// user (member of cfg's marker group) and the persisted state. A state file
// that does not parse is an error wrapping ErrCorruptState: the caller
// should change nothing until an admin looks at it.
func LoadHostState(ctx context.Context, sys System, cfg Config) (HostState, error) {
	cfg = cfg.withDefaults()
	users, err := sys.ListUsers(ctx)
	if err != nil {
		return HostState{}, errorf("listing local users: %w", err)
	}
	users = slices.Clone(users)
	for i := range users {
		if !users[i].MemberOf(cfg.MarkerGroup) {
			continue
		}
		keys, err := sys.ReadKeys(ctx, users[i].Name)
		if err != nil {
			return HostState{}, errorf("reading cached keys of %q: %w", users[i].Name, err)
		}
		users[i].Keys = keys
	}
	raw, err := sys.LoadState(ctx)
	if err != nil {
		return HostState{}, errorf("loading state: %w", err)
	}
	st, err := ParseState(raw)
	if err != nil {
		return HostState{}, err
	}
	hs := HostState{Users: users, State: st}
	if gl, ok := sys.(GroupLister); ok {
		if hs.Groups, err = gl.ListGroups(ctx); err != nil {
			return HostState{}, errorf("listing local groups: %w", err)
		}
	}
	return hs, nil
}
