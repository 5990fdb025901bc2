package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
)

// demoHostsyncConf is the host's /etc/aws-ec2-ssh.conf in the demo.
const demoHostsyncConf = `IAM_AUTHORIZED_GROUPS="developers"
SUDOERS_GROUPS="developers"
LOCAL_GROUPS="docker"
`

// hostsyncFiles writes the host's configuration file and makes its state
// directory: the files 'iamkit hostsync plan|apply' are given.
func (d *demo) hostsyncFiles(name string) (conf, stateDir string, err error) {
	conf = filepath.Join(d.dir, "aws-ec2-ssh.conf")
	if err := os.WriteFile(conf, []byte(demoHostsyncConf), 0o644); err != nil {
		return "", "", err
	}
	stateDir = filepath.Join(d.dir, name)
	return conf, stateDir, os.MkdirAll(stateDir, 0o755)
}

// hostsync syncs the story's person and her SSH key to a fake Linux host
// with 'iamkit hostsync plan' and 'apply': the plan (a dry run), the apply,
// the resulting users and keys; then her key is deactivated in IAM and the
// next plan takes it away.
func (d *demo) hostsync(ctx context.Context) error {
	user := d.user
	cfg, err := hostsync.ParseConfig([]byte(demoHostsyncConf))
	if err != nil {
		return err
	}
	conf, stateDir, err := d.hostsyncFiles("host")
	if err != nil {
		return err
	}
	host := d.host(stateDir)
	plan := []string{"hostsync", "plan", "--config", conf, "--state-dir", stateDir}
	apply := []string{"hostsync", "apply", "--config", conf, "--state-dir", stateDir, "--lock-file", filepath.Join(stateDir, "hostsync.lock")}
	fmt.Fprintf(d.w, "A Linux host (a fake: iamkittest.NewHost) with root, system accounts, and the\n"+
		"image's own ec2-user and ubuntu. Its configuration, $DEMO/aws-ec2-ssh.conf\n"+
		"(aws-ec2-ssh's format), and its state in $DEMO/host:\n\n%s\n", indent(demoHostsyncConf))

	if _, err := d.run(ctx, plan...); err != nil {
		return err
	}
	if host.Writes() != 0 {
		return errors.New("the dry run changed the host")
	}
	fmt.Fprintln(d.w, "The dry run changed nothing on the host.")
	fmt.Fprintln(d.w)
	if _, err := d.run(ctx, apply...); err != nil {
		return err
	}
	if err := printManaged(d, host, cfg); err != nil {
		return err
	}

	d.acct.ResetCalls()
	fmt.Fprintln(d.w)
	if _, err := d.run(ctx, apply...); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "The next sync finds nothing to do and costs %d IAM calls: %s.\n"+
		"No GetSSHPublicKey: IAM never changes the body behind a key ID, so bodies are\n"+
		"cached by ID (in $DEMO/host) and a steady-state sync costs one ListSSHPublicKeys\n"+
		"per user.\n", d.acct.CallsWithPrefix("iam:"), d.acct.CallSummary())

	keys, err := d.iam.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String(user)})
	if err != nil {
		return err
	}
	if len(keys.SSHPublicKeys) == 0 {
		return fmt.Errorf("%s has no SSH key", user)
	}
	id := keys.SSHPublicKeys[0].SSHPublicKeyId
	if _, err := d.iam.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{
		UserName: aws.String(user), SSHPublicKeyId: id, Status: types.StatusTypeInactive,
	}); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\n%s's laptop is lost: her key %s is deactivated in IAM\n"+
		"(aws iam update-ssh-public-key --status Inactive). The next plan:\n", user, aws.ToString(id))
	if _, err := d.run(ctx, plan...); err != nil {
		return err
	}
	if _, err := d.run(ctx, apply...); err != nil {
		return err
	}
	if n := len(host.Keys(user)); n != 0 {
		return fmt.Errorf("%s still has %d keys on the host", user, n)
	}
	fmt.Fprintf(d.w, "Applied: %s keeps her account, and sshd gets no key for her any more\n"+
		"(an Inactive key is never printed by 'iamkit hostsync keys').\n", user)
	return nil
}

// printManaged lists the host's managed users with their groups and keys,
// and what 'iamkit hostsync keys' prints for them.
func printManaged(d *demo, host *iamkittest.Host, cfg hostsync.Config) error {
	laptop := ""
	if b, err := os.ReadFile(filepath.Join(d.dir, "id_ed25519.pub")); err == nil {
		if pk, err := hostsync.ParseKey(strings.TrimSpace(string(b))); err == nil {
			laptop = pk.SHA256
		}
	}
	fmt.Fprintf(d.w, "Users in the marker group %s:\n", cfg.MarkerGroup)
	var lines []string
	for _, u := range host.Users() {
		if !u.MemberOf(cfg.MarkerGroup) {
			continue
		}
		fmt.Fprintf(d.w, "  %s: uid %d, groups %s, sudo %t, locked %t\n", u.Name, u.UID, strings.Join(u.Groups, ","), u.Sudo, u.Locked)
		for _, k := range host.Keys(u.Name) {
			note := ""
			if k.Fingerprint == laptop {
				note = " (her laptop's key)"
			}
			fmt.Fprintf(d.w, "    key %s %s%s\n", k.ID, k.Fingerprint, note)
			lines = append(lines, k.Body[:min(len(k.Body), 40)]+"... "+k.ID)
		}
	}
	if len(lines) == 0 {
		return errors.New("no managed user with a key on the host")
	}
	fmt.Fprintf(d.w, "ec2-user and ubuntu were there before and are not in the marker group:\n"+
		"hostsync never touches them. sshd runs 'iamkit hostsync keys %%u %%f', which\n"+
		"answers from the host's key cache (no AWS call) with:\n")
	for _, l := range lines {
		fmt.Fprintf(d.w, "  %s\n", l)
	}
	return nil
}

// indent indents every line of s by two spaces.
func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
