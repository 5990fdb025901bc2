//go:build linux

package hostsync_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
)

// e2eDropIn is the sshd drop-in hostsync ships: the end-to-end test runs
// its AuthorizedKeysCommand's arguments.
const e2eDropIn = "../examples/hostsync/sshd/50-iamkit-hostsync.conf"

// buildE2EBinaries builds, as shipped (CGO_ENABLED=0, static),
// examples/hostsync-keys, sshd's AuthorizedKeysCommand, and
// examples/hostsyncd. It returns the keys command, the arguments the
// shipped drop-in gives it ("%u %f") and the daemon.
func buildE2EBinaries(t *testing.T, goTool string) (keysCmd, keysArgs, daemon string) {
	t.Helper()
	dir := t.TempDir()
	build := func(name string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command(goTool, "build", "-o", out, "./examples/"+name)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "go build ./examples/%s:\n%s", name, b)
		return out
	}
	keysCmd, daemon = build("hostsync-keys"), build("hostsyncd")
	bin, args := shippedKeysCommand(t)
	require.Equal(t, "/usr/local/bin/hostsync-keys", bin, "the shipped drop-in runs hostsync-keys")
	return keysCmd, args, daemon
}

// shippedKeysCommand returns the binary and the arguments of the first
// AuthorizedKeysCommand line of the shipped drop-in (the one sshd uses).
func shippedKeysCommand(t *testing.T) (string, string) {
	t.Helper()
	f, err := os.Open(e2eDropIn)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && strings.EqualFold(fields[0], "AuthorizedKeysCommand") {
			return fields[1], strings.Join(fields[2:], " ")
		}
	}
	require.NoError(t, sc.Err())
	t.Fatalf("%s has no AuthorizedKeysCommand", e2eDropIn)
	return "", ""
}

// renamedIAM is IAM as it answers after UpdateUser renamed the user from
// to to: the same user (same UserId, keys and groups) under the new name;
// the old name is gone. The fake account has no UpdateUser, so the
// renaming is done at the API: every IAMAPI call IAMSource makes.
type renamedIAM struct {
	iamsource.IAMAPI
	from, to string
}

func (r renamedIAM) in(name *string) *string {
	switch aws.ToString(name) {
	case r.from:
		return aws.String(r.from + ".gone") // the old name names no user
	case r.to:
		return aws.String(r.from)
	}
	return name
}

func (r renamedIAM) users(us []types.User) []types.User {
	out := make([]types.User, len(us))
	for i, u := range us {
		if aws.ToString(u.UserName) == r.from {
			u.UserName = aws.String(r.to)
			u.Arn = aws.String(strings.TrimSuffix(aws.ToString(u.Arn), r.from) + r.to)
		}
		out[i] = u
	}
	return out
}

func (r renamedIAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, opts ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	out, err := r.IAMAPI.ListUsers(ctx, in, opts...)
	if err == nil {
		c := *out
		c.Users = r.users(out.Users)
		out = &c
	}
	return out, err
}

func (r renamedIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, opts ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	out, err := r.IAMAPI.GetGroup(ctx, in, opts...)
	if err == nil {
		c := *out
		c.Users = r.users(out.Users)
		out = &c
	}
	return out, err
}

func (r renamedIAM) ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, opts ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error) {
	c := *in
	c.UserName = r.in(in.UserName)
	out, err := r.IAMAPI.ListSSHPublicKeys(ctx, &c, opts...)
	if err == nil {
		o := *out
		o.SSHPublicKeys = nil
		for _, k := range out.SSHPublicKeys {
			if aws.ToString(k.UserName) == r.from {
				k.UserName = aws.String(r.to)
			}
			o.SSHPublicKeys = append(o.SSHPublicKeys, k)
		}
		out = &o
	}
	return out, err
}

func (r renamedIAM) GetSSHPublicKey(ctx context.Context, in *iam.GetSSHPublicKeyInput, opts ...func(*iam.Options)) (*iam.GetSSHPublicKeyOutput, error) {
	c := *in
	c.UserName = r.in(in.UserName)
	out, err := r.IAMAPI.GetSSHPublicKey(ctx, &c, opts...)
	if err == nil && out.SSHPublicKey != nil && aws.ToString(out.SSHPublicKey.UserName) == r.from {
		k := *out.SSHPublicKey
		k.UserName = aws.String(r.to)
		o := *out
		o.SSHPublicKey = &k
		out = &o
	}
	return out, err
}

func (r renamedIAM) ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, opts ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	c := *in
	c.UserName = r.in(in.UserName)
	return r.IAMAPI.ListGroupsForUser(ctx, &c, opts...)
}

func (r renamedIAM) GetUser(ctx context.Context, in *iam.GetUserInput, opts ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	c := *in
	c.UserName = r.in(in.UserName)
	out, err := r.IAMAPI.GetUser(ctx, &c, opts...)
	if err == nil && out.User != nil {
		o := *out
		u := r.users([]types.User{*out.User})[0]
		o.User = &u
		out = &o
	}
	return out, err
}

// waitNoProcesses waits, up to a deadline, until no process runs as uid:
// sshd's session processes of a closed connection end shortly after the
// client is gone, and usermod refuses to rename a user with processes.
func waitNoProcesses(t *testing.T, uid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := processesOf(t, uid)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of UID %d still running: %v", uid, pids)
		}
		// Processes end on their own, with no signal to wait on: look
		// again shortly.
		<-time.After(10 * time.Millisecond)
	}
}

// processesOf lists the processes whose real UID is uid.
func processesOf(t *testing.T, uid int) []string {
	ents, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var out []string
	want := "Uid:\t" + strconv.Itoa(uid) + "\t"
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue // gone meanwhile
		}
		if strings.Contains(string(status), want) {
			out = append(out, e.Name())
		}
	}
	return out
}

// sudoList is what the real sudo says user may run (sudo -l -U, as root).
func sudoList(user string) string {
	out, _ := exec.Command(e2eSudo, "-n", "-l", "-U", user).CombinedOutput()
	return string(out)
}

// runHostsyncd runs the built hostsyncd --once, as its systemd unit does
// (the shipped configuration and state paths), against the account served
// at endpoint with the credentials given, and returns its log.
func runHostsyncd(ctx context.Context, t *testing.T, endpoint, region, keyID, secret string) string {
	t.Helper()
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_REGION="+region,
		"AWS_ACCESS_KEY_ID="+keyID,
		"AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	cmd := exec.CommandContext(ctx, os.Getenv(e2eHostsyncd), "--once", "--config", hostsync.DefaultConfigFile, "--state-dir", e2eStateDir)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "hostsyncd --once:\n%s", out)
	return string(out)
}
