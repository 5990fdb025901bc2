//go:build linux

package hostsync_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/fakes/server"
	"github.com/iamkit/iamkit/internal/testenv"
)

// The end-to-end tests run the real Linux System — the real useradd,
// usermod, userdel, visudo — inside a private mount namespace with its own
// copy of /etc and its own /home, /var/lib, /var/log, /var/mail and /run, so
// the machine's users are never touched:
//
//   - TestE2ESSHLogin: a real sshd on 127.0.0.1 whose AuthorizedKeysCommand
//     is the shipped one (examples/hostsync-keys, built static as shipped,
//     with the shipped drop-in's arguments) answering from the key cache
//     that Sync fills; it covers keys, sudo (the real visudo and sudo), a
//     rename, offboarding and one run of the built hostsyncd --once
//     against the account served over the wire;
//   - TestE2ESystem (e2e_system_test.go): iamkittest.TestSystem against
//     hostsync.Linux.
//
// Each test, run normally, is the parent: it checks the prerequisites
// (e2ePrereqs), re-executes the test binary running only itself, with
// e2eChildEnv naming it, in a new mount namespace (runE2EChild), and checks
// afterwards that the machine's account databases, sudoers drop-ins, /home
// and state directory did not change. In the child, the same test function
// does the work. On a developer's machine a missing prerequisite (root,
// sshd, the shadow tools, visudo, sudo, a mount namespace) or -short skips;
// under CI=true it fails (internal/testenv).
const (
	e2eChildEnv  = "IAMKIT_E2E_CHILD"
	e2eParentNS  = "IAMKIT_E2E_PARENT_MNTNS"
	e2eKeysCmd   = "IAMKIT_E2E_KEYS_CMD"
	e2eKeysArgs  = "IAMKIT_E2E_KEYS_ARGS"
	e2eHostsyncd = "IAMKIT_E2E_HOSTSYNCD"
	e2eSshd      = "/usr/sbin/sshd"
	e2eSudo      = "/usr/bin/sudo"
	e2eStateDir  = "/var/lib/iamkit"
	e2eKeysPath  = "/var/lib/iamkit/bin/keys-command"
	e2eUserIAM   = "alice"
	e2eUserLinux = "alice"
	e2eBob       = "bob"
	e2eRobert    = "robert"
	e2eCarol     = "carol"
	e2eSudoGroup = "admins"
)

// e2eHostFiles are the machine's files the parent checks are unchanged.
var e2eHostFiles = []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/subuid", "/etc/subgid", "/etc/sudoers", hostsync.DefaultConfigFile}

// e2eHostDirs are the machine's directories whose entries (and, for
// regular files, contents) the parent checks are unchanged.
var e2eHostDirs = []string{"/etc/sudoers.d"}

// e2eChild reports whether this process is the child of the parent test
// named name.
func e2eChild(name string) bool { return os.Getenv(e2eChildEnv) == name }

// e2ePrereqs checks what every end-to-end test needs, and the extra
// programs given: it skips the test when something is missing (fails it
// under CI=true). It returns the go command.
func e2ePrereqs(t *testing.T, programs ...string) string {
	t.Helper()
	if testing.Short() {
		testenv.Skip(t, "end-to-end test in a private mount namespace: skipped in -short mode")
	}
	testenv.RequireRoot(t, "useradd in a private mount namespace")
	for _, p := range append([]string{"/usr/sbin/useradd", "/usr/sbin/usermod", "/usr/sbin/userdel", "/usr/sbin/groupadd"}, programs...) {
		if _, err := os.Stat(p); err != nil {
			testenv.Skipf(t, "end-to-end test: no %s (.ci/run installs the packages the tests need)", p)
		}
	}
	probe := exec.Command("/bin/true")
	probe.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	if err := probe.Run(); err != nil {
		testenv.Skipf(t, "end-to-end test: cannot unshare a mount namespace here: %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		testenv.Skip(t, "end-to-end test: no go command")
	}
	return goTool
}

// runE2EChild re-executes the test binary running only the current test, as
// the child (e2eChild is true there), in a new mount namespace, with env
// added to its environment. It fails the test when the child fails, and
// checks that the machine's account databases, sudoers drop-ins, /home and
// state directory are as they were before. It returns the child's output.
func runE2EChild(t *testing.T, timeout time.Duration, env ...string) string {
	t.Helper()
	parentNS, err := os.Readlink("/proc/self/ns/mnt")
	require.NoError(t, err)
	before := hashHostFiles(t)
	homeBefore := listDir(t, "/home")
	_, stateErrBefore := os.Lstat(e2eStateDir)

	ctx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
	defer cancel()
	name := t.Name()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+regexp.QuoteMeta(name)+"$", "-test.v", "-test.count=1", "-test.timeout="+timeout.String())
	child.Env = append(os.Environ(), append([]string{e2eChildEnv + "=" + name, e2eParentNS + "=" + parentNS}, env...)...)
	child.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := child.CombinedOutput()
	t.Logf("child (private mount namespace) output:\n%s", out)
	require.NoError(t, err, "the end-to-end child failed")
	require.Contains(t, string(out), "--- PASS: "+name, "the child ran the test")

	assert.Equal(t, before, hashHostFiles(t), "the machine's account databases and sudoers drop-ins are unchanged")
	assert.Equal(t, homeBefore, listDir(t, "/home"), "the machine's /home is unchanged")
	_, stateErrAfter := os.Lstat(e2eStateDir)
	assert.Equal(t, stateErrBefore == nil, stateErrAfter == nil, "the machine's %s is unchanged", e2eStateDir)
	return string(out)
}

// enterE2ENamespace is the child's start: it refuses to go on outside a
// private mount namespace, makes the mounts private and isolates the host
// (isolateHost).
func enterE2ENamespace(t *testing.T) {
	t.Helper()
	ns, err := os.Readlink("/proc/self/ns/mnt")
	require.NoError(t, err)
	parentNS := os.Getenv(e2eParentNS)
	if parentNS == "" || ns == parentNS {
		t.Fatalf("not in a private mount namespace (%s, parent %s): refusing to touch the host", ns, parentNS)
	}
	require.NoError(t, syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""), "making / private")
	isolateHost(t)
}

func TestE2ESSHLogin(t *testing.T) {
	if e2eChild(t.Name()) {
		e2eSSHLoginChild(t)
		return
	}
	goTool := e2ePrereqs(t, e2eSshd, hostsync.DefaultVisudo, e2eSudo)
	keysCmd, keysArgs, daemon := buildE2EBinaries(t, goTool)
	runE2EChild(t, 80*time.Second, e2eKeysCmd+"="+keysCmd, e2eKeysArgs+"="+keysArgs, e2eHostsyncd+"="+daemon)
}

// hashHostFiles hashes the machine's account databases and sudoers
// drop-ins.
func hashHostFiles(t *testing.T) map[string]string {
	out := map[string]string{}
	hash := func(p string) {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			out[p] = "missing"
			return
		}
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		out[p] = hex.EncodeToString(sum[:])
	}
	for _, p := range e2eHostFiles {
		hash(p)
	}
	for _, dir := range e2eHostDirs {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			out[dir+"/"] = "missing"
			continue
		}
		require.NoError(t, err)
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if e.Type().IsRegular() {
				hash(p)
			} else {
				out[p] = e.Type().String()
			}
		}
	}
	return out
}

func listDir(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// e2eSSHLoginChild is TestE2ESSHLogin proper, run in the child.
func e2eSSHLoginChild(t *testing.T) {
	enterE2ENamespace(t)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// The AuthorizedKeysCommand and sshd's files live on a root-owned path,
	// as sshd demands.
	keysCmd := installKeysCommand(t)
	hostKey, hostPub := writeHostKey(t)

	// The fake account: alice with two ed25519 keys.
	acct := fakes.NewAccount()
	api := acct.IAM()
	_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(e2eUserIAM)})
	require.NoError(t, err)
	laptop, laptopID := uploadKey(ctx, t, api, "laptop")
	desktop, _ := uploadKey(ctx, t, api, "desktop")
	// bob, in the IAM group that grants sudo.
	for _, in := range []func() error{
		func() error {
			_, err := api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(e2eSudoGroup)})
			return err
		},
		func() error {
			_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(e2eBob)})
			return err
		},
		func() error {
			_, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(e2eSudoGroup), UserName: aws.String(e2eBob)})
			return err
		},
	} {
		require.NoError(t, in())
	}
	bobKey, _ := uploadKeyFor(ctx, t, api, e2eBob, "bob")

	cfg := hostsync.DefaultConfig()
	cfg.SudoersGroups = []string{e2eSudoGroup}
	var iamAPI iamsource.IAMAPI = api
	sd := hostsync.StateDir{Root: e2eStateDir}
	sys := sd.Linux(cfg, log)
	syncOnce := func(what string) hostsync.SyncPlan {
		t.Helper()
		src := iamsource.NewIAMSource(iamAPI, cfg)
		start := time.Now()
		p, r, err := hostsync.Sync(ctx, src, sys, cfg, hostsync.WithLogger(log))
		require.NoError(t, err, "%s:\n%s\n%s", what, p, r)
		last, err := sd.KeyCache().LastSync()
		require.NoError(t, err, "Sync records the heartbeat itself")
		assert.False(t, last.Before(start.Truncate(time.Second)), "%s: heartbeat %s, sync started %s", what, last, start)
		t.Logf("%s:\n%s%s", what, p, r)
		return p
	}

	// 1. First sync: the account exists, in the marker group, with a
	// hashed UID, and the key cache holds both keys.
	syncOnce("first sync")
	u, err := sys.LookupUser(ctx, e2eUserLinux)
	require.NoError(t, err)
	assert.True(t, u.MemberOf(hostsync.DefaultMarkerGroup))
	assert.GreaterOrEqual(t, u.UID, hostsync.DefaultUIDMin)
	_, err = os.Stat("/home/" + e2eUserLinux)
	require.NoError(t, err, "useradd created the home in the namespace's /home")

	sshd := startSshd(t, hostKey, keysCmd)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sshd log:\n%s", sshd.log())
		}
	})

	// alice logs in with either key, through the AuthorizedKeysCommand.
	out, err := sshRun(sshd.addr, hostPub, e2eUserLinux, laptop, "id -un")
	require.NoError(t, err, "login with the laptop key\nsshd:\n%s", sshd.log())
	assert.Equal(t, e2eUserLinux+"\n", out)
	out, err = sshRun(sshd.addr, hostPub, e2eUserLinux, desktop, "id -un")
	require.NoError(t, err, "login with the desktop key\nsshd:\n%s", sshd.log())
	assert.Equal(t, e2eUserLinux+"\n", out)

	// A no-op sync changes nothing.
	p := syncOnce("steady-state sync")
	assert.True(t, p.Empty(), "steady state: empty plan")

	// 2. The laptop key is deactivated in IAM: after a sync, that key is
	// refused and the other one still works.
	_, err = api.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: aws.String(e2eUserIAM), SSHPublicKeyId: aws.String(laptopID), Status: types.StatusTypeInactive})
	require.NoError(t, err)
	_, err = sshRun(sshd.addr, hostPub, e2eUserLinux, laptop, "id -un")
	require.NoError(t, err, "the cache answers until the next sync")
	syncOnce("sync after deactivating the laptop key")
	_, err = sshRun(sshd.addr, hostPub, e2eUserLinux, laptop, "id -un")
	require.Error(t, err, "a deactivated key is refused")
	assert.Contains(t, err.Error(), "unable to authenticate")
	laptopFP := ssh.FingerprintSHA256(laptop.PublicKey())
	refused := regexp.MustCompile(`Failed publickey for ` + e2eUserLinux + ` from 127\.0\.0\.1 port \d+ ssh2: ED25519 ` + regexp.QuoteMeta(laptopFP))
	assert.Eventually(t, func() bool { return refused.MatchString(sshd.log()) }, 5*time.Second, 10*time.Millisecond,
		"sshd itself refused the laptop key: the AuthorizedKeysCommand no longer lists it")
	out, err = sshRun(sshd.addr, hostPub, e2eUserLinux, desktop, "id -un")
	require.NoError(t, err, "the active key still works\nsshd:\n%s", sshd.log())
	assert.Equal(t, e2eUserLinux+"\n", out)

	// 3. Sudo, with the real visudo checking the drop-in and the real sudo
	// reading it: bob, in the sudoers group, runs sudo without a password
	// from his SSH session; dropped from the group, he no longer can.
	out, err = sshRun(sshd.addr, hostPub, e2eBob, bobKey, "sudo -n true && echo root-ok; echo kept > note.txt")
	require.NoError(t, err, "bob's sudo through SSH: %s\nsshd:\n%s", out, sshd.log())
	assert.Equal(t, "root-ok\n", out)
	assert.Contains(t, sudoList(e2eBob), "NOPASSWD: ALL", "sudo -l: bob's NOPASSWD rule")
	_, err = api.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String(e2eSudoGroup), UserName: aws.String(e2eBob)})
	require.NoError(t, err)
	syncOnce("sync after dropping bob from the sudoers group")
	assert.NotContains(t, sudoList(e2eBob), "NOPASSWD", "sudo -l: no rule left for bob")
	out, err = sshRun(sshd.addr, hostPub, e2eBob, bobKey, "sudo -n true")
	require.Error(t, err, "bob's sudo is gone: %s", out)
	assert.Contains(t, out, "sudo", "sudo itself refused")

	// 4. hostsyncd --once, the shipped daemon over the wire: carol, new in
	// IAM, is created and logs in through hostsync-keys.
	require.NoError(t, os.WriteFile(hostsync.DefaultConfigFile, []byte("SUDOERS_GROUPS=\""+e2eSudoGroup+"\"\n"), 0o644))
	_, err = api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(e2eCarol)})
	require.NoError(t, err)
	carolKey, _ := uploadKeyFor(ctx, t, api, e2eCarol, "carol")
	srv, err := server.Start(acct, "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	keyID, secret := acct.RootAccessKey()
	listsBefore := acct.Calls("iam:ListUsers")
	daemonLog := runHostsyncd(ctx, t, srv.URL(), acct.Region(), keyID, secret)
	t.Logf("hostsyncd --once:\n%s", daemonLog)
	assert.Greater(t, acct.Calls("iam:ListUsers"), listsBefore, "hostsyncd read IAM over the wire")
	cu, err := sys.LookupUser(ctx, e2eCarol)
	require.NoError(t, err, "hostsyncd created carol")
	assert.True(t, cu.MemberOf(hostsync.DefaultMarkerGroup))
	out, err = sshRun(sshd.addr, hostPub, e2eCarol, carolKey, "id -un")
	require.NoError(t, err, "carol logs in\nsshd:\n%s", sshd.log())
	assert.Equal(t, e2eCarol+"\n", out)
	assert.True(t, syncOnce("sync after hostsyncd").Empty(), "hostsyncd left the host converged")

	// 5. bob is renamed robert in IAM (same user ID): after a sync,
	// robert logs in with the same key into the same home, and bob is
	// refused.
	bu, err := sys.LookupUser(ctx, e2eBob)
	require.NoError(t, err)
	waitNoProcesses(t, bu.UID)
	iamAPI = renamedIAM{IAMAPI: api, from: e2eBob, to: e2eRobert}
	syncOnce("sync after renaming bob to robert")
	ru, err := sys.LookupUser(ctx, e2eRobert)
	require.NoError(t, err, "renamed")
	assert.Equal(t, bu.UID, ru.UID, "same account")
	_, err = sys.LookupUser(ctx, e2eBob)
	assert.ErrorIs(t, err, hostsync.ErrNoSuchUser)
	out, err = sshRun(sshd.addr, hostPub, e2eRobert, bobKey, "id -un; pwd; cat note.txt")
	require.NoError(t, err, "robert logs in with bob's key\nsshd:\n%s", sshd.log())
	assert.Equal(t, e2eRobert+"\n/home/"+e2eRobert+"\nkept\n", out, "the home moved with its content")
	_, err = sshRun(sshd.addr, hostPub, e2eBob, bobKey, "id -un")
	require.Error(t, err, "the old name is refused")

	// 6. alice is offboarded: locked (keys gone) on the first sync, which
	// also ends her live SSH session (EndSessionsOnLock, on by default),
	// deleted on the second.
	live := startLiveSession(t, sshd.addr, hostPub, e2eUserLinux, desktop)
	for _, id := range listKeyIDs(ctx, t, api) {
		_, err := api.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String(e2eUserIAM), SSHPublicKeyId: aws.String(id)})
		require.NoError(t, err)
	}
	_, err = api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(e2eUserIAM)})
	require.NoError(t, err)

	live.requireOpen(t, "before the sync")
	syncOnce("first sync after offboarding")
	live.requireEnded(t, 20*time.Second, "first sync after offboarding")
	u, err = sys.LookupUser(ctx, e2eUserLinux)
	require.NoError(t, err, "not deleted yet: the grace period")
	assert.True(t, u.Locked)
	assert.Contains(t, readFile(t, "/etc/passwd"), e2eUserLinux+":")
	_, err = sshRun(sshd.addr, hostPub, e2eUserLinux, desktop, "id -un")
	require.Error(t, err, "an offboarded user is refused")

	syncOnce("second sync after offboarding")
	_, err = sys.LookupUser(ctx, e2eUserLinux)
	assert.ErrorIs(t, err, hostsync.ErrNoSuchUser)
	assert.NotContains(t, readFile(t, "/etc/passwd"), "\n"+e2eUserLinux+":")
	assert.NotContains(t, readFile(t, "/etc/shadow"), "\n"+e2eUserLinux+":")
	_, err = os.Stat("/home/" + e2eUserLinux)
	assert.ErrorIs(t, err, os.ErrNotExist, "userdel --remove took the home")
	_, err = os.Lstat(filepath.Join(e2eStateDir, "keys", e2eUserLinux))
	assert.ErrorIs(t, err, os.ErrNotExist, "no key cache entry left")
	_, err = sshRun(sshd.addr, hostPub, e2eUserLinux, desktop, "id -un")
	require.Error(t, err)

	// The AuthorizedKeysCommand was used: sshd logged the accepted key
	// found through it.
	assert.Contains(t, sshd.log(), "Accepted publickey for "+e2eUserLinux)
}

// isolateHost gives the namespace its own /etc (a copy), /home, /var/lib,
// /var/log, /var/mail and /run, and checks that /etc is the copy.
func isolateHost(t *testing.T) {
	etcCopy := filepath.Join(t.TempDir(), "etc")
	cp := exec.Command("cp", "-a", "/etc", etcCopy)
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("copying /etc: %v\n%s", err, out)
	}
	marker := ".iamkit-e2e-" + strconv.Itoa(os.Getpid())
	require.NoError(t, os.WriteFile(filepath.Join(etcCopy, marker), nil, 0o600))
	require.NoError(t, syscall.Mount(etcCopy, "/etc", "", syscall.MS_BIND, ""), "bind-mounting the copy of /etc")
	if _, err := os.Stat(filepath.Join("/etc", marker)); err != nil {
		t.Fatalf("/etc is not the copy after the bind mount: refusing to go on: %v", err)
	}
	for _, dir := range []string{"/home", "/var/lib", "/var/log", "/var/mail", "/run"} {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755"), "tmpfs on %s", dir)
	}
	for _, dir := range []string{"/run/sshd", e2eStateDir, filepath.Dir(e2eKeysPath)} {
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	// A minimal PAM stack for sshd: the account check (pam_unix: expired
	// accounts are refused) and nothing that reaches outside the namespace
	// (no pam_systemd, no pam_loginuid).
	require.NoError(t, os.WriteFile("/etc/pam.d/sshd", []byte(
		"auth required pam_deny.so\naccount required pam_unix.so\nsession required pam_permit.so\npassword required pam_deny.so\n"), 0o644))
}

// installKeysCommand copies the AuthorizedKeysCommand built by the parent
// to a root-owned path and returns sshd's command line for it.
func installKeysCommand(t *testing.T) string {
	data, err := os.ReadFile(os.Getenv(e2eKeysCmd))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(e2eKeysPath, data, 0o755))
	line := e2eKeysPath
	if args := os.Getenv(e2eKeysArgs); args != "" {
		line += " " + args
	}
	return line
}

func writeHostKey(t *testing.T) (string, ssh.PublicKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "iamkit e2e host key")
	require.NoError(t, err)
	path := filepath.Join(e2eStateDir, "e2e_host_ed25519_key")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	sshPub, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return path, sshPub
}

// uploadKey generates an ed25519 key for alice and uploads it to IAM.
func uploadKey(ctx context.Context, t *testing.T, api *fakes.IAM, comment string) (ssh.Signer, string) {
	return uploadKeyFor(ctx, t, api, e2eUserIAM, comment)
}

// uploadKeyFor generates an ed25519 key for the IAM user and uploads it.
func uploadKeyFor(ctx context.Context, t *testing.T, api *fakes.IAM, user, comment string) (ssh.Signer, string) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	body := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + comment
	out, err := api.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyBody: aws.String(body)})
	require.NoError(t, err)
	return signer, aws.ToString(out.SSHPublicKey.SSHPublicKeyId)
}

func listKeyIDs(ctx context.Context, t *testing.T, api *fakes.IAM) []string {
	out, err := api.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String(e2eUserIAM)})
	require.NoError(t, err)
	var ids []string
	for _, k := range out.SSHPublicKeys {
		ids = append(ids, aws.ToString(k.SSHPublicKeyId))
	}
	return ids
}

type sshdProc struct {
	addr string
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (s *sshdProc) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *sshdProc) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// startSshd starts sshd on a free port of 127.0.0.1 with the
// AuthorizedKeysCommand and waits until it answers.
func startSshd(t *testing.T, hostKey, keysCmd string) *sshdProc {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	config := strings.Join([]string{
		"HostKey " + hostKey,
		"PidFile none",
		"AuthorizedKeysFile none",
		"AuthorizedKeysCommand " + keysCmd,
		// nobody can read the key cache (0755 directory, 0644 files) and
		// /etc/passwd and /etc/group for the marker check, and nothing
		// else: the command never needs root.
		"AuthorizedKeysCommandUser nobody",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM yes",
		"PermitRootLogin no",
		"StrictModes yes",
		"UseDNS no",
		"PrintMotd no",
		"PrintLastLog no",
		"MaxAuthTries 3",
		"LogLevel VERBOSE",
		"",
	}, "\n")
	cfgPath := filepath.Join(e2eStateDir, "e2e_sshd_config")
	require.NoError(t, os.WriteFile(cfgPath, []byte(config), 0o600))

	s := &sshdProc{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	cmd := exec.Command(e2eSshd, "-D", "-e", "-f", cfgPath, "-p", strconv.Itoa(port), "-o", "ListenAddress=127.0.0.1")
	cmd.Stdout, cmd.Stderr = s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start: %v\n%s", err, s.log())
		}
		// sshd is a real process with no readiness signal: wait for it to
		// exit or for the next connection attempt, whichever comes first.
		select {
		case werr := <-exited:
			exited <- werr
			t.Fatalf("sshd exited: %v\n%s", werr, s.log())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// sshRun logs in as user with key and runs cmd, returning its output.
func sshRun(addr string, hostKey ssh.PublicKey, user string, key ssh.Signer, cmd string) (string, error) {
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
		Timeout:         10 * time.Second,
	})
	if err != nil {
		return "", err
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer sess.Close()
	out, err := sess.CombinedOutput(cmd)
	return string(out), err
}

func readFile(t *testing.T, p string) string {
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	return "\n" + string(data)
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = testWriter{}
