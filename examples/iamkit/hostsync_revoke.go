package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iamkit/iamkit"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/iamuser"
)

func revokeCommand() *command { return revokeCommandWith(defaultPublishEnv()) }

func revokeCommandWith(env *publishEnv) *command {
	return &command{
		name:    "revoke",
		summary: "cut a person off every host now: deactivate SSH keys, leave groups, republish",
		args:    "USER --bucket BUCKET --groups G,... [--sudoers-groups G,...] [flags]",
		help: `Cut USER off the fleet at once: deactivate their Active SSH public keys
(deactivated, not deleted: they can be reactivated), remove them from the
--groups and --sudoers-groups they are in (their other groups are left
alone), then republish the fleet snapshot at s3://BUCKET/KEY as 'iamkit
hostsync publish' does. Hosts following the snapshot (hostsyncd --snapshot,
polling every 15 s) then drop the keys from their key cache, lock the
account and end its sessions within seconds, instead of at the publisher's
next scheduled run.

--groups and --sudoers-groups are the publisher's: the groups the snapshot
covers. With --dry-run, IAM is read and the plan printed; nothing is
changed.

Exit code 0 when done, 1 when IAM or S3 failed (re-run to finish), 2 on a
usage error or a USER that is not an IAM user (nothing changed).`,
		examples: []string{
			"iamkit hostsync revoke mallory --bucket acme-fleet --groups ssh-users --sudoers-groups admins",
			"iamkit hostsync revoke mallory --bucket acme-fleet --groups ssh-users --dry-run",
		},
		run: env.runRevoke,
	}
}

func (env *publishEnv) runRevoke(ctx context.Context, a *app, c *command, args []string) error {
	env = env.resolve(a)
	fs := a.flagSet(c)
	bucket := fs.String("bucket", "", "the S3 `BUCKET` of the fleet snapshot (required)")
	key := fs.String("key", "hostsync/snapshot.json", "the snapshot's object `KEY`")
	groups := fs.String("groups", "", "the snapshot's authorized IAM `GROUPS`, comma-separated (required)")
	sudoers := fs.String("sudoers-groups", "", "the snapshot's IAM `GROUPS` that give sudo, comma-separated")
	kmsKey := fs.String("kms-key", "", "encrypt the snapshot with SSE-KMS under this `KEY` (ID, ARN or alias)")
	assumeRole := fs.String("assume-role", "", "change IAM in another account through this role `ARN`")
	account := fs.String("account", "", "the `ID` of the account whose users are read (default: the role's, or the caller's)")
	dryRun := fs.Bool("dry-run", false, "read IAM and print the plan; change nothing")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return c.usageError("USER is required")
	case len(pos) > 1:
		return c.usageError("unexpected argument %q", pos[1])
	case *bucket == "":
		return c.usageError("--bucket is required: the snapshot hosts follow")
	case *groups == "":
		return c.usageError("--groups is required: the authorized groups the snapshot covers")
	}
	user := pos[0]
	if iamuser.ValidateUserName(user) != nil {
		// Before any AWS call: bad input is exit 2 even without credentials.
		return c.usageError("%q is not a valid IAM user name (1 to 64 letters, digits and _+=,.@-)", user)
	}
	cfg := hostsync.Config{AuthorizedGroups: splitGroups(*groups), SudoersGroups: splitGroups(*sudoers)}
	if err := cfg.Validate(); err != nil {
		return c.usageError("%v", err)
	}
	acct, iamAPI, s3API, err := env.target(ctx, *account, *assumeRole)
	if err != nil {
		return err
	}
	rapi, ok := iamAPI.(iamsource.RevokeAPI)
	if !ok {
		return errors.New("the IAM client cannot change users")
	}
	plan, err := iamsource.PlanRevoke(ctx, rapi, user, cfg)
	if errors.Is(err, iamsource.ErrRevokeInput) {
		return c.usageError("%v", strings.TrimPrefix(err.Error(), "hostsync: "))
	}
	if err != nil {
		return err
	}
	fmt.Fprint(a.stdout, plan.String())
	if *dryRun {
		fmt.Fprintf(a.stdout, "then republish s3://%s/%s (dry run: nothing changed)\n", *bucket, *key)
		return nil
	}
	rep, applyErr := iamsource.ApplyRevoke(ctx, rapi, plan)
	fmt.Fprintf(a.stdout, "deactivated %d SSH key(s), left %d group(s)\n", len(rep.Deactivated), len(rep.Removed))
	// Publish even after a partial failure: whatever was revoked reaches
	// the hosts now.
	src := iamsource.NewIAMSource(iamAPI, cfg, hostsync.WithLogger(a.log))
	pub := s3snapshot.NewRepublisher(src, cfg, acct, s3API, *bucket, *key,
		hostsync.WithKMSKey(*kmsKey), hostsync.WithLogger(a.log), hostsync.WithClock(clockFunc(env.now)))
	res, pubErr := pub.Republish(ctx)
	if pubErr == nil {
		fmt.Fprintf(a.stdout, "hostsync revoke: s3://%s/%s %s, generation %d: hosts following it cut %s off at their next poll\n",
			*bucket, *key, map[bool]string{true: "written (" + res.Reason + ")", false: "unchanged"}[res.Written], res.Generation, plan.UserName)
	} else {
		pubErr = fmt.Errorf("republishing the snapshot (hosts learn at the publisher's next run; re-run to retry): %w", pubErr)
	}
	return errors.Join(applyErr, pubErr)
}

// clockFunc is an iamkit.Clock whose Now is a function (publishEnv.now);
// it sleeps on the real clock.
type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

func (clockFunc) Sleep(ctx context.Context, d time.Duration) error {
	return iamkit.SystemClock{}.Sleep(ctx, d)
}
