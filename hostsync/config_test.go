package hostsync_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

func TestParseConfig(t *testing.T) {
	def := hostsync.DefaultConfig()
	tests := []struct {
		name string
		in   string
		want func(c *hostsync.Config) // applied to DefaultConfig()
	}{
		{name: "empty file", in: "", want: func(*hostsync.Config) {}},
		{
			// The file from the aws-ec2-ssh blog post (seed 004), trailing
			// comments in Japanese included.
			name: "blog post",
			in: "IAM_AUTHORIZED_GROUPS=\"linux-member\" #管理対象するIAMグループ\n" +
				"LOCAL_MARKER_GROUP=\"iam-synced-users\" #IAMユーザと連携していることを示すグループ\n" +
				"LOCAL_GROUPS=\"\"\n" +
				"SUDOERS_GROUPS=\"linux-admin\" #特権を付与するIAMグループ\n" +
				"ASSUMEROLE=\"\"\n" +
				"# Remove or set to 0 if you are done with configuration\n" +
				"# To change the interval of the sync change the file\n" +
				"# /etc/cron.d/import_users\n" +
				"DONOTSYNC=0 #0の場合に同期機能が有効化\n",
			want: func(c *hostsync.Config) {
				c.AuthorizedGroups = []string{"linux-member"}
				c.SudoersGroups = []string{"linux-admin"}
			},
		},
		{
			name: "aws-ec2-ssh default file",
			in:   "IAM_AUTHORIZED_GROUPS=\"\"\nLOCAL_MARKER_GROUP=\"iam-synced-users\"\nLOCAL_GROUPS=\"\"\nSUDOERS_GROUPS=\"\"\nASSUMEROLE=\"\"\n\n# Remove or set to 0 if you are done with configuration\nDONOTSYNC=0\n",
			want: func(*hostsync.Config) {},
		},
		{
			name: "every key",
			in: `IAM_AUTHORIZED_GROUPS="devs,ops.team, contractors"
IAM_AUTHORIZED_GROUPS_TAG=""
SUDOERS_GROUPS=ops.team
SUDOERS_GROUPS_TAG=''
LOCAL_MARKER_GROUP='synced'
LOCAL_GROUPS="docker adm"
ASSUMEROLE="arn:aws:iam::123456789012:role/ssh-users"
USERADD_PROGRAM=/usr/local/sbin/useradd
USERADD_ARGS="--create-home --shell /bin/zsh --no-log-init"
USERDEL_PROGRAM="/usr/local/sbin/userdel"
USERDEL_ARGS="--remove"
DONOTSYNC=1
IAMKIT_UID_MIN=5000000
IAMKIT_UID_MAX=5999999
IAMKIT_MISSING_SYNCS_BEFORE_DELETE=3
IAMKIT_MAX_DELETIONS=-1
IAMKIT_RESERVED="breakglass,ops"
IAMKIT_END_SESSIONS_ON_LOCK=1
`,
			want: func(c *hostsync.Config) {
				c.AuthorizedGroups = []string{"devs", "ops.team", "contractors"}
				c.SudoersGroups = []string{"ops.team"}
				c.MarkerGroup = "synced"
				c.LocalGroups = []string{"docker", "adm"}
				c.AssumeRole = "arn:aws:iam::123456789012:role/ssh-users"
				c.UseraddProgram = "/usr/local/sbin/useradd"
				c.UseraddArgs = []string{"--create-home", "--shell", "/bin/zsh", "--no-log-init"}
				c.UserdelProgram = "/usr/local/sbin/userdel"
				c.UserdelArgs = []string{"--remove"}
				c.DoNotSync = true
				c.UIDMin, c.UIDMax = 5000000, 5999999
				c.MissingSyncsBeforeDelete = 3
				c.MaxDeletions = -1
				c.Reserved = []string{"breakglass", "ops"}
				c.EndSessionsOnLock = true
			},
		},
		{
			name: "sudo for all",
			in:   "SUDOERS_GROUPS=\"##ALL##\"\n",
			want: func(c *hostsync.Config) { c.SudoAll = true },
		},
		{
			name: "deprecated SUDOERSGROUP used when SUDOERS_GROUPS is empty",
			in:   "SUDOERSGROUP=admins\nSUDOERS_GROUPS=\"\"\n",
			want: func(c *hostsync.Config) { c.SudoersGroups = []string{"admins"} },
		},
		{
			name: "SUDOERS_GROUPS wins over SUDOERSGROUP",
			in:   "SUDOERSGROUP=admins\nSUDOERS_GROUPS=ops\n",
			want: func(c *hostsync.Config) { c.SudoersGroups = []string{"ops"} },
		},
		{
			name: "tags",
			in:   "IAM_AUTHORIZED_GROUPS_TAG=ssh-groups\nSUDOERS_GROUPS_TAG=\"ssh sudo\"\n",
			want: func(c *hostsync.Config) { c.AuthorizedGroupsTag = "ssh-groups"; c.SudoersGroupsTag = "ssh sudo" },
		},
		{
			name: "shell quoting forms",
			in: "export IAM_AUTHORIZED_GROUPS=a,'b'\"c\"\n" +
				"  LOCAL_GROUPS=\\docker # escaped d\n" +
				"USERADD_ARGS=\"--comment \\\"x\\\" \\$HOME\"\n" +
				"\t# indented comment\r\n" +
				"ASSUMEROLE='arn:aws:iam::123456789012:role/team#1/ab'\r\n",
			want: func(c *hostsync.Config) {
				c.AuthorizedGroups = []string{"a", "bc"}
				c.LocalGroups = []string{"docker"}
				c.UseraddArgs = []string{"--comment", `"x"`, "$HOME"}
				c.AssumeRole = "arn:aws:iam::123456789012:role/team#1/ab"
			},
		},
		{
			name: "empty values mean defaults, as ${KEY:=default}",
			in:   "LOCAL_MARKER_GROUP=\nUSERADD_PROGRAM=''\nUSERADD_ARGS=\"\"\nUSERDEL_PROGRAM=\nUSERDEL_ARGS=\nDONOTSYNC=\n",
			want: func(*hostsync.Config) {},
		},
		{
			name: "last assignment wins, as in the shell",
			in:   "IAM_AUTHORIZED_GROUPS=\"\"\nIAM_AUTHORIZED_GROUPS=\"devs\"\n",
			want: func(c *hostsync.Config) { c.AuthorizedGroups = []string{"devs"} },
		},
		{
			name: "duplicates in a list count once",
			in:   "IAM_AUTHORIZED_GROUPS=\"devs,devs , ops\"\n",
			want: func(c *hostsync.Config) { c.AuthorizedGroups = []string{"devs", "ops"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hostsync.ParseConfig([]byte(tt.in))
			require.NoError(t, err)
			want := def
			want.UseraddArgs = append([]string(nil), def.UseraddArgs...)
			want.UserdelArgs = append([]string(nil), def.UserdelArgs...)
			tt.want(&want)
			assert.Equal(t, want, got)
			// LoadConfig agrees.
			loaded, err := hostsync.LoadConfig(strings.NewReader(tt.in))
			require.NoError(t, err)
			assert.Equal(t, got, loaded)
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantLine int
		wantKey  string
		wantIs   error
		wantMsg  string
	}{
		{name: "unknown key", in: "\n# c\nIAM_AUTHORIZED_GROUPS=a\nLOCAL_GROUP_MAP='{}'\n", wantLine: 4, wantKey: "LOCAL_GROUP_MAP", wantIs: hostsync.ErrUnknownKey},
		{name: "typo", in: "SUDOER_GROUPS=x\n", wantLine: 1, wantKey: "SUDOER_GROUPS", wantIs: hostsync.ErrUnknownKey},
		{name: "not an assignment", in: "DONOTSYNC=0\nsource /etc/other.conf\n", wantLine: 2, wantIs: hostsync.ErrSyntax, wantMsg: "expected KEY=value"},
		{name: "space before =", in: "DONOTSYNC = 0\n", wantLine: 1, wantIs: hostsync.ErrSyntax},
		{name: "command substitution", in: "ASSUMEROLE=\"$(curl http://x)\"\n", wantLine: 1, wantKey: "ASSUMEROLE", wantIs: hostsync.ErrSyntax, wantMsg: "expansion"},
		{name: "variable", in: "LOCAL_GROUPS=$GROUPS\n", wantLine: 1, wantKey: "LOCAL_GROUPS", wantIs: hostsync.ErrSyntax},
		{name: "backticks", in: "LOCAL_GROUPS=\"`id`\"\n", wantLine: 1, wantKey: "LOCAL_GROUPS", wantIs: hostsync.ErrSyntax},
		{name: "command after", in: "DONOTSYNC=0; rm -rf /\n", wantLine: 1, wantKey: "DONOTSYNC", wantIs: hostsync.ErrSyntax},
		{name: "second word", in: "IAM_AUTHORIZED_GROUPS=a b\n", wantLine: 1, wantKey: "IAM_AUTHORIZED_GROUPS", wantIs: hostsync.ErrSyntax, wantMsg: "one assignment per line"},
		{name: "open double quote", in: "LOCAL_GROUPS=\"docker\nX=1\"\n", wantLine: 1, wantKey: "LOCAL_GROUPS", wantIs: hostsync.ErrSyntax, wantMsg: "not closed"},
		{name: "open single quote", in: "LOCAL_GROUPS='docker\n", wantLine: 1, wantKey: "LOCAL_GROUPS", wantIs: hostsync.ErrSyntax},
		{name: "line continuation", in: "LOCAL_GROUPS=docker\\\n", wantLine: 1, wantKey: "LOCAL_GROUPS", wantIs: hostsync.ErrSyntax, wantMsg: "continuation"},
		{name: "tilde", in: "USERADD_PROGRAM=~/useradd\n", wantLine: 1, wantKey: "USERADD_PROGRAM", wantIs: hostsync.ErrSyntax},
		{name: "DONOTSYNC not 0/1", in: "DONOTSYNC=yes\n", wantLine: 1, wantKey: "DONOTSYNC", wantIs: hostsync.ErrInvalidValue},
		{name: "DONOTSYNC 2", in: "DONOTSYNC=2\n", wantLine: 1, wantKey: "DONOTSYNC", wantIs: hostsync.ErrInvalidValue},
		{name: "relative useradd", in: "USERADD_PROGRAM=useradd\n", wantLine: 1, wantKey: "USERADD_PROGRAM", wantIs: hostsync.ErrInvalidValue, wantMsg: "absolute"},
		{name: "bad role", in: "ASSUMEROLE=\"my-role\"\n", wantLine: 1, wantKey: "ASSUMEROLE", wantIs: hostsync.ErrInvalidValue},
		{name: "user ARN is not a role", in: "ASSUMEROLE=arn:aws:iam::123456789012:user/bob\n", wantLine: 1, wantKey: "ASSUMEROLE", wantIs: hostsync.ErrInvalidValue},
		{name: "##ALL## in a list", in: "\nSUDOERS_GROUPS=\"ops,##ALL##\"\n", wantLine: 2, wantKey: "SUDOERS_GROUPS", wantIs: hostsync.ErrInvalidValue, wantMsg: "whole value"},
		{name: "bad IAM group", in: "IAM_AUTHORIZED_GROUPS=\"dev/ops\"\n", wantLine: 1, wantKey: "IAM_AUTHORIZED_GROUPS", wantIs: hostsync.ErrInvalidValue},
		{name: "bad local group", in: "LOCAL_GROUPS=\"-wheel\"\n", wantLine: 1, wantKey: "LOCAL_GROUPS", wantIs: hostsync.ErrInvalidValue},
		{name: "bad marker group", in: "LOCAL_MARKER_GROUP=\"a:b\"\n", wantLine: 1, wantKey: "LOCAL_MARKER_GROUP", wantIs: hostsync.ErrInvalidValue},
		{name: "uid not a number", in: "IAMKIT_UID_MIN=lots\n", wantLine: 1, wantKey: "IAMKIT_UID_MIN", wantIs: hostsync.ErrInvalidValue},
		{name: "uid too small", in: "IAMKIT_UID_MIN=10\n", wantLine: 1, wantKey: "IAMKIT_UID_MIN", wantIs: hostsync.ErrInvalidValue},
		{name: "uid range inverted", in: "IAMKIT_UID_MIN=5000\nIAMKIT_UID_MAX=4000\n", wantKey: "IAMKIT_UID_MIN", wantIs: hostsync.ErrInvalidValue, wantMsg: "UID range"},
		{name: "grace 0", in: "IAMKIT_MISSING_SYNCS_BEFORE_DELETE=-1\n", wantLine: 1, wantKey: "IAMKIT_MISSING_SYNCS_BEFORE_DELETE", wantIs: hostsync.ErrInvalidValue},
		{name: "marker among local groups", in: "LOCAL_GROUPS=iam-synced-users\n", wantKey: "LOCAL_GROUPS", wantIs: hostsync.ErrInvalidValue},
		{name: "invalid UTF-8", in: "LOCAL_GROUPS=\xff\n", wantLine: 1, wantIs: hostsync.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantIs != hostsync.ErrUnknownKey {
				_, err := hostsync.ParseConfig([]byte(tt.in))
				require.Error(t, err, "an error without StrictConfig too")
			}
			_, err := hostsync.ParseConfig([]byte(tt.in), hostsync.StrictConfig())
			require.Error(t, err)
			assert.ErrorIs(t, err, hostsync.ErrInvalidConfig)
			assert.ErrorIs(t, err, tt.wantIs)
			var ce *hostsync.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.wantLine, ce.Line, "line")
			assert.Equal(t, tt.wantKey, ce.Key, "key")
			if tt.wantLine > 0 {
				assert.Contains(t, err.Error(), "line ")
			}
			if tt.wantKey != "" {
				assert.Contains(t, err.Error(), tt.wantKey)
			}
			if tt.wantMsg != "" {
				assert.Contains(t, err.Error(), tt.wantMsg)
			}
		})
	}
}

// TestParseConfigUnknownKeys: an unknown key is ignored, as bash ignores
// it, with a warning naming its line and the key; StrictConfig refuses it.
func TestParseConfigUnknownKeys(t *testing.T) {
	in := "IAM_AUTHORIZED_GROUPS=devs\nSUDOER_GROUPS=admins # a typo\n\nexport LOCAL_GROUP_MAP='{}'\nDONOTSYNC=0\n"
	cfg, err := hostsync.ParseConfig([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, []string{"devs"}, cfg.AuthorizedGroups, "the known keys are read")
	assert.Empty(t, cfg.SudoersGroups, "the unknown one is not guessed at")
	require.Len(t, cfg.Warnings, 2)
	for i, want := range []struct {
		line int
		key  string
	}{{2, "SUDOER_GROUPS"}, {4, "LOCAL_GROUP_MAP"}} {
		w := cfg.Warnings[i]
		assert.Equal(t, want.line, w.Line)
		assert.Equal(t, want.key, w.Key)
		assert.ErrorIs(t, w, hostsync.ErrUnknownKey)
		assert.Contains(t, w.Error(), fmt.Sprintf("config line %d: %s: unknown key", want.line, want.key))
		assert.Contains(t, w.Error(), "ignored")
	}
	assert.NotContains(t, cfg.Format(), "SUDOER_GROUPS", "Format writes no unknown key")

	loaded, err := hostsync.LoadConfig(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, cfg, loaded)

	for _, parse := range []func() (hostsync.Config, error){
		func() (hostsync.Config, error) { return hostsync.ParseConfig([]byte(in), hostsync.StrictConfig()) },
		func() (hostsync.Config, error) {
			return hostsync.LoadConfig(strings.NewReader(in), hostsync.StrictConfig())
		},
	} {
		_, err = parse()
		assert.ErrorIs(t, err, hostsync.ErrUnknownKey)
		assert.ErrorContains(t, err, "config line 2: SUDOER_GROUPS: unknown key")
	}

	clean, err := hostsync.ParseConfig([]byte("DONOTSYNC=0\n"))
	require.NoError(t, err)
	assert.Nil(t, clean.Warnings)
}

func TestLoadConfigReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := hostsync.LoadConfig(iotest.ErrReader(boom))
	assert.ErrorIs(t, err, boom)
	_, err = hostsync.LoadConfig(strings.NewReader(strings.Repeat("#", hostsync.MaxConfigSize+1)))
	assert.ErrorIs(t, err, hostsync.ErrInvalidConfig)
}

func TestConfigFormatRoundTrip(t *testing.T) {
	configs := []hostsync.Config{
		hostsync.DefaultConfig(),
		{},
		{
			AuthorizedGroups: []string{"devs", "ops.team"}, SudoAll: true, MarkerGroup: "m", LocalGroups: []string{"docker"},
			AssumeRole: "arn:aws-cn:iam::123456789012:role/x", UseraddArgs: []string{"--comment", "it's", `"q"`, "$x", `\`},
			UIDMin: 3000, UIDMax: 4000, MissingSyncsBeforeDelete: 4, MaxDeletions: 9, Reserved: []string{"z", "a"},
			DoNotSync: true, EndSessionsOnLock: true, AuthorizedGroupsTag: "k", SudoersGroupsTag: "Ünïcode tag",
		},
	}
	for i, c := range configs {
		got, err := hostsync.ParseConfig([]byte(c.Format()))
		require.NoError(t, err, "config %d:\n%s", i, c.Format())
		want, err := hostsync.ParseConfig([]byte(got.Format()))
		require.NoError(t, err)
		assert.Equal(t, want, got, "config %d", i)
		if c.UIDMin != 0 {
			assert.Equal(t, c.UseraddArgs, got.UseraddArgs)
			assert.Equal(t, c.Reserved, got.Reserved)
		}
	}
}

func TestConfigValidateZeroValue(t *testing.T) {
	assert.NoError(t, hostsync.Config{}.Validate(), "the zero Config is usable")
	assert.ErrorIs(t, hostsync.Config{UIDMin: 10, UIDMax: 20}.Validate(), hostsync.ErrInvalidConfig)
	assert.ErrorIs(t, hostsync.Config{SudoAll: true, SudoersGroups: []string{"x"}}.Validate(), hostsync.ErrInvalidConfig)
	assert.ErrorIs(t, hostsync.Config{UseraddProgram: "useradd"}.Validate(), hostsync.ErrInvalidConfig)
	assert.ErrorIs(t, hostsync.Config{Reserved: []string{""}}.Validate(), hostsync.ErrInvalidConfig)
}

func TestDeletionCap(t *testing.T) {
	tests := []struct {
		max, managed, want int
	}{
		{max: 0, managed: 0, want: 5},
		{max: 0, managed: 10, want: 5},
		{max: 0, managed: 59, want: 5},
		{max: 0, managed: 60, want: 6},
		{max: 0, managed: 200, want: 20},
		{max: 3, managed: 200, want: 3},
		{max: 50, managed: 10, want: 50},
		{max: -1, managed: 1000, want: 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, hostsync.Config{MaxDeletions: tt.max}.DeletionCap(tt.managed), "%+v", tt)
	}
}

func TestGrantsSudoAndAuthorizes(t *testing.T) {
	tests := []struct {
		name   string
		cfg    hostsync.Config
		groups []string
		auth   bool
		sudo   bool
	}{
		{name: "defaults: everyone, no sudo", cfg: hostsync.Config{}, groups: nil, auth: true, sudo: false},
		{name: "authorized group", cfg: hostsync.Config{AuthorizedGroups: []string{"devs"}}, groups: []string{"devs"}, auth: true},
		{name: "not authorized", cfg: hostsync.Config{AuthorizedGroups: []string{"devs"}}, groups: []string{"ops"}, auth: false},
		{name: "case-insensitive like IAM", cfg: hostsync.Config{SudoersGroups: []string{"Linux-Admin"}}, groups: []string{"linux-admin"}, auth: true, sudo: true},
		{name: "sudo group with a dot", cfg: hostsync.Config{SudoersGroups: []string{"ops.admins"}}, groups: []string{"ops.admins"}, auth: true, sudo: true},
		{name: "a dot is no wildcard", cfg: hostsync.Config{SudoersGroups: []string{"ops.admins"}}, groups: []string{"opsXadmins"}, auth: true, sudo: false},
		{name: "no prefix match", cfg: hostsync.Config{SudoersGroups: []string{"ops"}}, groups: []string{"ops-readonly"}, auth: true, sudo: false},
		{name: "##ALL##", cfg: hostsync.Config{SudoAll: true}, groups: nil, auth: true, sudo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.auth, tt.cfg.Authorizes(tt.groups))
			assert.Equal(t, tt.sudo, tt.cfg.GrantsSudo(tt.groups))
		})
	}
}

func TestResolveTags(t *testing.T) {
	base := hostsync.DefaultConfig()
	base.AuthorizedGroups = []string{"from-file"}
	withTags := base
	withTags.AuthorizedGroupsTag = "ssh:groups"
	withTags.SudoersGroupsTag = "ssh:sudo"
	tests := []struct {
		name     string
		cfg      hostsync.Config
		tags     map[string]string
		wantAuth []string
		wantSudo []string
		wantAll  bool
		wantErr  error
	}{
		{name: "no tags configured", cfg: base, tags: nil, wantAuth: []string{"from-file"}},
		{name: "tags override", cfg: withTags, tags: map[string]string{"ssh:groups": "devs, ops.team", "ssh:sudo": "ops.team"}, wantAuth: []string{"devs", "ops.team"}, wantSudo: []string{"ops.team"}},
		{name: "sudo for all", cfg: withTags, tags: map[string]string{"ssh:groups": "devs", "ssh:sudo": "##ALL##"}, wantAuth: []string{"devs"}, wantAll: true},
		{name: "blank sudo tag: nobody", cfg: withTags, tags: map[string]string{"ssh:groups": "devs", "ssh:sudo": " "}, wantAuth: []string{"devs"}},
		{name: "missing authorized tag", cfg: withTags, tags: map[string]string{"ssh:sudo": "x"}, wantErr: hostsync.ErrTagMissing},
		{name: "blank authorized tag would mean everyone", cfg: withTags, tags: map[string]string{"ssh:groups": "", "ssh:sudo": "x"}, wantErr: hostsync.ErrTagMissing},
		{name: "missing sudo tag", cfg: withTags, tags: map[string]string{"ssh:groups": "devs"}, wantErr: hostsync.ErrTagMissing},
		{name: "bad group in tag", cfg: withTags, tags: map[string]string{"ssh:groups": "a/b", "ssh:sudo": ""}, wantErr: errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hostsync.ResolveTags(tt.cfg, tt.tags)
			if tt.wantErr != nil {
				require.Error(t, err)
				if errors.Is(tt.wantErr, hostsync.ErrTagMissing) {
					assert.ErrorIs(t, err, hostsync.ErrTagMissing)
				}
				return
			}
			require.NoError(t, err)
			assert.True(t, got.TagsResolved)
			assert.Equal(t, tt.wantAuth, got.AuthorizedGroups)
			assert.Equal(t, tt.wantSudo, got.SudoersGroups)
			assert.Equal(t, tt.wantAll, got.SudoAll)
		})
	}
}
