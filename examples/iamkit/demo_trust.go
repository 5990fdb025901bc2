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

	"github.com/iamkit/iamkit/trustpolicy"
)

// demoTrustRole is the role the trust chapters edit in each account.
const demoTrustRole = "deploy"

// demoTrustProfiles are the profiles of the trust chapters' two accounts.
const demoTrustProfiles = "staging,prod"

// otherAccounts are the profiles of the accounts besides the main one.
func (d *demo) otherAccounts() []demoProfile { return d.profiles[1:] }

// trustGrant is the demo chapter "her role in two more accounts": two more
// accounts, each with a role trusting only its own root; the story's person
// is granted it in both with 'iamkit trust add', a dry run first.
func (d *demo) trustGrant(ctx context.Context) error {
	user := d.secrets.UserARN
	fmt.Fprintf(d.w, "Two more fake accounts, linked to %s the way AWS links every\n"+
		"account (iamkittest.Directory), each with a role %q that trusts only its\n"+
		"own account:\n", d.acct.ID(), demoTrustRole)
	for _, p := range d.otherAccounts() {
		root := "arn:aws:iam::" + p.srv.Account().ID() + ":root"
		role, err := iam.NewFromConfig(p.srv.Config()).CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(demoTrustRole),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + root + `"},"Action":"sts:AssumeRole"}]}`),
		})
		if err != nil {
			return err
		}
		p.srv.Account().ResetCalls()
		fmt.Fprintf(d.w, "  %-8s %s\n", p.name, aws.ToString(role.Role.Arn))
	}
	cfg, err := os.ReadFile(d.configPath())
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\nThe CLI reaches them as it reaches real accounts, through profiles of its AWS\n"+
		"config ($DEMO/aws/config; their keys in $DEMO/aws/credentials):\n\n")
	for _, section := range strings.Split(strings.TrimSpace(string(cfg)), "\n\n")[1:] {
		fmt.Fprintf(d.w, "%s\n", indent(section))
	}

	d.useTrustJournal()
	add := []string{"trust", "add", "--role", demoTrustRole, "--principal", user, "--profiles", demoTrustProfiles}
	fmt.Fprintf(d.w, "\nGrant alice the role in both. First a dry run, which shows every diff:\n")
	if _, err := d.run(ctx, append(add, "--dry-run")...); err != nil {
		return err
	}
	if n := d.trustUpdates(); n != 0 {
		return fmt.Errorf("the dry run sent %d updates", n)
	}
	fmt.Fprintf(d.w, "Nothing was sent (UpdateAssumeRolePolicy calls: %d). Now for real:\n", d.trustUpdates())
	if _, err := d.run(ctx, add...); err != nil {
		return err
	}
	sent := d.trustUpdates()
	if sent != len(d.otherAccounts()) {
		return fmt.Errorf("granting sent %d updates, want %d", sent, len(d.otherAccounts()))
	}
	fmt.Fprintf(d.w, "Once more, as after an interrupted run:\n")
	if _, err := d.run(ctx, add...); err != nil {
		return err
	}
	if d.trustUpdates() != sent {
		return fmt.Errorf("re-applying sent %d updates", d.trustUpdates()-sent)
	}
	fmt.Fprintf(d.w, "Nothing was sent: UpdateAssumeRolePolicy calls still %d.\n", sent)
	return nil
}

// trustPrune is the demo chapter after offboarding: the roles in the other
// accounts now name the person's unique ID; 'iamkit trust prune' removes
// it in both accounts.
func (d *demo) trustPrune(ctx context.Context) error {
	others := d.otherAccounts()
	if d.secrets.UserID == "" || d.trustUpdates() == 0 {
		return errors.New("the trust policies are pruned after the role was granted and alice offboarded")
	}
	first := others[0]
	before, err := trustpolicy.GetRoleTrust(ctx, iam.NewFromConfig(first.srv.Config()), demoTrustRole)
	if err != nil {
		return err
	}
	ids := before.Document.UniqueIDs()
	if len(ids) != 1 || ids[0] != d.secrets.UserID {
		return fmt.Errorf("%s trust policy names %v, want alice's unique ID %s", first.name, ids, d.secrets.UserID)
	}
	if strings.Contains(before.Document.String(), d.secrets.UserARN) {
		return fmt.Errorf("%s trust policy still names %s", first.name, d.secrets.UserARN)
	}
	fmt.Fprintf(d.w, "alice is gone from %s, but not from the trust policies of the other\n"+
		"accounts: where her ARN was, IAM now shows her unique ID %s,\n"+
		"the UserID of her user:\n", d.acct.ID(), ids[0])
	if _, err := d.run(ctx, "trust", "show", "--role", demoTrustRole, "--profiles", first.name); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "The ID grants nothing, but IAM refuses to save a policy that holds one: every\n"+
		"later edit of the role would fail. Prune it, a dry run first:\n")
	prune := []string{"trust", "prune", "--role", demoTrustRole, "--profiles", demoTrustProfiles}
	if _, err := d.run(ctx, append(prune, "--dry-run")...); err != nil {
		return err
	}
	fmt.Fprintln(d.w, "Now for real:")
	if _, err := d.run(ctx, prune...); err != nil {
		return err
	}
	for _, p := range others {
		after, err := trustpolicy.GetRoleTrust(ctx, iam.NewFromConfig(p.srv.Config()), demoTrustRole)
		if err != nil {
			return err
		}
		if n := len(after.Document.UniqueIDs()); n > 0 {
			return fmt.Errorf("%s still names %d unique IDs", p.name, n)
		}
	}
	fmt.Fprintln(d.w, "The clean policy:")
	_, err = d.run(ctx, "trust", "show", "--role", demoTrustRole, "--profiles", first.name)
	return err
}

// trustUpdates counts UpdateAssumeRolePolicy calls across the other
// accounts.
func (d *demo) trustUpdates() int {
	n := 0
	for _, p := range d.otherAccounts() {
		n += p.srv.Account().Calls("iam:UpdateAssumeRolePolicy")
	}
	return n
}

// useTrustJournal makes the CLI keep its journal of trust changes under
// $DEMO/state (its XDG_STATE_HOME), never in the real home directory.
func (d *demo) useTrustJournal() {
	getenv := d.cli.getenv
	state := filepath.Join(d.dir, "state")
	d.cli.getenv = func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return getenv(k)
	}
}
