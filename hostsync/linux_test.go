package hostsync_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/testenv"
)

// fixturePasswd is a cloud image's /etc/passwd with the odd lines real ones
// have: a NIS compat line, a comment, a blank line and a malformed line.
const fixturePasswd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
sshd:x:74:65534::/run/sshd:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/bash
# a comment

broken line without colons
+@netgroup::::::
`

const fixtureGroup = `root:x:0:
daemon:x:1:
adm:x:4:ec2-user
sudo:x:27:ec2-user
nogroup:x:65534:
ec2-user:x:1000:
broken:x:notanumber:
`

const fixtureShadow = `root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
sshd:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
ec2-user:!:19000:0:99999:7:::
`

// shadowTools simulates useradd, usermod, userdel, groupadd, pkill,
// loginctl and visudo on a fixture root, the way the shadow tools change
// /etc: Linux's Run for tests that must not touch the real host.
type shadowTools struct {
	t    testing.TB
	root string

	mu sync.Mutex
	// cmds records every command, "name arg arg".
	cmds []string
	// exit forces the exit code of a program (by base name).
	exit map[string]int
	// processes are the users with running processes (pkill).
	processes map[string]bool
	// ignoreGroups makes useradd ignore --groups, like a custom
	// USERADD_PROGRAM might.
	ignoreGroups bool
}

func newShadowTools(t testing.TB, root string) *shadowTools {
	return &shadowTools{t: t, root: root, exit: map[string]int{}, processes: map[string]bool{}}
}

type exitErr int

func (e exitErr) Error() string { return "exit status " + strconv.Itoa(int(e)) }
func (e exitErr) ExitCode() int { return int(e) }

func (s *shadowTools) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cmds)
}

func (s *shadowTools) reset() {
	s.mu.Lock()
	s.cmds = nil
	s.mu.Unlock()
}

func (s *shadowTools) file(name string) [][]string {
	data, err := os.ReadFile(filepath.Join(s.root, "etc", name))
	require.NoError(s.t, err)
	var out [][]string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l == "" {
			continue
		}
		out = append(out, strings.Split(l, ":"))
	}
	return out
}

func (s *shadowTools) write(name string, lines [][]string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(strings.Join(l, ":") + "\n")
	}
	path := filepath.Join(s.root, "etc", name)
	fi, err := os.Stat(path)
	require.NoError(s.t, err)
	require.NoError(s.t, os.WriteFile(path, []byte(b.String()), fi.Mode().Perm()))
}

func find(lines [][]string, name string) int {
	for i, l := range lines {
		if len(l) > 0 && l[0] == name {
			return i
		}
	}
	return -1
}

func (s *shadowTools) freeGID(groups [][]string, want int) int {
	used := map[string]bool{}
	for _, g := range groups {
		if len(g) > 2 {
			used[g[2]] = true
		}
	}
	for want < 2000 || used[strconv.Itoa(want)] {
		if want < 2000 {
			want = 2000
			continue
		}
		want++
	}
	return want
}

// Run implements Linux.Run.
func (s *shadowTools) Run(_ context.Context, name string, args ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmds = append(s.cmds, strings.Join(append([]string{name}, args...), " "))
	prog := filepath.Base(name)
	if code, ok := s.exit[prog]; ok {
		return exitErr(code)
	}
	switch prog {
	case "groupadd":
		groups := s.file("group")
		if find(groups, args[0]) >= 0 {
			return exitErr(9)
		}
		s.write("group", append(groups, []string{args[0], "x", strconv.Itoa(s.freeGID(groups, 2000)), ""}))
	case "useradd", "my-useradd":
		return s.useradd(args)
	case "usermod":
		return s.usermod(args)
	case "userdel":
		user := args[len(args)-1]
		pw := s.file("passwd")
		i := find(pw, user)
		if i < 0 {
			return exitErr(6)
		}
		gid := pw[i][3]
		s.write("passwd", slices.Delete(pw, i, i+1))
		sh := s.file("shadow")
		if j := find(sh, user); j >= 0 {
			s.write("shadow", slices.Delete(sh, j, j+1))
		}
		groups := s.file("group")
		var kept [][]string
		for _, g := range groups {
			if g[0] == user && g[2] == gid {
				continue // the user's private group
			}
			ms := slices.DeleteFunc(strings.Split(g[3], ","), func(m string) bool { return m == user || m == "" })
			g[3] = strings.Join(ms, ",")
			kept = append(kept, g)
		}
		s.write("group", kept)
		delete(s.processes, user)
	case "groupmod":
		require.Equal(s.t, "-n", args[0])
		groups := s.file("group")
		i := find(groups, args[2])
		if i < 0 {
			return exitErr(6)
		}
		if find(groups, args[1]) >= 0 {
			return exitErr(9)
		}
		groups[i][0] = args[1]
		s.write("group", groups)
	case "pgrep":
		if !s.processes[args[len(args)-1]] {
			return exitErr(1)
		}
	case "pkill":
		user := args[len(args)-1]
		if !s.processes[user] {
			return exitErr(1)
		}
		delete(s.processes, user)
	case "loginctl":
		return exitErr(1)
	case "visudo":
		require.Equal(s.t, "-cf", args[0])
		data, err := os.ReadFile(args[1])
		require.NoError(s.t, err)
		fi, err := os.Lstat(args[1])
		require.NoError(s.t, err)
		require.Equal(s.t, fs.FileMode(0o440), fi.Mode(), "the file is checked with its final mode")
		if !strings.Contains(string(data), "ALL=(ALL) NOPASSWD:ALL") {
			return exitErr(1)
		}
	default:
		s.t.Errorf("unexpected command %s %v", name, args)
		return exitErr(127)
	}
	return nil
}

func (s *shadowTools) useradd(args []string) error {
	user := args[len(args)-1]
	var uid, shell string
	var groups []string
	userGroup := false
	for i := 0; i < len(args)-1; i++ {
		switch args[i] {
		case "--uid":
			uid = args[i+1]
			i++
		case "--groups":
			groups = strings.Split(args[i+1], ",")
			i++
		case "--shell":
			shell = args[i+1]
			i++
		case "--user-group":
			userGroup = true
		}
	}
	pw, gr, sh := s.file("passwd"), s.file("group"), s.file("shadow")
	if find(pw, user) >= 0 {
		return exitErr(9)
	}
	for _, p := range pw {
		if len(p) > 2 && p[2] == uid {
			return exitErr(4)
		}
	}
	for _, g := range groups {
		if find(gr, g) < 0 {
			return exitErr(6)
		}
	}
	gid := "100"
	if userGroup {
		if find(gr, user) >= 0 {
			return exitErr(9)
		}
		n, _ := strconv.Atoi(uid)
		gid = strconv.Itoa(s.freeGID(gr, n))
		gr = append(gr, []string{user, "x", gid, ""})
	}
	if !s.ignoreGroups {
		for _, g := range groups {
			i := find(gr, g)
			gr[i][3] = strings.Trim(gr[i][3]+","+user, ",")
		}
	}
	s.write("passwd", append(pw, []string{user, "x", uid, gid, "", "/home/" + user, shell}))
	s.write("group", gr)
	s.write("shadow", append(sh, []string{user, "!", "19000", "0", "99999", "7", "", "", ""}))
	return nil
}

func (s *shadowTools) usermod(args []string) error {
	user := args[len(args)-1]
	pw, gr, sh := s.file("passwd"), s.file("group"), s.file("shadow")
	i, j := find(pw, user), find(sh, user)
	if i < 0 || j < 0 {
		return exitErr(6)
	}
	for k := 0; k < len(args)-1; k++ {
		switch args[k] {
		case "-a":
		case "-G":
			for _, g := range strings.Split(args[k+1], ",") {
				gi := find(gr, g)
				if gi < 0 {
					return exitErr(6)
				}
				gr[gi][3] = strings.Trim(gr[gi][3]+","+user, ",")
			}
			k++
		case "-L":
			if !strings.HasPrefix(sh[j][1], "!") {
				sh[j][1] = "!" + sh[j][1]
			}
		case "-U":
			if strings.HasPrefix(sh[j][1], "!") && len(sh[j][1]) > 1 {
				sh[j][1] = sh[j][1][1:]
			}
		case "-e":
			sh[j][7] = args[k+1]
			k++
		case "-s":
			pw[i][6] = args[k+1]
			k++
		case "-l":
			if s.processes[user] {
				return exitErr(8)
			}
			if find(pw, args[k+1]) >= 0 {
				return exitErr(9)
			}
			pw[i][0], sh[j][0] = args[k+1], args[k+1]
			for _, g := range gr {
				ms := strings.Split(g[3], ",")
				if m := slices.Index(ms, user); m >= 0 {
					ms[m] = args[k+1]
					g[3] = strings.Join(ms, ",")
				}
			}
			k++
		case "-d":
			pw[i][5] = args[k+1]
			k++
		case "-m":
		default:
			s.t.Errorf("usermod: unexpected option %q", args[k])
		}
	}
	s.write("passwd", pw)
	s.write("group", gr)
	s.write("shadow", sh)
	return nil
}

// linuxFixture is a fixture root with a Linux System on it.
type linuxFixture struct {
	root  string
	tools *shadowTools
	sys   *hostsync.Linux
}

func newLinuxFixture(t testing.TB, cfg hostsync.Config) *linuxFixture {
	t.Helper()
	requireRoot(t)
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc", "sudoers.d"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte(fixturePasswd), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "group"), []byte(fixtureGroup), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "shadow"), []byte(fixtureShadow), 0o640))
	tools := newShadowTools(t, root)
	return &linuxFixture{root: root, tools: tools, sys: &hostsync.Linux{
		Config: cfg,
		Root:   root,
		Run:    tools.Run,
		Clock:  fakes.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
	}}
}

// tree returns every file under the root with its mode, modification time
// and content: equal trees mean nothing was written.
func (f *linuxFixture) tree(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(f.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		entry := fmt.Sprintf("%v %d", fi.Mode(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			entry += " " + string(data)
		}
		out[strings.TrimPrefix(p, f.root)] = entry
		return nil
	}))
	return out
}

func (f *linuxFixture) user(t testing.TB, name string) hostsync.HostUser {
	t.Helper()
	u, err := f.sys.LookupUser(context.Background(), name)
	require.NoError(t, err)
	return u
}

func TestLinuxListUsers(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	ctx := context.Background()
	users, err := f.sys.ListUsers(ctx)
	require.NoError(t, err)
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	assert.Equal(t, []string{"root", "daemon", "sshd", "nobody", "ec2-user"}, names, "malformed, comment and NIS lines skipped")
	ec2 := users[4]
	assert.Equal(t, hostsync.HostUser{Name: "ec2-user", UID: 1000, Groups: []string{"ec2-user", "adm", "sudo"}}, ec2)
	assert.True(t, users[1].Locked, "a nologin shell counts as locked")
	assert.Equal(t, []string{"nogroup"}, users[2].Groups, "primary group by GID")

	_, err = f.sys.LookupUser(ctx, "alice")
	assert.ErrorIs(t, err, hostsync.ErrNoSuchUser)

	// An expired account counts as locked; a sudoers drop-in of ours is
	// Sudo; a symlink under that name is not.
	f.tools.write("shadow", append(f.tools.file("shadow")[:4], []string{"ec2-user", "!", "19000", "0", "99999", "7", "", "1", ""}))
	require.NoError(t, os.WriteFile(filepath.Join(f.root, "etc", "sudoers.d", hostsync.SudoersFileName("ec2-user")), nil, 0o440))
	u := f.user(t, "ec2-user")
	assert.True(t, u.Locked)
	assert.True(t, u.Sudo)
	require.NoError(t, os.Remove(filepath.Join(f.root, "etc", "sudoers.d", hostsync.SudoersFileName("ec2-user"))))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(f.root, "etc", "sudoers.d", hostsync.SudoersFileName("ec2-user"))))
	assert.False(t, f.user(t, "ec2-user").Sudo)

	assert.Empty(t, f.tools.commands(), "reading spawns nothing")
}

func TestLinuxSyncLifecycle(t *testing.T) {
	cfg := hostsync.Config{SudoersGroups: []string{"admins"}, LocalGroups: []string{"docker"}}
	f := newLinuxFixture(t, cfg)
	alice := user("AIDAALICE", "alice", "admins")
	bob := user("AIDABOB", "bob@corp.com", "devs")

	// First sync: groups, users, keys, sudo, state.
	mustRun(t, f.sys, complete(alice, bob), cfg)
	uidA := hostsync.HashUID("AIDAALICE", hostsync.DefaultUIDMin, hostsync.DefaultUIDMax)
	uidB := hostsync.HashUID("AIDABOB", hostsync.DefaultUIDMin, hostsync.DefaultUIDMax)
	assert.Equal(t, []string{
		"groupadd iam-synced-users",
		"groupadd docker",
		fmt.Sprintf("/usr/sbin/useradd --user-group --create-home --shell /bin/bash --uid %d --groups iam-synced-users,docker --no-log-init bob.at.corp.com", uidB),
		fmt.Sprintf("/usr/sbin/useradd --user-group --create-home --shell /bin/bash --uid %d --groups iam-synced-users,docker --no-log-init alice", uidA),
		"/usr/sbin/visudo -cf " + filepath.Join(f.root, "etc", "sudoers.d", ".iamkit-alice.tmp"),
	}, sortedCreates(f.tools.commands()))
	a := f.user(t, "alice")
	assert.Equal(t, uidA, a.UID)
	assert.Equal(t, []string{"alice", "iam-synced-users", "docker"}, a.Groups)
	assert.True(t, a.Sudo)
	assert.False(t, a.Locked)
	assert.False(t, f.user(t, "bob.at.corp.com").Sudo)

	dropIn := filepath.Join(f.root, "etc", "sudoers.d", "iamkit-alice")
	fi, err := os.Lstat(dropIn)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o440), fi.Mode())
	data, err := os.ReadFile(dropIn)
	require.NoError(t, err)
	assert.Contains(t, string(data), "\nalice ALL=(ALL) NOPASSWD:ALL\n")
	entries, err := os.ReadDir(filepath.Join(f.root, "etc", "sudoers.d"))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	keys, err := f.sys.ReadKeys(context.Background(), "bob.at.corp.com")
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, canonical(t, bob.Keys[0]), keys[0])
	keyFile, err := os.Lstat(filepath.Join(f.root, "var", "lib", "iamkit", "keys", "bob.at.corp.com"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), keyFile.Mode())
	stateFile, err := os.Lstat(filepath.Join(f.root, "var", "lib", "iamkit", "state.json"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), stateFile.Mode())

	// Steady state: no process, no write.
	before := f.tree(t)
	f.tools.reset()
	p := mustRun(t, f.sys, complete(alice, bob), cfg)
	assert.True(t, p.Empty(), "plan:\n%s", p)
	assert.Empty(t, f.tools.commands(), "a no-op sync spawns no process")
	assert.Equal(t, before, f.tree(t), "a no-op sync writes nothing")

	// bob leaves IAM: keys gone and locked at once, sessions ended and the
	// account deleted on the second sync.
	f.tools.processes["bob.at.corp.com"] = true
	mustRun(t, f.sys, complete(alice), cfg)
	assert.Equal(t, []string{"usermod -L -e 1 -s /usr/sbin/nologin bob.at.corp.com"}, f.tools.commands())
	b := f.user(t, "bob.at.corp.com")
	assert.True(t, b.Locked)
	keys, err = f.sys.ReadKeys(context.Background(), "bob.at.corp.com")
	require.NoError(t, err)
	assert.Empty(t, keys)

	f.tools.reset()
	mustRun(t, f.sys, complete(alice), cfg)
	assert.Equal(t, []string{
		"pkill -HUP -u bob.at.corp.com",
		"pgrep -u bob.at.corp.com",
		"/usr/sbin/userdel --force --remove bob.at.corp.com",
	}, f.tools.commands())
	_, err = f.sys.LookupUser(context.Background(), "bob.at.corp.com")
	assert.ErrorIs(t, err, hostsync.ErrNoSuchUser)
	assert.False(t, f.tools.processes["bob.at.corp.com"])
	for _, l := range f.tools.file("group") {
		assert.NotContains(t, l[3], "bob", "bob is in no group any more")
	}

	// alice loses sudo, leaves, and comes back before her deletion.
	f.tools.reset()
	alice.Groups = []string{"devs"}
	mustRun(t, f.sys, complete(alice), cfg)
	assert.Empty(t, f.tools.commands(), "revoking sudo removes a file, spawns nothing")
	_, err = os.Lstat(dropIn)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	mustRun(t, f.sys, complete(), cfg)
	assert.True(t, f.user(t, "alice").Locked)
	f.tools.reset()
	mustRun(t, f.sys, complete(alice), cfg)
	assert.Equal(t, []string{`usermod -e  -s /bin/bash alice`}, f.tools.commands(), "unlocked: expiry cleared, shell restored")
	a = f.user(t, "alice")
	assert.False(t, a.Locked)
	assert.Equal(t, uidA, a.UID)
	sh := f.tools.file("shadow")
	assert.Equal(t, "!", sh[find(sh, "alice")][1])
	assert.Equal(t, "", sh[find(sh, "alice")][7])
	pw := f.tools.file("passwd")
	assert.Equal(t, "/bin/bash", pw[find(pw, "alice")][6])

	// The untouchables stay untouched.
	ec2 := f.user(t, "ec2-user")
	assert.Equal(t, []string{"ec2-user", "adm", "sudo"}, ec2.Groups)
}

// sortedCreates returns the commands with groupadds first, in order, and
// the others sorted, so that the test does not depend on the order Plan
// creates users in.
func sortedCreates(cmds []string) []string {
	var groupadds, rest []string
	for _, c := range cmds {
		if strings.HasPrefix(c, "groupadd ") {
			if !slices.Contains(groupadds, c) {
				groupadds = append(groupadds, c)
			}
			continue
		}
		rest = append(rest, c)
	}
	slices.Sort(rest)
	return append(groupadds, rest...)
}

func TestLinuxCreateUser(t *testing.T) {
	ctx := context.Background()
	t.Run("existing name: no process", func(t *testing.T) {
		f := newLinuxFixture(t, hostsync.Config{})
		err := f.sys.CreateUser(ctx, "ec2-user", 1_900_000_000, []string{"iam-synced-users"})
		assert.ErrorIs(t, err, hostsync.ErrUserExists)
		assert.Empty(t, f.tools.commands())
	})
	t.Run("taken UID: no process", func(t *testing.T) {
		f := newLinuxFixture(t, hostsync.Config{})
		err := f.sys.CreateUser(ctx, "alice", 1000, []string{"iam-synced-users"})
		assert.ErrorContains(t, err, "taken by local user \"ec2-user\"")
		assert.Empty(t, f.tools.commands())
	})
	t.Run("useradd says the name is taken", func(t *testing.T) {
		f := newLinuxFixture(t, hostsync.Config{})
		f.tools.exit["useradd"] = 9
		err := f.sys.CreateUser(ctx, "alice", 1_900_000_000, []string{"adm"})
		assert.ErrorIs(t, err, hostsync.ErrUserExists)
		var ce *hostsync.CommandError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, 9, ce.ExitCode())
	})
	t.Run("USERADD_ARGS groups are merged", func(t *testing.T) {
		f := newLinuxFixture(t, hostsync.Config{UseraddArgs: []string{"--create-home", "-G", "adm,video", "--shell=/bin/zsh"}})
		require.NoError(t, f.sys.CreateUser(ctx, "alice", 1_900_000_000, []string{"iam-synced-users", "adm"}))
		assert.Equal(t, []string{
			"groupadd iam-synced-users",
			"groupadd video",
			"/usr/sbin/useradd --create-home --shell=/bin/zsh --uid 1900000000 --groups iam-synced-users,adm,video --no-log-init alice",
		}, f.tools.commands())
		assert.ElementsMatch(t, []string{"iam-synced-users", "adm", "video"}, f.user(t, "alice").Groups)
	})
	t.Run("custom program ignores --groups", func(t *testing.T) {
		f := newLinuxFixture(t, hostsync.Config{UseraddProgram: "/usr/local/sbin/my-useradd"})
		f.tools.ignoreGroups = true
		require.NoError(t, f.sys.CreateUser(ctx, "alice", 1_900_000_000, []string{"iam-synced-users"}))
		assert.Equal(t, "usermod -a -G iam-synced-users alice", f.tools.commands()[len(f.tools.commands())-1])
		assert.True(t, f.user(t, "alice").MemberOf("iam-synced-users"))
	})
	t.Run("invalid input", func(t *testing.T) {
		f := newLinuxFixture(t, hostsync.Config{})
		assert.ErrorIs(t, f.sys.CreateUser(ctx, "-rf", 1_900_000_000, []string{"iam-synced-users"}), hostsync.ErrInvalidName)
		assert.Error(t, f.sys.CreateUser(ctx, "alice", 999, []string{"iam-synced-users"}))
		assert.Error(t, f.sys.CreateUser(ctx, "alice", 1_900_000_000, nil))
		assert.Error(t, f.sys.CreateUser(ctx, "alice", 1_900_000_000, []string{"bad group"}))
		assert.Empty(t, f.tools.commands())
	})
}

func TestLinuxAddGroups(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	ctx := context.Background()
	require.NoError(t, f.sys.AddGroups(ctx, "ec2-user", []string{"adm", "sudo"}))
	assert.Empty(t, f.tools.commands(), "already a member: nothing run")
	require.NoError(t, f.sys.AddGroups(ctx, "ec2-user", []string{"adm", "docker", "docker"}))
	assert.Equal(t, []string{"groupadd docker", "usermod -a -G docker ec2-user"}, f.tools.commands())
	assert.Equal(t, []string{"ec2-user", "adm", "sudo", "docker"}, f.user(t, "ec2-user").Groups, "no group removed")
	assert.ErrorIs(t, f.sys.AddGroups(ctx, "nosuch", []string{"adm"}), hostsync.ErrNoSuchUser)
}

func TestLinuxLockUnlock(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{UseraddArgs: []string{"-s", "/bin/zsh"}})
	ctx := context.Background()
	require.NoError(t, f.sys.CreateUser(ctx, "alice", 1_900_000_000, []string{"iam-synced-users"}))
	f.tools.reset()
	require.NoError(t, f.sys.Unlock(ctx, "alice"))
	assert.Empty(t, f.tools.commands(), "not locked: nothing to unlock")

	require.NoError(t, f.sys.Lock(ctx, "alice"))
	require.NoError(t, f.sys.Lock(ctx, "alice"))
	assert.Equal(t, []string{"usermod -L -e 1 -s /usr/sbin/nologin alice"}, f.tools.commands(), "locked once")
	assert.True(t, f.user(t, "alice").Locked)

	// A password set later is unlocked too.
	sh := f.tools.file("shadow")
	sh[find(sh, "alice")][1] = "!$6$hash"
	f.tools.write("shadow", sh)
	f.tools.reset()
	require.NoError(t, f.sys.Unlock(ctx, "alice"))
	require.NoError(t, f.sys.Unlock(ctx, "alice"))
	assert.Equal(t, []string{"usermod -U -e  -s /bin/zsh alice"}, f.tools.commands())
	assert.False(t, f.user(t, "alice").Locked)

	assert.ErrorIs(t, f.sys.Lock(ctx, "nosuch"), hostsync.ErrNoSuchUser)
	assert.ErrorIs(t, f.sys.Unlock(ctx, "nosuch"), hostsync.ErrNoSuchUser)
}

func TestLinuxEndSessions(t *testing.T) {
	tests := []struct {
		name      string
		logind    bool
		processes bool // the user has processes
		ignoreHUP bool // one of them survives SIGHUP
		pkillExit int  // pkill fails
		want      []string
		wantSlept time.Duration
		wantErr   bool
		wantAlive bool
	}{
		{name: "no process: pkill exits 1, which is fine", want: []string{"pkill -HUP -u ec2-user"}},
		{name: "SIGHUP ends them: the first check finds none, no SIGKILL", processes: true,
			want: []string{"pkill -HUP -u ec2-user", "pgrep -u ec2-user"}, wantSlept: hostsync.EndSessionsPoll},
		{name: "a process ignoring SIGHUP is killed after the grace period", processes: true, ignoreHUP: true,
			want: append(append([]string{"pkill -HUP -u ec2-user"},
				slices.Repeat([]string{"pgrep -u ec2-user"}, int(hostsync.EndSessionsGrace/hostsync.EndSessionsPoll))...),
				"pkill -KILL -u ec2-user"),
			wantSlept: hostsync.EndSessionsGrace},
		{name: "logind: loginctl first (its failure only logged)", logind: true,
			want: []string{"loginctl terminate-user ec2-user", "pkill -HUP -u ec2-user"}},
		{name: "pkill fails", processes: true, pkillExit: 3, want: []string{"pkill -HUP -u ec2-user"}, wantErr: true, wantAlive: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLinuxFixture(t, hostsync.Config{})
			ctx := context.Background()
			if tt.logind {
				require.NoError(t, os.MkdirAll(filepath.Join(f.root, "run", "systemd", "system"), 0o755))
			}
			f.tools.processes["ec2-user"] = tt.processes
			if tt.pkillExit != 0 {
				f.tools.exit["pkill"] = tt.pkillExit
			}
			run := f.sys.Run
			f.sys.Run = func(ctx context.Context, name string, args ...string) error {
				if tt.ignoreHUP && name == "pkill" && args[0] == "-HUP" && f.tools.processes[args[len(args)-1]] {
					f.tools.mu.Lock()
					f.tools.cmds = append(f.tools.cmds, name+" "+strings.Join(args, " "))
					f.tools.mu.Unlock()
					return nil // delivered, and ignored
				}
				return run(ctx, name, args...)
			}
			clk := f.sys.Clock.(*fakes.Clock)
			before := clk.Now()
			err := f.sys.EndSessions(ctx, "ec2-user")
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, f.tools.commands())
			assert.Equal(t, tt.wantSlept, clk.Now().Sub(before), "the grace period is waited on the clock")
			assert.Equal(t, tt.wantAlive, f.tools.processes["ec2-user"])
		})
	}
	f := newLinuxFixture(t, hostsync.Config{})
	assert.ErrorIs(t, f.sys.EndSessions(context.Background(), "nosuch"), hostsync.ErrNoSuchUser)

	// pkill -u matches the UID: a system account (root, or a UID-0 alias
	// such as toor) is refused before anything runs.
	f.tools.write("passwd", append(f.tools.file("passwd"), []string{"toor", "x", "0", "0", "", "/root", "/bin/sh"}))
	for _, name := range []string{"root", "toor", "daemon", "sshd"} {
		f.tools.reset()
		assert.ErrorIs(t, f.sys.EndSessions(context.Background(), name), hostsync.ErrNotManaged, name)
		assert.Empty(t, f.tools.commands(), name)
	}
}

func TestLinuxDelete(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{UserdelArgs: []string{"--remove"}})
	ctx := context.Background()
	require.NoError(t, f.sys.CreateUser(ctx, "alice", 1_900_000_000, []string{"iam-synced-users"}))
	require.NoError(t, f.sys.WriteKeys(ctx, "alice", []hostsync.Key{activeKey("alice")}))
	require.NoError(t, f.sys.GrantSudo(ctx, "alice"))
	f.tools.reset()

	f.tools.exit["userdel"] = 1
	require.Error(t, f.sys.Delete(ctx, "alice"))
	keys, err := f.sys.ReadKeys(ctx, "alice")
	require.NoError(t, err)
	assert.Empty(t, keys, "keys go first, even when userdel fails")
	assert.False(t, f.user(t, "alice").Sudo, "so does sudo")

	delete(f.tools.exit, "userdel")
	require.NoError(t, f.sys.Delete(ctx, "alice"))
	assert.Equal(t, "/usr/sbin/userdel --remove alice", f.tools.commands()[len(f.tools.commands())-1])
	assert.ErrorIs(t, f.sys.Delete(ctx, "alice"), hostsync.ErrNoSuchUser)

	// userdel's own "no such user".
	f.tools.exit["userdel"] = 6
	assert.ErrorIs(t, f.sys.Delete(ctx, "ec2-user"), hostsync.ErrNoSuchUser)
}

func TestLinuxSudo(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	ctx := context.Background()
	dir := filepath.Join(f.root, "etc", "sudoers.d")
	file := filepath.Join(dir, "iamkit-ec2-user")

	require.NoError(t, f.sys.GrantSudo(ctx, "ec2-user"))
	assert.Len(t, f.tools.commands(), 1)
	f.tools.reset()
	require.NoError(t, f.sys.GrantSudo(ctx, "ec2-user"))
	assert.Empty(t, f.tools.commands(), "same content: no visudo, no write")

	// visudo refuses: nothing installed, nothing left behind.
	require.NoError(t, f.sys.RevokeSudo(ctx, "ec2-user"))
	require.NoError(t, f.sys.RevokeSudo(ctx, "ec2-user"))
	f.tools.exit["visudo"] = 1
	err := f.sys.GrantSudo(ctx, "ec2-user")
	require.Error(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
	delete(f.tools.exit, "visudo")

	// A symlink planted under the drop-in's name is replaced, its target
	// untouched.
	target := filepath.Join(t.TempDir(), "target")
	require.NoError(t, os.WriteFile(target, []byte("keep\n"), 0o644))
	require.NoError(t, os.Symlink(target, file))
	require.NoError(t, f.sys.GrantSudo(ctx, "ec2-user"))
	fi, err := os.Lstat(file)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o440), fi.Mode())
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "keep\n", string(data))

	// A drop-in directory others may write is refused, by both.
	require.NoError(t, os.Chmod(dir, 0o777))
	assert.ErrorIs(t, f.sys.RevokeSudo(ctx, "ec2-user"), hostsync.ErrUnsafeCache)
	assert.ErrorIs(t, f.sys.GrantSudo(ctx, "ec2-user"), hostsync.ErrUnsafeCache)
	require.NoError(t, os.Chmod(dir, 0o750))

	// No drop-in directory: revoking is a no-op, granting fails.
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, f.sys.RevokeSudo(ctx, "ec2-user"))
	assert.Error(t, f.sys.GrantSudo(ctx, "ec2-user"))
	assert.ErrorIs(t, f.sys.GrantSudo(ctx, "nosuch"), hostsync.ErrNoSuchUser)
}

func TestLinuxState(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	ctx := context.Background()
	got, err := f.sys.LoadState(ctx)
	require.NoError(t, err)
	assert.Nil(t, got)

	require.NoError(t, f.sys.SaveState(ctx, []byte(`{"version":1}`)))
	path := filepath.Join(f.root, "var", "lib", "iamkit", "state.json")
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode())
	got, err = f.sys.LoadState(ctx)
	require.NoError(t, err)
	assert.Equal(t, `{"version":1}`, string(got))

	old := time.Unix(1_000_000, 0)
	require.NoError(t, os.Chtimes(path, old, old))
	require.NoError(t, f.sys.SaveState(ctx, []byte(`{"version":1}`)))
	fi, err = os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, fi.ModTime().Equal(old), "same state: not written")

	// A symlinked state file is refused.
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Symlink("/etc/passwd", path))
	_, err = f.sys.LoadState(ctx)
	assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)

	custom := &hostsync.Linux{StateFile: filepath.Join(t.TempDir(), "sub", "s.json")}
	require.NoError(t, custom.SaveState(ctx, []byte("x")))
	got, err = custom.LoadState(ctx)
	require.NoError(t, err)
	assert.Equal(t, "x", string(got))
}

func TestLinuxIsManaged(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{Reserved: []string{"keeper"}})
	ctx := context.Background()
	require.NoError(t, f.sys.CreateUser(ctx, "alice", 1_900_000_000, []string{"iam-synced-users"}))
	require.NoError(t, f.sys.CreateUser(ctx, "keeper", 1_900_000_001, []string{"iam-synced-users"}))
	for name, want := range map[string]bool{
		"alice": true, "ec2-user": false, "root": false, "keeper": false, "nosuch": false, "../x": false,
	} {
		got, err := f.sys.IsManaged(name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}
}

func TestRunCommand(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, hostsync.RunCommand(ctx, "true"))
	err := hostsync.RunCommand(ctx, "sh", "-c", "echo oops >&2; exit 3")
	var ce *hostsync.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 3, ce.ExitCode())
	assert.Equal(t, "oops\n", ce.Output)
	assert.Contains(t, err.Error(), "sh -c echo oops >&2; exit 3: exit status 3: oops")

	err = hostsync.RunCommand(ctx, "sh", "-c", "echo $PATH")
	require.NoError(t, err)
	err = hostsync.RunCommand(ctx, "sh", "-c", `test "$PATH" = /usr/sbin:/usr/bin:/sbin:/bin && test "$LC_ALL" = C`)
	assert.NoError(t, err, "fixed PATH and locale")

	err = hostsync.RunCommand(ctx, "no-such-program-iamkit")
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, -1, ce.ExitCode())

	big := hostsync.RunCommand(ctx, "sh", "-c", "yes | head -c 100000; exit 1")
	require.ErrorAs(t, big, &ce)
	assert.LessOrEqual(t, len(ce.Output), 4096)

	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	assert.Error(t, hostsync.RunCommand(cctx, "sleep", "10"))
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.False(t, errors.Is(big, context.Canceled))
}

// TestLinuxGrantSudoRealVisudo checks the drop-in with the real visudo, when
// there is one (IAMKIT_TEST_VISUDO, or visudo on PATH; CI installs sudo,
// and there a missing visudo fails the test).
func TestLinuxGrantSudoRealVisudo(t *testing.T) {
	visudo := os.Getenv("IAMKIT_TEST_VISUDO")
	if visudo == "" {
		p, err := exec.LookPath("visudo")
		if err != nil {
			testenv.Skip(t, "no visudo (install sudo, or set IAMKIT_TEST_VISUDO)")
		}
		visudo = p
	}
	f := newLinuxFixture(t, hostsync.Config{})
	f.sys.Run = nil // the real RunCommand
	f.sys.Visudo = visudo
	ctx := context.Background()
	require.NoError(t, f.sys.GrantSudo(ctx, "ec2-user"))
	fi, err := os.Lstat(filepath.Join(f.root, "etc", "sudoers.d", "iamkit-ec2-user"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o440), fi.Mode())
	assert.True(t, f.user(t, "ec2-user").Sudo)
}

func TestLinuxReadKeysRepairsEntry(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	ctx := context.Background()
	k := activeKey("ec2-user")
	require.NoError(t, f.sys.WriteKeys(ctx, "ec2-user", []hostsync.Key{k}))
	path := filepath.Join(f.root, "var", "lib", "iamkit", "keys", "ec2-user")
	require.NoError(t, os.WriteFile(path, []byte("garbage\n"), 0o644))
	keys, err := f.sys.ReadKeys(ctx, "ec2-user")
	require.NoError(t, err, "a corrupt entry reads as none, so that the sync rewrites it")
	assert.Empty(t, keys)
	require.NoError(t, os.Chown(path, 65534, 65534))
	keys, err = f.sys.ReadKeys(ctx, "ec2-user")
	require.NoError(t, err)
	assert.Empty(t, keys)
	require.NoError(t, f.sys.WriteKeys(ctx, "ec2-user", []hostsync.Key{k}))
	keys, err = f.sys.ReadKeys(ctx, "ec2-user")
	require.NoError(t, err)
	assert.Len(t, keys, 1)

	// An unsafe directory stays an error.
	require.NoError(t, os.Chmod(filepath.Dir(path), 0o777))
	_, err = f.sys.ReadKeys(ctx, "ec2-user")
	assert.ErrorIs(t, err, hostsync.ErrUnsafeCache)
}

// TestLinuxRevokeSudoUntrustedDir checks that RevokeSudo refuses a drop-in
// directory GrantSudo would refuse, and removes nothing through it.
func TestLinuxRevokeSudoUntrustedDir(t *testing.T) {
	tests := []struct {
		name string
		// spoil makes dir (holding the drop-in) untrusted; it returns the
		// directory whose drop-in must survive.
		spoil func(t *testing.T, dir string) string
	}{
		{"symlinked directory", func(t *testing.T, dir string) string {
			elsewhere := filepath.Join(t.TempDir(), "sudoers.d")
			require.NoError(t, os.Rename(dir, elsewhere))
			require.NoError(t, os.Symlink(elsewhere, dir))
			return elsewhere
		}},
		{"world-writable directory", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chmod(dir, 0o777))
			return dir
		}},
		{"directory not owned by root", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chown(dir, 4242, 4242))
			return dir
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLinuxFixture(t, hostsync.Config{})
			ctx := context.Background()
			dir := filepath.Join(f.root, "etc", "sudoers.d")
			require.NoError(t, f.sys.GrantSudo(ctx, "ec2-user"))
			kept := filepath.Join(tt.spoil(t, dir), hostsync.SudoersFileName("ec2-user"))

			err := f.sys.RevokeSudo(ctx, "ec2-user")
			require.ErrorIs(t, err, hostsync.ErrUnsafeCache)
			assert.ErrorIs(t, f.sys.GrantSudo(ctx, "ec2-user"), hostsync.ErrUnsafeCache, "the same check as GrantSudo")
			_, err = os.Lstat(kept)
			assert.NoError(t, err, "nothing removed through an untrusted directory")
		})
	}
}

func TestLinuxListGroups(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	groups, err := f.sys.ListGroups(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"root", "daemon", "adm", "sudo", "nogroup", "ec2-user"}, groups, "malformed lines skipped")

	// A memberless group blocks creating an account of that name.
	gr := filepath.Join(f.root, "etc", "group")
	data, err := os.ReadFile(gr)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(gr, append(data, "builders:x:1500:\n"...), 0o644))
	hs, err := hostsync.LoadHostState(context.Background(), f.sys, hostsync.Config{})
	require.NoError(t, err)
	assert.Contains(t, hs.Groups, "builders")
	p := hostsync.Plan(hostsync.Desired{Complete: true, Users: []hostsync.DesiredUser{user("AIDA1", "builders")}}, hs, hostsync.Config{})
	assert.Empty(t, p.Actions)
	assert.Contains(t, skipReason(p, "builders"), `a local group "builders" exists`)

	_, err = (&hostsync.Linux{Root: t.TempDir()}).ListGroups(context.Background())
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
