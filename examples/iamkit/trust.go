package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/iamkit/iamkit/internal/awsname"
	"github.com/iamkit/iamkit/mfa"

	"github.com/iamkit/iamkit/trustpolicy"
)

// trustTargetsFunc builds the accounts a trust command works on: one target
// per profile, or per role ARN, or the default configuration as "default".
// app.newTrustTargets is one (nil: loadTrustTargets); tests hand in fake
// accounts.
type trustTargetsFunc func(ctx context.Context, spec trustTargetSpec) ([]trustpolicy.Target, error)

// trustTargetSpec is what the command line says about the target accounts.
type trustTargetSpec struct {
	profiles, roleARNs []string
	mfaToken           string // --mfa-token, for the one --profiles profile
	// organization: every active account of the organization (ListAccounts
	// with the default configuration), through the role roleName assumed in
	// each but the caller's own.
	organization bool
	roleName     string
	json         bool
}

// defaultOrgRoleName is the role --organization assumes in each member
// account unless --role-name says otherwise: the one Organizations creates
// in the accounts it creates.
const defaultOrgRoleName = "OrganizationAccountAccessRole"

// trustSessionName is the role session name of the roles --role-arns
// assumes: what CloudTrail shows in the target accounts.
const trustSessionName = "iamkit-trust"

// trustTargetsHelp is the part of the trust commands' help on accounts.
const trustTargetsHelp = `The role is looked up by name in each target account:
  (no flag)             the account of the standard configuration chain
                        (AWS_PROFILE, SSO, environment variables, instance
                        roles), reported as "default";
  --organization        every ACTIVE account of the organization (listed with
                        Organizations ListAccounts, which only the management
                        account or a delegated administrator may call; the
                        others are reported as skipped), through the role
                        --role-name (default ` + defaultOrgRoleName + `)
                        assumed in each but the caller's own;
  --profiles a,b,c      one account per shared-config profile;
  --role-arns ARN,...   one account per role, assumed (AssumeRole, session
                        name ` + trustSessionName + `) with the default credentials:
                        e.g. the OrganizationAccountAccessRole of each member
                        account.
Accounts are worked on concurrently (--concurrency); one account's failure does
not stop the others.`

func trustCommand() *command {
	return &command{
		name:    "trust",
		summary: "show and edit a role's trust policy, in one account or many",
		args:    "COMMAND --role NAME [ARGS]",
		help: `Show and edit the trust (assume-role) policy of a role, in one account or in
the same-named role across many accounts: add and remove principals, prune
the unique IDs (AIDA…, AROA…) that IAM leaves in place of deleted users and
roles. The policy is edited as a document: what an edit does not touch
(statement order, conditions, unknown fields) stays as it was. Nothing is
sent when nothing changes, so re-running after a failure is safe.

The accounts are the default one, --profiles, --role-arns, or with
--organization every active account of the organization (the role
--role-name assumed in each). Every change is proven with IAM Access
Analyzer first (ValidatePolicy, CheckNoNewAccess) and recorded in a journal
before it is sent; "rollback" undoes what a journal records.`,
		subs: []*command{
			{
				name:    "show",
				summary: "print a role's trust policy, in each account",
				args:    "--role NAME [--profiles a,b,c | --role-arns ARN,... | --organization [--role-name NAME]] [--json]",
				help: `Print the role's trust policy, decoded and indented, for each account, and
point out the unique IDs of deleted users and roles it still names.

` + trustJSONShowHelp + `

` + trustTargetsHelp,
				examples: []string{
					"iamkit trust show --role deploy",
					"iamkit trust show --role deploy --profiles staging,prod",
				},
				run: runTrustShow,
			},
			{
				name:    "add",
				summary: "let principals assume a role, in each account",
				args:    "--role NAME --principal P [--principal P]... [--profiles a,b,c | --role-arns ARN,... | --organization [--role-name NAME]] [--json] [--dry-run]",
				help: `Make the role trust each principal (sts:AssumeRole for AWS and Service
principals, AssumeRoleWithWebIdentity or AssumeRoleWithSAML for federated
ones), unless it already does. An AWS or Service principal joins the first
statement that already names principals of its kind, and so inherits its
conditions (such as an MFA requirement); otherwise a new statement is added.

` + trustPrincipalHelp + `

The edited policy is checked before it is sent: principal syntax, and the
size quota (2,048 characters, counted without whitespace, or the raised quota
given with --max-size, at most 4,096). Adding a principal that an explicit
Deny of the policy names is refused, naming the Deny's Sid (the Deny would
win); --force adds it anyway, with a warning. Principals, actions and
condition values are compared regardless of order, so re-running is a no-op.
Each account's diff is printed; with --dry-run nothing is changed. The exit
code is 1 if any account failed.

` + trustCheckHelp + `

` + trustJSONResultHelp + `

` + trustTargetsHelp,
				examples: []string{
					"iamkit trust add --role deploy --principal arn:aws:iam::111111111111:user/alice --dry-run",
					"iamkit trust add --role deploy --principal arn:aws:iam::111111111111:user/alice --profiles staging,prod",
					"iamkit trust add --role ci --principal Service:codebuild.amazonaws.com",
					"iamkit trust add --role Admin --principal 111111111111 --role-arns arn:aws:iam::222222222222:role/OrganizationAccountAccessRole,arn:aws:iam::333333333333:role/OrganizationAccountAccessRole",
				},
				run: func(ctx context.Context, a *app, c *command, args []string) error {
					return runTrustEdit(ctx, a, c, args, trustAdd)
				},
			},
			{
				name:    "remove",
				summary: "stop principals from assuming a role, in each account",
				args:    "--role NAME --principal P [--principal P]... [--profiles a,b,c | --role-arns ARN,... | --organization [--role-name NAME]] [--json] [--dry-run]",
				help: `Remove each principal from every Allow statement of the role's trust policy
(a bare account ID and its :root ARN alike). A statement left with no
principal is dropped; Deny statements are never touched.

` + trustPrincipalHelp + ` A unique ID (AIDA…, AROA…) may be removed too.

Each account's diff is printed; with --dry-run nothing is changed. The exit
code is 1 if any account failed.

` + trustCheckHelp + `

` + trustJSONResultHelp + `

` + trustTargetsHelp,
				examples: []string{
					"iamkit trust remove --role deploy --principal arn:aws:iam::111111111111:user/alice --dry-run",
					"iamkit trust remove --role deploy --principal arn:aws:iam::111111111111:user/alice --profiles staging,prod",
				},
				run: func(ctx context.Context, a *app, c *command, args []string) error {
					return runTrustEdit(ctx, a, c, args, trustRemove)
				},
			},
			{
				name:    "prune",
				summary: "remove the unique IDs of deleted users and roles, in each account",
				args:    "--role NAME | --all-roles [--profiles a,b,c | --role-arns ARN,... | --organization [--role-name NAME]] [--json] [--dry-run]",
				help: `When a user or role named in a trust policy is deleted, IAM shows its unique
ID (AIDA… for a user, AROA… for a role) in its place. The ID grants nothing
(a new user of the same name is a different principal), and IAM refuses to
save a policy that still holds one, so any later edit fails until it is
gone. prune removes every such ID; a statement left with no principal is
dropped.

With --all-roles instead of --role, prune lists every role of each account
(ListRoles) and prunes each one whose policy names such an ID: the dry run
is the plan. Service-linked roles are reported as skipped (only their AWS
service may change them).

Each account's diff is printed; with --dry-run nothing is changed. The exit
code is 1 if any account failed.

` + trustCheckHelp + `

` + trustJSONResultHelp + `

` + trustTargetsHelp,
				examples: []string{
					"iamkit trust prune --role deploy --dry-run",
					"iamkit trust prune --role deploy --profiles staging,prod",
					"iamkit trust prune --all-roles --dry-run",
				},
				run: func(ctx context.Context, a *app, c *command, args []string) error {
					return runTrustEdit(ctx, a, c, args, trustPrune)
				},
			},
			{
				name:    "rollback",
				summary: "undo the changes a journal records, role by role",
				args:    "JOURNAL [--profiles a,b,c | --role-arns ARN,... | --organization [--role-name NAME]] [--json] [--dry-run]",
				help: `Every change iamkit trust makes is recorded, before it is sent, in a journal
(--journal; JSON lines: time, role name, role ID, role ARN, caller, edit,
old and new document). rollback restores each role the journal names to the
document it had before its first recorded change: it reads the role, shows
the diff (with --dry-run, only that), proves the change like any other, and
sends it; a role already back sends nothing. A role found under the
journalled name but with another role ID was deleted and created again: it
is refused, since the old trust belongs to the old role. Each role is looked
for in the target accounts by its ARN; the rollback itself is journalled.
The exit code is 1 if any role failed.

` + trustCheckHelp + `

` + trustJSONResultHelp + `

` + trustTargetsHelp,
				examples: []string{
					"iamkit trust rollback ~/.local/state/iamkit/trust-journal.jsonl --dry-run",
					"iamkit trust rollback run.jsonl --profiles staging,prod",
				},
				run: runTrustRollback,
			},
		},
	}
}

const trustCheckHelp = `Every changed policy is proven with IAM Access Analyzer before it is sent,
and in a --dry-run: ValidatePolicy (as a role trust policy) lists its
findings, and ERROR or SECURITY_WARNING findings block the change unless
--allow-findings; CheckNoNewAccess compares it with the current policy, and
a removal or prune that would grant new access (deleting a Deny, say) is
refused. For an addition iamkit states the new access itself (principals
added, conditions loosened) beside Access Analyzer's PASS or FAIL. A
CheckNoNewAccess call is a custom policy check, charged by AWS per call: one
per changed document and account; the dry run says how many a run makes.
The caller needs access-analyzer:ValidatePolicy and
access-analyzer:CheckNoNewAccess.`

const trustPrincipalHelp = `A principal P is written as on the AWS CLI, its kind inferred: an account ID,
"*", an IAM user or role ARN or an STS session ARN is AWS; an OIDC or SAML
provider ARN or a web identity provider (cognito-identity.amazonaws.com) is
Federated; another host name (ec2.amazonaws.com) is Service. KIND:VALUE
names the kind explicitly (Service:ec2.amazonaws.com).`

// trustOp is what a trust command does to the policy.
type trustOp int

const (
	trustShow trustOp = iota
	trustAdd
	trustRemove
	trustPrune
	trustRollback
)

// trustFlags is a trust command's parsed command line.
type trustFlags struct {
	role         string
	principals   []trustpolicy.Principal
	profiles     []string
	roleARNs     []string
	dryRun       bool
	concurrency  int
	maxSize      int
	force        bool
	allowFind    bool
	journal      string // the journal changes are recorded in
	rollbackOf   string // trust rollback: the journal to undo
	allRoles     bool   // trust prune --all-roles
	organization bool
	roleName     string
	json         bool
	mfaToken     string
}

// parseTrust parses and checks a trust command's command line: every usage
// error is found before any AWS client is built.
func (a *app) parseTrust(c *command, op trustOp, args []string) (*trustFlags, error) {
	fs := a.flagSet(c)
	var (
		f                  trustFlags
		principals         stringList
		profiles, roleARNs string
	)
	if op != trustRollback {
		fs.StringVar(&f.role, "role", "", "the role's `NAME` (required), the same in every account")
	}
	if op == trustAdd || op == trustRemove {
		fs.Var(&principals, "principal", "principal `P` to "+map[trustOp]string{trustAdd: "add", trustRemove: "remove"}[op]+" (repeatable; at least one)")
	}
	fs.BoolVar(&f.organization, "organization", false, "work on every active account of the organization (Organizations ListAccounts; needs the management account or a delegated administrator)")
	fs.StringVar(&f.roleName, "role-name", "", "with --organization, the role `NAME` to assume in each member account (default "+defaultOrgRoleName+")")
	fs.StringVar(&profiles, "profiles", "", "work on the account of each shared-config profile in `LIST` (comma-separated)")
	fs.StringVar(&roleARNs, "role-arns", "", "work on each account whose role ARN is in `LIST` (comma-separated), assuming that role")
	fs.StringVar(&f.mfaToken, "mfa-token", "", "MFA `CODE` for the one --profiles profile when it assumes its role with mfa_serial (default: the profile's mfa_process, else a prompt on the terminal; a code serves one sign-in, so with several profiles use those)")
	if op != trustShow {
		fs.BoolVar(&f.dryRun, "dry-run", false, "print each account's diff and change nothing")
		fs.IntVar(&f.maxSize, "max-size", trustpolicy.DefaultSizeQuota, "the trust-policy size quota `N` (characters without whitespace): 2048 unless raised through Service Quotas, at most 4096")
	}
	if op == trustPrune {
		fs.BoolVar(&f.allRoles, "all-roles", false, "prune every role of each account that names a unique ID (instead of --role); service-linked roles are skipped")
	}
	if op != trustShow {
		fs.StringVar(&f.journal, "journal", "", "record every change in the journal `FILE` (JSON lines, mode 0600; default $XDG_STATE_HOME/iamkit/trust-journal.jsonl, else ~/.local/state/iamkit/trust-journal.jsonl)")
		fs.BoolVar(&f.allowFind, "allow-findings", false, "apply despite Access Analyzer findings of type ERROR or SECURITY_WARNING (they are still shown)")
	}
	if op == trustAdd {
		fs.BoolVar(&f.force, "force", false, "add a principal even when an explicit Deny of the policy names it (a warning instead of a refusal)")
	}
	fs.BoolVar(&f.json, "json", false, "print one JSON object per "+map[bool]string{true: "account", false: "role and account"}[op == trustShow]+" instead of text (its shape is described above)")
	fs.IntVar(&f.concurrency, "concurrency", trustpolicy.DefaultConcurrency, "work on `N` accounts at once")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return nil, err
	}
	if op == trustRollback {
		if len(pos) == 0 {
			return nil, c.usageError("missing JOURNAL (the journal file whose changes to undo)")
		}
		f.rollbackOf, pos = pos[0], pos[1:]
	}
	if len(pos) > 0 {
		return nil, c.usageError("unexpected argument %q", pos[0])
	}
	if op != trustShow && f.journal == "" {
		f.journal = a.defaultTrustJournal()
		if f.journal == "" && !f.dryRun {
			return nil, c.usageError("no place for the journal of changes: neither XDG_STATE_HOME nor HOME is set; give --journal FILE")
		}
	}
	switch {
	case f.allRoles && f.role != "":
		return nil, c.usageError("--role and --all-roles cannot be combined")
	case op == trustPrune && !f.allRoles && f.role == "":
		return nil, c.usageError("missing --role NAME (or --all-roles)")
	case op != trustRollback && !f.allRoles && f.role == "":
		return nil, c.usageError("missing --role NAME")
	case op != trustRollback && !f.allRoles && !awsname.ValidName(f.role, 1, 64):
		return nil, c.usageError("invalid role name %q (IAM allows 1 to 64 letters, digits and +=,.@_-; give the name, not the ARN)", f.role)
	case f.concurrency < 1:
		return nil, c.usageError("--concurrency must be at least 1, not %d", f.concurrency)
	case op != trustShow && (f.maxSize < trustpolicy.DefaultSizeQuota || f.maxSize > trustpolicy.MaxSizeQuota):
		return nil, c.usageError("--max-size must be between %d (IAM's default quota) and %d (the highest it can be raised to), not %d",
			trustpolicy.DefaultSizeQuota, trustpolicy.MaxSizeQuota, f.maxSize)
	case profiles != "" && roleARNs != "":
		return nil, c.usageError("--profiles and --role-arns cannot be combined")
	case f.organization && (profiles != "" || roleARNs != ""):
		return nil, c.usageError("--organization cannot be combined with --profiles or --role-arns")
	case f.mfaToken != "" && (profiles == "" || strings.Contains(profiles, ",")):
		return nil, c.usageError("--mfa-token goes with exactly one --profiles profile (a code serves one sign-in; with several, the profiles' mfa_process or the prompt asks for each)")
	case f.mfaToken != "" && !mfa.ValidToken(f.mfaToken):
		return nil, c.usageError("--mfa-token: %v", mfa.ErrInvalidToken)
	case f.roleName != "" && !f.organization:
		return nil, c.usageError("--role-name goes with --organization")
	case f.roleName != "" && !awsname.ValidName(f.roleName, 1, 64):
		return nil, c.usageError("--role-name: invalid role name %q (give the name, not the ARN)", f.roleName)
	}
	if f.organization && f.roleName == "" {
		f.roleName = defaultOrgRoleName
	}
	if f.profiles, err = splitTrustTargets("--profiles", profiles); err != nil {
		return nil, c.usageError("%v", err)
	}
	if f.roleARNs, err = splitTrustTargets("--role-arns", roleARNs); err != nil {
		return nil, c.usageError("%v", err)
	}
	for _, arn := range f.roleARNs {
		if _, err := awsname.RoleARN(arn); err != nil {
			return nil, c.usageError("--role-arns: %q is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)", arn)
		}
	}
	if (op == trustAdd || op == trustRemove) && len(principals) == 0 {
		return nil, c.usageError("missing --principal P (at least one)")
	}
	for _, s := range principals {
		p, err := trustpolicy.ParsePrincipal(s)
		if err != nil {
			return nil, c.usageError("--principal %q: %v", s, strings.TrimPrefix(err.Error(), "trustpolicy: "))
		}
		if op == trustAdd && p.Kind == trustpolicy.KindAWS && trustpolicy.IsUniqueID(p.ID) {
			return nil, c.usageError("--principal %q is the unique ID of a deleted user or role: IAM refuses it (add the ARN of a user or role that exists)", s)
		}
		f.principals = append(f.principals, p)
	}
	return &f, nil
}

// splitTrustTargets splits a comma-separated list, refusing empty and repeated
// entries.
func splitTrustTargets(flagName, s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, fmt.Errorf("%s: empty entry in %q", flagName, s)
		}
		if seen[v] {
			return nil, fmt.Errorf("%s: %q is listed twice", flagName, v)
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, nil
}

// trustTargets builds the target accounts through the app's seam.
func (a *app) trustTargets(ctx context.Context, f *trustFlags) ([]trustpolicy.Target, error) {
	build := a.newTrustTargets
	if build == nil {
		build = a.loadTrustTargets
	}
	return build(ctx, trustTargetSpec{profiles: f.profiles, roleARNs: f.roleARNs, mfaToken: f.mfaToken, organization: f.organization, roleName: f.roleName, json: f.json})
}

// loadTrustTargets builds one IAM client per profile (config.LoadDefaultConfig
// with the shared-config profile) or per role ARN (the role assumed with the
// default configuration's credentials, through stscreds and a credentials
// cache); with neither, the default configuration is the one target
// "default". IAM is a global service: when no region is configured,
// us-east-1 is used.
func (a *app) loadTrustTargets(ctx context.Context, spec trustTargetSpec) ([]trustpolicy.Target, error) {
	profiles, roleARNs := spec.profiles, spec.roleARNs
	load := func(profile string) (aws.Config, error) {
		cfg, err := a.loadAWSConfig(ctx, profile, a.withProfileMFA(profile, spec.mfaToken))
		if err != nil {
			return aws.Config{}, err
		}
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		return cfg, nil
	}
	var targets []trustpolicy.Target
	switch {
	case spec.organization:
		cfg, err := load("")
		if err != nil {
			return nil, err
		}
		stsClient := sts.NewFromConfig(cfg)
		me, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, fmt.Errorf("asking who the default credentials are: %w", err)
		}
		partition := "aws"
		if arn, err := awsname.ParseARN(aws.ToString(me.Arn)); err == nil {
			partition = arn.Partition
		}
		return a.organizationTargets(ctx, spec, organizations.NewFromConfig(cfg), func(m trustpolicy.MemberAccount) (trustpolicy.Target, error) {
			name := m.ID + " (" + m.Name + ")"
			if m.ID == aws.ToString(me.Account) {
				return trustpolicy.Target{Name: name, API: iam.NewFromConfig(cfg), Validator: accessanalyzer.NewFromConfig(cfg), Caller: stsClient}, nil
			}
			arn := "arn:" + partition + ":iam::" + m.ID + ":role/" + spec.roleName
			provider := stscreds.NewAssumeRoleProvider(stsClient, arn, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = trustSessionName
			})
			roleCfg := cfg.Copy()
			roleCfg.Credentials = aws.NewCredentialsCache(provider)
			return trustpolicy.Target{Name: name, API: iam.NewFromConfig(roleCfg), Validator: accessanalyzer.NewFromConfig(roleCfg), Caller: sts.NewFromConfig(roleCfg)}, nil
		})
	case len(profiles) > 0:
		for _, p := range profiles {
			cfg, err := load(p)
			if err != nil {
				return nil, err
			}
			targets = append(targets, trustpolicy.Target{Name: p, API: iam.NewFromConfig(cfg), Validator: accessanalyzer.NewFromConfig(cfg), Caller: sts.NewFromConfig(cfg)})
		}
	case len(roleARNs) > 0:
		cfg, err := load("")
		if err != nil {
			return nil, err
		}
		stsClient := sts.NewFromConfig(cfg)
		for _, arn := range roleARNs {
			provider := stscreds.NewAssumeRoleProvider(stsClient, arn, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = trustSessionName
			})
			roleCfg := cfg.Copy()
			roleCfg.Credentials = aws.NewCredentialsCache(provider)
			targets = append(targets, trustpolicy.Target{Name: arn, API: iam.NewFromConfig(roleCfg), Validator: accessanalyzer.NewFromConfig(roleCfg), Caller: sts.NewFromConfig(roleCfg)})
		}
	default:
		cfg, err := load("")
		if err != nil {
			return nil, err
		}
		targets = append(targets, trustpolicy.Target{Name: "default", API: iam.NewFromConfig(cfg), Validator: accessanalyzer.NewFromConfig(cfg), Caller: sts.NewFromConfig(cfg)})
	}
	return targets, nil
}

// ---- trust show ----

func runTrustShow(ctx context.Context, a *app, c *command, args []string) error {
	f, err := a.parseTrust(c, trustShow, args)
	if err != nil {
		return err
	}
	targets, err := a.trustTargets(ctx, f)
	if err != nil {
		return err
	}
	trusts := make([]trustpolicy.RoleTrust, len(targets))
	errs := make([]error, len(targets))
	sem := make(chan struct{}, f.concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			trusts[i], errs[i] = trustpolicy.GetRoleTrust(ctx, t.API, f.role)
		}()
	}
	wg.Wait()

	if f.json {
		enc := json.NewEncoder(a.stdout)
		var failed int
		for i, t := range targets {
			out := trustJSONShow{Target: t.Name, Role: f.role}
			if errs[i] != nil {
				failed++
				out.Error = errs[i].Error()
			} else {
				rt := trusts[i]
				out.RoleARN, out.Path, out.ServiceLinked = rt.ARN, rt.Path, rt.ServiceLinked()
				out.Document = rt.Document.Bytes()
				out.UniqueIDs = rt.Document.UniqueIDs()
			}
			if err := enc.Encode(out); err != nil {
				return err
			}
		}
		if failed > 0 {
			return fmt.Errorf("%d of %d %s failed", failed, len(targets), trustPlural(len(targets), "account", "accounts"))
		}
		return nil
	}
	var failed int
	for i, t := range targets {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		if errs[i] != nil {
			failed++
			fmt.Fprintf(a.stdout, "%s: %s: failed: %v\n", t.Name, f.role, errs[i])
			continue
		}
		rt := trusts[i]
		fmt.Fprintf(a.stdout, "%s: %s (%s)\n%s\n", t.Name, rt.Name, rt.ARN, rt.Document.Indent())
		if ids := rt.Document.UniqueIDs(); len(ids) > 0 {
			fmt.Fprintf(a.stdout, "It names %d unique %s of deleted users or roles (%s): IAM refuses any edit\n"+
				"until %s removed: iamkit trust prune --role %s\n",
				len(ids), trustPlural(len(ids), "ID", "IDs"), strings.Join(ids, ", "), trustPlural(len(ids), "it is", "they are"), f.role)
		}
		if rt.ServiceLinked() {
			fmt.Fprintln(a.stdout, "It is a service-linked role: only its AWS service can change this policy.")
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d %s failed", failed, len(targets), trustPlural(len(targets), "account", "accounts"))
	}
	return nil
}

// ---- trust add, remove, prune ----

func runTrustEdit(ctx context.Context, a *app, c *command, args []string, op trustOp) error {
	f, err := a.parseTrust(c, op, args)
	if err != nil {
		return err
	}
	var edit trustpolicy.Edit
	switch op {
	case trustAdd:
		edit = trustpolicy.AddPrincipals(f.principals...)
	case trustRemove:
		edit = trustpolicy.RemovePrincipals(f.principals...)
	case trustPrune:
		edit = trustpolicy.PruneUniqueIDs()
	default:
		return errors.New("unknown trust operation")
	}
	journal, err := a.openTrustJournal(c, f)
	if err != nil {
		return err
	}
	targets, err := a.trustTargets(ctx, f)
	if err != nil {
		return err
	}
	opts := []trustpolicy.Option{
		trustpolicy.WithJournal(journal, nil),
		trustpolicy.WithDryRun(f.dryRun),
		trustpolicy.WithConcurrency(f.concurrency),
		trustpolicy.WithSizeQuota(f.maxSize),
		trustpolicy.WithForce(f.force),
		trustpolicy.WithAllowFindings(f.allowFind),
		trustpolicy.WithClock(a.clock),
		trustpolicy.WithLogger(a.log),
	}
	var results []trustpolicy.Result
	if f.allRoles {
		results = trustpolicy.PruneAllRoles(ctx, targets, opts...)
		if len(results) == 0 && !f.json {
			fmt.Fprintln(a.stdout, "No role names a unique ID of a deleted user or role: nothing to prune.")
		}
	} else {
		results = trustpolicy.ApplyAll(ctx, targets, f.role, edit, opts...)
	}
	if err := a.writeTrustResults(f, results); err != nil {
		return err
	}
	if f.dryRun && !f.json {
		fmt.Fprintln(a.stdout, "Dry run: nothing was changed. Run again without --dry-run to apply.")
		if n := trustpolicy.CustomChecks(results); n > 0 {
			fmt.Fprintf(a.stdout, "Applying makes %d custom policy %s again (CheckNoNewAccess, one per changed document, charged per call).\n",
				n, trustPlural(n, "check", "checks"))
		}
	}
	if n := trustpolicy.Summary(results)[trustpolicy.Failed]; n > 0 {
		one, many := "account", "accounts"
		if f.allRoles {
			one, many = "role", "roles"
		}
		msg := fmt.Sprintf("%d of %d %s failed (see above)", n, len(results), trustPlural(len(results), one, many))
		if n < len(results) && !f.dryRun {
			msg += "; fix the cause and re-run: the accounts done report unchanged"
		}
		return errors.New(msg)
	}
	return nil
}

// trustPlural returns one when n is 1, many otherwise.
func trustPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ---- the journal and trust rollback ----

// trustJournalFile is the default journal's name under the state directory.
const trustJournalFile = "iamkit/trust-journal.jsonl"

// defaultTrustJournal is $XDG_STATE_HOME/iamkit/trust-journal.jsonl, else
// $HOME/.local/state/iamkit/trust-journal.jsonl; "" when neither is set.
func (a *app) defaultTrustJournal() string {
	if d := a.getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, trustJournalFile)
	}
	if h := a.getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", trustJournalFile)
	}
	return ""
}

// openTrustJournal opens the journal of a command that changes policies;
// a dry run records nothing and opens none.
func (a *app) openTrustJournal(c *command, f *trustFlags) (*trustpolicy.Journal, error) {
	if f.dryRun {
		return nil, nil
	}
	j, err := trustpolicy.OpenJournal(f.journal)
	if err != nil {
		// Nothing was sent: the journal is opened first.
		return nil, c.usageError("--journal: %s", strings.TrimPrefix(err.Error(), "trustpolicy: "))
	}
	return j, nil
}

func runTrustRollback(ctx context.Context, a *app, c *command, args []string) error {
	f, err := a.parseTrust(c, trustRollback, args)
	if err != nil {
		return err
	}
	entries, err := trustpolicy.ReadJournalFile(f.rollbackOf)
	if err != nil {
		return c.usageError("%v", strings.TrimPrefix(err.Error(), "trustpolicy: "))
	}
	plans, err := trustpolicy.PlanRollback(entries)
	if err != nil {
		return c.usageError("%v", strings.TrimPrefix(err.Error(), "trustpolicy: "))
	}
	if len(plans) == 0 {
		if f.json {
			return nil
		}
		fmt.Fprintf(a.stdout, "%s records no change: nothing to roll back.\n", f.rollbackOf)
		return nil
	}
	journal, err := a.openTrustJournal(c, f)
	if err != nil {
		return err
	}
	targets, err := a.trustTargets(ctx, f)
	if err != nil {
		return err
	}
	results := make([]trustpolicy.Result, len(plans))
	sem := make(chan struct{}, f.concurrency)
	var wg sync.WaitGroup
	for i, plan := range plans {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = rollbackOne(ctx, a, f, journal, targets, plan)
		}()
	}
	wg.Wait()
	if err := a.writeTrustResults(f, results); err != nil {
		return err
	}
	if f.dryRun && !f.json {
		fmt.Fprintln(a.stdout, "Dry run: nothing was changed. Run again without --dry-run to roll back.")
	}
	if n := trustpolicy.Summary(results)[trustpolicy.Failed]; n > 0 {
		return fmt.Errorf("%d of %d %s failed (see above)", n, len(results), trustPlural(len(results), "role", "roles"))
	}
	return nil
}

// writeTrustResults prints results as --json lines or as the report.
func (a *app) writeTrustResults(f *trustFlags, results []trustpolicy.Result) error {
	if f.json {
		return a.writeTrustJSON(results, f.dryRun)
	}
	return trustpolicy.WriteReport(a.stdout, results)
}

// rollbackOne restores one role in whichever target holds it (by ARN).
func rollbackOne(ctx context.Context, a *app, f *trustFlags, journal *trustpolicy.Journal, targets []trustpolicy.Target, plan trustpolicy.RollbackPlan) trustpolicy.Result {
	for _, t := range targets {
		res, err := trustpolicy.Rollback(ctx, t.API, plan,
			trustpolicy.WithDryRun(f.dryRun),
			trustpolicy.WithValidator(t.Validator),
			trustpolicy.WithJournal(journal, t.Caller),
			trustpolicy.WithAllowFindings(f.allowFind),
			trustpolicy.WithSizeQuota(f.maxSize),
			trustpolicy.WithClock(a.clock),
			trustpolicy.WithLogger(a.log),
		)
		if errors.Is(err, trustpolicy.ErrOtherAccount) {
			continue
		}
		res.Target = t.Name
		if res.RoleARN == "" {
			res.RoleARN = plan.RoleARN
		}
		return *res
	}
	return trustpolicy.Result{Role: plan.RoleName, RoleARN: plan.RoleARN, Status: trustpolicy.Failed,
		Err: fmt.Errorf("no target account holds %s (give the account with --profiles or --role-arns)", plan.RoleARN)}
}

// organizationTargets discovers the organization's active accounts with
// api and builds a target for each; it says which accounts it skips, and
// what a refusal means.
func (a *app) organizationTargets(ctx context.Context, spec trustTargetSpec, api trustpolicy.OrganizationsAPI, build func(trustpolicy.MemberAccount) (trustpolicy.Target, error)) ([]trustpolicy.Target, error) {
	targets, skipped, err := trustpolicy.OrganizationTargets(ctx, api, build)
	if errors.Is(err, trustpolicy.ErrNotOrganizationAdmin) {
		return nil, fmt.Errorf("--organization: Organizations refused to list the accounts: run it with the credentials of the "+
			"organization's management account or of a delegated administrator (%w)", err)
	}
	if err != nil {
		return nil, err
	}
	for _, m := range skipped {
		reason := fmt.Sprintf("the account is %s, not ACTIVE", m.State)
		if spec.json {
			if err := json.NewEncoder(a.stdout).Encode(trustJSONResult{Target: m.ID + " (" + m.Name + ")", Status: string(trustpolicy.Skipped), Error: reason}); err != nil {
				return nil, err
			}
			continue
		}
		fmt.Fprintf(a.stdout, "%s (%s): skipped: %s\n", m.ID, m.Name, reason)
	}
	return targets, nil
}

// ---- --json ----

// trustJSONShowHelp documents the shape of trust show --json.
const trustJSONShowHelp = `With --json, one JSON object per account, one per line:
  {"target": "staging", "role": "deploy", "role_arn": "arn:…", "path": "/",
   "service_linked": false, "document": {…the policy…},
   "unique_ids": ["AIDA…"], "error": "…only when it failed"}`

// trustJSONResultHelp documents the shape of the changing commands' --json.
const trustJSONResultHelp = `With --json, one JSON object per role and account, one per line, and
nothing else on stdout (an account --organization skips is a line with
status "skipped"):
  {"target": "staging", "role": "deploy", "role_arn": "arn:…",
   "role_id": "AROA…", "status": "changed|would change|unchanged|skipped|failed",
   "dry_run": false, "attempts": 1, "before": {…}, "after": {…},
   "diff": "@@ …", "warnings": ["…"],
   "check": {"findings": [{"type": "…", "issue_code": "…", "details": "…",
             "path": "…"}], "no_new_access": "PASS|FAIL", "reasons": ["…"],
             "new_access": ["…"], "expect_no_new_access": false,
             "custom_checks": 1, "validate_calls": 1},
   "error": "…only when it failed"}`

// trustJSONShow is one account's line of trust show --json.
type trustJSONShow struct {
	Target        string          `json:"target"`
	Role          string          `json:"role"`
	RoleARN       string          `json:"role_arn,omitempty"`
	Path          string          `json:"path,omitempty"`
	ServiceLinked bool            `json:"service_linked"`
	Document      json.RawMessage `json:"document,omitempty"`
	UniqueIDs     []string        `json:"unique_ids,omitempty"`
	Error         string          `json:"error,omitempty"`
}

// trustJSONResult is one role's line of trust add|remove|prune|rollback --json.
type trustJSONResult struct {
	Target   string             `json:"target,omitempty"`
	Role     string             `json:"role,omitempty"`
	RoleARN  string             `json:"role_arn,omitempty"`
	RoleID   string             `json:"role_id,omitempty"`
	Status   string             `json:"status"`
	DryRun   bool               `json:"dry_run"`
	Attempts int                `json:"attempts"`
	Before   json.RawMessage    `json:"before,omitempty"`
	After    json.RawMessage    `json:"after,omitempty"`
	Diff     string             `json:"diff,omitempty"`
	Warnings []string           `json:"warnings,omitempty"`
	Check    *trustpolicy.Check `json:"check,omitempty"`
	Error    string             `json:"error,omitempty"`
}

// writeTrustJSON prints results as JSON lines.
func (a *app) writeTrustJSON(results []trustpolicy.Result, dryRun bool) error {
	enc := json.NewEncoder(a.stdout)
	for _, r := range results {
		out := trustJSONResult{Target: r.Target, Role: r.Role, RoleARN: r.RoleARN, RoleID: r.RoleID, Status: string(r.Status),
			DryRun: dryRun, Attempts: r.Attempts, Diff: r.Diff, Warnings: r.Warnings, Check: r.Check}
		if r.Before != nil {
			out.Before = r.Before.Bytes()
		}
		if r.After != nil && r.Status != trustpolicy.Unchanged {
			out.After = r.After.Bytes()
		}
		if r.Err != nil {
			out.Error = r.Err.Error()
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return nil
}
