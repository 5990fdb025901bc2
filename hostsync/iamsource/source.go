package iamsource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// IAMAPI is the part of the IAM client that IAMSource calls, with the SDK's
// signatures. *iam.Client satisfies it, and so does the fake account of
// iamkittest (Account.IAM).
type IAMAPI interface {
	ListUsers(ctx context.Context, in *iam.ListUsersInput, optFns ...func(*iam.Options)) (*iam.ListUsersOutput, error)
	GetGroup(ctx context.Context, in *iam.GetGroupInput, optFns ...func(*iam.Options)) (*iam.GetGroupOutput, error)
	ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, optFns ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error)
	GetSSHPublicKey(ctx context.Context, in *iam.GetSSHPublicKeyInput, optFns ...func(*iam.Options)) (*iam.GetSSHPublicKeyOutput, error)
	// ListGroupsForUser and GetUser are the direct reads of
	// IAMSource.ConfirmAbsent, called only for users who disappeared.
	ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, optFns ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
}

var _ IAMAPI = (*iam.Client)(nil)

// DefaultSourceWorkers is how many IAM calls an IAMSource has in flight at
// most while it reads users' keys.
const DefaultSourceWorkers = 32

// DefaultSourcePageSize is the MaxItems an IAMSource asks for on each page
// of GetGroup, ListUsers and ListSSHPublicKeys: IAM's maximum, so that a
// listing costs as few calls as possible.
const DefaultSourcePageSize = 1000

// maxSourcePages bounds the pages of one listing, against a service that
// hands out markers forever.
const maxSourcePages = 100_000

// DefaultAssumeRoleSessionName is the role session name AssumeRoleCredentials
// uses when given none; it shows in the CloudTrail records of the account
// that holds the users.
const DefaultAssumeRoleSessionName = "iamkit-hostsync"

// AssumeRoleCredentials returns the credentials to build the IAM client with
// when the users live in another account (Config.AssumeRole, ASSUMEROLE):
// stscreds.NewAssumeRoleProvider wrapped in aws.NewCredentialsCache, so the
// role is assumed once and its credentials are reused until shortly before
// they expire, not once per call or per sync. sessionName may be empty
// (DefaultAssumeRoleSessionName); the host name is a good choice.
//
// A frontend builds the client once and keeps it for every sync:
//
//	awsCfg, err := config.LoadDefaultConfig(ctx)
//	...
//	if cfg.AssumeRole != "" {
//		awsCfg.Credentials = AssumeRoleCredentials(sts.NewFromConfig(awsCfg), cfg.AssumeRole, "hostsync-"+hostname)
//	}
//	src := NewIAMSource(iam.NewFromConfig(awsCfg), cfg)
//
// The STS client keeps the caller's own credentials (profile, instance role,
// ...); only the IAM client uses the assumed role's.
func AssumeRoleCredentials(stsAPI stscreds.AssumeRoleAPIClient, roleARN, sessionName string) aws.CredentialsProvider {
	name := cmp.Or(sessionName, DefaultAssumeRoleSessionName)
	p := stscreds.NewAssumeRoleProvider(stsAPI, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = name
	})
	return aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) {
		// Renew a little early, so a sync never starts with credentials that
		// expire half-way through it.
		o.ExpiryWindow = time.Minute
	})
}

// IAMSource reads the desired users from live IAM:
//
//   - the users: the members of the configuration's authorized groups
//     (GetGroup, every page), or, when it names none, every IAM user
//     (ListUsers, every page);
//   - their groups: from the members of the groups the configuration cares
//     about, the authorized and the sudoers groups (GetGroup) — not one
//     ListGroupsForUser per user; a user's Groups list only those groups;
//   - their Active SSH keys: one ListSSHPublicKeys per user (every page),
//     whose Status decides; Inactive keys never reach the Desired. The body
//     of an Active key comes from GetSSHPublicKey (Encoding SSH) the first
//     time the key is seen and from the KeyBodyCache afterwards: IAM never
//     changes the body behind a key ID.
//
// A steady-state read therefore costs one ListSSHPublicKeys per user plus
// the listing pages, and no GetSSHPublicKey.
//
// A user deleted between the listing and the read of its keys
// (NoSuchEntity) is left out of the read, as absent; IAMSource is an
// AbsenceConfirmer, so Sync acts on an absence only once ConfirmAbsent's
// direct read confirms it — one call per user who disappeared, none in a
// steady state.
//
// Keys are read by a bounded pool of workers (WithWorkers), which start as
// soon as the first page of members arrives. The first failure cancels
// every call still in flight and makes the read unknown: Desired returns
// Complete false and Err, a *SourceError naming the call — never part of
// the users. Retries are the SDK's business: build the client with the
// retryer you want (the default standard retryer, or retry.AddWithMaxAttempts
// / the adaptive mode through config.LoadDefaultConfig); IAMSource does not
// retry. An authorized group that does not exist is a failure too (a typo
// must not lock everybody out); a sudoers group that does not exist has no
// members, which can only take sudo away.
//
// With ASSUMEROLE, the client passed in must carry the assumed role's
// credentials, cached: see AssumeRoleCredentials. IAMSource never calls STS.
//
// Names are not mapped here: Desired carries IAM names, and Plan maps them
// (MapNames), refusing and reporting the ones it cannot use.
//
// Build a new IAMSource when the configuration changes. An IAMSource is
// safe for concurrent use, though reads do not share calls.
type IAMSource struct {
	api      IAMAPI
	cfg      hostsync.Config
	workers  int
	pageSize int32
	cache    hostsync.KeyBodyCache
	log      *slog.Logger
}

var _ hostsync.Source = (*IAMSource)(nil)

// NewIAMSource returns a source reading the users that cfg selects through
// api, with a private in-memory KeyBodyCache unless WithKeyBodyCache gives
// one. It reads the options WithWorkers, WithPageSize, WithKeyBodyCache and
// WithLogger.
func NewIAMSource(api IAMAPI, cfg hostsync.Config, opts ...hostsync.Option) *IAMSource {
	o := hostsync.ResolveOptions(opts...)
	s := &IAMSource{
		api:      api,
		cfg:      cfg,
		workers:  DefaultSourceWorkers,
		pageSize: DefaultSourcePageSize,
		cache:    o.KeyBodyCache,
		log:      o.Log(),
	}
	if o.Workers > 0 {
		s.workers = o.Workers
	}
	if o.PageSize > 0 {
		s.pageSize = o.PageSize
	}
	if s.cache == nil {
		s.cache = hostsync.NewMemoryKeyBodyCache()
	}
	return s
}

// KeyBodyCache returns the cache the source keeps key bodies in.
func (s *IAMSource) KeyBodyCache() hostsync.KeyBodyCache { return s.cache }

// sourceUser is a user being read.
type sourceUser struct {
	id, name string
	keys     []hostsync.Key
}

// read is the state of one Desired call.
type read struct {
	s      *IAMSource
	ctx    context.Context
	cancel context.CancelCauseFunc

	errOnce sync.Once
	err     error

	mu       sync.Mutex
	users    map[string]*sourceUser     // authorized users, by IAM user ID
	memberOf map[string]map[string]bool // IAM user ID → groups of interest
	seenKeys map[string]bool            // every key ID listed, Active or not

	pages, lists, gets, hits atomic.Int64
}

func (r *read) fail(err error) {
	r.errOnce.Do(func() {
		r.err = err
		r.cancel(err)
	})
}

// Desired reads the users, their groups and their Active keys from IAM; see
// IAMSource.
func (s *IAMSource) Desired(ctx context.Context) hostsync.Desired {
	cfg := s.cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return hostsync.Desired{Err: err}
	}
	if (cfg.AuthorizedGroupsTag != "" || cfg.SudoersGroupsTag != "") && !cfg.TagsResolved {
		// Unresolved tags leave AuthorizedGroups empty, which would read
		// every IAM user.
		return hostsync.Desired{Err: hostsync.ErrTagsUnresolved}
	}
	start := time.Now()
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &read{
		s: s, ctx: rctx, cancel: cancel,
		users:    map[string]*sourceUser{},
		memberOf: map[string]map[string]bool{},
		seenKeys: map[string]bool{},
	}

	jobs := make(chan *sourceUser)
	var workers sync.WaitGroup
	for range s.workers {
		workers.Go(func() {
			for u := range jobs {
				if r.ctx.Err() != nil {
					continue // drain: the read has failed
				}
				if err := r.readKeys(u); err != nil {
					if r.ctx.Err() == nil && isNoSuchEntity(err) {
						r.drop(u) // deleted since it was listed: absent, confirmed later
						continue
					}
					r.fail(err)
				}
			}
		})
	}

	var producers sync.WaitGroup
	authorized := dedupeFold(cfg.AuthorizedGroups)
	for _, g := range dedupeFold(slices.Concat(cfg.AuthorizedGroups, cfg.SudoersGroups)) {
		isAuth := slices.ContainsFunc(authorized, func(a string) bool { return strings.EqualFold(a, g) })
		producers.Go(func() {
			if err := r.readGroup(g, isAuth, jobs); err != nil {
				r.fail(err)
			}
		})
	}
	if len(authorized) == 0 {
		producers.Go(func() {
			if err := r.listUsers(jobs); err != nil {
				r.fail(err)
			}
		})
	}
	producers.Wait()
	close(jobs)
	workers.Wait()

	if r.err == nil {
		if err := ctx.Err(); err != nil {
			r.err = &hostsync.SourceError{Op: "iam", Target: "read", Err: err}
		}
	}
	elapsed := time.Since(start)
	if r.err != nil {
		s.log.LogAttrs(ctx, slog.LevelDebug, "hostsync: IAM source read failed",
			slog.String("error", r.err.Error()), slog.Duration("elapsed", elapsed))
		return hostsync.Desired{Err: r.err}
	}

	d := hostsync.Desired{Complete: true, Users: make([]hostsync.DesiredUser, 0, len(r.users))}
	nkeys := 0
	for id, u := range r.users {
		groups := make([]string, 0, len(r.memberOf[id]))
		for g := range r.memberOf[id] {
			groups = append(groups, g)
		}
		slices.Sort(groups)
		slices.SortFunc(u.keys, func(a, b hostsync.Key) int { return strings.Compare(a.ID, b.ID) })
		nkeys += len(u.keys)
		d.Users = append(d.Users, hostsync.DesiredUser{IAMUserID: id, IAMName: u.name, Groups: groups, Keys: u.keys})
	}
	slices.SortFunc(d.Users, func(a, b hostsync.DesiredUser) int {
		return cmp.Or(strings.Compare(a.IAMName, b.IAMName), strings.Compare(a.IAMUserID, b.IAMUserID))
	})
	if saver, ok := s.cache.(hostsync.KeyBodyCacheSaver); ok {
		if err := saver.Save(r.seenKeys); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "hostsync: saving the key body cache failed; the next read may fetch key bodies again",
				slog.String("error", err.Error()))
		}
	}
	s.log.LogAttrs(ctx, slog.LevelDebug, "hostsync: IAM source read",
		slog.Int("users", len(d.Users)), slog.Int("active_keys", nkeys),
		slog.Int64("listing_pages", r.pages.Load()), slog.Int64("list_ssh_public_keys", r.lists.Load()),
		slog.Int64("get_ssh_public_key", r.gets.Load()), slog.Int64("key_body_cache_hits", r.hits.Load()),
		slog.Duration("elapsed", elapsed))
	return d
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

// member records that an IAM user belongs to group and, when listed is
// true (an authorized group, or ListUsers), queues the user's keys the
// first time it is seen.
func (r *read) member(op, target string, u types.User, group string, listed bool, jobs chan<- *sourceUser) error {
	id, name := aws.ToString(u.UserId), aws.ToString(u.UserName)
	if id == "" || name == "" {
		return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: a user without a UserId or UserName", hostsync.ErrMalformedResponse)}
	}
	r.mu.Lock()
	if group != "" {
		if r.memberOf[id] == nil {
			r.memberOf[id] = map[string]bool{}
		}
		r.memberOf[id][group] = true
	}
	var job *sourceUser
	if listed {
		if cur, ok := r.users[id]; ok {
			if cur.name != name {
				r.mu.Unlock()
				return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: IAM user ID %s listed as %q and as %q (renamed during the read?)", hostsync.ErrMalformedResponse, id, cur.name, name)}
			}
		} else {
			job = &sourceUser{id: id, name: name}
			r.users[id] = job
		}
	}
	r.mu.Unlock()
	if job == nil {
		return nil
	}
	select {
	case jobs <- job:
		return nil
	case <-r.ctx.Done():
		return &hostsync.SourceError{Op: op, Target: target, Err: context.Cause(r.ctx)}
	}
}

// pager is the part of an SDK paginator a listing uses.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*iam.Options)) (O, error)
}

// eachPage runs fn on every page of p and fails on a page that says it is
// truncated when the paginator has nowhere to go on (no marker, or the
// same marker again), so that a partial listing is never taken for a
// complete one.
func eachPage[O any](r *read, op, target string, counter *atomic.Int64, p pager[*O], truncated func(*O) bool, fn func(*O) error) error {
	for n := 0; p.HasMorePages(); n++ {
		if n == maxSourcePages {
			return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: more than %d pages", hostsync.ErrPartialPage, maxSourcePages)}
		}
		out, err := p.NextPage(r.ctx)
		if err != nil {
			if cause := context.Cause(r.ctx); cause != nil && r.ctx.Err() != nil {
				err = cause
			}
			return &hostsync.SourceError{Op: op, Target: target, Err: err}
		}
		counter.Add(1)
		if out == nil {
			return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: no output", hostsync.ErrMalformedResponse)}
		}
		if err := fn(out); err != nil {
			return err
		}
		if truncated(out) && !p.HasMorePages() {
			return &hostsync.SourceError{Op: op, Target: target, Err: hostsync.ErrPartialPage}
		}
	}
	return nil
}

// readGroup reads every page of a group's members.
func (r *read) readGroup(name string, authorized bool, jobs chan<- *sourceUser) error {
	const op = "iam:GetGroup"
	target := fmt.Sprintf("group %q", name)
	p := iam.NewGetGroupPaginator(r.s.api, &iam.GetGroupInput{GroupName: aws.String(name), MaxItems: aws.Int32(r.s.pageSize)},
		func(o *iam.GetGroupPaginatorOptions) { o.StopOnDuplicateToken = true })
	err := eachPage(r, op, target, &r.pages, p, func(o *iam.GetGroupOutput) bool { return o.IsTruncated }, func(out *iam.GetGroupOutput) error {
		group := name
		if out.Group != nil && out.Group.GroupName != nil {
			if !strings.EqualFold(*out.Group.GroupName, name) {
				return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: answered for group %q", hostsync.ErrMalformedResponse, *out.Group.GroupName)}
			}
			group = *out.Group.GroupName
		}
		for _, u := range out.Users {
			if err := r.member(op, target, u, group, authorized, jobs); err != nil {
				return err
			}
		}
		return nil
	})
	var nse *types.NoSuchEntityException
	if !authorized && errors.As(err, &nse) {
		// A sudoers group that does not exist has no members: the worst it
		// can do is take sudo away.
		r.s.log.LogAttrs(r.ctx, slog.LevelWarn, "hostsync: sudoers group does not exist in IAM; nobody gets sudo through it",
			slog.String("group", name))
		return nil
	}
	return err
}

// listUsers reads every page of ListUsers.
func (r *read) listUsers(jobs chan<- *sourceUser) error {
	const op, target = "iam:ListUsers", "all users"
	p := iam.NewListUsersPaginator(r.s.api, &iam.ListUsersInput{MaxItems: aws.Int32(r.s.pageSize)},
		func(o *iam.ListUsersPaginatorOptions) { o.StopOnDuplicateToken = true })
	return eachPage(r, op, target, &r.pages, p, func(o *iam.ListUsersOutput) bool { return o.IsTruncated }, func(out *iam.ListUsersOutput) error {
		for _, u := range out.Users {
			if err := r.member(op, target, u, "", true, jobs); err != nil {
				return err
			}
		}
		return nil
	})
}

// readKeys reads a user's Active keys: the list, then the bodies the cache
// does not hold.
func (r *read) readKeys(u *sourceUser) error {
	const op = "iam:ListSSHPublicKeys"
	target := fmt.Sprintf("user %q", u.name)
	var active, all []string
	p := iam.NewListSSHPublicKeysPaginator(r.s.api, &iam.ListSSHPublicKeysInput{UserName: aws.String(u.name), MaxItems: aws.Int32(r.s.pageSize)},
		func(o *iam.ListSSHPublicKeysPaginatorOptions) { o.StopOnDuplicateToken = true })
	err := eachPage(r, op, target, &r.lists, p, func(o *iam.ListSSHPublicKeysOutput) bool { return o.IsTruncated }, func(out *iam.ListSSHPublicKeysOutput) error {
		for _, k := range out.SSHPublicKeys {
			id := aws.ToString(k.SSHPublicKeyId)
			if id == "" {
				return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: a key without an SSHPublicKeyId", hostsync.ErrMalformedResponse)}
			}
			if k.UserName != nil && !strings.EqualFold(*k.UserName, u.name) {
				return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: key %s listed for user %q", hostsync.ErrMalformedResponse, id, *k.UserName)}
			}
			all = append(all, id)
			if string(k.Status) == hostsync.KeyActive {
				active = append(active, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	keys := make([]hostsync.Key, 0, len(active))
	for _, id := range active {
		body, ok := r.s.cache.Get(id)
		if ok {
			r.hits.Add(1)
		} else {
			var err error
			body, ok, err = r.fetchBody(u.name, id)
			if err != nil {
				return err
			}
			if !ok {
				continue // deactivated since it was listed
			}
			r.s.cache.Put(id, body)
		}
		keys = append(keys, hostsync.Key{ID: id, Body: body, Status: hostsync.KeyActive})
	}
	r.mu.Lock()
	u.keys = keys
	for _, id := range all {
		r.seenKeys[id] = true
	}
	r.mu.Unlock()
	return nil
}

// fetchBody reads one key's body. ok is false when IAM now reports the key
// Inactive.
func (r *read) fetchBody(user, id string) (string, bool, error) {
	const op = "iam:GetSSHPublicKey"
	target := fmt.Sprintf("user %q key %s", user, id)
	r.gets.Add(1)
	out, err := r.s.api.GetSSHPublicKey(r.ctx, &iam.GetSSHPublicKeyInput{
		UserName: aws.String(user), SSHPublicKeyId: aws.String(id), Encoding: types.EncodingTypeSsh,
	})
	if err != nil {
		if cause := context.Cause(r.ctx); cause != nil && r.ctx.Err() != nil {
			err = cause
		}
		return "", false, &hostsync.SourceError{Op: op, Target: target, Err: err}
	}
	if out == nil || out.SSHPublicKey == nil || aws.ToString(out.SSHPublicKey.SSHPublicKeyBody) == "" {
		return "", false, &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: no key body", hostsync.ErrMalformedResponse)}
	}
	k := out.SSHPublicKey
	if got := aws.ToString(k.SSHPublicKeyId); got != "" && got != id {
		return "", false, &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: answered with key %s", hostsync.ErrMalformedResponse, got)}
	}
	if k.Status != "" && string(k.Status) != hostsync.KeyActive {
		return "", false, nil
	}
	return *k.SSHPublicKeyBody, true, nil
}
