package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

// trustDemo is what the trust chapters share: the directory that links the
// demo's main account to two more, and those accounts.
type trustDemo struct {
	directory *fakes.Directory // the demo's main account is linked into it
	accounts  []*fakes.Account // staging, prod
	targets   []trustpolicy.Target
}

// demoTrustRole is the role the trust chapters edit in each account.
const demoTrustRole = "deploy"

// trustGrant is the demo chapter "her role in two more accounts": two more
// accounts, each with a role trusting only its own root; the story's person
// is granted it in both with one ApplyAll, a dry run first.
func (d *demo) trustGrant(ctx context.Context) error {
	t := d.trust
	user := d.res.UserARN
	fmt.Fprintf(d.w, "Two more accounts, linked to %s the way AWS links every account\n"+
		"(fakes.Directory), each with a role %q that trusts only its own account:\n", d.acct.ID(), demoTrustRole)
	t.accounts, t.targets = nil, nil
	for _, a := range []struct{ id, name string }{{"222222222222", "staging"}, {"333333333333", "prod"}} {
		acct := fakes.NewAccount(fakes.WithAccountID(a.id), fakes.WithDirectory(t.directory), fakes.WithClock(d.acct.Clock()))
		root := "arn:aws:iam::" + a.id + ":root"
		role, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(demoTrustRole),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + root + `"},"Action":"sts:AssumeRole"}]}`),
		})
		if err != nil {
			return err
		}
		acct.ResetCalls()
		t.accounts = append(t.accounts, acct)
		t.targets = append(t.targets, trustpolicy.Target{Name: a.name, API: acct.IAM()})
		fmt.Fprintf(d.w, "  %-8s %s\n", a.name, aws.ToString(role.Role.Arn))
	}

	edit := trustpolicy.AddPrincipals(trustpolicy.AWS(user))
	fmt.Fprintf(d.w, "\nGrant alice (%s) the role in both with one\n"+
		"ApplyAll(AddPrincipals(alice)). First a dry run, which shows every diff:\n\n", user)
	if err := d.trustApply(ctx, edit, true, trustpolicy.WouldChange); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "Nothing was sent (UpdateAssumeRolePolicy calls: %d). Now for real:\n\n", d.trustUpdates())
	if err := d.trustApply(ctx, edit, false, trustpolicy.Changed); err != nil {
		return err
	}
	sent := d.trustUpdates()
	fmt.Fprintf(d.w, "Once more, as after an interrupted run:\n\n")
	if err := d.trustApply(ctx, edit, false, trustpolicy.Unchanged); err != nil {
		return err
	}
	if d.trustUpdates() != sent {
		return fmt.Errorf("re-applying sent %d updates", d.trustUpdates()-sent)
	}
	fmt.Fprintf(d.w, "Nothing was sent: UpdateAssumeRolePolicy calls still %d.\n", sent)
	fmt.Fprintf(d.w, "On real accounts: iamkit trust add --role %s --principal %s \\\n"+
		"    --profiles staging,prod --dry-run\n", demoTrustRole, user)
	return nil
}

// trustPrune is the demo chapter after offboarding: the roles in the other
// accounts now name the person's unique ID; it is pruned in both accounts.
func (d *demo) trustPrune(ctx context.Context) error {
	t := d.trust
	if len(t.targets) == 0 || d.res == nil {
		return errors.New("the trust policies are pruned after the role was granted and alice offboarded")
	}
	before, err := trustpolicy.GetRoleTrust(ctx, t.targets[0].API, demoTrustRole)
	if err != nil {
		return err
	}
	ids := before.Document.UniqueIDs()
	if len(ids) != 1 || ids[0] != d.res.UserID {
		return fmt.Errorf("%s trust policy names %v, want alice's unique ID %s", t.targets[0].Name, ids, d.res.UserID)
	}
	if strings.Contains(before.Document.String(), d.res.UserARN) {
		return fmt.Errorf("%s trust policy still names %s", t.targets[0].Name, d.res.UserARN)
	}
	fmt.Fprintf(d.w, "alice is gone from %s, but not from the trust policies of the other\n"+
		"accounts: where her ARN was, IAM now shows her unique ID %s,\n"+
		"the UserID onboarding reported. GetRoleTrust(%s, %s):\n\n%s\n\n",
		d.acct.ID(), ids[0], t.targets[0].Name, demoTrustRole, before.Document.Indent())
	fmt.Fprintf(d.w, "The ID grants nothing, but IAM refuses to save a policy that holds one: every\n"+
		"later edit of the role would fail. ApplyAll(PruneUniqueIDs()), a dry run first:\n\n")
	if err := d.trustApply(ctx, trustpolicy.PruneUniqueIDs(), true, trustpolicy.WouldChange); err != nil {
		return err
	}
	fmt.Fprintln(d.w, "Now for real:")
	fmt.Fprintln(d.w)
	if err := d.trustApply(ctx, trustpolicy.PruneUniqueIDs(), false, trustpolicy.Changed); err != nil {
		return err
	}
	for _, tg := range t.targets {
		after, err := trustpolicy.GetRoleTrust(ctx, tg.API, demoTrustRole)
		if err != nil {
			return err
		}
		if n := len(after.Document.UniqueIDs()); n > 0 {
			return fmt.Errorf("%s still names %d unique IDs", tg.Name, n)
		}
		if tg.Name == t.targets[0].Name {
			fmt.Fprintf(d.w, "The clean policy, GetRoleTrust(%s, %s):\n\n%s\n\n", tg.Name, demoTrustRole, after.Document.Indent())
		}
	}
	fmt.Fprintf(d.w, "On real accounts: iamkit trust prune --role %s --profiles staging,prod\n", demoTrustRole)
	return nil
}

// trustApply runs ApplyAll on the chapter's accounts, prints the report and
// checks that every account ended in want. The diffs are printed for a dry
// run only: applying it changes what the dry run showed.
func (d *demo) trustApply(ctx context.Context, edit trustpolicy.Edit, dryRun bool, want trustpolicy.Status) error {
	results := trustpolicy.ApplyAll(ctx, d.trust.targets, demoTrustRole, edit,
		trustpolicy.WithDryRun(dryRun), trustpolicy.WithClock(d.acct.Clock()))
	report := slices.Clone(results)
	if !dryRun {
		for i := range report {
			report[i].Diff = ""
		}
	}
	if err := trustpolicy.WriteReport(d.w, report); err != nil {
		return err
	}
	fmt.Fprintln(d.w)
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
		if r.Status != want {
			return fmt.Errorf("%s: %s, want %s", r.Target, r.Status, want)
		}
	}
	return nil
}

// trustUpdates counts UpdateAssumeRolePolicy calls across the chapter's
// accounts.
func (d *demo) trustUpdates() int {
	n := 0
	for _, a := range d.trust.accounts {
		n += a.Calls("iam:UpdateAssumeRolePolicy")
	}
	return n
}
