package hostsync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/internal/fakes"
)

// srcSyncCfg is the configuration of the sync tests: members of "ssh" get an
// account, members of "admins" sudo.
var srcSyncCfg = hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}

// srcSyncFixture is an IAM account and a host synced from it.
type srcSyncFixture struct {
	*srcIAMFixture
	host *fakes.Host
	src  *iamsource.IAMSource
	cfg  hostsync.Config
}

func newSrcSyncFixture(t testing.TB) *srcSyncFixture {
	f := &srcSyncFixture{srcIAMFixture: newSrcIAMFixture(t), host: fakes.NewHost(), cfg: srcSyncCfg}
	f.src = iamsource.NewIAMSource(f.IAM, f.cfg, hostsync.WithPageSize(2), hostsync.WithWorkers(4))
	return f
}

func (f *srcSyncFixture) sync() (hostsync.SyncPlan, hostsync.Report, error) {
	return hostsync.Sync(context.Background(), f.src, f.host, f.cfg)
}

func (f *srcSyncFixture) mustSync() hostsync.SyncPlan {
	f.T.Helper()
	p, r, err := f.sync()
	require.NoError(f.T, err, "plan:\n%s\nreport:\n%s", p, r)
	return p
}

// srcKeyIDs lists the IDs of the host's cached keys of a user.
func srcKeyIDs(h *fakes.Host, name string) []string {
	var ids []string
	for _, k := range h.Keys(name) {
		ids = append(ids, k.ID)
	}
	slices.Sort(ids)
	return ids
}

func srcSorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestSyncCreatesUsersFromIAM(t *testing.T) {
	f := newSrcSyncFixture(t)
	f.Add("alice", []string{"ssh", "admins"}, "s-alice")
	f.Add("bob@corp.com", []string{"ssh"}, "s-bob1", "s-bob2")
	f.Add("carol", []string{"admins"}, "s-carol")
	p := f.mustSync()
	assert.Equal(t, []string{"alice", "bob.at.corp.com"}, managedNames(f.host), "plan:\n%s", p)
	alice, _ := f.host.User("alice")
	assert.True(t, alice.Sudo)
	bob, _ := f.host.User("bob.at.corp.com")
	assert.False(t, bob.Sudo)
	assert.Equal(t, srcSorted(f.Keys["bob@corp.com"]...), srcKeyIDs(f.host, "bob.at.corp.com"))
	assert.Zero(t, f.Acct.Calls("iam:ListGroupsForUser"))
}

func TestSyncUnknownSourceChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		op    string
		fault fakes.Fault
	}{
		{"GetGroup throttled mid-listing", "iam:GetGroup", fakes.Fault{Skip: 2}},
		{"sudoers GetGroup throttled", "iam:GetGroup", fakes.Fault{Match: func(in any) bool {
			return aws.ToString(in.(*iam.GetGroupInput).GroupName) == "admins"
		}}},
		{"ListSSHPublicKeys throttled mid-sync", "iam:ListSSHPublicKeys", fakes.Fault{Skip: 3}},
		{"GetSSHPublicKey throttled", "iam:GetSSHPublicKey", fakes.Fault{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSrcSyncFixture(t)
			for _, n := range []string{"u1", "u2", "u3", "u4", "u5", "u6"} {
				f.Add(n, []string{"ssh"}, "unk-"+n)
			}
			f.Add("root-ish", []string{"ssh", "admins"}, "unk-admin")
			f.mustSync()
			require.Len(t, managedNames(f.host), 7)

			// Changes in IAM that a complete read would act on: a user
			// removed, a key deactivated, a key added, sudo revoked.
			f.Remove("u1")
			f.SetKey("u2", f.Keys["u2"][0], false)
			f.AddKey("u3", "unk-new")
			_, err := f.IAM.RemoveUserFromGroup(t.Context(), &iam.RemoveUserFromGroupInput{UserName: aws.String("root-ish"), GroupName: aws.String("admins")})
			require.NoError(t, err)

			before := snapshot(f.host)
			writes := f.host.Writes()
			f.Acct.Inject(tc.op, tc.fault)
			for range 3 { // repeated unknown syncs count for nothing either
				p, r, err := f.sync()
				require.Error(t, err)
				assert.ErrorIs(t, err, hostsync.ErrSourceUnknown)
				var se *hostsync.SourceError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tc.op, se.Op)
				assert.ErrorIs(t, p.Halted, hostsync.ErrSourceUnknown)
				assert.True(t, p.Empty())
				assert.Empty(t, r.Results)
			}
			assert.Equal(t, before, snapshot(f.host), "nothing deleted, locked or changed")
			assert.Equal(t, writes, f.host.Writes())
			u1, ok := f.host.User("u1")
			require.True(t, ok)
			assert.False(t, u1.Locked)

			// Once IAM answers again, the removal counts from one.
			f.Acct.ClearFaults()
			p := f.mustSync()
			assert.Contains(t, actionsFor(p, "u1"), hostsync.ActLock)
			assert.NotContains(t, actionsFor(p, "u1"), hostsync.ActDelete)
			assert.Empty(t, srcKeyIDs(f.host, "u2"))
			assert.Len(t, srcKeyIDs(f.host, "u3"), 2)
		})
	}
}

func TestSyncRemovedUserLockedThenDeleted(t *testing.T) {
	f := newSrcSyncFixture(t)
	f.Add("alice", []string{"ssh"}, "rm-alice")
	f.Add("bob", []string{"ssh", "admins"}, "rm-bob")
	f.mustSync()
	f.host.StartSession("bob")

	f.Remove("bob")

	// Sync 1: bob is locked, loses his keys and sudo; the account stays.
	p := f.mustSync()
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActRevokeSudo, hostsync.ActWriteKeys, hostsync.ActLock}, actionsFor(p, "bob"), "plan:\n%s", p)
	bob, ok := f.host.User("bob")
	require.True(t, ok)
	assert.True(t, bob.Locked)
	assert.False(t, bob.Sudo)
	assert.Empty(t, f.host.Keys("bob"))

	// An unknown sync in between neither counts nor resets the count.
	f.Acct.Throttle("iam:ListSSHPublicKeys", 1)
	_, _, err := f.sync()
	require.ErrorIs(t, err, hostsync.ErrSourceUnknown)
	_, ok = f.host.User("bob")
	require.True(t, ok)

	// Sync 2 (the second complete one): deleted, sessions ended first.
	p = f.mustSync()
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActEndSessions, hostsync.ActDelete}, actionsFor(p, "bob"), "plan:\n%s", p)
	_, ok = f.host.User("bob")
	assert.False(t, ok)
	assert.Zero(t, f.host.Sessions("bob"))
	assert.Equal(t, []string{"alice"}, managedNames(f.host))

	// Sync 3 forgets bob's state (Plan keeps it until the account is
	// gone); then nothing is left to do.
	p = f.mustSync()
	assert.Equal(t, []string{"save-state"}, kinds(p), "plan:\n%s", p)
	p = f.mustSync()
	assert.True(t, p.Empty(), "plan:\n%s", p)
}

func TestSyncInactiveKeys(t *testing.T) {
	f := newSrcSyncFixture(t)
	f.Add("alice", []string{"ssh"}, "ik-1", "ik-2", "ik-3")
	k1, k2, k3 := f.Keys["alice"][0], f.Keys["alice"][1], f.Keys["alice"][2]
	f.SetKey("alice", k2, false)

	f.Acct.ResetCalls()
	f.mustSync()
	assert.Equal(t, srcSorted(k1, k3), srcKeyIDs(f.host, "alice"), "the Inactive key never reaches the key cache")
	assert.Equal(t, 2, f.Acct.Calls("iam:GetSSHPublicKey"), "an Inactive key's body is not even fetched")
	for _, k := range f.host.Keys("alice") {
		assert.NotEqual(t, srcCanonicalBody("ik-2"), k.Body)
	}

	// Deactivating a key removes it on the next sync.
	f.SetKey("alice", k1, false)
	p := f.mustSync()
	assert.Contains(t, p.String(), "remove "+k1)
	assert.Equal(t, []string{k3}, srcKeyIDs(f.host, "alice"))

	// Deactivating the last key removes the user's keys altogether.
	f.SetKey("alice", k3, false)
	f.mustSync()
	assert.Empty(t, f.host.Keys("alice"))
	u, _ := f.host.User("alice")
	assert.False(t, u.Locked, "a user without keys keeps the account")

	// Reactivating a key whose body was fetched once costs no
	// GetSSHPublicKey: the body is cached by ID. k2 was never Active, so
	// its body is fetched now.
	f.SetKey("alice", k1, true)
	f.SetKey("alice", k2, true)
	f.Acct.ResetCalls()
	f.mustSync()
	assert.Equal(t, srcSorted(k1, k2), srcKeyIDs(f.host, "alice"))
	assert.Equal(t, 1, f.Acct.Calls("iam:GetSSHPublicKey"))
}

func TestSyncSteadyStateCalls(t *testing.T) {
	f := newSrcSyncFixture(t)
	f.src = iamsource.NewIAMSource(f.IAM, f.cfg) // default page size
	const n = 5
	for i := range n {
		groups := []string{"ssh"}
		if i == 0 {
			groups = append(groups, "admins")
		}
		name := string(rune('a'+i)) + "-user"
		f.Add(name, groups, name+"-k1", name+"-k2")
	}
	f.Acct.ResetCalls()
	f.mustSync()
	assert.Equal(t, 2*n, f.Acct.Calls("iam:GetSSHPublicKey"))

	f.Acct.ResetCalls()
	f.host.ResetLog()
	p := f.mustSync()
	assert.True(t, p.Empty(), "plan:\n%s", p)
	assert.Zero(t, f.Acct.Calls("iam:GetSSHPublicKey"), "known keys cost nothing")
	assert.Equal(t, n, f.Acct.Calls("iam:ListSSHPublicKeys"), "one per user")
	assert.Equal(t, 2, f.Acct.Calls("iam:GetGroup"), "one page per configured group")
	assert.Zero(t, f.Acct.Calls("iam:ListGroupsForUser"))
	assert.Equal(t, n+2, f.Acct.CallsWithPrefix("iam:"), f.Acct.CallSummary())
	assert.Zero(t, f.host.Writes(), "a no-op sync writes nothing")
}

func TestSyncNames(t *testing.T) {
	f := newSrcSyncFixture(t)
	long := strings.Repeat("a", 40)
	for _, n := range []string{"root", "ubuntu", "bob@corp.com", "bob.at.corp.com", long, "..", "-rf", "Ec2-User", "alice"} {
		f.Add(n, []string{"ssh"}, "names-"+n)
	}
	ubuntuBefore, ok := f.host.User("ubuntu")
	require.True(t, ok)

	var logs bytes.Buffer
	p, _, err := hostsync.Sync(t.Context(), f.src, f.host, f.cfg, hostsync.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	require.NoError(t, err, "plan:\n%s", p)
	assert.Equal(t, []string{"alice", "bob.at.corp.com"}, managedNames(f.host), "plan:\n%s", p)

	for name, reason := range map[string]string{
		"root":            "reserved name",
		"ubuntu":          "reserved name",
		"Ec2-User":        "reserved name",
		"bob.at.corp.com": `would read back as IAM user "bob@corp.com"`,
		long:              "more than 32",
		"..":              `"." and ".." are not user names`,
		"-rf":             "must not start with '-'",
	} {
		assert.Contains(t, skipReason(p, name), reason, name)
		quoted, _ := json.Marshal(reason)
		assert.Contains(t, logs.String(), strings.Trim(string(quoted), `"`), "the reason is logged for %s", name)
	}
	bob, ok := f.host.User("bob.at.corp.com")
	require.True(t, ok)
	assert.Equal(t, f.Keys["bob@corp.com"], srcKeyIDs(f.host, bob.Name), "the Linux account is bob@corp.com's, not bob.at.corp.com's")
	ubuntuAfter, _ := f.host.User("ubuntu")
	assert.Equal(t, ubuntuBefore, ubuntuAfter, "a pre-existing local account is never touched")
	root, _ := f.host.User("root")
	assert.Empty(t, root.Keys)
	assert.False(t, root.MemberOf(hostsync.DefaultMarkerGroup))
}

func TestSyncDryRun(t *testing.T) {
	f := newSrcSyncFixture(t)
	f.Add("alice", []string{"ssh"}, "dry-a")
	p, r, err := hostsync.Sync(t.Context(), f.src, f.host, f.cfg, hostsync.WithDryRun(true))
	require.NoError(t, err)
	assert.Contains(t, kinds(p), "create-user alice")
	assert.Empty(t, r.Results)
	assert.Zero(t, f.host.Writes())
	assert.Empty(t, managedNames(f.host))
}

func TestSyncHaltsBeforeReadingIAM(t *testing.T) {
	f := newSrcSyncFixture(t)
	f.Add("alice", []string{"ssh"}, "halt-a")
	f.Acct.ResetCalls()
	for _, tc := range []struct {
		cfg hostsync.Config
		is  error
	}{
		{hostsync.Config{AuthorizedGroups: []string{"ssh"}, DoNotSync: true}, hostsync.ErrDoNotSync},
		{hostsync.Config{AuthorizedGroupsTag: "ssh-groups"}, hostsync.ErrTagsUnresolved},
		{hostsync.Config{MarkerGroup: "-bad"}, hostsync.ErrInvalidConfig},
	} {
		p, r, err := hostsync.Sync(t.Context(), f.src, f.host, tc.cfg)
		assert.ErrorIs(t, err, tc.is)
		assert.ErrorIs(t, p.Halted, tc.is)
		assert.ErrorIs(t, r.Halted, tc.is)
	}
	assert.Zero(t, f.Acct.CallsWithPrefix("iam:"))
	assert.Zero(t, f.host.Writes())
}

func TestSyncHostErrors(t *testing.T) {
	f := newSrcSyncFixture(t)
	f.Add("alice", []string{"ssh"}, "hosterr-a")
	f.host.SetState([]byte("not json"))
	f.Acct.ResetCalls()
	_, _, err := f.sync()
	assert.ErrorIs(t, err, hostsync.ErrCorruptState)
	assert.Zero(t, f.Acct.CallsWithPrefix("iam:"), "a host that cannot be read costs no IAM call")

	f.host.SetState(nil)
	f.host.Inject("CreateUser", fakes.Fault{})
	p, r, err := f.sync()
	require.Error(t, err)
	assert.Nil(t, p.Halted)
	assert.Equal(t, 1, r.Count(hostsync.StatusFailed))
	assert.ErrorIs(t, err, fakes.ErrHostFault)
}

func TestSyncLogs(t *testing.T) {
	f := newSrcSyncFixture(t)
	f.Add("alice", []string{"ssh", "admins"}, "log-a1", "log-a2")
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, _, err := hostsync.Sync(t.Context(), f.src, f.host, f.cfg, hostsync.WithLogger(log))
	require.NoError(t, err)

	var msgs []string
	for line := range strings.Lines(buf.String()) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "structured: %s", line)
		msgs = append(msgs, rec["msg"].(string))
		if rec["action"] == string(hostsync.ActWriteKeys) {
			assert.Contains(t, rec["keys"], f.Keys["alice"][0], "key IDs are logged")
			assert.Contains(t, rec["keys"], "SHA256:", "fingerprints are logged")
		}
	}
	assert.Contains(t, msgs, "hostsync: source read")
	assert.Contains(t, msgs, "hostsync: plan")
	assert.Contains(t, msgs, "hostsync: sync done")
	for _, seed := range []string{"log-a1", "log-a2"} {
		blob := strings.Fields(srcCanonicalBody(seed))[1]
		assert.NotContains(t, buf.String(), blob, "key bodies are never logged")
	}
	assert.NotContains(t, buf.String(), `"uids"`, "state bytes are not logged")
}

// srcCredentialedIAM signs every call with credentials from a provider, as the
// SDK's client does, and checks they are the assumed role's.
type srcCredentialedIAM struct {
	iamsource.IAMAPI
	t     testing.TB
	acct  *fakes.Account
	creds aws.CredentialsProvider
	role  string
}

func (c *srcCredentialedIAM) sign(ctx context.Context) {
	cr, err := c.creds.Retrieve(ctx)
	require.NoError(c.t, err)
	issued, ok := c.acct.Issued(cr.AccessKeyID)
	require.True(c.t, ok)
	require.Equal(c.t, fakes.KindAssumedRole, issued.Kind)
	require.Contains(c.t, issued.ARN, ":assumed-role/"+c.role+"/")
}

func (c *srcCredentialedIAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, o ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	c.sign(ctx)
	return c.IAMAPI.ListUsers(ctx, in, o...)
}

func (c *srcCredentialedIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, o ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	c.sign(ctx)
	return c.IAMAPI.GetGroup(ctx, in, o...)
}

func (c *srcCredentialedIAM) ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, o ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error) {
	c.sign(ctx)
	return c.IAMAPI.ListSSHPublicKeys(ctx, in, o...)
}

func (c *srcCredentialedIAM) GetSSHPublicKey(ctx context.Context, in *iam.GetSSHPublicKeyInput, o ...func(*iam.Options)) (*iam.GetSSHPublicKeyOutput, error) {
	c.sign(ctx)
	return c.IAMAPI.GetSSHPublicKey(ctx, in, o...)
}

func TestSyncAssumeRoleOncePerCredentials(t *testing.T) {
	// The SDK's credentials cache compares expiry with the real time.
	f := newSrcIAMFixture(t, fakes.WithClock(fakes.NewClock(time.Now())))
	role, err := f.IAM.CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName:                 aws.String("iamkit-hostsync-reader"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`),
	})
	require.NoError(t, err)
	roleARN := aws.ToString(role.Role.Arn)
	for i := range 3 {
		f.Add(string(rune('a'+i))+"-user", []string{"ssh"}, "ar-"+string(rune('a'+i)))
	}
	cfg := srcSyncCfg
	cfg.AssumeRole = roleARN

	api := &srcCredentialedIAM{IAMAPI: f.IAM, t: t, acct: f.Acct, role: "iamkit-hostsync-reader",
		creds: iamsource.AssumeRoleCredentials(f.Acct.STS(), cfg.AssumeRole, "hostsync-test-host")}
	src := iamsource.NewIAMSource(api, cfg)
	h := fakes.NewHost()
	f.Acct.ResetCalls()
	for range 5 {
		_, _, err := hostsync.Sync(t.Context(), src, h, cfg)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.Acct.Calls("sts:AssumeRole"), "the role is assumed once, not per call or per sync")
	assert.Greater(t, f.Acct.CallsWithPrefix("iam:"), 10)
	assert.Len(t, managedNames(h), 3)
}
