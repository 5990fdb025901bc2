package hostsync_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/fakes"
)

// absenceIAM wraps the fake account's IAM with hooks that change the
// account while the source reads it, and counts the direct reads.
type absenceIAM struct {
	iamsource.IAMAPI
	mu sync.Mutex
	// afterGetGroup runs after each GetGroup page is answered.
	afterGetGroup func(in *iam.GetGroupInput, out *iam.GetGroupOutput)
	// beforeListKeys and beforeGetKey run before the call, with the user.
	beforeListKeys, beforeGetKey func(user string)
	// groupsForUser, when set, answers ListGroupsForUser instead of IAM.
	groupsForUser func(ctx context.Context) error

	confirms atomic.Int64
}

func (w *absenceIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, o ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	out, err := w.IAMAPI.GetGroup(ctx, in, o...)
	if err == nil && w.afterGetGroup != nil {
		w.mu.Lock()
		w.afterGetGroup(in, out)
		w.mu.Unlock()
	}
	return out, err
}

func (w *absenceIAM) ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, o ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error) {
	if w.beforeListKeys != nil {
		w.mu.Lock()
		w.beforeListKeys(aws.ToString(in.UserName))
		w.mu.Unlock()
	}
	return w.IAMAPI.ListSSHPublicKeys(ctx, in, o...)
}

func (w *absenceIAM) GetSSHPublicKey(ctx context.Context, in *iam.GetSSHPublicKeyInput, o ...func(*iam.Options)) (*iam.GetSSHPublicKeyOutput, error) {
	if w.beforeGetKey != nil {
		w.mu.Lock()
		w.beforeGetKey(aws.ToString(in.UserName))
		w.mu.Unlock()
	}
	return w.IAMAPI.GetSSHPublicKey(ctx, in, o...)
}

func (w *absenceIAM) ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, o ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	w.confirms.Add(1)
	if w.groupsForUser != nil {
		return nil, w.groupsForUser(ctx)
	}
	return w.IAMAPI.ListGroupsForUser(ctx, in, o...)
}

func (w *absenceIAM) GetUser(ctx context.Context, in *iam.GetUserInput, o ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	w.confirms.Add(1)
	return w.IAMAPI.GetUser(ctx, in, o...)
}

// absenceFixture is six members of "ssh", one of them also in "admins",
// synced once to a host through a wrapped IAM, with a session each.
type absenceFixture struct {
	*srcSyncFixture
	w *absenceIAM
}

func newAbsenceFixture(t *testing.T, cfg hostsync.Config) *absenceFixture {
	t.Helper()
	f := &absenceFixture{srcSyncFixture: newSrcSyncFixture(t)}
	f.cfg = cfg
	f.w = &absenceIAM{IAMAPI: f.IAM}
	f.src = iamsource.NewIAMSource(f.w, cfg, hostsync.WithPageSize(2), hostsync.WithWorkers(4))
	for i := range 6 {
		n := fmt.Sprintf("m%d", i+1)
		groups := []string{"ssh"}
		if i == 2 {
			groups = append(groups, "admins")
		}
		f.Add(n, groups, "abs-"+n)
	}
	f.mustSync()
	require.Len(t, managedNames(f.host), 6)
	for _, n := range managedNames(f.host) {
		f.host.StartSession(n)
	}
	f.w.confirms.Store(0)
	return f
}

// intact asserts that the named accounts are unlocked, with their keys and
// sessions.
func (f *absenceFixture) intact(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		u, ok := f.host.User(n)
		require.True(t, ok, n)
		assert.False(t, u.Locked, "%s locked", n)
		assert.Equal(t, srcSorted(f.Keys[n]...), srcKeyIDs(f.host, n), "%s keys", n)
		assert.Equal(t, 1, f.host.Sessions(n), "%s sessions", n)
	}
}

// members returns the IAM users now in group "ssh".
func (f *absenceFixture) members(t *testing.T) []string {
	t.Helper()
	out, err := f.IAM.GetGroup(t.Context(), &iam.GetGroupInput{GroupName: aws.String("ssh")})
	require.NoError(t, err)
	var names []string
	for _, u := range out.Users {
		names = append(names, aws.ToString(u.UserName))
	}
	return names
}

func TestSyncMemberRemovedMidListing(t *testing.T) {
	f := newAbsenceFixture(t, srcSyncCfg)
	// Right after page 1 of "ssh", its first member leaves the group: the
	// fake's Marker is a position, so page 2 skips a member who stayed.
	var removed string
	var skipped []string
	f.w.afterGetGroup = func(in *iam.GetGroupInput, out *iam.GetGroupOutput) {
		if removed != "" || aws.ToString(in.GroupName) != "ssh" || in.Marker != nil {
			return
		}
		removed = aws.ToString(out.Users[0].UserName)
		_, err := f.IAM.RemoveUserFromGroup(context.Background(), &iam.RemoveUserFromGroupInput{UserName: aws.String(removed), GroupName: aws.String("ssh")})
		require.NoError(t, err)
		// Which member page 2 will skip: the third of the original order.
		all := slices.Concat([]string{removed}, f.members(t))
		skipped = append(skipped, all[2])
	}

	p := f.mustSync()
	require.NotEmpty(t, removed)
	require.Len(t, skipped, 1)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActWriteKeys, hostsync.ActLock}, actionsFor(p, removed), "plan:\n%s", p)
	u, ok := f.host.User(removed)
	require.True(t, ok)
	assert.True(t, u.Locked, "the member who left is locked")
	assert.Empty(t, f.host.Keys(removed))

	stayed := f.members(t)
	require.Contains(t, stayed, skipped[0])
	f.intact(t, stayed...)
	assert.Empty(t, actionsFor(p, skipped[0]), "the skipped member is left alone")
	// The direct reads: the skipped member's (which sent the sync to a
	// second read) and then the removed member's; at most the removed
	// member's too in the first round.
	assert.LessOrEqual(t, f.w.confirms.Load(), int64(3))
	assert.GreaterOrEqual(t, f.w.confirms.Load(), int64(2))
}

func TestSyncListingKeepsSkippingHalts(t *testing.T) {
	f := newAbsenceFixture(t, srcSyncCfg)
	// Every listing of "ssh" leaves out m4, who never left: the bounded
	// re-read does not help, and the sync halts with nothing changed.
	f.w.afterGetGroup = func(in *iam.GetGroupInput, out *iam.GetGroupOutput) {
		if aws.ToString(in.GroupName) == "ssh" {
			out.Users = slices.DeleteFunc(out.Users, func(u types.User) bool { return aws.ToString(u.UserName) == "m4" })
		}
	}
	before, writes := snapshot(f.host), f.host.Writes()
	p, r, err := f.sync()
	require.Error(t, err)
	assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
	assert.ErrorIs(t, err, hostsync.ErrNotAbsent)
	assert.True(t, p.Empty())
	assert.Empty(t, r.Results)
	assert.Equal(t, before, snapshot(f.host))
	assert.Equal(t, writes, f.host.Writes())
	assert.Equal(t, int64(2), f.w.confirms.Load(), "one direct read per listing, two listings")
	f.intact(t, "m1", "m2", "m3", "m4", "m5", "m6")
}

// TestSyncConfirmationFaults: a user really removed from IAM, and the
// direct read that would confirm it fails: nothing changes, and the next
// sync that can confirm it locks the user.
func TestSyncConfirmationFaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  hostsync.Config
		op   string
		err  error
	}{
		{"ListGroupsForUser 5xx", srcSyncCfg, "iam:ListGroupsForUser", &types.ServiceFailureException{Message: aws.String("internal")}},
		{"ListGroupsForUser timeout", srcSyncCfg, "iam:ListGroupsForUser", context.DeadlineExceeded},
		{"ListGroupsForUser throttled", srcSyncCfg, "iam:ListGroupsForUser", nil},
		{"ListGroupsForUser access denied", srcSyncCfg, "iam:ListGroupsForUser", &smithy.GenericAPIError{Code: "AccessDenied", Message: "denied"}},
		{"GetUser 5xx (every user authorized)", hostsync.Config{}, "iam:GetUser", &types.ServiceFailureException{Message: aws.String("internal")}},
		{"GetUser timeout (every user authorized)", hostsync.Config{}, "iam:GetUser", context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAbsenceFixture(t, tc.cfg)
			f.Remove("m2")
			before, writes := snapshot(f.host), f.host.Writes()
			f.Acct.Inject(tc.op, fakes.Fault{Err: tc.err})
			p, r, err := f.sync()
			require.Error(t, err)
			assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
			}
			var se *hostsync.SourceError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.op, se.Op)
			assert.True(t, p.Empty())
			assert.Empty(t, r.Results)
			assert.Equal(t, before, snapshot(f.host), "nothing locked or stripped")
			assert.Equal(t, writes, f.host.Writes())

			f.Acct.ClearFaults()
			p = f.mustSync()
			assert.Contains(t, actionsFor(p, "m2"), hostsync.ActLock)
			f.intact(t, "m1", "m3", "m4", "m5", "m6")
		})
	}
}

// TestSyncContextEndsDuringConfirmation: the sync's own deadline passes
// while the absence is being confirmed: nothing changes.
func TestSyncContextEndsDuringConfirmation(t *testing.T) {
	f := newAbsenceFixture(t, srcSyncCfg)
	f.Remove("m2")
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	f.w.groupsForUser = func(context.Context) error {
		cancel(context.DeadlineExceeded)
		return context.DeadlineExceeded
	}
	before := snapshot(f.host)
	_, _, err := hostsync.Sync(ctx, f.src, f.host, f.cfg)
	require.Error(t, err)
	assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, before, snapshot(f.host))
}

// TestSyncListingFaults: 5xx and timeouts at each read of the listing:
// nothing changes, though IAM has changes a complete read would act on.
func TestSyncListingFaults(t *testing.T) {
	for _, op := range []string{"iam:GetGroup", "iam:ListSSHPublicKeys", "iam:GetSSHPublicKey"} {
		for _, e := range []struct {
			name string
			err  error
		}{
			{"5xx", &types.ServiceFailureException{Message: aws.String("internal")}},
			{"timeout", context.DeadlineExceeded},
		} {
			t.Run(op+" "+e.name, func(t *testing.T) {
				f := newAbsenceFixture(t, srcSyncCfg)
				f.Remove("m2")
				f.AddKey("m5", "abs-new") // needs a GetSSHPublicKey
				before := snapshot(f.host)
				skip := 1 // fail mid-listing
				if op == "iam:GetSSHPublicKey" {
					skip = 0 // the only body fetched
				}
				f.Acct.Inject(op, fakes.Fault{Skip: skip, Err: e.err})
				p, _, err := f.sync()
				require.Error(t, err)
				assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
				assert.ErrorIs(t, err, e.err)
				assert.True(t, p.Empty())
				assert.Equal(t, before, snapshot(f.host))
				assert.Zero(t, f.w.confirms.Load(), "no direct read for a failed listing")
			})
		}
	}
}

// TestSyncUserDeletedDuringRead: a listed user deleted before its keys
// are read (NoSuchEntity on ListSSHPublicKeys or GetSSHPublicKey) is
// absent from that read, and locked once a direct read confirms it; a
// NoSuchEntity for a user who still exists never counts as "no keys".
func TestSyncUserDeletedDuringRead(t *testing.T) {
	t.Run("deleted before ListSSHPublicKeys", func(t *testing.T) {
		f := newAbsenceFixture(t, srcSyncCfg)
		done := false
		f.w.beforeListKeys = func(user string) {
			if user == "m3" && !done {
				done = true
				f.Remove("m3")
			}
		}
		p := f.mustSync()
		require.True(t, done)
		assert.Equal(t, []hostsync.ActionKind{hostsync.ActRevokeSudo, hostsync.ActWriteKeys, hostsync.ActLock}, actionsFor(p, "m3"), "plan:\n%s", p)
		u, _ := f.host.User("m3")
		assert.True(t, u.Locked)
		// At least m3's direct read. The deletion races with the group's
		// later pages (page size 2, 4 workers): when it lands before one,
		// the fake's positional Marker skips another member, whose direct
		// read contradicts the listing and costs a re-read — more reads,
		// never a wrong lock (intact below).
		assert.GreaterOrEqual(t, f.w.confirms.Load(), int64(1))
		f.intact(t, "m1", "m2", "m4", "m5", "m6")
	})
	t.Run("deleted before GetSSHPublicKey", func(t *testing.T) {
		f := newAbsenceFixture(t, srcSyncCfg)
		f.AddKey("m5", "abs-new")
		done := false
		f.w.beforeGetKey = func(user string) {
			if user == "m5" && !done {
				done = true
				f.Remove("m5")
			}
		}
		p := f.mustSync()
		require.True(t, done)
		assert.Contains(t, actionsFor(p, "m5"), hostsync.ActLock, "plan:\n%s", p)
		assert.Empty(t, f.host.Keys("m5"))
		f.intact(t, "m1", "m2", "m3", "m4", "m6")
	})
	t.Run("NoSuchEntity once for a user who exists", func(t *testing.T) {
		f := newAbsenceFixture(t, srcSyncCfg)
		before := snapshot(f.host)
		f.Acct.Inject("iam:ListSSHPublicKeys", fakes.Fault{Times: 1, Err: &types.NoSuchEntityException{Message: aws.String("gone?")},
			Match: func(in any) bool { return aws.ToString(in.(*iam.ListSSHPublicKeysInput).UserName) == "m4" }})
		p := f.mustSync()
		assert.True(t, p.Empty(), "plan:\n%s", p)
		assert.Equal(t, before, snapshot(f.host))
		assert.Equal(t, int64(1), f.w.confirms.Load())
		f.intact(t, "m1", "m2", "m3", "m4", "m5", "m6")
	})
	t.Run("NoSuchEntity every time for a user who exists", func(t *testing.T) {
		f := newAbsenceFixture(t, srcSyncCfg)
		before := snapshot(f.host)
		f.Acct.Inject("iam:ListSSHPublicKeys", fakes.Fault{Err: &types.NoSuchEntityException{Message: aws.String("gone?")},
			Match: func(in any) bool { return aws.ToString(in.(*iam.ListSSHPublicKeysInput).UserName) == "m4" }})
		_, _, err := f.sync()
		require.ErrorIs(t, err, hostsync.ErrSourceUnknown)
		assert.ErrorIs(t, err, hostsync.ErrNotAbsent)
		assert.Equal(t, before, snapshot(f.host))
		f.intact(t, "m1", "m2", "m3", "m4", "m5", "m6")
	})
}

// TestSyncAbsenceCostsOnlyDisappearances: a steady-state sync makes no
// direct read; a removal costs one.
func TestSyncAbsenceCostsOnlyDisappearances(t *testing.T) {
	f := newAbsenceFixture(t, srcSyncCfg)
	f.mustSync()
	assert.Zero(t, f.w.confirms.Load())
	f.Remove("m6")
	f.mustSync()
	assert.Equal(t, int64(1), f.w.confirms.Load())
	p := f.mustSync() // deletion is confirmed again
	assert.Contains(t, actionsFor(p, "m6"), hostsync.ActDelete, "plan:\n%s", p)
	assert.Equal(t, int64(2), f.w.confirms.Load())
	f.mustSync() // m6 gone: nothing to confirm
	f.mustSync()
	assert.Equal(t, int64(2), f.w.confirms.Load())
}

func TestConfirmDropped(t *testing.T) {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh"}, "cd-a")
	f.Add("bob", []string{"ssh"}, "cd-b")
	src := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"ssh"}})
	prev := src.Desired(t.Context())
	require.NoError(t, prev.Err)

	// bob left out of the new snapshot but still in the group: refused.
	next := hostsync.Desired{Complete: true, Users: prev.Users[:1]}
	require.Equal(t, "alice", next.Users[0].IAMName)
	err := hostsync.ConfirmDropped(t.Context(), src, prev, next)
	assert.ErrorIs(t, err, hostsync.ErrNotAbsent)

	f.Remove("bob")
	require.NoError(t, hostsync.ConfirmDropped(t.Context(), src, prev, next))
	f.Acct.ResetCalls()
	require.NoError(t, hostsync.ConfirmDropped(t.Context(), src, prev, prev))
	assert.Zero(t, f.Acct.CallsWithPrefix("iam:"), "nothing dropped: no call")
}

// BenchmarkSyncRemovals1000 syncs 1,000 users, removes 10 from the
// authorized group and syncs again: the removals cost one direct read
// each on top of the steady state's one ListSSHPublicKeys per user.
func BenchmarkSyncRemovals1000(b *testing.B) {
	const n, removed = 1000, 10
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}}
	var calls, confirms int
	for b.Loop() {
		b.StopTimer()
		acct := srcBenchIAMAccount(b, n)
		h := fakes.NewHost()
		src := iamsource.NewIAMSource(acct.IAM(), cfg)
		srcBenchSync(b, acct, src, h, cfg)
		for i := range removed {
			_, err := acct.IAM().RemoveUserFromGroup(context.Background(), &iam.RemoveUserFromGroupInput{
				UserName: aws.String(fmt.Sprintf("user%04d", i*97)), GroupName: aws.String("ssh")})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		_, c, p := srcBenchSync(b, acct, src, h, cfg)
		b.StopTimer()
		if got := len(p.Actions); got < 2*removed {
			b.Fatalf("%d actions:\n%s", got, p)
		}
		calls += c
		confirms += acct.Calls("iam:ListGroupsForUser")
		b.StartTimer()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "iam-calls/sync")
	b.ReportMetric(float64(confirms)/float64(b.N)/removed, "direct-reads/removed-user")
}

func TestSyncSudoerRemovedMidListing(t *testing.T) {
	f := &absenceFixture{srcSyncFixture: newSrcSyncFixture(t)}
	f.w = &absenceIAM{IAMAPI: f.IAM}
	f.src = iamsource.NewIAMSource(f.w, f.cfg, hostsync.WithPageSize(2), hostsync.WithWorkers(4))
	names := []string{"s1", "s2", "s3", "s4", "s5"}
	for _, n := range names {
		f.Add(n, []string{"ssh", "admins"}, "sudo-"+n)
	}
	f.mustSync()
	for _, n := range names {
		u, _ := f.host.User(n)
		require.True(t, u.Sudo, n)
	}
	f.w.confirms.Store(0)
	// Right after page 1 of "admins", its first member leaves it: page 2
	// skips another sudoer.
	var removed string
	f.w.afterGetGroup = func(in *iam.GetGroupInput, out *iam.GetGroupOutput) {
		if removed != "" || aws.ToString(in.GroupName) != "admins" || in.Marker != nil {
			return
		}
		removed = aws.ToString(out.Users[0].UserName)
		_, err := f.IAM.RemoveUserFromGroup(context.Background(), &iam.RemoveUserFromGroupInput{UserName: aws.String(removed), GroupName: aws.String("admins")})
		require.NoError(t, err)
	}
	p := f.mustSync()
	require.NotEmpty(t, removed)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActRevokeSudo}, actionsFor(p, removed), "plan:\n%s", p)
	for _, n := range names {
		u, _ := f.host.User(n)
		assert.Equal(t, n != removed, u.Sudo, "%s sudo", n)
		assert.False(t, u.Locked, n)
	}
	assert.GreaterOrEqual(t, f.w.confirms.Load(), int64(2), "the skipped sudoer's read, then the removed one's")
}

// A publisher whose listing skips a member (one left the group right after
// page 1) publishes nothing with WithAbsenceConfirmer: the hosts keep the
// snapshot that still holds the skipped member. Without the confirmer the
// skipped member would be dropped from the fleet's snapshot.
func TestPublishConfirmsDroppedUsers(t *testing.T) {
	f := newAbsenceFixture(t, srcSyncCfg)
	ctx := t.Context()
	s3api := f.Acct.S3()
	_, err := s3api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	snap, err := iamsource.BuildSnapshot(ctx, f.src, f.Acct.ID(), f.Acct.Clock().Now())
	require.NoError(t, err)
	first, err := s3snapshot.Publish(ctx, s3api, "fleet", "hosts.json", snap, hostsync.WithAbsenceConfirmer(f.src))
	require.NoError(t, err)
	require.True(t, first.Written)

	removed := ""
	f.w.afterGetGroup = func(in *iam.GetGroupInput, out *iam.GetGroupOutput) {
		if removed != "" || aws.ToString(in.GroupName) != "ssh" || in.Marker != nil {
			return
		}
		removed = aws.ToString(out.Users[0].UserName)
		_, err := f.IAM.RemoveUserFromGroup(context.Background(), &iam.RemoveUserFromGroupInput{UserName: aws.String(removed), GroupName: aws.String("ssh")})
		require.NoError(t, err)
	}
	f.Acct.Clock().Advance(time.Minute)
	skipping, err := iamsource.BuildSnapshot(ctx, f.src, f.Acct.ID(), f.Acct.Clock().Now())
	require.NoError(t, err)
	require.NotEmpty(t, removed)
	require.Len(t, skipping.Users, 5, "page 2 skipped a member who stayed (the one who left was on page 1)")

	res, err := s3snapshot.Publish(ctx, s3api, "fleet", "hosts.json", skipping, hostsync.WithAbsenceConfirmer(f.src))
	require.ErrorIs(t, err, hostsync.ErrNotAbsent)
	assert.False(t, res.Written)
	obj, ok := s3api.Object("fleet", "hosts.json")
	require.True(t, ok)
	in, err := hostsync.ParseSnapshot(obj.Body)
	require.NoError(t, err)
	assert.Len(t, in.Users, 6, "the object in place is untouched")

	// The next, complete listing drops only the member who left: confirmed.
	f.w.afterGetGroup = nil
	f.Acct.Clock().Advance(time.Minute)
	next, err := iamsource.BuildSnapshot(ctx, f.src, f.Acct.ID(), f.Acct.Clock().Now())
	require.NoError(t, err)
	res, err = s3snapshot.Publish(ctx, s3api, "fleet", "hosts.json", next, hostsync.WithAbsenceConfirmer(f.src))
	require.NoError(t, err)
	assert.True(t, res.Written)
	assert.Len(t, next.Users, 5)
}
