package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/durflag"
)

// publishEnv is what 'iamkit hostsync publish' takes from outside the
// process: the IAM and S3 clients, the account the users live in, and the
// clock. A nil field is the real thing, through the app's AWS configuration
// and clock; tests hand in the fake account.
type publishEnv struct {
	// clients builds the IAM client (with the role's credentials when
	// assumeRole is set) and the S3 client (with the caller's own).
	clients func(ctx context.Context, assumeRole string) (iamsource.IAMAPI, s3snapshot.SnapshotPublishAPI, error)
	// account returns the ID of the account whose users are read: the
	// role's under assumeRole, else the caller's (STS GetCallerIdentity).
	account func(ctx context.Context, assumeRole string) (string, error)
	now     func() time.Time
}

func defaultPublishEnv() *publishEnv { return &publishEnv{} }

// target returns the account whose users are read (account, else the
// role's or the caller's) and the IAM and S3 clients for it.
func (env *publishEnv) target(ctx context.Context, account, assumeRole string) (string, iamsource.IAMAPI, s3snapshot.SnapshotPublishAPI, error) {
	if account == "" {
		var err error
		if account, err = env.account(ctx, assumeRole); err != nil {
			return "", nil, nil, fmt.Errorf("finding the account ID (or give --account): %w", err)
		}
	}
	iamAPI, s3API, err := env.clients(ctx, assumeRole)
	if err != nil {
		return "", nil, nil, err
	}
	return account, iamAPI, s3API, nil
}

// resolve fills in env's nil fields from the app.
func (env *publishEnv) resolve(a *app) *publishEnv {
	e := *env
	if e.clients == nil {
		e.clients = a.loadPublishClients
	}
	if e.account == nil {
		e.account = a.loadPublishAccount
	}
	if e.now == nil {
		e.now = a.clock.Now
	}
	return &e
}

func publishCommand() *command { return publishCommandWith(defaultPublishEnv()) }

func publishCommandWith(env *publishEnv) *command {
	return &command{
		name:    "publish",
		summary: "write the fleet snapshot to S3 (only when it changed)",
		args:    "--bucket BUCKET [--key KEY] [--groups G,...] [--sudoers-groups G,...] [flags]",
		help: `Read the IAM users of --groups (every IAM user without it), their groups among
--groups and --sudoers-groups, and their Active SSH keys, and write the
snapshot to s3://BUCKET/KEY — only when its content changed, or when the
object in place is older than --refresh-after. Hosts sync from that one object
(hostsyncd --snapshot s3://BUCKET/KEY) instead of each calling IAM: a fleet
costs IAM one ListSSHPublicKeys per user per run, whatever its size.

--groups and --sudoers-groups must cover every host's IAM_AUTHORIZED_GROUPS
and SUDOERS_GROUPS: a host refuses a snapshot that does not list its groups'
members. The same job runs on a schedule as the Lambda function in
examples/lambda/snapshotpublisher.

Exit code 0 when the snapshot was written or was already up to date, 1 when
IAM or S3 failed (nothing is written from a failed IAM read), 2 on a usage
error.

--json prints the result as one object (nothing on stdout on failure):
  {"object", "written", "would_write", "dry_run", "reason", "etag",
   "version_id", "content_sha256", "generation", "size", "users", "keys"}`,
		examples: []string{
			"iamkit hostsync publish --bucket acme-fleet --groups ssh-users --sudoers-groups admins",
			"iamkit hostsync publish --bucket acme-fleet --key prod/hostsync.json --groups ssh-users --kms-key alias/hostsync",
			"iamkit hostsync publish --bucket acme-fleet --groups ssh-users --dry-run",
		},
		run: env.runPublish,
	}
}

// splitGroups splits a comma- or space-separated list of group names.
func splitGroups(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func (env *publishEnv) runPublish(ctx context.Context, a *app, c *command, args []string) error {
	env = env.resolve(a)
	fs := a.flagSet(c)
	bucket := fs.String("bucket", "", "the S3 `BUCKET` (required)")
	key := fs.String("key", "hostsync/snapshot.json", "the object `KEY`")
	groups := fs.String("groups", "", "authorized IAM `GROUPS`, comma-separated (empty: every IAM user)")
	sudoers := fs.String("sudoers-groups", "", "IAM `GROUPS` that give sudo, comma-separated")
	kmsKey := fs.String("kms-key", "", "encrypt the object with SSE-KMS under this `KEY` (ID, ARN or alias)")
	assumeRole := fs.String("assume-role", "", "read IAM in another account through this role `ARN` (ASSUMEROLE)")
	account := fs.String("account", "", "the `ID` of the account whose users are read (default: the role's, or the caller's)")
	refresh := durflag.Duration(fs, "refresh-after", s3snapshot.DefaultSnapshotRefresh, "rewrite an unchanged snapshot once it is this `DURATION` old")
	dryRun := fs.Bool("dry-run", false, "read IAM and S3 and say what would be written; write nothing")
	asJSON := fs.Bool("json", false, "print the result as one JSON object (see the help) instead of text")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return c.usageError("unexpected argument %q", pos[0])
	case *bucket == "":
		return c.usageError("--bucket is required")
	case *refresh <= 0:
		return c.usageError("--refresh-after must be positive")
	}
	cfg := hostsync.Config{AuthorizedGroups: splitGroups(*groups), SudoersGroups: splitGroups(*sudoers)}
	if err := cfg.Validate(); err != nil {
		return c.usageError("%v", err)
	}
	acct, iamAPI, s3API, err := env.target(ctx, *account, *assumeRole)
	if err != nil {
		return err
	}
	src := iamsource.NewIAMSource(iamAPI, cfg, hostsync.WithLogger(a.log))
	snap, err := iamsource.BuildSnapshot(ctx, src, acct, env.now())
	if err != nil {
		return err
	}
	if *dryRun {
		s3API = dryRunS3{s3API}
	}
	res, err := s3snapshot.Publish(ctx, s3API, *bucket, *key, snap, hostsync.WithKMSKey(*kmsKey), hostsync.WithRefreshAfter(*refresh),
		hostsync.WithAbsenceConfirmer(src))
	if *asJSON && (err == nil || errors.Is(err, errDryRunWrite)) {
		return writeJSON(a.stdout, newPublishJSON("s3://"+*bucket+"/"+*key, res, *dryRun, errors.Is(err, errDryRunWrite)))
	}
	switch {
	case errors.Is(err, errDryRunWrite):
		fmt.Fprintf(a.stdout, "hostsync publish: s3://%s/%s would be written (%s): %d users, %d keys, %d bytes (dry run: nothing written)\n",
			*bucket, *key, res.Reason, res.Users, res.Keys, res.Size)
		return nil
	case err != nil:
		return err
	case res.Written:
		fmt.Fprintf(a.stdout, "hostsync publish: s3://%s/%s written (%s): %d users, %d keys, %d bytes, ETag %s, generation %d\n",
			*bucket, *key, res.Reason, res.Users, res.Keys, res.Size, res.ETag, res.Generation)
	default:
		fmt.Fprintf(a.stdout, "hostsync publish: s3://%s/%s unchanged: nothing written (%d users, %d keys, ETag %s), generation %d\n",
			*bucket, *key, res.Users, res.Keys, res.ETag, res.Generation)
	}
	return nil
}

// errDryRunWrite is what dryRunS3 answers instead of writing.
var errDryRunWrite = errors.New("dry run: not written")

// dryRunS3 reads but never writes.
type dryRunS3 struct{ s3snapshot.SnapshotPublishAPI }

func (dryRunS3) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return nil, errDryRunWrite
}

// loadPublishClients builds the IAM and S3 clients from the standard AWS
// configuration chain. Under assumeRole, IAM is read with the role's
// credentials (assumed once, cached); S3 is written with the caller's own.
func (a *app) loadPublishClients(ctx context.Context, assumeRole string) (iamsource.IAMAPI, s3snapshot.SnapshotPublishAPI, error) {
	awsCfg, err := a.loadAWSConfig(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	iamCfg := awsCfg.Copy()
	if assumeRole != "" {
		iamCfg.Credentials = iamsource.AssumeRoleCredentials(sts.NewFromConfig(awsCfg), assumeRole, "iamkit-hostsync-publish")
	}
	return iam.NewFromConfig(iamCfg), s3snapshot.NewS3Client(awsCfg), nil
}

// loadPublishAccount returns the role's account, or the caller's from STS.
func (a *app) loadPublishAccount(ctx context.Context, assumeRole string) (string, error) {
	if assumeRole != "" {
		acct, err := hostsync.RoleAccount(assumeRole)
		if err != nil {
			return "", fmt.Errorf("--assume-role: %w", err)
		}
		return acct, nil
	}
	awsCfg, err := a.loadAWSConfig(ctx, "")
	if err != nil {
		return "", err
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	out, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}
