package hostsync

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ErrSourceUnknown is wrapped by SyncPlan.Halted when the source of truth
// could not be read completely.
var ErrSourceUnknown = errors.New("hostsync: IAM source unknown")

// ErrDoNotSync is SyncPlan.Halted when the configuration sets DONOTSYNC.
var ErrDoNotSync = errors.New("hostsync: DONOTSYNC is set")

// ErrTagsUnresolved is SyncPlan.Halted when the configuration names EC2
// tags that ResolveTags has not read.
var ErrTagsUnresolved = errors.New("hostsync: configuration names EC2 tags that were not resolved (call ResolveTags)")

// ErrInconsistentHost is wrapped by SyncPlan.Halted when the host state
// lists a user name twice.
var ErrInconsistentHost = errors.New("hostsync: inconsistent host state")

// DesiredUser is one IAM user as the source of truth sees it.
type DesiredUser struct {
	// IAMUserID is the IAM user ID (AIDA...). Required: UIDs derive from it.
	IAMUserID string
	// IAMName is the IAM user name.
	IAMName string
	// LinuxName may be left empty; Plan maps IAMName itself (MapNames) and
	// skips the user if a non-empty LinuxName disagrees.
	LinuxName string
	// Groups are the user's IAM groups. They must include every group named
	// in the configuration's authorized and sudoers groups that the user is
	// a member of; others do no harm. A snapshot may list users of no
	// authorized group: Plan skips them.
	Groups []string
	// Keys are the user's SSH public keys. Sources should list Active keys
	// only; Plan drops any other, and any it cannot parse, anyway.
	Keys []Key
}

// Desired is the result of reading the source of truth (live IAM or a
// snapshot).
type Desired struct {
	// Complete is true only when every call and every page succeeded. An
	// incomplete source ("unknown") makes Plan change nothing at all.
	Complete bool
	// Users are the users read; meaningful only when Complete.
	Users []DesiredUser
	// Err says why the source is incomplete. A non-nil Err makes the source
	// unknown even if Complete is set.
	Err error
}

// ActionKind is what an Action does.
type ActionKind string

// The action kinds, in the order Apply runs them: persist the UID
// allocation and lock records first, then take access away, then give
// access, and last commit the missing counts.
const (
	// ActSaveState persists, before any change, the next State's UID
	// allocations and lock records, with the missing counts as they were.
	ActSaveState ActionKind = "save-state"
	// ActRevokeSudo removes the user's sudoers drop-in.
	ActRevokeSudo ActionKind = "revoke-sudo"
	// ActWriteKeys replaces the user's cached keys; with no keys it removes
	// them, taking SSH access away at once.
	ActWriteKeys ActionKind = "write-keys"
	// ActLock locks the account.
	ActLock ActionKind = "lock"
	// ActEndSessions ends the user's sessions and processes.
	ActEndSessions ActionKind = "end-sessions"
	// ActDelete deletes the account and its home.
	ActDelete ActionKind = "delete"
	// ActRename renames the managed account From to User in place (the IAM
	// user behind it was renamed): UID, home, keys and sudo are kept. It runs
	// before creations and grants.
	ActRename ActionKind = "rename"
	// ActCreateUser creates the account in the marker group.
	ActCreateUser ActionKind = "create-user"
	// ActAddGroups adds the account to local groups.
	ActAddGroups ActionKind = "add-groups"
	// ActUnlock unlocks an account hostsync locked.
	ActUnlock ActionKind = "unlock"
	// ActGrantSudo installs the user's sudoers drop-in.
	ActGrantSudo ActionKind = "grant-sudo"
	// ActAdoptSudo replaces the aws-ec2-ssh sudoers file of a user who keeps
	// sudo with the user's drop-in (System.AdoptSudo).
	ActAdoptSudo ActionKind = "adopt-sudo"
	// ActCommitState persists the plan's next State, missing counts
	// included, after every other action: a sync counts towards
	// MissingSyncsBeforeDelete only once it has run to the end, so a sync
	// that is killed and run again is not counted twice.
	ActCommitState ActionKind = "commit-state"
)

// Action is one step of a SyncPlan.
type Action struct {
	// Kind says what the action does.
	Kind ActionKind
	// User is the Linux user name; empty for ActSaveState and
	// ActCommitState.
	User string
	// IAMName is the IAM user behind User, when there is one.
	IAMName string
	// UID is the UID of the account ActCreateUser creates, or of the one
	// ActRename renames.
	UID int
	// From is the current name of the account ActRename renames to User.
	From string
	// Groups are the local groups of ActCreateUser (marker group first) and
	// ActAddGroups.
	Groups []string
	// Keys are the keys ActWriteKeys writes (canonical, Active); none
	// removes the user's keys.
	Keys []Key
	// State holds the bytes ActSaveState and ActCommitState save.
	State []byte
	// Reason says why the action is planned.
	Reason string
}

// revokes reports whether a takes access away; such actions run even after
// another action for the same user failed.
func (a Action) revokes() bool {
	switch a.Kind {
	case ActRevokeSudo, ActLock, ActEndSessions:
		return true
	case ActWriteKeys:
		return len(a.Keys) == 0
	}
	return false
}

// phase orders actions: state, revocations, deletions, then grants.
func (a Action) phase() int {
	switch a.Kind {
	case ActSaveState:
		return 0
	case ActRevokeSudo:
		return 1
	case ActWriteKeys:
		if len(a.Keys) == 0 {
			return 2
		}
		return 9
	case ActLock:
		return 3
	case ActEndSessions:
		return 4
	case ActDelete, ActRename:
		return 5
	case ActCreateUser:
		return 6
	case ActAddGroups:
		return 7
	case ActUnlock:
		return 8
	case ActGrantSudo, ActAdoptSudo:
		return 10
	case ActCommitState:
		return 12
	}
	return 11
}

// String renders the action as one dry-run line.
func (a Action) String() string {
	var b strings.Builder
	b.WriteString(string(a.Kind))
	if a.Kind == ActRename {
		b.WriteString(" " + a.From + " →")
	}
	if a.User != "" {
		b.WriteString(" " + a.User)
	}
	switch a.Kind {
	case ActCreateUser:
		fmt.Fprintf(&b, " uid=%d groups=%s", a.UID, strings.Join(a.Groups, ","))
	case ActAddGroups:
		fmt.Fprintf(&b, " groups=%s", strings.Join(a.Groups, ","))
	case ActWriteKeys:
		if len(a.Keys) == 0 {
			b.WriteString(" (remove all keys)")
		} else {
			fps := make([]string, len(a.Keys))
			for i, k := range a.Keys {
				fps[i] = k.ID + "=" + k.Fingerprint
			}
			fmt.Fprintf(&b, " keys=%s", strings.Join(fps, ","))
		}
	}
	if a.IAMName != "" && a.IAMName != a.User {
		fmt.Fprintf(&b, " [IAM %s]", a.IAMName)
	}
	if a.Reason != "" {
		b.WriteString(": " + a.Reason)
	}
	return b.String()
}

// Skip records an IAM user, a local user or a key that Plan leaves alone, and
// why.
type Skip struct {
	// IAMName is the IAM user concerned, if any.
	IAMName string
	// User is the Linux user concerned, if known.
	User string
	// Reason says why.
	Reason string
}

// String renders the skip as one line.
func (s Skip) String() string {
	switch {
	case s.IAMName != "" && s.User != "" && s.User != s.IAMName:
		return fmt.Sprintf("IAM user %q (Linux %q): %s", s.IAMName, s.User, s.Reason)
	case s.IAMName != "":
		return fmt.Sprintf("IAM user %q: %s", s.IAMName, s.Reason)
	}
	return fmt.Sprintf("local user %q: %s", s.User, s.Reason)
}

// Guard is what Apply checks before touching a user, whatever the plan
// says: the user must be in MarkerGroup, have a UID of at least
// MinManagedUID, and not be reserved (DefaultReserved() or Reserved).
type Guard struct {
	// MarkerGroup is the local group of the users hostsync owns. Empty
	// makes Apply refuse every action on a user.
	MarkerGroup string
	// Reserved are reserved names on top of DefaultReserved().
	Reserved []string
}

// SyncPlan is what Plan returns: the actions that bring the host in line
// with the source, in the order Apply runs them, each with its reason, plus
// what is left alone and why. It is a plain value: print it as a dry run
// with String.
type SyncPlan struct {
	// Actions are the steps, in order.
	Actions []Action
	// Skipped are the IAM users, local users and keys left alone, with
	// reasons.
	Skipped []Skip
	// Notes are remarks on the run as a whole, such as a deletion cap hit.
	Notes []string
	// Halted is non-nil when the plan refuses to change anything at all:
	// the source is unknown (ErrSourceUnknown), DONOTSYNC is set
	// (ErrDoNotSync), the tags are not resolved (ErrTagsUnresolved), the
	// configuration is invalid (ErrInvalidConfig) or the host state is
	// inconsistent (ErrInconsistentHost). Actions is then empty.
	Halted error
	// Guard is what Apply checks before each action.
	Guard Guard
	// Next is the state to persist once the run is over (ActCommitState;
	// ActSaveState persists all of it but the missing counts first).
	Next State
}

// Empty reports whether the plan changes nothing.
func (p SyncPlan) Empty() bool { return len(p.Actions) == 0 }

// String renders the plan as a dry run.
func (p SyncPlan) String() string {
	var b strings.Builder
	if p.Halted != nil {
		fmt.Fprintf(&b, "hostsync plan: no changes: %v\n", p.Halted)
	} else {
		fmt.Fprintf(&b, "hostsync plan: %d actions, %d skipped\n", len(p.Actions), len(p.Skipped))
	}
	for _, a := range p.Actions {
		fmt.Fprintf(&b, "  %s\n", a)
	}
	if len(p.Skipped) > 0 {
		b.WriteString("skipped:\n")
		for _, s := range p.Skipped {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	if len(p.Notes) > 0 {
		b.WriteString("notes:\n")
		for _, n := range p.Notes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	return b.String()
}

// planned is a desired user that survived the checks.
type planned struct {
	u      DesiredUser
	linux  string
	keys   []Key
	sudo   bool
	host   *HostUser
	exists bool
	// renameFrom is the current name of the account to rename to linux.
	renameFrom string
	// keptOld is set when the account keeps its old name, linux, because
	// the IAM user's new name is taken.
	keptOld bool
	// finishFrom is the old name of an account renamed to linux by a
	// rename that may not have finished (rename.go: unfinishedRename).
	finishFrom string
}

// Plan computes, without side effects, what brings the host in line with
// the desired users under cfg. Its safety rules:
//
//   - An unknown source (Complete false or Err set), DONOTSYNC, unresolved
//     tags, an invalid configuration or an inconsistent host state halt the
//     plan: it changes nothing at all — no creation, no key update, no lock,
//     no deletion — and keeps the missing counts as they are. The
//     AuthorizedKeysCommand keeps answering from the existing cache.
//   - Only users in the marker group are ever changed, locked or deleted.
//     Reserved names (DefaultReserved(), cfg.Reserved, the marker and local
//     group names), accounts with a UID below 1000 and local users outside
//     the marker group are never created over, changed or deleted: an IAM
//     user with such a name is skipped with the reason.
//   - IAM names that LinuxName or MapNames refuse, users without an ID,
//     users listed inconsistently (one ID with two names, or one name with
//     two IDs) and users of no authorized group are skipped with the
//     reason. While two IDs claim one Linux name (ignoring case), neither is
//     created and a managed account of that name is left exactly as it is:
//     not locked, not deleted, its keys, sudo and missing count kept.
//   - No account is created under the name (ignoring case) of a standard
//     system group (IsSystemGroup) or of a local group that exists on the
//     host (HostState.Groups and the users' groups); an existing managed
//     account of such a name keeps being managed. Keys that are not Active or do not parse are dropped with the
//     reason.
//   - A managed user missing from a complete source loses its keys and
//     sudo and is locked at once (its sessions end too with
//     EndSessionsOnLock); its account is deleted only once it has been
//     missing from cfg.MissingSyncsBeforeDelete consecutive complete syncs,
//     right after its sessions are ended.
//   - At most cfg.DeletionCap(managed users) accounts are deleted per run;
//     when more are due, none is, and a note says why.
//   - A user hostsync locked is unlocked when it comes back; one locked by
//     someone else stays locked.
//   - An IAM user whose Linux name changed while its user ID kept the UID
//     the State records for it (an IAM rename) has that managed account
//     renamed (ActRename), before creations; its other actions go to the
//     new name, those that take access away to the old one. If the new name
//     is held by an account outside the marker group, or is refused,
//     reserved or clashes in letter case, the account keeps its old name
//     and is synced under it, with a skip saying why; so it does when the
//     new name is the managed account of another IAM user, which is then
//     neither given to the renamed user nor deleted (keepHeld). A rename
//     cut short is finished by the next sync (unfinishedRename). An account
//     being renamed away from a name another IAM user now maps to is left to
//     the rename; that user is created on a later sync.
//
// New users get UIDs from the persisted allocation (UIDMap.Allocate); users
// that exist keep theirs, which are recorded. The allocation and the lock
// records are saved first (ActSaveState); the missing counts are committed
// last (ActCommitState), so that a sync counts only once it has run to its
// end.
func Plan(desired Desired, host HostState, cfg Config) SyncPlan {
	p := SyncPlan{Next: host.State.Clone()}
	if err := cfg.Validate(); err != nil {
		p.Halted = err
		return p
	}
	cfg = cfg.withDefaults()
	reservedExtra := slices.Concat(cfg.Reserved, cfg.LocalGroups, []string{cfg.MarkerGroup})
	p.Guard = Guard{MarkerGroup: cfg.MarkerGroup, Reserved: reservedExtra}

	switch {
	case (cfg.AuthorizedGroupsTag != "" || cfg.SudoersGroupsTag != "") && !cfg.TagsResolved:
		p.Halted = ErrTagsUnresolved
		return p
	case cfg.DoNotSync:
		p.Halted = ErrDoNotSync
		return p
	case desired.Err != nil:
		p.Halted = errorf("%w: %w", ErrSourceUnknown, desired.Err)
		return p
	case !desired.Complete:
		p.Halted = errorf("%w: the source did not report a complete result", ErrSourceUnknown)
		return p
	}

	hostBy := make(map[string]*HostUser, len(host.Users))
	hostFold := make(map[string]string, len(host.Users))
	hostUIDs := make(map[int]bool, len(host.Users))
	for i := range host.Users {
		hu := &host.Users[i]
		if _, dup := hostBy[hu.Name]; dup {
			p.Halted = errorf("%w: local user %q listed twice", ErrInconsistentHost, hu.Name)
			return p
		}
		hostBy[hu.Name] = hu
		hostFold[strings.ToLower(hu.Name)] = hu.Name
		hostUIDs[hu.UID] = true
	}

	skip := func(iam, linux, format string, args ...any) {
		p.Skipped = append(p.Skipped, Skip{IAMName: iam, User: linux, Reason: fmt.Sprintf(format, args...)})
	}

	// 1. One entry per IAM user ID; inconsistent listings are refused.
	users, active := consolidate(desired.Users, skip)
	contested := contestedNames(desired.Users)

	// 2. Authorization, then name mapping over the authorized set.
	var authorized []DesiredUser
	for _, u := range users {
		if !cfg.Authorizes(u.Groups) {
			skip(u.IAMName, "", "not a member of any authorized IAM group (IAM_AUTHORIZED_GROUPS)")
			continue
		}
		authorized = append(authorized, u)
	}
	names := make([]string, len(authorized))
	for i, u := range authorized {
		names[i] = u.IAMName
	}
	mapped, refused := MapNames(names)

	// 3. Per user: reserved names, existing accounts, renames.
	renames := &renameIndex{host: host, cfg: cfg, reserved: reservedExtra}
	held := map[string]bool{} // names renamed users are kept from (keepHeld)
	var plans []*planned
	desiredLinux := map[string]bool{}
	var hostGroups map[string]string // read by groupTaken on first use
	for _, u := range authorized {
		if err, bad := refused[u.IAMName]; bad {
			skip(u.IAMName, "", "name refused: %s", reasonOf(err))
			plans = p.keepRenamed(plans, desiredLinux, renames.source(u, ""), u, cfg)
			continue
		}
		linux := mapped[u.IAMName]
		if u.LinuxName != "" && u.LinuxName != linux {
			skip(u.IAMName, u.LinuxName, "the source gave Linux name %q but the IAM name maps to %q", u.LinuxName, linux)
			continue
		}
		if IsReserved(linux, reservedExtra...) {
			skip(u.IAMName, linux, "reserved name: never created, changed or deleted")
			plans = p.keepRenamed(plans, desiredLinux, renames.source(u, linux), u, cfg)
			continue
		}
		pl := &planned{u: u, linux: linux}
		var old *HostUser
		if hu, ok := hostBy[linux]; !ok || !hu.MemberOf(cfg.MarkerGroup) {
			old = renames.source(u, linux)
		}
		if hu, ok := hostBy[linux]; ok {
			if own := renames.heldByOther(u, linux, hu); own != nil {
				// The new name is another managed account's: neither
				// account is changed for the rename (heldByOther).
				plans = p.keepHeld(plans, desiredLinux, held, own, hu, u, cfg)
				continue
			}
			switch {
			case !hu.MemberOf(cfg.MarkerGroup) && old != nil:
				// The IAM user was renamed to a name an account hostsync
				// does not manage holds: the account keeps its old name,
				// and is synced under it.
				skip(u.IAMName, linux, "IAM user renamed, but a local user of the new name exists outside the marker group %q: not renamed; local user %q (UID %d) keeps its name (never locked for it), its keys and sudo kept current", cfg.MarkerGroup, old.Name, old.UID)
				pl.linux, pl.host, pl.exists, pl.keptOld = old.Name, old, true, true
			case !hu.MemberOf(cfg.MarkerGroup):
				skip(u.IAMName, linux, "a local user of that name exists outside the marker group %q: left alone", cfg.MarkerGroup)
				continue
			case hu.UID < MinManagedUID:
				skip(u.IAMName, linux, "local user has UID %d, below %d: a system account, left alone", hu.UID, MinManagedUID)
				continue
			}
			if !pl.exists {
				pl.host, pl.exists = hu, true
				pl.finishFrom = unfinishedRename(host, hostBy, u, hu)
			}
		} else if other, ok := hostFold[strings.ToLower(linux)]; old != nil && (!ok || other == old.Name) {
			pl.host, pl.exists, pl.renameFrom = old, true, old.Name
			desiredLinux[old.Name] = true
		} else if ok {
			skip(u.IAMName, linux, "differs only in letter case from local user %q: not created", other)
			plans = p.keepRenamed(plans, desiredLinux, old, u, cfg)
			continue
		} else if reason := groupTaken(linux, &hostGroups, host); reason != "" {
			skip(u.IAMName, linux, "%s", reason)
			continue
		}
		keys, dropped := canonicalKeys(u.Keys)
		for _, d := range dropped {
			skip(u.IAMName, linux, "%s", d)
		}
		pl.keys = keys
		pl.sudo = cfg.GrantsSudo(u.Groups)
		plans = append(plans, pl)
		desiredLinux[pl.linux] = true
	}
	plans = p.renameConflicts(plans)

	// 4. UIDs for the users to create, in IAM user ID order so that probing
	// is deterministic.
	sort.Slice(plans, func(i, j int) bool { return plans[i].u.IAMUserID < plans[j].u.IAMUserID })
	for _, pl := range plans {
		if pl.exists {
			p.recordUID(pl)
		}
	}
	var actions []Action
	for _, pl := range plans {
		if pl.renameFrom != "" {
			actions = append(actions, p.rename(pl, cfg)...)
			continue
		}
		if pl.finishFrom != "" {
			actions = append(actions, finishRename(pl))
		}
		if pl.exists {
			actions = append(actions, p.update(pl, cfg)...)
			continue
		}
		uid, how, err := p.Next.UIDs.Allocate(pl.u.IAMUserID, pl.u.IAMName, cfg.UIDMin, cfg.UIDMax, hostUIDs, active)
		if err != nil {
			skip(pl.u.IAMName, pl.linux, "not created: %v", err)
			delete(desiredLinux, pl.linux)
			continue
		}
		hostUIDs[uid] = true
		actions = append(actions, Action{Kind: ActCreateUser, User: pl.linux, IAMName: pl.u.IAMName, UID: uid,
			Groups: cfg.localGroups(), Reason: fmt.Sprintf("new IAM user %s (%s)", pl.u.IAMUserID, how)})
		if len(pl.keys) > 0 {
			actions = append(actions, Action{Kind: ActWriteKeys, User: pl.linux, IAMName: pl.u.IAMName, Keys: pl.keys,
				Reason: fmt.Sprintf("%d active key(s)", len(pl.keys))})
		}
		if pl.sudo {
			actions = append(actions, Action{Kind: ActGrantSudo, User: pl.linux, IAMName: pl.u.IAMName, Reason: sudoReason(cfg)})
		}
		delete(p.Next.Missing, pl.linux)
		delete(p.Next.Locked, pl.linux)
	}

	// 5. Managed users the source does not list.
	actions = append(actions, p.missing(host, cfg, desiredLinux, contested, reservedExtra, skip)...)
	actions = p.spareHeld(actions, held)

	// 6. Forget state for names that are gone.
	for name := range p.Next.Missing {
		if hu, ok := hostBy[name]; !ok || !hu.MemberOf(cfg.MarkerGroup) || desiredLinux[name] {
			delete(p.Next.Missing, name)
		}
	}
	for name := range p.Next.Locked {
		if hu, ok := hostBy[name]; !ok || !hu.MemberOf(cfg.MarkerGroup) || (desiredLinux[name] && !hu.Locked) {
			delete(p.Next.Locked, name)
		}
	}

	sort.SliceStable(actions, func(i, j int) bool {
		if pi, pj := actions[i].phase(), actions[j].phase(); pi != pj {
			return pi < pj
		}
		return actions[i].User < actions[j].User
	})
	// The allocations and lock records are saved before anything changes;
	// the missing counts only when the run is over.
	intent := p.Next.Clone()
	keepRenamedFrom(&intent, host.State, plans)
	intent.Missing = map[string]int{}
	for name, c := range host.State.Missing {
		if _, kept := p.Next.Missing[name]; kept {
			intent.Missing[name] = c // forgetting a count is saved early, counting only at the end
		}
	}
	if !intent.Equal(host.State) {
		data, err := intent.Marshal()
		if err != nil {
			p.Halted = err
			p.Next = host.State.Clone()
			return p
		}
		actions = append([]Action{{Kind: ActSaveState, State: data, Reason: stateDiff(host.State, intent)}}, actions...)
	}
	if !p.Next.Equal(intent) {
		data, err := p.Next.Marshal()
		if err != nil {
			p.Halted = err
			p.Next = host.State.Clone()
			return p
		}
		actions = append(actions, Action{Kind: ActCommitState, State: data, Reason: stateDiff(intent, p.Next)})
	}
	p.Actions = actions
	sort.SliceStable(p.Skipped, func(i, j int) bool {
		a, b := p.Skipped[i], p.Skipped[j]
		if a.IAMName != b.IAMName {
			return a.IAMName < b.IAMName
		}
		return a.User < b.User
	})
	return p
}

// consolidate merges the entries of each IAM user ID and refuses
// inconsistent ones. active holds every user ID the source lists.
func consolidate(in []DesiredUser, skip func(iam, linux, format string, args ...any)) ([]DesiredUser, map[string]bool) {
	byID := map[string]*DesiredUser{}
	var order []string
	bad := map[string]string{}
	active := map[string]bool{}
	for _, u := range in {
		if u.IAMUserID == "" {
			skip(u.IAMName, "", "no IAM user ID in the source")
			continue
		}
		active[u.IAMUserID] = true
		cur, ok := byID[u.IAMUserID]
		if !ok {
			c := u
			c.Groups = slices.Clone(u.Groups)
			c.Keys = slices.Clone(u.Keys)
			byID[u.IAMUserID] = &c
			order = append(order, u.IAMUserID)
			continue
		}
		if cur.IAMName != u.IAMName {
			bad[u.IAMUserID] = fmt.Sprintf("the source lists IAM user ID %s under two names, %q and %q", u.IAMUserID, cur.IAMName, u.IAMName)
			continue
		}
		if cur.LinuxName == "" {
			cur.LinuxName = u.LinuxName
		} else if u.LinuxName != "" && u.LinuxName != cur.LinuxName {
			bad[u.IAMUserID] = fmt.Sprintf("the source gives IAM user %q two Linux names", u.IAMName)
		}
		for _, g := range u.Groups {
			if !slices.Contains(cur.Groups, g) {
				cur.Groups = append(cur.Groups, g)
			}
		}
		cur.Keys = append(cur.Keys, u.Keys...)
	}
	byName := map[string][]string{}
	for _, id := range order {
		k := strings.ToLower(byID[id].IAMName)
		byName[k] = append(byName[k], id)
	}
	for _, ids := range byName {
		if len(ids) > 1 {
			for _, id := range ids {
				bad[id] = fmt.Sprintf("the source lists IAM user name %q under %d user IDs", byID[id].IAMName, len(ids))
			}
		}
	}
	var out []DesiredUser
	for _, id := range order {
		u := byID[id]
		if reason, ok := bad[id]; ok {
			skip(u.IAMName, "", "%s", reason)
			continue
		}
		// Deduplicate keys listed twice under the same ID and body.
		u.Keys = dedupeKeys(u.Keys)
		out = append(out, *u)
	}
	return out, active
}

// contestedNames returns, by lower-case Linux name, the sorted IAM user IDs
// of the source whose IAM names map to it, for the names more than one ID
// claims. Such IDs are refused (consolidate, MapNames); the managed account
// of a contested name keeps its owner: missing leaves it exactly as it is.
// Linux names equal up to case come from IAM names equal up to case (see
// LinuxName), so the IDs are grouped by IAM name first, and only the names
// of a group of several IDs are mapped: the steady state pays one map entry
// per user.
func contestedNames(in []DesiredUser) map[string][]string {
	first := make(map[string]string, len(in)) // lower-case IAM name → first ID
	var multi map[string][]string             // lower-case IAM name → IDs, for several
	for _, u := range in {
		if u.IAMUserID == "" {
			continue
		}
		k := strings.ToLower(u.IAMName)
		id, ok := first[k]
		switch {
		case !ok:
			first[k] = u.IAMUserID
		case id != u.IAMUserID && !slices.Contains(multi[k], u.IAMUserID):
			if multi == nil {
				multi = map[string][]string{}
			}
			if len(multi[k]) == 0 {
				multi[k] = []string{id}
			}
			multi[k] = append(multi[k], u.IAMUserID)
		}
	}
	out := map[string][]string{}
	for k, ids := range multi {
		linux, err := LinuxName(k)
		if err != nil {
			continue
		}
		sort.Strings(ids)
		out[strings.ToLower(linux)] = ids
	}
	return out
}

// groupTaken says why no account named linux may be created because of a
// group: a local group of that name (ignoring case) that hostsync does not
// manage — useradd would refuse to create the user's own group, and an
// account named like a group is mistaken for it in sudoers and file
// permissions — or a standard system group name (DefaultSystemGroups).
// It returns "" when neither holds. groups caches the host's group names
// (lower-case → name), read from host on first use.
func groupTaken(linux string, groups *map[string]string, host HostState) string {
	if *groups == nil {
		*groups = hostGroupNames(host)
	}
	if g, ok := (*groups)[strings.ToLower(linux)]; ok {
		return fmt.Sprintf("a local group %q exists that hostsync does not manage: not created", g)
	}
	if IsSystemGroup(linux) {
		return "the name of a standard system group: never created"
	}
	return ""
}

// hostGroupNames returns the host's local group names by lower-case name:
// HostState.Groups and every group a local user is a member of.
func hostGroupNames(host HostState) map[string]string {
	out := make(map[string]string, len(host.Groups))
	add := func(g string) {
		if _, ok := out[strings.ToLower(g)]; !ok {
			out[strings.ToLower(g)] = g
		}
	}
	for _, g := range host.Groups {
		add(g)
	}
	for _, u := range host.Users {
		for _, g := range u.Groups {
			add(g)
		}
	}
	return out
}

func dedupeKeys(ks []Key) []Key {
	seen := map[Key]bool{}
	var out []Key
	for _, k := range ks {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func reasonOf(err error) string {
	var ne *NameError
	if errors.As(err, &ne) {
		return ne.Reason
	}
	return err.Error()
}

func sudoReason(cfg Config) string {
	if cfg.SudoAll {
		return "SUDOERS_GROUPS is " + SudoAllValue
	}
	return "member of a sudoers group (" + strings.Join(cfg.SudoersGroups, ",") + ")"
}

// recordUID records the UID of an existing managed account in the
// allocation, under its IAM user ID.
func (p *SyncPlan) recordUID(pl *planned) {
	id, uid := pl.u.IAMUserID, pl.host.UID
	if e, ok := p.Next.UIDs.Get(id); ok && e.UID == uid && e.Name == pl.u.IAMName {
		return
	}
	if other, ok := p.Next.UIDs.ByUID(uid); ok && other.UserID != id {
		if !strings.EqualFold(other.Name, pl.u.IAMName) {
			p.Notes = append(p.Notes, fmt.Sprintf("local user %q has UID %d, which the allocation records for IAM user %s (%q): allocation left unchanged", pl.linux, uid, other.UserID, other.Name))
			return
		}
		// The same name under a new IAM user ID: the account follows the
		// name, so does the UID.
		p.Notes = append(p.Notes, fmt.Sprintf("local user %q (UID %d) now belongs to IAM user ID %s, formerly %s: the IAM user was re-created under the same name", pl.linux, uid, id, other.UserID))
		p.Next.UIDs.Forget(other.UserID)
	}
	if err := p.Next.UIDs.Set(UIDEntry{UserID: id, Name: pl.u.IAMName, UID: uid}); err != nil {
		p.Notes = append(p.Notes, fmt.Sprintf("local user %q: UID %d not recorded: %v", pl.linux, uid, err))
	}
}

// update plans the changes to an existing managed account.
func (p *SyncPlan) update(pl *planned, cfg Config) []Action {
	hu, name, iam := pl.host, pl.linux, pl.u.IAMName
	var out []Action
	var missing []string
	for _, g := range cfg.localGroups() {
		if !hu.MemberOf(g) {
			missing = append(missing, g)
		}
	}
	if len(missing) > 0 {
		out = append(out, Action{Kind: ActAddGroups, User: name, IAMName: iam, Groups: missing, Reason: "not yet a member of LOCAL_GROUPS"})
	}
	if hu.Locked {
		if p.Next.Locked[name] {
			out = append(out, Action{Kind: ActUnlock, User: name, IAMName: iam, Reason: "back in the IAM source after hostsync locked it"})
		} else {
			p.Skipped = append(p.Skipped, Skip{IAMName: iam, User: name, Reason: "account locked outside hostsync: left locked"})
		}
	}
	if !sameKeys(hu.Keys, pl.keys) {
		out = append(out, Action{Kind: ActWriteKeys, User: name, IAMName: iam, Keys: pl.keys, Reason: keysDiff(hu.Keys, pl.keys)})
	}
	switch {
	case pl.sudo && hu.LegacySudo:
		out = append(out, adoptSudo(name, iam, cfg))
	case pl.sudo && !hu.Sudo:
		out = append(out, Action{Kind: ActGrantSudo, User: name, IAMName: iam, Reason: sudoReason(cfg)})
	case !pl.sudo && (hu.Sudo || hu.LegacySudo):
		out = append(out, Action{Kind: ActRevokeSudo, User: name, IAMName: iam, Reason: "no longer in a sudoers group" + legacyNote(*hu)})
	}
	delete(p.Next.Missing, name)
	return out
}

// missing plans locks and deletions for managed users the source does not
// list.
func (p *SyncPlan) missing(host HostState, cfg Config, desiredLinux map[string]bool, contested map[string][]string, reservedExtra []string, skip func(iam, linux, format string, args ...any)) []Action {
	var out []Action
	var due []string
	endedOnLock := map[string]bool{}
	managed := 0
	n := cfg.MissingSyncsBeforeDelete
	for _, hu := range host.Users {
		if !hu.MemberOf(cfg.MarkerGroup) {
			continue
		}
		if IsReserved(hu.Name, reservedExtra...) {
			skip("", hu.Name, "reserved name in the marker group: never changed or deleted")
			delete(p.Next.Missing, hu.Name)
			continue
		}
		if hu.UID < MinManagedUID {
			skip("", hu.Name, "UID %d below %d in the marker group: a system account, never changed or deleted", hu.UID, MinManagedUID)
			delete(p.Next.Missing, hu.Name)
			continue
		}
		managed++
		if desiredLinux[hu.Name] {
			continue
		}
		if ids := contested[strings.ToLower(hu.Name)]; len(ids) > 1 {
			skip("", hu.Name, "IAM user IDs %s all map to this name: none is created, and the account is left exactly as it is (not locked, not deleted) until one of them remains", strings.Join(ids, ", "))
			continue
		}
		count := host.State.Missing[hu.Name] + 1
		p.Next.Missing[hu.Name] = count
		why := fmt.Sprintf("not in the IAM source (missing from %d of %d complete syncs before deletion)", count, n)
		if len(hu.Keys) > 0 {
			out = append(out, Action{Kind: ActWriteKeys, User: hu.Name, Reason: why})
		}
		if hu.Sudo || hu.LegacySudo {
			out = append(out, Action{Kind: ActRevokeSudo, User: hu.Name, Reason: why + legacyNote(hu)})
		}
		if !hu.Locked {
			out = append(out, Action{Kind: ActLock, User: hu.Name, Reason: why})
			p.Next.Locked[hu.Name] = true
			if cfg.EndSessionsOnLock {
				out = append(out, Action{Kind: ActEndSessions, User: hu.Name, Reason: why + "; IAMKIT_END_SESSIONS_ON_LOCK"})
				endedOnLock[hu.Name] = true
			}
		}
		if count >= n {
			due = append(due, hu.Name)
		}
	}
	if len(due) == 0 {
		return out
	}
	sort.Strings(due)
	limit := cfg.DeletionCap(managed)
	switch {
	case cfg.MaxDeletions < 0:
		p.Notes = append(p.Notes, fmt.Sprintf("deletion is disabled (IAMKIT_MAX_DELETIONS=%d): %d account(s) due for deletion stay locked: %s", cfg.MaxDeletions, len(due), strings.Join(due, ", ")))
		return out
	case len(due) > limit:
		p.Notes = append(p.Notes, fmt.Sprintf("%d accounts are due for deletion but at most %d may be deleted per run (%s; %d managed users): NOTHING was deleted; they stay locked. If the removals are intended, raise IAMKIT_MAX_DELETIONS for one run. Due: %s",
			len(due), limit, capRule(cfg, managed), managed, strings.Join(due, ", ")))
		return out
	}
	for _, name := range due {
		why := fmt.Sprintf("missing from %d consecutive complete syncs (threshold %d)", p.Next.Missing[name], n)
		if !endedOnLock[name] {
			out = append(out, Action{Kind: ActEndSessions, User: name, Reason: "before deletion"})
		}
		out = append(out, Action{Kind: ActDelete, User: name, Reason: why})
	}
	return out
}

func capRule(cfg Config, managed int) string {
	if cfg.MaxDeletions > 0 {
		return fmt.Sprintf("IAMKIT_MAX_DELETIONS=%d", cfg.MaxDeletions)
	}
	return fmt.Sprintf("default cap: the larger of %d and 10%% of managed users", DefaultMinDeletions)
}

func keysDiff(old, new []Key) string {
	in := func(k Key, ks []Key) bool {
		for _, o := range ks {
			if o.ID == k.ID && o.Body == k.Body {
				return true
			}
		}
		return false
	}
	var add, del []string
	for _, k := range new {
		if !in(k, old) {
			add = append(add, k.ID)
		}
	}
	for _, k := range old {
		if !in(k, new) {
			del = append(del, k.ID)
		}
	}
	var parts []string
	if len(add) > 0 {
		parts = append(parts, "add "+strings.Join(add, ","))
	}
	if len(del) > 0 {
		parts = append(parts, "remove "+strings.Join(del, ","))
	}
	if len(parts) == 0 {
		return "keys changed"
	}
	return "keys changed: " + strings.Join(parts, "; ")
}

// stateDiff summarises how next differs from prev.
func stateDiff(prev, next State) string {
	var parts []string
	names := map[string]bool{}
	for n := range prev.Missing {
		names[n] = true
	}
	for n := range next.Missing {
		names[n] = true
	}
	var ms []string
	for n := range names {
		if prev.Missing[n] != next.Missing[n] {
			ms = append(ms, fmt.Sprintf("%s %d→%d", n, prev.Missing[n], next.Missing[n]))
		}
	}
	sort.Strings(ms)
	if len(ms) > 0 {
		parts = append(parts, "missing counts "+strings.Join(ms, ", "))
	}
	var locks []string
	for n := range next.Locked {
		if !prev.Locked[n] {
			locks = append(locks, "+"+n)
		}
	}
	for n := range prev.Locked {
		if !next.Locked[n] {
			locks = append(locks, "-"+n)
		}
	}
	sort.Strings(locks)
	if len(locks) > 0 {
		parts = append(parts, "locked by hostsync "+strings.Join(locks, ", "))
	}
	var uids []string
	for _, e := range next.UIDs.Entries() {
		if o, ok := prev.UIDs.Get(e.UserID); !ok || o != e {
			uids = append(uids, fmt.Sprintf("%s=%d", e.Name, e.UID))
		}
	}
	for _, e := range prev.UIDs.Entries() {
		if _, ok := next.UIDs.Get(e.UserID); !ok {
			uids = append(uids, fmt.Sprintf("-%s", e.Name))
		}
	}
	if len(uids) > 0 {
		parts = append(parts, "UIDs "+strings.Join(uids, ", "))
	}
	if len(parts) == 0 {
		return "state format updated"
	}
	return strings.Join(parts, "; ")
}
