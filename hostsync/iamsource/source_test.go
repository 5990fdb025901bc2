package iamsource_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/internal/fakes"
)

func TestIAMSourceReadsAuthorizedGroups(t *testing.T) {
	f := newSrcIAMFixture(t)
	aliceID := f.Add("alice", []string{"ssh", "admins"}, "alice-1", "alice-2")
	f.SetKey("alice", f.Keys["alice"][1], false)
	f.Add("bob", []string{"ssh", "unrelated"}, "bob-1")
	f.Add("carol", []string{"admins"}, "carol-1") // sudoer, not authorized
	f.Add("dave", nil, "dave-1")                  // in no group
	f.Add("erin", []string{"SSH"})                // group names are case-insensitive; no keys
	f.Acct.ResetCalls()

	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	d := iamsource.NewIAMSource(f.IAM, cfg).Desired(t.Context())
	require.NoError(t, d.Err)
	require.True(t, d.Complete)

	users := srcByName(d)
	require.Len(t, users, 3, "only members of the authorized group")
	assert.Equal(t, []string{"alice", "bob", "erin"}, []string{d.Users[0].IAMName, d.Users[1].IAMName, d.Users[2].IAMName}, "sorted by name")
	alice := users["alice"]
	assert.Equal(t, aliceID, alice.IAMUserID)
	assert.Equal(t, []string{"admins", "ssh"}, alice.Groups, "groups of interest only, from GetGroup")
	require.Len(t, alice.Keys, 1, "the Inactive key never reaches the Desired")
	assert.Equal(t, hostsync.Key{ID: f.Keys["alice"][0], Body: srcCanonicalBody("alice-1"), Status: hostsync.KeyActive}, alice.Keys[0])
	assert.Equal(t, []string{"ssh"}, users["bob"].Groups, "groups outside the configuration are not listed")
	assert.Empty(t, users["erin"].Keys)
	for _, u := range d.Users {
		for _, k := range u.Keys {
			assert.Equal(t, hostsync.KeyActive, k.Status, "every key carries its status")
		}
	}

	assert.Equal(t, 2, f.Acct.Calls("iam:GetGroup"), "one page per group of interest")
	assert.Equal(t, 3, f.Acct.Calls("iam:ListSSHPublicKeys"), "one per authorized user")
	assert.Equal(t, 2, f.Acct.Calls("iam:GetSSHPublicKey"), "Active keys only")
	assert.Zero(t, f.Acct.Calls("iam:ListGroupsForUser"))
	assert.Zero(t, f.Acct.Calls("iam:ListUsers"))
	assert.Equal(t, 7, f.Acct.CallsWithPrefix("iam:"))
}

func TestIAMSourceEveryUserWithoutAuthorizedGroups(t *testing.T) {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"admins"}, "alice-1")
	f.Add("bob", nil, "bob-1")
	f.Acct.ResetCalls()

	d := iamsource.NewIAMSource(f.IAM, hostsync.Config{SudoersGroups: []string{"admins"}}, hostsync.WithPageSize(1)).Desired(t.Context())
	require.NoError(t, d.Err)
	users := srcByName(d)
	require.Len(t, users, 2)
	assert.Equal(t, []string{"admins"}, users["alice"].Groups)
	assert.Empty(t, users["bob"].Groups)
	assert.Equal(t, 2, f.Acct.Calls("iam:ListUsers"), "two pages of one user")
	assert.Equal(t, 1, f.Acct.Calls("iam:GetGroup"))
	assert.Equal(t, 2, f.Acct.Calls("iam:ListSSHPublicKeys"))
	assert.Zero(t, f.Acct.Calls("iam:ListGroupsForUser"))
}

func TestIAMSourcePagination(t *testing.T) {
	f := newSrcIAMFixture(t)
	const n = 250
	for i := range n {
		var keys []string
		if i%50 == 0 {
			keys = []string{fmt.Sprintf("p%d", i)}
		}
		f.Add(fmt.Sprintf("user%03d", i), []string{"ssh"}, keys...)
	}
	f.Add("boss", []string{"ssh", "admins"})
	for _, tc := range []struct {
		name     string
		opts     []hostsync.Option
		getGroup int
	}{
		{"IAM default page size", []hostsync.Option{hostsync.WithPageSize(100)}, 3 + 1},
		{"small pages", []hostsync.Option{hostsync.WithPageSize(7)}, 36 + 1},
		{"default (1000)", nil, 1 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.Acct.ResetCalls()
			d := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}, tc.opts...).Desired(t.Context())
			require.NoError(t, d.Err)
			require.Len(t, d.Users, n+1)
			users := srcByName(d)
			assert.Equal(t, []string{"admins", "ssh"}, users["boss"].Groups)
			assert.Len(t, users["user200"].Keys, 1)
			assert.Equal(t, tc.getGroup, f.Acct.Calls("iam:GetGroup"))
			assert.Equal(t, n+1, f.Acct.Calls("iam:ListSSHPublicKeys"))
		})
	}
}

// srcAPIErrorCode returns the API error code in err's chain.
func srcAPIErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestIAMSourceFailureMakesItUnknown(t *testing.T) {
	boom := errors.New("connection reset")
	for _, tc := range []struct {
		name   string
		cfg    hostsync.Config
		op     string
		fault  fakes.Fault
		wantOp string
		code   string
		is     error
	}{
		{name: "GetGroup throttled on the first page", op: "iam:GetGroup", fault: fakes.Fault{}, wantOp: "iam:GetGroup", code: "Throttling"},
		{name: "GetGroup throttled mid-listing", op: "iam:GetGroup", fault: fakes.Fault{Skip: 2}, wantOp: "iam:GetGroup", code: "Throttling"},
		{name: "sudoers GetGroup throttled", cfg: hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}, op: "iam:GetGroup",
			fault: fakes.Fault{Match: func(in any) bool { return aws.ToString(in.(*iam.GetGroupInput).GroupName) == "admins" }}, wantOp: "iam:GetGroup", code: "Throttling"},
		{name: "ListSSHPublicKeys throttled after some users", op: "iam:ListSSHPublicKeys", fault: fakes.Fault{Skip: 3}, wantOp: "iam:ListSSHPublicKeys", code: "Throttling"},
		{name: "GetSSHPublicKey throttled", op: "iam:GetSSHPublicKey", fault: fakes.Fault{Skip: 1}, wantOp: "iam:GetSSHPublicKey", code: "Throttling"},
		{name: "ListUsers throttled", cfg: hostsync.Config{}, op: "iam:ListUsers", fault: fakes.Fault{Skip: 1}, wantOp: "iam:ListUsers", code: "Throttling"},
		{name: "network error", op: "iam:ListSSHPublicKeys", fault: fakes.Fault{Skip: 5, Err: boom}, wantOp: "iam:ListSSHPublicKeys", is: boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSrcIAMFixture(t)
			for i := range 8 {
				f.Add(fmt.Sprintf("user%d", i), []string{"ssh"}, fmt.Sprintf("fail-k%d", i))
			}
			f.Add("root-admin", []string{"ssh", "admins"})
			f.Acct.Inject(tc.op, tc.fault)
			cfg := tc.cfg
			if cfg.AuthorizedGroups == nil && tc.op != "iam:ListUsers" {
				cfg.AuthorizedGroups = []string{"ssh"}
			}
			d := iamsource.NewIAMSource(f.IAM, cfg, hostsync.WithPageSize(2), hostsync.WithWorkers(2)).Desired(t.Context())
			assert.False(t, d.Complete)
			assert.Nil(t, d.Users, "never partial data")
			require.Error(t, d.Err)
			var se *hostsync.SourceError
			require.ErrorAs(t, d.Err, &se)
			assert.Equal(t, tc.wantOp, se.Op)
			assert.Contains(t, d.Err.Error(), tc.wantOp, "the error names the failing call")
			if tc.code != "" {
				assert.Equal(t, tc.code, srcAPIErrorCode(d.Err))
			}
			if tc.is != nil {
				assert.ErrorIs(t, d.Err, tc.is)
			}
		})
	}
}

func TestIAMSourceContextCanceled(t *testing.T) {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh"}, "a")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"ssh"}}).Desired(ctx)
	assert.False(t, d.Complete)
	assert.ErrorIs(t, d.Err, context.Canceled)
}

func TestIAMSourceMissingGroups(t *testing.T) {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh"}, "a")

	t.Run("authorized group missing: unknown", func(t *testing.T) {
		d := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"ssh", "typo"}}).Desired(t.Context())
		assert.False(t, d.Complete)
		var nse *types.NoSuchEntityException
		assert.ErrorAs(t, d.Err, &nse)
		assert.Contains(t, d.Err.Error(), `group "typo"`)
	})
	t.Run("sudoers group missing: no members", func(t *testing.T) {
		d := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"gone"}}).Desired(t.Context())
		require.NoError(t, d.Err)
		require.Len(t, d.Users, 1)
		assert.Equal(t, []string{"ssh"}, d.Users[0].Groups)
	})
}

func TestIAMSourceUnresolvedTagsReadNothing(t *testing.T) {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh"}, "a")
	f.Acct.ResetCalls()
	d := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroupsTag: "ssh-groups"}).Desired(t.Context())
	assert.ErrorIs(t, d.Err, hostsync.ErrTagsUnresolved)
	assert.Zero(t, f.Acct.CallsWithPrefix("iam:"), "an unresolved tag must not turn into 'every IAM user'")

	d = iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"bad group"}}).Desired(t.Context())
	assert.ErrorIs(t, d.Err, hostsync.ErrInvalidConfig)
	assert.Zero(t, f.Acct.CallsWithPrefix("iam:"))
}

// srcTamperIAM wraps an IAMAPI and lets a test rewrite its answers.
type srcTamperIAM struct {
	iamsource.IAMAPI
	getGroup func(in *iam.GetGroupInput, out *iam.GetGroupOutput)
	listKeys func(in *iam.ListSSHPublicKeysInput, out *iam.ListSSHPublicKeysOutput)
	listUser func(in *iam.ListUsersInput, out *iam.ListUsersOutput)
	getKey   func(in *iam.GetSSHPublicKeyInput, out *iam.GetSSHPublicKeyOutput)
}

func (w *srcTamperIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, o ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	out, err := w.IAMAPI.GetGroup(ctx, in, o...)
	if err == nil && w.getGroup != nil {
		w.getGroup(in, out)
	}
	return out, err
}

func (w *srcTamperIAM) ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, o ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error) {
	out, err := w.IAMAPI.ListSSHPublicKeys(ctx, in, o...)
	if err == nil && w.listKeys != nil {
		w.listKeys(in, out)
	}
	return out, err
}

func (w *srcTamperIAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, o ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	out, err := w.IAMAPI.ListUsers(ctx, in, o...)
	if err == nil && w.listUser != nil {
		w.listUser(in, out)
	}
	return out, err
}

func (w *srcTamperIAM) GetSSHPublicKey(ctx context.Context, in *iam.GetSSHPublicKeyInput, o ...func(*iam.Options)) (*iam.GetSSHPublicKeyOutput, error) {
	out, err := w.IAMAPI.GetSSHPublicKey(ctx, in, o...)
	if err == nil && w.getKey != nil {
		w.getKey(in, out)
	}
	return out, err
}

func TestIAMSourcePartialPages(t *testing.T) {
	f := newSrcIAMFixture(t)
	for i := range 5 {
		f.Add(fmt.Sprintf("user%d", i), []string{"ssh"}, fmt.Sprintf("partial-%d", i))
	}
	for _, tc := range []struct {
		name string
		cfg  hostsync.Config
		api  *srcTamperIAM
		is   error
		op   string
	}{
		{"GetGroup truncated without a marker", hostsync.Config{AuthorizedGroups: []string{"ssh"}},
			&srcTamperIAM{getGroup: func(_ *iam.GetGroupInput, out *iam.GetGroupOutput) { out.IsTruncated, out.Marker = true, nil }},
			hostsync.ErrPartialPage, "iam:GetGroup"},
		{"GetGroup repeats its marker", hostsync.Config{AuthorizedGroups: []string{"ssh"}},
			&srcTamperIAM{getGroup: func(in *iam.GetGroupInput, out *iam.GetGroupOutput) {
				if in.Marker != nil {
					out.IsTruncated, out.Marker = true, in.Marker
				}
			}},
			hostsync.ErrPartialPage, "iam:GetGroup"},
		{"ListUsers truncated without a marker", hostsync.Config{},
			&srcTamperIAM{listUser: func(_ *iam.ListUsersInput, out *iam.ListUsersOutput) { out.IsTruncated, out.Marker = true, nil }},
			hostsync.ErrPartialPage, "iam:ListUsers"},
		{"ListSSHPublicKeys truncated without a marker", hostsync.Config{AuthorizedGroups: []string{"ssh"}},
			&srcTamperIAM{listKeys: func(_ *iam.ListSSHPublicKeysInput, out *iam.ListSSHPublicKeysOutput) {
				out.IsTruncated, out.Marker = true, nil
			}},
			hostsync.ErrPartialPage, "iam:ListSSHPublicKeys"},
		{"key without an ID", hostsync.Config{AuthorizedGroups: []string{"ssh"}},
			&srcTamperIAM{listKeys: func(_ *iam.ListSSHPublicKeysInput, out *iam.ListSSHPublicKeysOutput) {
				if len(out.SSHPublicKeys) > 0 {
					out.SSHPublicKeys[0].SSHPublicKeyId = nil
				}
			}},
			hostsync.ErrMalformedResponse, "iam:ListSSHPublicKeys"},
		{"GetSSHPublicKey answers for another key", hostsync.Config{AuthorizedGroups: []string{"ssh"}},
			&srcTamperIAM{getKey: func(_ *iam.GetSSHPublicKeyInput, out *iam.GetSSHPublicKeyOutput) {
				out.SSHPublicKey.SSHPublicKeyId = aws.String("APKAOTHER")
			}},
			hostsync.ErrMalformedResponse, "iam:GetSSHPublicKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.api.IAMAPI = f.IAM
			d := iamsource.NewIAMSource(tc.api, tc.cfg, hostsync.WithPageSize(2)).Desired(t.Context())
			assert.False(t, d.Complete)
			assert.Nil(t, d.Users)
			assert.ErrorIs(t, d.Err, tc.is)
			var se *hostsync.SourceError
			require.ErrorAs(t, d.Err, &se)
			assert.Equal(t, tc.op, se.Op)
		})
	}
}

func TestIAMSourceKeyDeactivatedBetweenListAndGet(t *testing.T) {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh"}, "race-1", "race-2")
	api := &srcTamperIAM{IAMAPI: f.IAM, getKey: func(in *iam.GetSSHPublicKeyInput, out *iam.GetSSHPublicKeyOutput) {
		if aws.ToString(in.SSHPublicKeyId) == f.Keys["alice"][1] {
			out.SSHPublicKey.Status = types.StatusTypeInactive
		}
	}}
	d := iamsource.NewIAMSource(api, hostsync.Config{AuthorizedGroups: []string{"ssh"}}).Desired(t.Context())
	require.NoError(t, d.Err)
	require.Len(t, d.Users, 1)
	require.Len(t, d.Users[0].Keys, 1)
	assert.Equal(t, f.Keys["alice"][0], d.Users[0].Keys[0].ID)
}

// srcConcurrencyIAM records the most calls in flight at once.
type srcConcurrencyIAM struct {
	iamsource.IAMAPI
	cur, max atomic.Int64
}

func (c *srcConcurrencyIAM) enter() func() {
	n := c.cur.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			break
		}
	}
	return func() { c.cur.Add(-1) }
}

func (c *srcConcurrencyIAM) ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, o ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error) {
	defer c.enter()()
	return c.IAMAPI.ListSSHPublicKeys(ctx, in, o...)
}

func (c *srcConcurrencyIAM) GetSSHPublicKey(ctx context.Context, in *iam.GetSSHPublicKeyInput, o ...func(*iam.Options)) (*iam.GetSSHPublicKeyOutput, error) {
	defer c.enter()()
	return c.IAMAPI.GetSSHPublicKey(ctx, in, o...)
}

func TestIAMSourceBoundedConcurrency(t *testing.T) {
	f := newSrcIAMFixture(t)
	for i := range 60 {
		f.Add(fmt.Sprintf("user%02d", i), []string{"ssh"}, fmt.Sprintf("conc-%d", i))
	}
	f.Acct.SetLatency("*", 2*time.Millisecond)
	for _, workers := range []int{1, 4} {
		api := &srcConcurrencyIAM{IAMAPI: f.IAM}
		d := iamsource.NewIAMSource(api, hostsync.Config{AuthorizedGroups: []string{"ssh"}}, hostsync.WithWorkers(workers)).Desired(t.Context())
		require.NoError(t, d.Err)
		require.Len(t, d.Users, 60)
		assert.LessOrEqual(t, api.max.Load(), int64(workers), "key calls in flight with %d workers", workers)
		if workers > 1 {
			assert.Greater(t, api.max.Load(), int64(1), "keys are read in parallel")
		}
	}
}

func TestIAMSourceStopsAtFirstError(t *testing.T) {
	f := newSrcIAMFixture(t)
	for i := range 200 {
		f.Add(fmt.Sprintf("user%03d", i), []string{"ssh"})
	}
	f.Acct.SetLatency("iam:ListSSHPublicKeys", time.Millisecond)
	f.Acct.ResetCalls()
	f.Acct.Inject("iam:ListSSHPublicKeys", fakes.Fault{Skip: 10, Times: 1})
	d := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"ssh"}}, hostsync.WithWorkers(4)).Desired(t.Context())
	require.Error(t, d.Err)
	assert.Less(t, f.Acct.Calls("iam:ListSSHPublicKeys"), 40, "the first failure cancels the rest of the read")
}

func TestIAMSourceKeyBodyCache(t *testing.T) {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh"}, "cache-a1", "cache-a2")
	f.Add("bob", []string{"ssh"}, "cache-b1")
	cache := hostsync.NewMemoryKeyBodyCache()
	src := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"ssh"}}, hostsync.WithKeyBodyCache(cache))
	assert.Same(t, cache, src.KeyBodyCache())

	f.Acct.ResetCalls()
	first := src.Desired(t.Context())
	require.NoError(t, first.Err)
	assert.Equal(t, 3, f.Acct.Calls("iam:GetSSHPublicKey"))
	assert.Equal(t, 3, cache.Len())

	f.Acct.ResetCalls()
	second := src.Desired(t.Context())
	require.NoError(t, second.Err)
	assert.Equal(t, first, second, "cached bodies give the same result")
	assert.Zero(t, f.Acct.Calls("iam:GetSSHPublicKey"), "known keys cost no GetSSHPublicKey")

	// A deactivated key keeps its cached body, so reactivating it is free;
	// a deleted key leaves the cache.
	f.SetKey("alice", f.Keys["alice"][0], false)
	_, err := f.IAM.DeleteSSHPublicKey(t.Context(), &iam.DeleteSSHPublicKeyInput{UserName: aws.String("bob"), SSHPublicKeyId: aws.String(f.Keys["bob"][0])})
	require.NoError(t, err)
	d := src.Desired(t.Context())
	require.NoError(t, d.Err)
	assert.Len(t, srcByName(d)["alice"].Keys, 1)
	assert.Empty(t, srcByName(d)["bob"].Keys)
	assert.Equal(t, 2, cache.Len(), "the deleted key's body is pruned, the inactive one's kept")
	f.SetKey("alice", f.Keys["alice"][0], true)
	f.Acct.ResetCalls()
	d = src.Desired(t.Context())
	require.NoError(t, d.Err)
	assert.Len(t, srcByName(d)["alice"].Keys, 2)
	assert.Zero(t, f.Acct.Calls("iam:GetSSHPublicKey"))
}

func TestFileKeyBodyCache(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key-bodies.json")
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh"}, "file-a1", "file-a2")
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}}

	c, err := hostsync.OpenFileKeyBodyCache(path)
	require.NoError(t, err, "a missing file is an empty cache")
	assert.Equal(t, path, c.Path())
	f.Acct.ResetCalls()
	d1 := iamsource.NewIAMSource(f.IAM, cfg, hostsync.WithKeyBodyCache(c)).Desired(t.Context())
	require.NoError(t, d1.Err)
	assert.Equal(t, 2, f.Acct.Calls("iam:GetSSHPublicKey"))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// A restarted daemon opens the file again and starts warm.
	c2, err := hostsync.OpenFileKeyBodyCache(path)
	require.NoError(t, err)
	assert.Equal(t, 2, c2.Len())
	f.Acct.ResetCalls()
	d2 := iamsource.NewIAMSource(f.IAM, cfg, hostsync.WithKeyBodyCache(c2)).Desired(t.Context())
	require.NoError(t, d2.Err)
	assert.Equal(t, d1, d2)
	assert.Zero(t, f.Acct.Calls("iam:GetSSHPublicKey"))

	// Nothing changed: the file is not rewritten.
	require.NoError(t, os.Remove(path))
	require.NoError(t, iamsource.NewIAMSource(f.IAM, cfg, hostsync.WithKeyBodyCache(c2)).Desired(t.Context()).Err)
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "a steady-state read writes nothing")

	// A change is written; no temporary file is left behind.
	f.AddKey("alice", "file-a3")
	require.NoError(t, iamsource.NewIAMSource(f.IAM, cfg, hostsync.WithKeyBodyCache(c2)).Desired(t.Context()).Err)
	c3, err := hostsync.OpenFileKeyBodyCache(path)
	require.NoError(t, err)
	assert.Equal(t, 3, c3.Len())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)

	for name, content := range map[string]string{
		"not json":      "{",
		"unknown field": `{"version":1,"bodies":{},"extra":1}`,
		"wrong version": `{"version":2,"bodies":{}}`,
		"empty body":    `{"version":1,"bodies":{"APKA1":""}}`,
		"not an object": `[]`,
		"trailing data": `{"version":1,"bodies":{}} {}`,
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		_, err := hostsync.OpenFileKeyBodyCache(p)
		assert.ErrorIs(t, err, hostsync.ErrCorruptKeyBodyCache, name)
	}
}

func TestMemoryKeyBodyCacheConcurrent(t *testing.T) {
	c := hostsync.NewMemoryKeyBodyCache()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 100 {
				id := fmt.Sprintf("K%d", j)
				c.Put(id, fmt.Sprint(i))
				_, _ = c.Get(id)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 100, c.Len())
	require.NoError(t, c.Save(map[string]bool{"K1": true, "K2": true}))
	assert.Equal(t, 2, c.Len())
}

func TestIAMSourceLogsAndSurvivesCacheSaveFailure(t *testing.T) {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh"}, "log-src-1")
	c, err := hostsync.OpenFileKeyBodyCache(filepath.Join(t.TempDir(), "missing-dir", "bodies.json"))
	require.NoError(t, err)
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := iamsource.NewIAMSource(f.IAM, hostsync.Config{AuthorizedGroups: []string{"ssh"}}, hostsync.WithKeyBodyCache(c), hostsync.WithLogger(log)).Desired(t.Context())
	require.NoError(t, d.Err, "the cache only saves calls: failing to save it does not fail the read")
	assert.True(t, d.Complete)
	assert.Contains(t, buf.String(), "saving the key body cache failed")
	assert.Contains(t, buf.String(), "get_ssh_public_key=1")
	assert.NotContains(t, buf.String(), strings.Fields(srcCanonicalBody("log-src-1"))[1], "no key body in the logs")
}
