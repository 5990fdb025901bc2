package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func TestUserCreate(t *testing.T) {
	e := newEnv(t)
	e.createGroup("developers")
	e.createGroup("oncall")
	keyFile, keyLine := publicKeyFile(t)
	out := filepath.Join(t.TempDir(), "bundle")

	code := e.run("user", "create", "-u", "alice", "-g", "developers", "--group", "oncall",
		"--access-key", "--ssh-key", keyFile, "--path", "/engineering/", "--tag", "team=platform", "--out", out)
	require.Equal(t, exitOK, code, e.stderr.String())
	stdout := e.stdout.String()

	// The summary: steps, sign-in URL, masked secrets, where the bundle is.
	for _, want := range []string{
		"user alice (arn:aws:iam::123456789012:user/engineering/alice)",
		"login profile  created", "mfa            created", "groups         created  developers, oncall",
		"ssh keys       created  1 uploaded",
		"https://123456789012.signin.aws.amazon.com/console",
		"Password:", "******** (",
		"arn:aws:iam::123456789012:mfa/engineering/alice (enabled)",
		"Credentials bundle (mode 0600",
		filepath.Join(out, "alice.csv"), filepath.Join(out, "alice.otpauth"), filepath.Join(out, "alice-mfa.png"),
	} {
		assert.Contains(t, stdout, want)
	}
	assert.NotContains(t, stdout, "█", "no QR code when stdout is not a terminal")
	assert.Empty(t, e.stderr.String())

	// The bundle holds the secrets, mode 0600; stdout holds none of them.
	for _, f := range []string{"alice.csv", "alice.otpauth", "alice-mfa.png"} {
		fi, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
	}
	row := readBundleRow(t, filepath.Join(out, "alice.csv"))
	pw, _ := e.acct.Password("alice")
	assert.Equal(t, pw, row["password"])
	assert.NotEmpty(t, row["mfa_secret"])
	assert.NotEmpty(t, row["secret_access_key"])
	for _, secret := range []string{row["password"], row["mfa_secret"], row["secret_access_key"]} {
		assert.NotContains(t, stdout, secret)
	}
	assert.Contains(t, stdout, row["access_key_id"], "the access key ID is not a secret")

	// And the account has what was asked for.
	keys, err := e.acct.IAM().ListSSHPublicKeys(context.Background(), &iam.ListSSHPublicKeysInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, keys.SSHPublicKeys, 1)
	k, err := e.acct.IAM().GetSSHPublicKey(context.Background(), &iam.GetSSHPublicKeyInput{
		UserName: aws.String("alice"), SSHPublicKeyId: keys.SSHPublicKeys[0].SSHPublicKeyId, Encoding: types.EncodingTypeSsh})
	require.NoError(t, err)
	assert.Equal(t, strings.Join(strings.Fields(keyLine)[:2], " "), strings.Join(strings.Fields(aws.ToString(k.SSHPublicKey.SSHPublicKeyBody))[:2], " "))
	groups, err := e.acct.IAM().ListGroupsForUser(context.Background(), &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Len(t, groups.Groups, 2)
}

func TestUserCreateDefaultOutAndQRCode(t *testing.T) {
	t.Chdir(t.TempDir())
	e := newEnv(t)
	e.a.stdoutTTY = true
	require.Equal(t, exitOK, e.run("user", "create", "-u", "bob"), e.stderr.String())
	assert.Contains(t, e.stdout.String(), filepath.Join("iamkit-out", "bob", "bob.csv"))
	assert.Contains(t, e.stdout.String(), "Scan with the authenticator app")
	assert.Contains(t, e.stdout.String(), "█", "the QR code is shown on a terminal")
	_, err := os.Stat(filepath.Join("iamkit-out", "bob", "bob-mfa.png"))
	require.NoError(t, err)

	require.Equal(t, exitOK, e.run("user", "create", "-u", "carol", "--qr", "never"))
	assert.NotContains(t, e.stdout.String(), "█")
	require.Equal(t, exitOK, e.run("user", "create", "-u", "dave", "--no-mfa"))
	assert.NotContains(t, e.stdout.String(), "█", "no MFA, no QR code")

	e.a.stdoutTTY = false
	require.Equal(t, exitOK, e.run("user", "create", "-u", "erin", "--qr=always"))
	assert.Contains(t, e.stdout.String(), "█")
}

func TestUserCreateNeverOverwritesABundle(t *testing.T) {
	e := newEnv(t)
	out := filepath.Join(t.TempDir(), "alice")

	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--no-mfa", "--out", out), e.stderr.String())
	first, err := os.ReadFile(filepath.Join(out, "alice.csv"))
	require.NoError(t, err)

	// Adding MFA makes a new secret; it goes next to the first bundle.
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--out", out), e.stderr.String())
	assert.Contains(t, e.stdout.String(), filepath.Join(out+".2", "alice.csv"))
	again, err := os.ReadFile(filepath.Join(out, "alice.csv"))
	require.NoError(t, err)
	assert.Equal(t, first, again, "the first bundle, the only copy of the password, is untouched")
	row := readBundleRow(t, filepath.Join(out+".2", "alice.csv"))
	assert.Empty(t, row["password"])
	assert.NotEmpty(t, row["mfa_secret"])

	// Nothing new: no bundle, no empty directory.
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--out", out), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "No new secrets")
	_, err = os.Stat(out + ".3")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestUserCreateMissingGroupChangesNothing(t *testing.T) {
	t.Chdir(t.TempDir())
	e := newEnv(t)
	assert.Equal(t, exitUsage, e.run("user", "create", "-u", "alice", "-g", "nosuch"))
	assert.Contains(t, e.stderr.String(), `invalid groups[0] "nosuch": no such IAM group`)
	assert.Zero(t, e.acct.Calls("iam:CreateUser"))
	assert.False(t, e.userExists("alice"))
	_, err := os.Stat(filepath.Join("iamkit-out", "alice"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no empty bundle directory is left behind")
}

func TestUserCreateFailsHalfwayThenResumes(t *testing.T) {
	e := newEnv(t)
	out := filepath.Join(t.TempDir(), "alice")
	e.acct.Inject("iam:CreateAccessKey", fakes.Fault{Err: &types.LimitExceededException{Message: aws.String("Cannot exceed quota for AccessKeysPerUser: 2")}})

	assert.Equal(t, exitFailed, e.run("user", "create", "-u", "alice", "--access-key", "--out", out))
	assert.Contains(t, e.stderr.String(), "access key")
	assert.Contains(t, e.stderr.String(), "re-run to resume")
	// The password and MFA secret made before the failure are not lost.
	row := readBundleRow(t, filepath.Join(out, "alice.csv"))
	pw, _ := e.acct.Password("alice")
	assert.Equal(t, pw, row["password"])
	assert.NotEmpty(t, row["mfa_secret"])
	assert.Empty(t, row["secret_access_key"])

	e.acct.ClearFaults()
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--access-key", "--out", out), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "user           existing")
	row2 := readBundleRow(t, filepath.Join(out+".2", "alice.csv"))
	assert.NotEmpty(t, row2["secret_access_key"])
	assert.Empty(t, row2["password"], "the password is not known to the second run")
	first := readBundleRow(t, filepath.Join(out, "alice.csv"))
	assert.Equal(t, row["password"], first["password"], "the first bundle is kept")
}

func TestUserCreateRefusesPrivateKey(t *testing.T) {
	e := newEnv(t)
	f := filepath.Join(t.TempDir(), "id_ed25519")
	require.NoError(t, os.WriteFile(f, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA=\n-----END OPENSSH PRIVATE KEY-----\n"), 0o600))
	assert.Equal(t, exitUsage, e.run("user", "create", "-u", "alice", "--ssh-key", f))
	assert.Contains(t, e.stderr.String(), "holds a private key")
	assert.NotContains(t, e.stderr.String(), "b3BlbnNzaC1rZXktdjEAAAA=")
	assert.Zero(t, e.acct.CallsWithPrefix("iam:"))
}

func TestReadPublicKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	keys, err := readPublicKeys(write("two", "# laptop\nssh-ed25519 AAAA one\n\n  ssh-rsa BBBB two  \n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"ssh-ed25519 AAAA one", "ssh-rsa BBBB two"}, keys)
	_, err = readPublicKeys(write("empty", "# nothing\n\n"))
	assert.ErrorContains(t, err, "holds no public key")
	_, err = readPublicKeys(write("priv", "-----BEGIN RSA PRIVATE KEY-----\n"))
	assert.ErrorContains(t, err, "holds a private key")
}

func TestUserDelete(t *testing.T) {
	e := newEnv(t)
	e.createGroup("developers")
	keyFile, _ := publicKeyFile(t)
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "-g", "developers", "--access-key",
		"--ssh-key", keyFile, "--out", t.TempDir()), e.stderr.String())
	e.acct.ResetCalls()

	// Dry run, the flag after the name: the plan, and nothing changed.
	require.Equal(t, exitOK, e.run("user", "delete", "alice", "--dry-run"), e.stderr.String())
	for _, want := range []string{
		"offboarding alice: 7 actions", "DeleteLoginProfile", "DeleteAccessKey AKIA", "DeleteSSHPublicKey APKA",
		"DeactivateMFADevice arn:aws:iam::123456789012:mfa/alice", "DeleteVirtualMFADevice",
		"RemoveUserFromGroup developers", "7. DeleteUser", "Dry run: nothing was changed.",
	} {
		assert.Contains(t, e.stdout.String(), want)
	}
	assert.True(t, e.userExists("alice"))
	assert.Zero(t, e.acct.CallsWithPrefix("iam:Delete")+e.acct.CallsWithPrefix("iam:Deactivate")+e.acct.CallsWithPrefix("iam:Remove"))

	// For real: plan, per-step report, verified.
	require.Equal(t, exitOK, e.run("user", "delete", "alice"), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "offboarding alice: 7 actions")
	assert.Regexp(t, `(?m)^\s+7\.\s+DeleteUser\s+done$`, e.stdout.String())
	assert.Contains(t, e.stdout.String(), "Verified: user alice no longer exists.")
	assert.False(t, e.userExists("alice"))

	// Again: nothing to do, not an error.
	require.Equal(t, exitOK, e.run("user", "delete", "alice"))
	assert.Equal(t, "user alice does not exist: nothing to do\n", e.stdout.String())
}

func TestUserDeleteFailureThenRerun(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--access-key", "--out", t.TempDir()), e.stderr.String())
	e.acct.Inject("iam:DeleteAccessKey", fakes.Fault{Err: &types.ServiceFailureException{Message: aws.String("internal failure")}})

	assert.Equal(t, exitFailed, e.run("user", "delete", "alice"))
	assert.Regexp(t, `DeleteAccessKey AKIA\S+\s+failed: .*internal failure`, e.stdout.String())
	assert.Regexp(t, `DeleteUser\s+failed: not attempted`, e.stdout.String())
	assert.Contains(t, e.stdout.String(), "User alice still exists")
	assert.Contains(t, e.stderr.String(), "re-run to finish")
	assert.True(t, e.userExists("alice"))
	assert.Zero(t, e.acct.Calls("iam:DeleteUser"), "DeleteUser is not attempted while a dependency remains")

	e.acct.ClearFaults()
	require.Equal(t, exitOK, e.run("user", "delete", "alice"), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "Verified")
	assert.False(t, e.userExists("alice"))
}

const peopleCSV = `# people to onboard
user_name,groups,access_key,tags
alice,developers,false,team=platform
bob,developers;oncall,true,
carol,nosuch,false,
`

func TestUserImport(t *testing.T) {
	e := newEnv(t)
	e.createGroup("developers")
	e.createGroup("oncall")
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "people.csv")
	require.NoError(t, os.WriteFile(csvFile, []byte(peopleCSV), 0o644))
	out := filepath.Join(dir, "bundles")

	// carol's group does not exist: nobody is created (exit 2), every
	// group having been checked before the first user.
	assert.Equal(t, exitUsage, e.run("user", "import", csvFile, "--concurrency", "2", "--out", out))
	stdout := e.stdout.String()
	assert.Regexp(t, `(?m)^5\s+carol\s+FAILED\s+.*no such IAM group$`, stdout)
	assert.Regexp(t, `(?m)^3\s+alice\s+FAILED\s+.*not attempted`, stdout)
	assert.Contains(t, stdout, "3 rows: nobody was created.")
	assert.Contains(t, e.stderr.String(), "nothing was created")
	assert.Zero(t, e.acct.Calls("iam:CreateUser"))
	for _, n := range []string{"alice", "bob", "carol"} {
		assert.False(t, e.userExists(n), n)
	}

	// With the group there, everyone is made.
	e.createGroup("nosuch")
	require.Equal(t, exitOK, e.run("user", "import", csvFile, "--concurrency", "2", "--out", out), e.stderr.String())
	stdout = e.stdout.String()
	assert.Regexp(t, `(?m)^LINE\s+USER\s+RESULT\s+BUNDLE OR ERROR$`, stdout)
	assert.Regexp(t, `(?m)^3\s+alice\s+ok\s+`+regexp.QuoteMeta(filepath.Join(out, "alice"))+`$`, stdout)
	assert.Regexp(t, `(?m)^4\s+bob\s+ok\s+`+regexp.QuoteMeta(filepath.Join(out, "bob"))+`$`, stdout)
	assert.Contains(t, stdout, "3 rows: 3 ok, 0 failed.")
	for _, n := range []string{"1", "2", "3"} {
		assert.Contains(t, e.stderr.String(), "["+n+"/3] line ", "plain progress lines when stderr is not a terminal")
	}
	assert.NotContains(t, e.stderr.String(), "\r")
	assert.True(t, e.userExists("alice"))
	assert.True(t, e.userExists("bob"))
	assert.True(t, e.userExists("carol"))

	// Bundles, mode 0600, with the secrets; stdout has none of them.
	alice := readBundleRow(t, filepath.Join(out, "alice", "alice.csv"))
	bob := readBundleRow(t, filepath.Join(out, "bob", "bob.csv"))
	assert.NotEmpty(t, bob["secret_access_key"])
	assert.Empty(t, alice["secret_access_key"])
	for _, s := range append(e.secrets("alice"), e.secrets("bob")...) {
		assert.NotContains(t, stdout, s)
		assert.NotContains(t, e.stderr.String(), s)
	}
	fi, err := os.Stat(filepath.Join(out, "bob", "bob.csv"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Re-run the same file: everyone is resumed, no bundle is touched.
	require.Equal(t, exitOK, e.run("user", "import", csvFile, "--out", out), e.stderr.String())
	stdout = e.stdout.String()
	assert.Regexp(t, `(?m)^3\s+alice\s+resumed\s+no new secrets$`, stdout)
	assert.Regexp(t, `(?m)^4\s+bob\s+resumed\s+no new secrets$`, stdout)
	assert.Regexp(t, `(?m)^5\s+carol\s+resumed\s+no new secrets$`, stdout)
	assert.Contains(t, stdout, "3 rows: 3 ok, 0 failed.")
	assert.Equal(t, alice, readBundleRow(t, filepath.Join(out, "alice", "alice.csv")))
	_, err = os.Stat(filepath.Join(out, "alice.2"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestUserImportProgressBarOnATerminal(t *testing.T) {
	e := newEnv(t)
	e.a.stderrTTY = true
	e.stdin.Reset("user_name\nalice\nbob\ncarol\ndave\n")
	require.Equal(t, exitOK, e.run("user", "import", "-", "--out", t.TempDir()), e.stderr.String())
	stderr := e.stderr.String()
	assert.Equal(t, 4, strings.Count(stderr, "\r\x1b[K"), "the bar is redrawn once per row")
	assert.Contains(t, stderr, strings.Repeat("█", 30)+" 4/4")
	assert.True(t, strings.HasSuffix(stderr, "\n"), "the finished bar ends its line")
	assert.Contains(t, e.stdout.String(), "4 rows: 4 ok, 0 failed.")
}

func TestUserImportBadFileChangesNothing(t *testing.T) {
	cases := []struct {
		name, csv, want string
	}{
		{"unknown column", "user_name,shoe_size\nalice,42\n", `CSV line 1: unknown column "shoe_size"`},
		{"bad name on line 3", "user_name\nalice\nnot valid!\n", "CSV line 3"},
		{"duplicate user", "user_name\nalice\nALICE\n", "already on line 2"},
		{"empty", "", "CSV line 1: empty file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			f := filepath.Join(t.TempDir(), "people.csv")
			require.NoError(t, os.WriteFile(f, []byte(c.csv), 0o644))
			assert.Equal(t, exitUsage, e.run("user", "import", f, "--out", t.TempDir()))
			assert.Contains(t, e.stderr.String(), c.want)
			assert.Contains(t, e.stderr.String(), f+": ")
			assert.Zero(t, e.acct.CallsWithPrefix("iam:"))
		})
	}

	e := newEnv(t)
	assert.Equal(t, exitUsage, e.run("user", "import", filepath.Join(t.TempDir(), "missing.csv")))
	assert.Contains(t, e.stderr.String(), "no such file or directory")
}

func TestUserImportOnlyComments(t *testing.T) {
	e := newEnv(t)
	e.stdin.Reset("# nobody yet\nuser_name,groups\n")
	require.Equal(t, exitOK, e.run("user", "import", "-"))
	assert.Equal(t, "- has no rows: nothing to do.\n", e.stdout.String())
	assert.Zero(t, e.iamBuilt)
}
