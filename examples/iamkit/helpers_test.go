package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
)

// env is the CLI wired to one fake account, with captured output.
type env struct {
	t              *testing.T
	acct           *fakes.Account
	a              *app
	stdin          *strings.Reader
	stdout, stderr *bytes.Buffer
	iamBuilt       int // how often the IAM client was built
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, acct: fakes.NewAccount(), stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	e.a = newApp(e.stdin, e.stdout, e.stderr)
	e.a.clock = e.acct.Clock()
	e.a.newIAM = func(context.Context) (iamuser.API, error) {
		e.iamBuilt++
		return e.acct.IAM(), nil
	}
	return e
}

// run runs the CLI with args on fresh output buffers and returns the exit code.
func (e *env) run(args ...string) int {
	e.t.Helper()
	e.stdout.Reset()
	e.stderr.Reset()
	return e.a.run(context.Background(), args)
}

func (e *env) createGroup(name string) {
	e.t.Helper()
	_, err := e.acct.IAM().CreateGroup(context.Background(), &iam.CreateGroupInput{GroupName: aws.String(name)})
	require.NoError(e.t, err)
}

func (e *env) userExists(name string) bool {
	e.t.Helper()
	_, err := e.acct.IAM().GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String(name)})
	return err == nil
}

// secrets returns the secrets the fake account holds for user: its password
// and the seeds of its MFA devices.
func (e *env) secrets(user string) []string {
	e.t.Helper()
	var out []string
	if pw, ok := e.acct.Password(user); ok {
		out = append(out, pw)
	}
	devs, err := e.acct.IAM().ListMFADevices(context.Background(), &iam.ListMFADevicesInput{UserName: aws.String(user)})
	require.NoError(e.t, err)
	for _, d := range devs.MFADevices {
		if seed, ok := e.acct.MFASeed(aws.ToString(d.SerialNumber)); ok {
			out = append(out, seed)
		}
	}
	return out
}

// publicKeyFile writes a fresh ed25519 public key in authorized_keys form.
func publicKeyFile(t *testing.T) (path, line string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	line = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " test@host"
	path = filepath.Join(t.TempDir(), "id_ed25519.pub")
	require.NoError(t, os.WriteFile(path, []byte("# my key\n"+line+"\n\n"), 0o644))
	return path, line
}

// readBundleRow returns the data row of a bundle CSV keyed by column.
func readBundleRow(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2)
	head, row := strings.Split(lines[0], ","), strings.Split(lines[1], ",")
	require.Len(t, row, len(head))
	m := map[string]string{}
	for i, h := range head {
		m[h] = row[i]
	}
	return m
}
