package hostsync_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
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

// The rules every frontend relied on writing itself, now in the library:
// the heartbeat, the state-dir layout, the live-keys fallback, the
// error-prefix rule.

func TestSyncRecordsTheHeartbeat(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(f *srcSyncFixture)
		opts     []hostsync.Option
		wantErr  error // nil: the sync succeeds
		wantMark bool
	}{
		{name: "complete sync", wantMark: true},
		{name: "a sync that changes nothing", setup: func(f *srcSyncFixture) { f.mustSync(); f.host.ResetLog() }, wantMark: true},
		{name: "dry run", opts: []hostsync.Option{hostsync.WithDryRun(true)}},
		{name: "unknown source", setup: func(f *srcSyncFixture) { f.Acct.Throttle("iam:ListSSHPublicKeys", 0) }, wantErr: hostsync.ErrSourceUnknown},
		{name: "DONOTSYNC", setup: func(f *srcSyncFixture) { f.cfg.DoNotSync = true }, wantErr: hostsync.ErrDoNotSync},
		{name: "an action fails", setup: func(f *srcSyncFixture) { f.host.Inject("CreateUser", fakes.Fault{}) }, wantErr: fakes.ErrHostFault},
		{name: "the heartbeat cannot be written", setup: func(f *srcSyncFixture) { f.host.Inject("MarkSynced", fakes.Fault{}) }, wantErr: fakes.ErrHostFault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSrcSyncFixture(t)
			f.Add("alice", []string{"ssh"}, "s-alice")
			if tt.setup != nil {
				tt.setup(f)
			}
			before := f.host.Calls("MarkSynced")
			clock := f.Acct.Clock()
			clock.Advance(time.Hour)
			opts := append(slices.Clip(tt.opts), hostsync.WithClock(clock))
			_, _, err := hostsync.Sync(context.Background(), f.src, f.host, f.cfg, opts...)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			last, ok := f.host.LastSync()
			if tt.wantMark {
				assert.Equal(t, before+1, f.host.Calls("MarkSynced"))
				require.True(t, ok)
				assert.True(t, last.Equal(clock.Now()), "recorded at the clock's time: %s", last)
				return
			}
			if errors.Is(tt.wantErr, fakes.ErrHostFault) && strings.Contains(tt.name, "heartbeat") {
				assert.ErrorContains(t, err, "heartbeat")
				assert.False(t, ok, "the failed write recorded nothing")
				return
			}
			assert.Equal(t, before, f.host.Calls("MarkSynced"), "not recorded")
			assert.False(t, ok && last.Equal(clock.Now()))
		})
	}
}

// TestSyncHeartbeatKeepsKeysAnswering runs the whole loop on a real key
// cache: AuthorizedKeys refuses a cache older than its maximum age, and a
// Sync — even one that changes nothing — makes it answer again.
func TestSyncHeartbeatKeepsKeysAnswering(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{AuthorizedGroups: []string{"ssh"}})
	acct := fakes.NewAccount()
	fx := srcIAMFixtureOn(t, acct)
	fx.Add("alice", []string{"ssh"}, "s-alice")
	clock := acct.Clock()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}}
	src := iamsource.NewIAMSource(acct.IAM(), cfg)
	ctx := context.Background()
	_, _, err := hostsync.Sync(ctx, src, f.sys, cfg, hostsync.WithClock(clock))
	require.NoError(t, err)

	opts := []hostsync.Option{hostsync.WithKeyCache(hostsync.KeyCache{Dir: filepath.Join(f.root, hostsync.DefaultKeyCacheDir)}), hostsync.WithClock(clock)}
	lines, err := hostsync.AuthorizedKeys(ctx, "alice", "", opts...)
	require.NoError(t, err)
	require.Len(t, lines, 1)

	clock.Advance(hostsync.DefaultMaxCacheAge + time.Minute)
	_, err = hostsync.AuthorizedKeys(ctx, "alice", "", opts...)
	require.ErrorIs(t, err, hostsync.ErrStale)

	p, _, err := hostsync.Sync(ctx, src, f.sys, cfg, hostsync.WithClock(clock))
	require.NoError(t, err)
	assert.True(t, p.Empty(), "nothing to change:\n%s", p)
	lines, err = hostsync.AuthorizedKeys(ctx, "alice", "", opts...)
	require.NoError(t, err)
	assert.Len(t, lines, 1, "the no-op sync renewed the heartbeat")
}

func TestLinuxMarkSyncedWarnsAboutAnUnreadableCache(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	var logs bytes.Buffer
	f.sys.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, f.sys.MarkSynced(ctx, now))
	kc := hostsync.KeyCache{Dir: filepath.Join(f.root, hostsync.DefaultKeyCacheDir)}
	last, err := kc.LastSync()
	require.NoError(t, err)
	assert.True(t, last.Equal(now))
	assert.Empty(t, logs.String(), "a 0755 cache: no warning")

	require.NoError(t, os.Chmod(filepath.Dir(kc.Dir), 0o700))
	require.NoError(t, f.sys.MarkSynced(ctx, now.Add(time.Minute)))
	assert.Contains(t, logs.String(), "not readable by sshd's AuthorizedKeysCommandUser (nobody)")
	assert.Contains(t, logs.String(), "mode=0700")
}

func TestStateDirLayout(t *testing.T) {
	tests := []struct {
		name string
		sd   hostsync.StateDir
		want map[string]string
	}{
		{name: "default", sd: hostsync.StateDir{}, want: map[string]string{
			"dir": "/var/lib/iamkit", "keys": "/var/lib/iamkit/keys", "state": "/var/lib/iamkit/state.json",
			"bodies": "/var/lib/iamkit/key-bodies.json", "snapshot": "/var/lib/iamkit/snapshot.json", "lock": "/run/iamkit-hostsync.lock",
		}},
		{name: "custom", sd: hostsync.StateDir{Root: "/srv/hs", Lock: "/tmp/l"}, want: map[string]string{
			"dir": "/srv/hs", "keys": "/srv/hs/keys", "state": "/srv/hs/state.json",
			"bodies": "/srv/hs/key-bodies.json", "snapshot": "/srv/hs/snapshot.json", "lock": "/tmp/l",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{
				"dir": tt.sd.Dir(), "keys": tt.sd.KeyCacheDir(), "state": tt.sd.StateFile(),
				"bodies": tt.sd.KeyBodiesFile(), "snapshot": tt.sd.SnapshotFile(), "lock": tt.sd.LockFile(),
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.sd.KeyCacheDir(), tt.sd.KeyCache().Dir)
			l := tt.sd.Linux(hostsync.Config{MarkerGroup: "m"}, nil)
			assert.Equal(t, tt.sd.KeyCacheDir(), l.Keys.Dir)
			assert.Equal(t, tt.sd.StateFile(), l.StateFile)
			assert.Equal(t, "m", l.Config.MarkerGroup)
		})
	}
	// The zero layout is the one the Linux System and KeyCache default to.
	assert.Equal(t, hostsync.DefaultKeyCacheDir, hostsync.StateDir{}.KeyCacheDir())
	assert.Equal(t, hostsync.DefaultStateFile, hostsync.StateDir{}.StateFile())
	assert.Equal(t, hostsync.DefaultLockFile, hostsync.StateDir{}.LockFile())
}

func TestStateDirKeyBodyCacheAndLock(t *testing.T) {
	dir := t.TempDir()
	sd := hostsync.StateDir{Root: dir, Lock: filepath.Join(dir, "lock")}

	ro := sd.KeyBodyCache(true, nil)
	ro.Put("K1", "body")
	_, saves := ro.(hostsync.KeyBodyCacheSaver)
	assert.False(t, saves, "a read-only cache never saves")
	assert.NoFileExists(t, sd.KeyBodiesFile())

	rw := sd.KeyBodyCache(false, nil)
	rw.Put("K1", "body")
	saver, ok := rw.(hostsync.KeyBodyCacheSaver)
	require.True(t, ok)
	require.NoError(t, saver.Save(map[string]bool{"K1": true}))
	assert.FileExists(t, sd.KeyBodiesFile())
	again := sd.KeyBodyCache(true, nil)
	body, ok := again.Get("K1")
	assert.True(t, ok)
	assert.Equal(t, "body", body)

	// An unusable file: an in-memory cache, and a warning.
	bad := hostsync.StateDir{Root: filepath.Join(dir, "bad")}
	require.NoError(t, os.MkdirAll(bad.KeyBodiesFile(), 0o755)) // a directory where the file should be
	var logs bytes.Buffer
	mem := bad.KeyBodyCache(false, slog.New(slog.NewTextHandler(&logs, nil)))
	assert.IsType(t, &hostsync.MemoryKeyBodyCache{}, mem)
	assert.Contains(t, logs.String(), "key body cache unusable")

	release, err := sd.AcquireLock()
	require.NoError(t, err)
	_, err = sd.AcquireLock()
	assert.ErrorIs(t, err, hostsync.ErrLocked)
	require.NoError(t, release())
}

func TestReadOptionalConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg, err := hostsync.ReadOptionalConfigFile(filepath.Join(dir, "missing.conf"))
	require.NoError(t, err)
	assert.Equal(t, hostsync.DefaultConfig(), cfg)

	path := filepath.Join(dir, "aws-ec2-ssh.conf")
	require.NoError(t, os.WriteFile(path, []byte("LOCAL_MARKER_GROUP=\"hs\"\n"), 0o644))
	cfg, err = hostsync.ReadOptionalConfigFile(path)
	require.NoError(t, err)
	assert.Equal(t, "hs", cfg.MarkerGroup)

	require.NoError(t, os.WriteFile(path, []byte("LOCAL_MARKER_GROUP=\"bad group\"\n"), 0o644))
	_, err = hostsync.ReadOptionalConfigFile(path)
	assert.ErrorContains(t, err, "LOCAL_MARKER_GROUP")
}

// liveFixture is an IAM account with alice in "ssh" (two keys) and bob
// outside it (one key).
func newLiveFixture(t *testing.T) *srcIAMFixture {
	f := newSrcIAMFixture(t)
	f.Add("alice", []string{"ssh", "admins"}, "l-alice1", "l-alice2")
	f.Add("bob", []string{"admins"}, "l-bob")
	f.Group("ssh")
	return f
}

func TestLiveKeys(t *testing.T) {
	ctx := context.Background()
	sshOnly := hostsync.Config{AuthorizedGroups: []string{"SSH"}, SudoersGroups: []string{"admins"}}
	tests := []struct {
		name    string
		cfg     hostsync.Config
		user    string
		setup   func(f *srcIAMFixture)
		want    int // keys
		wantErr error
	}{
		{name: "member of an authorized group", cfg: sshOnly, user: "alice", want: 2},
		{name: "no authorized group: every IAM user", cfg: hostsync.Config{}, user: "bob", want: 1},
		{name: "only in a sudoers group", cfg: sshOnly, user: "bob", want: 0},
		{name: "no such user", cfg: sshOnly, user: "nobody-here", want: 0},
		{name: "no such user, no groups", cfg: hostsync.Config{}, user: "nobody-here", want: 0},
		{name: "one key Inactive", cfg: sshOnly, user: "alice", want: 1, setup: func(f *srcIAMFixture) {
			f.SetKey("alice", f.Keys["alice"][0], false)
		}},
		{name: "every key Inactive", cfg: sshOnly, user: "alice", want: 0, setup: func(f *srcIAMFixture) {
			f.SetKey("alice", f.Keys["alice"][0], false)
			f.SetKey("alice", f.Keys["alice"][1], false)
		}},
		{name: "removed from the authorized group", cfg: sshOnly, user: "alice", want: 0, setup: func(f *srcIAMFixture) {
			_, err := f.IAM.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("alice"), GroupName: aws.String("ssh")})
			require.NoError(f.T, err)
		}},
		{name: "ListGroupsForUser fails", cfg: sshOnly, user: "alice", wantErr: errors.New("iam:ListGroupsForUser"), setup: func(f *srcIAMFixture) {
			f.Acct.Throttle("iam:ListGroupsForUser", 0)
		}},
		{name: "ListSSHPublicKeys fails", cfg: sshOnly, user: "alice", wantErr: errors.New("iam:ListSSHPublicKeys"), setup: func(f *srcIAMFixture) {
			f.Acct.Throttle("iam:ListSSHPublicKeys", 0)
		}},
		{name: "GetSSHPublicKey fails", cfg: sshOnly, user: "alice", wantErr: errors.New("iam:GetSSHPublicKey"), setup: func(f *srcIAMFixture) {
			f.Acct.Inject("iam:GetSSHPublicKey", fakes.Fault{Skip: 1})
		}},
		{name: "unresolved tags", cfg: hostsync.Config{AuthorizedGroupsTag: "ssh-groups"}, user: "alice", wantErr: hostsync.ErrTagsUnresolved},
		{name: "invalid configuration", cfg: hostsync.Config{AuthorizedGroups: []string{"bad group"}}, user: "alice", wantErr: hostsync.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLiveFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			keys, err := iamsource.LiveKeys(ctx, f.IAM, tt.cfg, tt.user)
			if tt.wantErr != nil {
				require.Error(t, err)
				if errors.Is(tt.wantErr, hostsync.ErrTagsUnresolved) || errors.Is(tt.wantErr, hostsync.ErrInvalidConfig) {
					assert.ErrorIs(t, err, tt.wantErr)
				} else {
					assert.ErrorContains(t, err, tt.wantErr.Error())
				}
				assert.Nil(t, keys, "fail closed: no keys")
				assert.Equal(t, 1, strings.Count(err.Error(), "hostsync:"), err.Error())
				return
			}
			require.NoError(t, err)
			assert.Len(t, keys, tt.want)
			for _, k := range keys {
				assert.Equal(t, hostsync.KeyActive, k.Status)
				assert.NotEmpty(t, k.Fingerprint)
				assert.Contains(t, f.Keys[tt.user], k.ID)
			}
		})
	}
}

func TestLiveKeysThroughAuthorizedKeys(t *testing.T) {
	f := newLiveFixture(t)
	ctx := context.Background()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}}
	built := 0
	opts := []hostsync.Option{
		hostsync.WithKeyCache(hostsync.KeyCache{Dir: filepath.Join(t.TempDir(), "none")}), // never synced
		hostsync.WithLive(iamsource.LiveKeysFunc(cfg, func(context.Context) (iamsource.LiveKeysAPI, error) {
			built++
			return f.IAM, nil
		})),
	}
	lines, err := hostsync.AuthorizedKeys(ctx, "alice", "", opts...)
	require.NoError(t, err)
	assert.Len(t, lines, 2)
	assert.Equal(t, 1, built)

	lines, err = hostsync.AuthorizedKeys(ctx, "bob", "", opts...)
	require.NoError(t, err)
	assert.Empty(t, lines, "bob is not in an authorized group")

	f.Acct.Throttle("iam:ListGroupsForUser", 0)
	lines, err = hostsync.AuthorizedKeys(ctx, "alice", "", opts...)
	require.ErrorIs(t, err, hostsync.ErrNoCache)
	assert.Empty(t, lines)
	assert.Equal(t, 1, strings.Count(err.Error(), "hostsync:"), err.Error())

	opts = append(opts, hostsync.WithLive(iamsource.LiveKeysFunc(cfg, func(context.Context) (iamsource.LiveKeysAPI, error) {
		return nil, errors.New("no credentials")
	})))
	_, err = hostsync.AuthorizedKeys(ctx, "alice", "", opts...)
	assert.ErrorContains(t, err, "no credentials")
}

// TestErrorPrefixOnce checks the error-prefix rule on errors that wrap
// other hostsync errors: "hostsync: " once, at the start.
func TestErrorPrefixOnce(t *testing.T) {
	ctx := context.Background()
	f := newSrcSyncFixture(t)
	f.Add("alice", []string{"ssh"}, "s-alice")
	f.Acct.Throttle("iam:GetGroup", 0)
	_, _, syncErr := f.sync()

	stale := hostsync.StaticSource{Err: errors.New("snapshot: stale")}
	_, _, staleErr := hostsync.Sync(ctx, stale, fakes.NewHost(), hostsync.Config{})

	h := fakes.NewHost()
	h.Inject("ListUsers", fakes.Fault{})
	_, loadErr := hostsync.LoadHostState(ctx, h, hostsync.Config{})

	_, keysErr := hostsync.AuthorizedKeys(ctx, "-bad", "")

	dir := t.TempDir()
	_, missingErr := hostsync.ReadConfigFile(filepath.Join(dir, "missing.conf"))
	bad := filepath.Join(dir, "bad.conf")
	require.NoError(t, os.WriteFile(bad, []byte("NO_SUCH_KEY=1\n"), 0o600))
	_, badErr := hostsync.ReadConfigFile(bad, hostsync.StrictConfig())
	_, tagsErr := hostsync.ResolveInstanceTags(ctx, hostsync.Config{AuthorizedGroupsTag: "ssh"},
		func(context.Context, []string) (map[string]string, error) { return nil, hostsync.ErrTagsUnavailable })

	for name, err := range map[string]error{"sync": syncErr, "static": staleErr, "load": loadErr, "keys": keysErr,
		"missing config": missingErr, "bad config": badErr, "tags": tagsErr} {
		require.Error(t, err, name)
		msg := err.Error()
		assert.True(t, strings.HasPrefix(msg, "hostsync: "), "%s: %s", name, msg)
		assert.Equal(t, 1, strings.Count(msg, "hostsync: "), "%s: %s", name, msg)
	}
	assert.ErrorIs(t, syncErr, hostsync.ErrSourceUnknown)
	var se *hostsync.SourceError
	assert.ErrorAs(t, syncErr, &se)
	assert.ErrorIs(t, keysErr, hostsync.ErrNotManaged)
	assert.ErrorIs(t, missingErr, fs.ErrNotExist)
	assert.ErrorIs(t, tagsErr, hostsync.ErrTagsUnavailable)
}

func TestAssumeRoleARN(t *testing.T) {
	tests := []struct {
		arn string
		ok  bool
	}{
		{"arn:aws:iam::123456789012:role/hostsync", true},
		{"arn:aws:iam::123456789012:role/path/to/hostsync", true},
		{"arn:aws-cn:iam::123456789012:role/r", true},
		{"arn:aws-us-gov:iam::123456789012:role/r", true},
		{"arn:aws:iam::123456789012:user/bob", false},
		{"arn:aws:iam::123456789012:role/", false},
		{"arn:aws:sts::123456789012:role/r", false},
		{"arn:aws:iam:us-east-1:123456789012:role/r", false},
		{"arn:aws:iam::12345678901:role/r", false},
		{"arn:aws:iam::12345678901x:role/r", false},
		{"arn::iam::123456789012:role/r", false},
		{"arn:aws:iam::123456789012", false},
		{"my-role", false},
		{"arn:aws:iam::123456789012:role/a\tb", false},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			cfg, err := hostsync.ParseConfig([]byte("ASSUMEROLE='" + tt.arn + "'\n"))
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.arn, cfg.AssumeRole)
				return
			}
			assert.ErrorIs(t, err, hostsync.ErrInvalidValue)
		})
	}
}

func TestNewIAMClient(t *testing.T) {
	c := iamsource.NewIAMClient(aws.Config{}, hostsync.Config{}, "web-1")
	assert.Equal(t, iamsource.DefaultIAMRegion, c.Options().Region)
	assert.Nil(t, c.Options().Credentials, "no ASSUMEROLE: the caller's credentials")

	c = iamsource.NewIAMClient(aws.Config{Region: "eu-west-1"}, hostsync.Config{AssumeRole: "arn:aws:iam::123456789012:role/hostsync"}, "web-1")
	assert.Equal(t, "eu-west-1", c.Options().Region)
	assert.IsType(t, &aws.CredentialsCache{}, c.Options().Credentials, "the role's credentials, cached")
}

func TestRoleAccount(t *testing.T) {
	acct, err := hostsync.RoleAccount("arn:aws-cn:iam::123456789012:role/path/publisher")
	require.NoError(t, err)
	assert.Equal(t, "123456789012", acct)
	for _, bad := range []string{"", "my-role", "arn:aws:iam::123456789012:user/bob", "arn:aws:iam::1234:role/r"} {
		_, err := hostsync.RoleAccount(bad)
		assert.ErrorIs(t, err, hostsync.ErrInvalidValue, bad)
		if err != nil {
			assert.Equal(t, 1, strings.Count(err.Error(), "hostsync:"), err.Error())
		}
	}
}

func TestLiveKeysFromConfigFile(t *testing.T) {
	ctx := context.Background()
	tagsOf := func(m map[string]string, err error) func(context.Context, []string) (map[string]string, error) {
		return func(context.Context, []string) (map[string]string, error) { return m, err }
	}
	tests := []struct {
		name    string
		conf    string // "" : no file
		tags    func(context.Context, []string) (map[string]string, error)
		user    string
		want    int
		wantErr string
	}{
		{name: "no configuration file", user: "alice", wantErr: "does not exist"},
		{name: "authorized member", conf: "IAM_AUTHORIZED_GROUPS=\"ssh\"\n", user: "alice", want: 2},
		{name: "outside the authorized groups", conf: "IAM_AUTHORIZED_GROUPS=\"ssh\"\n", user: "bob", want: 0},
		{name: "groups from a tag", conf: "IAM_AUTHORIZED_GROUPS_TAG=\"ssh-groups\"\n", tags: tagsOf(map[string]string{"ssh-groups": "ssh"}, nil), user: "bob", want: 0},
		{name: "groups from a tag, member", conf: "IAM_AUTHORIZED_GROUPS_TAG=\"ssh-groups\"\n", tags: tagsOf(map[string]string{"ssh-groups": "ssh"}, nil), user: "alice", want: 2},
		{name: "a tag and no way to read it", conf: "IAM_AUTHORIZED_GROUPS_TAG=\"ssh-groups\"\n", user: "alice", wantErr: "not resolved"},
		{name: "the tag cannot be read", conf: "IAM_AUTHORIZED_GROUPS_TAG=\"ssh-groups\"\n", tags: tagsOf(nil, errors.New("imds down")), user: "alice", wantErr: "imds down"},
		{name: "the tag is missing", conf: "IAM_AUTHORIZED_GROUPS_TAG=\"ssh-groups\"\n", tags: tagsOf(map[string]string{}, nil), user: "alice", wantErr: "ssh-groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLiveFixture(t)
			path := filepath.Join(t.TempDir(), "aws-ec2-ssh.conf")
			if tt.conf != "" {
				require.NoError(t, os.WriteFile(path, []byte(tt.conf), 0o644))
			}
			var gotCfg hostsync.Config
			live := iamsource.LiveKeysFromConfigFile(path, tt.tags, func(_ context.Context, cfg hostsync.Config) (iamsource.LiveKeysAPI, error) {
				gotCfg = cfg
				return f.IAM, nil
			})
			keys, err := live(ctx, tt.user)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Nil(t, keys)
				assert.Equal(t, 1, strings.Count(err.Error(), "hostsync:"), err.Error())
				return
			}
			require.NoError(t, err)
			assert.Len(t, keys, tt.want)
			assert.Equal(t, []string{"ssh"}, gotCfg.AuthorizedGroups)
		})
	}
}
