//go:build linux

package hostsync_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
)

// e2eAdoptSudo runs, inside TestE2ESystem's namespace, the migration from
// aws-ec2-ssh with the real tools: two accounts aws-ec2-ssh left with its
// sudoers files; a sync adopts the file of the one who keeps sudo (the real
// visudo checks iamkit's drop-in) and removes the file of the one dropped
// from the sudoers group; sudo -l agrees.
func e2eAdoptSudo(t *testing.T, sd hostsync.StateDir, log *slog.Logger) {
	ctx := context.Background()
	cfg := hostsync.DefaultConfig()
	cfg.AuthorizedGroups, cfg.SudoersGroups = []string{"ssh"}, []string{"admins"}
	lin := sd.Linux(cfg, log)
	keep, drop := iamkittest.TestSystemUserPrefix+"m.keep", iamkittest.TestSystemUserPrefix+"m.drop"
	for i, name := range []string{keep, drop} {
		require.NoError(t, lin.CreateUser(ctx, name, 1_950_000_001+i, []string{cfg.MarkerGroup}))
		file := filepath.Join(hostsync.DefaultSudoersDir, hostsync.LegacySudoersFileName(name))
		require.NoError(t, os.WriteFile(file, []byte(hostsync.SudoersLine(name)+"\n"), 0o440))
	}
	t.Cleanup(func() {
		for _, name := range []string{keep, drop} {
			_ = lin.Lock(ctx, name)
			_ = lin.Delete(ctx, name)
		}
	})
	sudoList := func(name string) string {
		out, _ := exec.Command("sudo", "-n", "-l", "-U", name).CombinedOutput()
		return string(out)
	}
	_, haveSudo := exec.LookPath("sudo")
	if haveSudo == nil {
		assert.Contains(t, sudoList(drop), "NOPASSWD: ALL", "aws-ec2-ssh's file grants sudo")
	}

	d := complete(user("AIDAMIGRATE1", keep, "ssh", "admins"), user("AIDAMIGRATE2", drop, "ssh"))
	p := mustRun(t, lin, d, cfg)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActWriteKeys, hostsync.ActAdoptSudo}, actionsFor(p, keep), "plan:\n%s", p)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActRevokeSudo, hostsync.ActWriteKeys}, actionsFor(p, drop), "plan:\n%s", p)
	for _, name := range []string{keep, drop} {
		assert.NoFileExists(t, filepath.Join(hostsync.DefaultSudoersDir, hostsync.LegacySudoersFileName(name)))
	}
	assert.FileExists(t, filepath.Join(hostsync.DefaultSudoersDir, hostsync.SudoersFileName(keep)))
	assert.True(t, planFor(t, lin, d, cfg).Empty(), "converged")
	if haveSudo == nil {
		assert.Contains(t, sudoList(keep), "NOPASSWD: ALL", "sudo kept through the adoption")
		assert.NotContains(t, sudoList(drop), "NOPASSWD: ALL", "no sudo left for the user dropped from the sudoers group")
	}
}
