package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// demoHostsyncConf is the host's /etc/aws-ec2-ssh.conf in the demo.
const demoHostsyncConf = `IAM_AUTHORIZED_GROUPS="developers"
SUDOERS_GROUPS="developers"
LOCAL_GROUPS="docker"
`

// hostsync syncs the story's person and her SSH key to a fake Linux host:
// the plan (a dry run), the apply, the resulting users and keys; then her
// key is deactivated in IAM and the next plan takes it away.
func (d *demo) hostsync(ctx context.Context) error {
	user := d.spec.UserName
	cfg, err := hostsync.ParseConfig([]byte(demoHostsyncConf))
	if err != nil {
		return err
	}
	host := fakes.NewHost()
	fmt.Fprintf(d.w, "A Linux host (in memory: internal/fakes) with root, system accounts, and the\n"+
		"image's own ec2-user and ubuntu. Its /etc/aws-ec2-ssh.conf:\n\n%s\n",
		indent(demoHostsyncConf))

	// One source for the chapter: it caches key bodies by key ID, as the
	// daemon does between syncs.
	src := hostsync.NewIAMSource(d.iam, cfg)
	p, _, err := hostsync.Sync(ctx, src, host, cfg, hostsync.SyncOptions{DryRun: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "iamkit hostsync plan (a dry run):\n\n%s\n", indent(p.String()))
	if host.Writes() != 0 {
		return errors.New("the dry run changed the host")
	}
	fmt.Fprintln(d.w, "The dry run changed nothing on the host.")

	_, rep, err := hostsync.Sync(ctx, src, host, cfg, hostsync.SyncOptions{Clock: d.acct.Clock()})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\niamkit hostsync apply:\n\n%s", indent(rep.String()))
	if err := printManaged(d, host, cfg); err != nil {
		return err
	}

	d.acct.ResetCalls()
	p, _, err = hostsync.Sync(ctx, src, host, cfg, hostsync.SyncOptions{Clock: d.acct.Clock()})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\nThe next sync finds nothing to do (%d actions) and costs %d IAM calls: %s.\n"+
		"No GetSSHPublicKey: IAM never changes the body behind a key ID, so bodies are\n"+
		"cached by ID and a steady-state sync costs one ListSSHPublicKeys per user.\n",
		len(p.Actions), d.acct.CallsWithPrefix("iam:"), d.acct.CallSummary())

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
	fmt.Fprintf(d.w, "\n%s's laptop is lost: her key %s is deactivated in IAM. The next plan:\n\n", user, aws.ToString(id))
	p, _, err = hostsync.Sync(ctx, src, host, cfg, hostsync.SyncOptions{DryRun: true})
	if err != nil {
		return err
	}
	fmt.Fprint(d.w, indent(p.String()))
	if _, _, err := hostsync.Sync(ctx, src, host, cfg, hostsync.SyncOptions{Clock: d.acct.Clock()}); err != nil {
		return err
	}
	if n := len(host.Keys(user)); n != 0 {
		return fmt.Errorf("%s still has %d keys on the host", user, n)
	}
	fmt.Fprintf(d.w, "\nApplied: %s keeps her account, and sshd gets no key for her any more\n"+
		"(an Inactive key is never printed by 'iamkit hostsync keys').\n", user)
	return nil
}

// printManaged lists the host's managed users with their groups and keys,
// and what 'iamkit hostsync keys' prints for them.
func printManaged(d *demo, host *fakes.Host, cfg hostsync.Config) error {
	laptop := ""
	if len(d.spec.SSHPublicKeys) > 0 {
		if pk, err := hostsync.ParseKey(d.spec.SSHPublicKeys[0]); err == nil {
			laptop = pk.SHA256
		}
	}
	fmt.Fprintf(d.w, "\nUsers in the marker group %s:\n", cfg.MarkerGroup)
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
