package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/iamuser"
)

// republishFlags are the fleet-snapshot flags of "user delete": the same
// names as "hostsync publish" and "hostsync revoke".
type republishFlags struct {
	bucket, key, groups, sudoers, kmsKey string
}

func (f *republishFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.bucket, "bucket", "", "after offboarding, republish the fleet snapshot in S3 `BUCKET` at once (as 'hostsync publish'), so hosts lock the person out within seconds")
	fs.StringVar(&f.key, "key", "hostsync/snapshot.json", "with --bucket: the snapshot's object `KEY`")
	fs.StringVar(&f.groups, "groups", "", "with --bucket: the snapshot's authorized IAM `GROUPS`, comma-separated")
	fs.StringVar(&f.sudoers, "sudoers-groups", "", "with --bucket: the snapshot's IAM `GROUPS` that give sudo, comma-separated")
	fs.StringVar(&f.kmsKey, "kms-key", "", "with --bucket: encrypt the snapshot with SSE-KMS under this `KEY`")
}

// option checks the flags and returns the iamuser option that republishes
// after an offboarding that changed something (nil without --bucket). It
// changes nothing itself.
func (f *republishFlags) option(ctx context.Context, a *app, c *command, env *publishEnv) (iamuser.Option, error) {
	switch {
	case f.bucket == "" && (f.groups != "" || f.sudoers != "" || f.kmsKey != ""):
		return nil, c.usageError("--groups, --sudoers-groups and --kms-key describe the snapshot to republish: give --bucket too")
	case f.bucket == "":
		return nil, nil
	case len(splitGroups(f.groups)) == 0:
		return nil, c.usageError("--bucket needs --groups: the authorized groups the snapshot covers")
	}
	cfg := hostsync.Config{AuthorizedGroups: splitGroups(f.groups), SudoersGroups: splitGroups(f.sudoers)}
	if err := cfg.Validate(); err != nil {
		return nil, c.usageError("%v", err)
	}
	env = env.resolve(a)
	acct, iamAPI, s3API, err := env.target(ctx, "", "")
	if err != nil {
		return nil, err
	}
	src := iamsource.NewIAMSource(iamAPI, cfg, hostsync.WithLogger(a.log))
	pub := s3snapshot.NewRepublisher(src, cfg, acct, s3API, f.bucket, f.key,
		hostsync.WithKMSKey(f.kmsKey), hostsync.WithLogger(a.log), hostsync.WithClock(clockFunc(env.now)))
	return iamuser.WithAfterOffboard(func(ctx context.Context, user string) error {
		res, err := pub.Republish(ctx)
		if err != nil {
			return fmt.Errorf("republishing s3://%s/%s (hosts learn at the publisher's next run; 'iamkit hostsync publish' retries): %w", f.bucket, f.key, err)
		}
		fmt.Fprintf(a.stderr, "republished s3://%s/%s (generation %d, written: %t): hosts following it cut %s off at their next poll\n",
			f.bucket, f.key, res.Generation, res.Written, user)
		return nil
	}), nil
}
