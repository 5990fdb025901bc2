package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/testenv"
)

// The files of examples/hostsync must keep working with the code: the
// configuration parses, the units' command lines parse, the sshd drop-in
// is what sshd understands.

const examplesDir = "../hostsync"

func TestExampleConfigParses(t *testing.T) {
	cfg, err := hostsync.ReadConfigFile(filepath.Join(examplesDir, "aws-ec2-ssh.conf"))
	require.NoError(t, err)
	assert.Equal(t, []string{"developers", "oncall"}, cfg.AuthorizedGroups)
	assert.Equal(t, []string{"oncall"}, cfg.SudoersGroups)
	assert.Equal(t, hostsync.DefaultMarkerGroup, cfg.MarkerGroup)
	assert.Equal(t, []string{"breakglass"}, cfg.Reserved, "the break-glass account is reserved")
	assert.False(t, cfg.DoNotSync)
}

// execStart returns the ExecStart command line of a unit file, split at
// white space.
func execStart(t *testing.T, unit string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(examplesDir, "systemd", unit))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "ExecStart="); ok {
			return strings.Fields(v)
		}
	}
	t.Fatalf("%s has no ExecStart", unit)
	return nil
}

func TestExampleUnitsCommandLines(t *testing.T) {
	args := execStart(t, "hostsyncd.service")
	require.Equal(t, "/usr/local/bin/hostsyncd", args[0])
	o, err := parseFlags(args[1:], nil)
	require.NoError(t, err)
	assert.Equal(t, "/etc/aws-ec2-ssh.conf", o.config)
	assert.Equal(t, "/var/lib/iamkit", o.stateDir)
	assert.False(t, o.once, "the service is the daemon mode")

	args = execStart(t, "iamkit-hostsync.service")
	assert.Equal(t, []string{"/usr/local/bin/iamkit", "hostsync", "apply", "--config", "/etc/aws-ec2-ssh.conf", "--state-dir", "/var/lib/iamkit"}, args)

	timer, err := os.ReadFile(filepath.Join(examplesDir, "systemd", "iamkit-hostsync.timer"))
	require.NoError(t, err)
	assert.Contains(t, string(timer), "OnUnitActiveSec=10min")
	for _, unit := range []string{"hostsyncd.service", "iamkit-hostsync.service"} {
		data, err := os.ReadFile(filepath.Join(examplesDir, "systemd", unit))
		require.NoError(t, err)
		assert.Contains(t, string(data), "StateDirectoryMode=0755", "%s: nobody must reach the key cache", unit)
	}
}

// TestExampleSSHDDropIn checks the drop-in with the real sshd (-T prints
// the configuration a connection would get) where one is installed.
func TestExampleSSHDDropIn(t *testing.T) {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
	}
	if _, err := os.Stat(sshd); err != nil {
		testenv.Skip(t, "no sshd installed (openssh-server)")
	}
	if _, err := os.Stat("/run/sshd"); err != nil {
		testenv.Skip(t, "sshd -T needs its privilege separation directory /run/sshd")
	}
	dir := t.TempDir()
	dropIn, err := filepath.Abs(filepath.Join(examplesDir, "sshd", "50-iamkit-hostsync.conf"))
	require.NoError(t, err)
	hostKey := filepath.Join(dir, "host_key")
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput()
	if err != nil {
		testenv.Skipf(t, "ssh-keygen: %v: %s", err, out)
	}
	// The drop-in included first, as distributions do, then the rest of a
	// main configuration: its Match block must not swallow what follows.
	conf := filepath.Join(dir, "sshd_config")
	require.NoError(t, os.WriteFile(conf, []byte("Include "+dropIn+"\nHostKey "+hostKey+"\nX11Forwarding yes\nAuthorizedKeysFile .ssh/other\n"), 0o600))
	out, err = exec.Command(sshd, "-T", "-f", conf, "-C", "user=root,host=example.com,addr=192.0.2.1").CombinedOutput()
	require.NoError(t, err, "%s", out)
	got := string(out)
	assert.Contains(t, got, "authorizedkeyscommand /usr/local/bin/hostsync-keys %u %f\n")
	assert.Contains(t, got, "authorizedkeyscommanduser nobody\n")
	assert.Contains(t, got, "authorizedkeysfile .ssh/authorized_keys\n", "the drop-in's value wins, for the break-glass account")
	assert.Contains(t, got, "x11forwarding yes\n", "the main configuration after the Include still applies to everyone")
	assert.Contains(t, got, "pubkeyauthentication yes\n")
}
