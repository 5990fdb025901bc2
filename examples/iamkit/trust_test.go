package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

const (
	trustAlice = "arn:aws:iam::111111111111:user/alice" // a user of the login account
	updateOp   = "iam:UpdateAssumeRolePolicy"
)

// trustEnv is the CLI wired to linked fake accounts: the login account, where
// alice is a user, and the accounts the trust commands work on, named like
// profiles, each with the role "deploy" trusting only its own root.
type trustEnv struct {
	*env
	login    *fakes.Account
	accounts map[string]*fakes.Account // by profile name
	first    string                    // the profile the default configuration stands for

	state string // $XDG_STATE_HOME: the default journal is under it
	spec  trustTargetSpec

	built    int // how often the targets were built
	profiles []string
	roleARNs []string
}

func newTrustEnv(t *testing.T, profiles ...string) *trustEnv {
	t.Helper()
	ctx := context.Background()
	dir := fakes.NewDirectory()
	te := &trustEnv{
		env:      newEnv(t),
		login:    fakes.NewAccount(fakes.WithAccountID("111111111111"), fakes.WithDirectory(dir)),
		accounts: map[string]*fakes.Account{},
		first:    profiles[0],
		state:    t.TempDir(),
	}
	te.a.getenv = func(k string) string {
		if k == "XDG_STATE_HOME" {
			return te.state
		}
		return ""
	}
	_, err := te.login.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	for i, p := range profiles {
		id := strings.Repeat(string(rune('2'+i)), 12)
		acct := fakes.NewAccount(fakes.WithAccountID(id), fakes.WithDirectory(dir))
		_, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String("deploy"),
			AssumeRolePolicyDocument: aws.String(rootTrust(id)),
		})
		require.NoError(t, err)
		acct.ResetCalls()
		te.accounts[p] = acct
	}
	// --profiles picks accounts by name, --role-arns by the ARN's account ID;
	// the default configuration is the first account.
	te.a.newTrustTargets = func(ctx context.Context, spec trustTargetSpec) ([]trustpolicy.Target, error) {
		profiles, roleARNs := spec.profiles, spec.roleARNs
		te.built++
		te.spec = spec
		if spec.organization {
			// The login account manages the organization; each member
			// is reached as its account (the role assumed in the real CLI).
			return te.a.organizationTargets(ctx, spec, te.login.Organizations(), func(m trustpolicy.MemberAccount) (trustpolicy.Target, error) {
				acct := te.login
				for _, a := range te.accounts {
					if a.ID() == m.ID {
						acct = a
					}
				}
				return trustpolicy.Target{Name: m.ID + " (" + m.Name + ")", API: acct.IAM(), Validator: acct.AccessAnalyzer(), Caller: acct.STS()}, nil
			})
		}
		te.profiles, te.roleARNs = profiles, roleARNs
		var targets []trustpolicy.Target
		switch {
		case len(profiles) > 0:
			for _, p := range profiles {
				acct, ok := te.accounts[p]
				if !ok {
					return nil, errors.New("loading AWS configuration for profile " + p + ": no such profile")
				}
				targets = append(targets, trustpolicy.Target{Name: p, API: acct.IAM(), Validator: acct.AccessAnalyzer(), Caller: acct.STS()})
			}
		case len(roleARNs) > 0:
			for _, arn := range roleARNs {
				for _, acct := range te.accounts {
					if strings.Contains(arn, "::"+acct.ID()+":") {
						targets = append(targets, trustpolicy.Target{Name: arn, API: acct.IAM(), Validator: acct.AccessAnalyzer(), Caller: acct.STS()})
					}
				}
			}
		default:
			targets = append(targets, trustpolicy.Target{Name: "default", API: te.accounts[te.first].IAM(), Validator: te.accounts[te.first].AccessAnalyzer(), Caller: te.accounts[te.first].STS()})
		}
		return targets, nil
	}
	return te
}

func rootTrust(id string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"sts:AssumeRole"}]}`
}

// policy returns the trust policy of "deploy" as the account stores it.
func (te *trustEnv) policy(profile string) string {
	te.t.Helper()
	doc, ok := te.accounts[profile].TrustPolicy("deploy")
	require.True(te.t, ok)
	return doc
}

// updates counts UpdateAssumeRolePolicy calls in the account.
func (te *trustEnv) updates(profile string) int {
	return te.accounts[profile].Calls(updateOp)
}

func (te *trustEnv) deleteAlice() {
	te.t.Helper()
	_, err := te.login.IAM().DeleteUser(context.Background(), &iam.DeleteUserInput{UserName: aws.String("alice")})
	require.NoError(te.t, err)
}

func TestTrustHelp(t *testing.T) {
	cases := []struct {
		path []string
		want []string
	}{
		{[]string{"trust"}, []string{"Usage: iamkit trust COMMAND --role NAME", "--organization", "show", "add", "remove", "prune", "rollback", "undo the changes a journal records", "unique IDs"}},
		{[]string{"trust", "show"}, []string{"Usage: iamkit trust show --role NAME", "--role NAME", "--profiles LIST", "--role-arns LIST", "--organization", "--role-name NAME", "--concurrency N", "(default 4)", `"default"`, "Examples:", "iamkit trust show --role deploy --profiles staging,prod"}},
		{[]string{"trust", "add"}, []string{"Usage: iamkit trust add --role NAME --principal P", "--principal P", "--dry-run", "Service:ec2.amazonaws.com", "iamkit trust add --role deploy --principal arn:aws:iam::111111111111:user/alice --dry-run"}},
		{[]string{"trust", "remove"}, []string{"Usage: iamkit trust remove --role NAME --principal P", "--principal P", "--dry-run", "A unique ID (AIDA…, AROA…) may be removed too", "Examples:"}},
		{[]string{"trust", "prune"}, []string{"Usage: iamkit trust prune --role NAME", "--dry-run", "AIDA…", "iamkit trust prune --role deploy --profiles staging,prod"}},
		{[]string{"trust", "rollback"}, []string{"Usage: iamkit trust rollback JOURNAL", "--dry-run", "--journal FILE", "another role ID", "iamkit trust rollback run.jsonl --profiles staging,prod"}},
		{nil, []string{"trust", "show and edit a role's trust policy"}},
	}
	for _, c := range cases {
		for _, form := range [][]string{append(append([]string{}, c.path...), "--help"), append([]string{"help"}, c.path...)} {
			t.Run(strings.Join(form, " "), func(t *testing.T) {
				te := newTrustEnv(t, "staging")
				require.Equal(t, exitOK, te.run(form...), te.stderr.String())
				for _, w := range c.want {
					assert.Contains(t, te.stdout.String(), w)
				}
				assert.Empty(t, te.stderr.String())
				assert.Zero(t, te.built, "help must not build AWS clients")
			})
		}
	}
	// show has no --principal or --dry-run, prune no --principal.
	te := newTrustEnv(t, "staging")
	require.Equal(t, exitOK, te.run("trust", "show", "--help"))
	assert.NotContains(t, te.stdout.String(), "--principal")
	assert.NotContains(t, te.stdout.String(), "--dry-run")
	require.Equal(t, exitOK, te.run("trust", "prune", "--help"))
	assert.NotContains(t, te.stdout.String(), "--principal P")
}

func TestTrustUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"trust"}, "iamkit trust: missing command"},
		{[]string{"trust", "bogus"}, `iamkit trust: unknown command "bogus"`},
		{[]string{"trust", "show"}, "iamkit trust show: missing --role NAME"},
		{[]string{"trust", "show", "--role"}, "flag needs an argument: -role"},
		{[]string{"trust", "show", "--role", "deploy", "extra"}, `unexpected argument "extra"`},
		{[]string{"trust", "show", "--role", "arn:aws:iam::222222222222:role/deploy"}, `invalid role name "arn:aws:iam::222222222222:role/deploy"`},
		{[]string{"trust", "show", "--role", strings.Repeat("r", 65)}, "invalid role name"},
		{[]string{"trust", "show", "--role", "deploy", "--dry-run"}, "flag provided but not defined: -dry-run"},
		{[]string{"trust", "show", "--role", "deploy", "--principal", "123456789012"}, "flag provided but not defined: -principal"},
		{[]string{"trust", "show", "--role", "deploy", "--concurrency", "0"}, "--concurrency must be at least 1, not 0"},
		{[]string{"trust", "show", "--role", "deploy", "--profiles", "a", "--role-arns", "arn:aws:iam::222222222222:role/x"}, "--profiles and --role-arns cannot be combined"},
		{[]string{"trust", "show", "--role", "deploy", "--profiles", "staging,,prod"}, `--profiles: empty entry in "staging,,prod"`},
		{[]string{"trust", "show", "--role", "deploy", "--profiles", "staging,staging"}, `--profiles: "staging" is listed twice`},
		{[]string{"trust", "show", "--role", "deploy", "--role-arns", "arn:aws:iam::222222222222:user/bob"}, `--role-arns: "arn:aws:iam::222222222222:user/bob" is not a role ARN`},
		{[]string{"trust", "show", "--role", "deploy", "--role-arns", "222222222222"}, `--role-arns: "222222222222" is not a role ARN`},
		{[]string{"trust", "add", "--role", "deploy"}, "iamkit trust add: missing --principal P (at least one)"},
		{[]string{"trust", "remove", "--role", "deploy"}, "iamkit trust remove: missing --principal P (at least one)"},
		{[]string{"trust", "add", "--principal", trustAlice}, "missing --role NAME"},
		{[]string{"trust", "add", "--role", "deploy", "--principal", trustAlice, "--principal", "arn:aws:iam::*:root"}, `--principal "arn:aws:iam::*:root": invalid principal`},
		{[]string{"trust", "add", "--role", "deploy", "--principal", "*.amazonaws.com"}, `--principal "*.amazonaws.com"`},
		{[]string{"trust", "add", "--role", "deploy", "--principal", "Bogus:thing"}, `unknown kind "Bogus"`},
		{[]string{"trust", "add", "--role", "deploy", "--principal", "AIDAJQABLZS4A3QDU576Q"}, "is the unique ID of a deleted user or role"},
		{[]string{"trust", "remove", "--role", "deploy", "--principal", "arn:aws:iam::12345:user/x"}, `--principal "arn:aws:iam::12345:user/x"`},
		{[]string{"trust", "prune", "--role", "deploy", "--principal", trustAlice}, "flag provided but not defined: -principal"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			te := newTrustEnv(t, "staging")
			assert.Equal(t, exitUsage, te.run(c.args...))
			assert.Contains(t, te.stderr.String(), c.want)
			assert.Zero(t, te.built, "a usage error must not build AWS clients")
			assert.Zero(t, te.accounts["staging"].CallsWithPrefix("iam:"), "a usage error must not call AWS")
			assert.Empty(t, te.stdout.String())
		})
	}
}

func TestTrustShow(t *testing.T) {
	te := newTrustEnv(t, "staging", "prod")

	// Default: the default configuration's account, named "default".
	require.Equal(t, exitOK, te.run("trust", "show", "--role", "deploy"), te.stderr.String())
	assert.Equal(t, `default: deploy (arn:aws:iam::222222222222:role/deploy)
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::222222222222:root"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}
`, te.stdout.String())
	assert.Empty(t, te.stderr.String())
	assert.Nil(t, te.profiles)
	assert.Nil(t, te.roleARNs)
	assert.Zero(t, te.updates("staging"), "show changes nothing")

	// One block per profile, in the order given.
	require.Equal(t, exitOK, te.run("trust", "show", "--role", "deploy", "--profiles", "prod, staging"), te.stderr.String())
	assert.Equal(t, []string{"prod", "staging"}, te.profiles)
	out := te.stdout.String()
	prod := strings.Index(out, "prod: deploy (arn:aws:iam::333333333333:role/deploy)")
	staging := strings.Index(out, "\nstaging: deploy (arn:aws:iam::222222222222:role/deploy)")
	require.GreaterOrEqual(t, prod, 0, out)
	assert.Greater(t, staging, prod, out)
	assert.Contains(t, out, `"AWS": "arn:aws:iam::333333333333:root"`)

	// Role ARNs reach the seam as given.
	arns := "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole,arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"
	require.Equal(t, exitOK, te.run("trust", "show", "--role", "deploy", "--role-arns", arns), te.stderr.String())
	assert.Equal(t, strings.Split(arns, ","), te.roleARNs)
	assert.Nil(t, te.profiles)
	assert.Contains(t, te.stdout.String(), "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole: deploy (arn:aws:iam::333333333333:role/deploy)")
}

func TestTrustShowMissingRole(t *testing.T) {
	te := newTrustEnv(t, "staging", "prod")
	_, err := te.accounts["prod"].IAM().DeleteRole(context.Background(), &iam.DeleteRoleInput{RoleName: aws.String("deploy")})
	require.NoError(t, err)
	assert.Equal(t, exitFailed, te.run("trust", "show", "--role", "deploy", "--profiles", "staging,prod"))
	assert.Contains(t, te.stdout.String(), "staging: deploy (arn:aws:iam::222222222222:role/deploy)")
	assert.Contains(t, te.stdout.String(), "prod: deploy: failed:")
	assert.Equal(t, "iamkit trust show: 1 of 2 accounts failed\n", te.stderr.String())
}

func TestTrustAdd(t *testing.T) {
	te := newTrustEnv(t, "staging", "prod")
	args := []string{"trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,prod"}

	require.Equal(t, exitOK, te.run(args...), te.stderr.String())
	out := te.stdout.String()
	assert.Contains(t, out, "staging: deploy: changed (1 attempt)")
	assert.Contains(t, out, "prod: deploy: changed (1 attempt)")
	assert.Contains(t, out, `+          "`+trustAlice+`"`)
	assert.Contains(t, out, "2 changed\n")
	assert.NotContains(t, out, "Dry run")
	assert.Empty(t, te.stderr.String())
	for _, p := range []string{"staging", "prod"} {
		assert.Contains(t, te.policy(p), trustAlice)
		assert.Equal(t, 1, te.updates(p))
	}
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root","`+trustAlice+`"]},"Action":"sts:AssumeRole"}]}`, te.policy("staging"))

	// Again: nothing to do, nothing sent.
	require.Equal(t, exitOK, te.run(args...), te.stderr.String())
	assert.Equal(t, "staging: deploy: unchanged\nprod: deploy: unchanged\n2 unchanged\n", te.stdout.String())
	for _, p := range []string{"staging", "prod"} {
		assert.Equal(t, 1, te.updates(p), "an unchanged policy is not sent")
	}
}

func TestTrustAddKinds(t *testing.T) {
	te := newTrustEnv(t, "staging")
	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy",
		"--principal", "Service:codebuild.amazonaws.com", "--principal", "444455556666"), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "default: deploy: changed")
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root","444455556666"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, te.policy("staging"))
}

func TestTrustRemove(t *testing.T) {
	te := newTrustEnv(t, "staging", "prod")
	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,prod"), te.stderr.String())

	args := []string{"trust", "remove", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,prod"}
	require.Equal(t, exitOK, te.run(args...), te.stderr.String())
	out := te.stdout.String()
	assert.Contains(t, out, "staging: deploy: changed")
	assert.Contains(t, out, "prod: deploy: changed")
	assert.Contains(t, out, `-          "`+trustAlice+`"`)
	assert.Contains(t, out, "2 changed\n")
	assert.Equal(t, rootTrustList("222222222222"), te.policy("staging"))
	assert.NotContains(t, te.policy("prod"), trustAlice)

	// Removing what is not there changes nothing.
	require.Equal(t, exitOK, te.run(args...), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "2 unchanged")
	assert.Equal(t, 2, te.updates("staging"))
}

func TestTrustPrune(t *testing.T) {
	te := newTrustEnv(t, "staging", "prod")
	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,prod"), te.stderr.String())
	te.deleteAlice()

	// IAM now shows alice's unique ID where her ARN was; show points it out.
	require.Equal(t, exitOK, te.run("trust", "show", "--role", "deploy", "--profiles", "staging,prod"), te.stderr.String())
	out := te.stdout.String()
	assert.NotContains(t, out, trustAlice)
	assert.Regexp(t, `"AIDA[A-Z0-9]+"`, out)
	assert.Contains(t, out, "It names 1 unique ID of deleted users or roles (AIDA")
	assert.Contains(t, out, "iamkit trust prune --role deploy")

	// Editing anything else fails until the ID is gone: IAM refuses it.
	assert.Equal(t, exitFailed, te.run("trust", "add", "--role", "deploy", "--principal", "444455556666", "--profiles", "staging"))
	assert.Contains(t, te.stdout.String(), "staging: deploy: failed:")

	// Dry run: the diff, nothing sent.
	before := te.updates("staging") + te.updates("prod")
	require.Equal(t, exitOK, te.run("trust", "prune", "--role", "deploy", "--profiles", "staging,prod", "--dry-run"), te.stderr.String())
	out = te.stdout.String()
	assert.Contains(t, out, "staging: deploy: would change")
	assert.Regexp(t, `-\s+"AIDA[A-Z0-9]+"`, out)
	assert.Contains(t, out, "CheckNoNewAccess PASS")
	assert.Contains(t, out, "2 would change\nAccess Analyzer: 2 changed documents validated; 2 custom policy checks")
	assert.Contains(t, out, "Dry run: nothing was changed.")
	assert.Equal(t, before, te.updates("staging")+te.updates("prod"))

	require.Equal(t, exitOK, te.run("trust", "prune", "--role", "deploy", "--profiles", "staging,prod"), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "2 changed")
	assert.Equal(t, rootTrustList("222222222222"), te.policy("staging"))
	assert.NotContains(t, te.policy("prod"), "AIDA")

	// Clean: show has nothing to point out, prune nothing to do.
	require.Equal(t, exitOK, te.run("trust", "show", "--role", "deploy", "--profiles", "staging,prod"))
	assert.NotContains(t, te.stdout.String(), "unique ID")
	require.Equal(t, exitOK, te.run("trust", "prune", "--role", "deploy", "--profiles", "staging,prod"))
	assert.Contains(t, te.stdout.String(), "2 unchanged")
}

func TestTrustDryRunChangesNothing(t *testing.T) {
	for _, op := range []string{"add", "remove"} {
		t.Run(op, func(t *testing.T) {
			te := newTrustEnv(t, "staging", "prod")
			if op == "remove" {
				require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,prod"))
			}
			before := map[string]string{}
			for _, p := range []string{"staging", "prod"} {
				before[p] = te.policy(p)
				te.accounts[p].ResetCalls()
			}
			require.Equal(t, exitOK, te.run("trust", op, "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,prod", "--dry-run"), te.stderr.String())
			out := te.stdout.String()
			assert.Regexp(t, `staging: deploy: would change\n    Access Analyzer: 0 findings \(0 blocking\); CheckNoNewAccess (PASS|FAIL)\n(.*\n)*    @@`, out)
			assert.Contains(t, out, "prod: deploy: would change\n")
			assert.Contains(t, out, trustAlice)
			assert.True(t, strings.HasSuffix(out, "2 would change\nAccess Analyzer: 2 changed documents validated; 2 custom policy checks (CheckNoNewAccess, charged per call)\n"+
				"Dry run: nothing was changed. Run again without --dry-run to apply.\n"+
				"Applying makes 2 custom policy checks again (CheckNoNewAccess, one per changed document, charged per call).\n"), out)
			for _, p := range []string{"staging", "prod"} {
				assert.Equal(t, before[p], te.policy(p))
				assert.Zero(t, te.accounts[p].Calls(updateOp), "a dry run sends nothing")
				assert.Equal(t, 1, te.accounts[p].Calls("access-analyzer:CheckNoNewAccess"), "a dry run proves the change")
				assert.Equal(t, 1, te.accounts[p].Calls("iam:GetRole"), "a dry run reads each role once")
			}
		})
	}
}

func TestTrustOneAccountFails(t *testing.T) {
	te := newTrustEnv(t, "dev", "staging", "prod")
	// staging has no role "deploy".
	_, err := te.accounts["staging"].IAM().DeleteRole(context.Background(), &iam.DeleteRoleInput{RoleName: aws.String("deploy")})
	require.NoError(t, err)

	args := []string{"trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "dev,staging,prod", "--concurrency", "1"}
	assert.Equal(t, exitFailed, te.run(args...))
	out := te.stdout.String()
	assert.Contains(t, out, "dev: deploy: changed")
	assert.Contains(t, out, "staging: deploy: failed:")
	assert.Contains(t, out, "cannot be found")
	assert.Contains(t, out, "prod: deploy: changed")
	assert.Contains(t, out, "2 changed, 1 failed\n")
	assert.True(t, strings.HasSuffix(te.stderr.String(), "\niamkit trust add: 1 of 3 accounts failed (see above); fix the cause and re-run: the accounts done report unchanged\n"), te.stderr.String())
	assert.Contains(t, te.stderr.String(), `level=WARN msg="trust policy edit failed" target=staging`, "the library's warning")
	assert.Contains(t, te.policy("dev"), trustAlice)
	assert.Contains(t, te.policy("prod"), trustAlice)

	// Fixed and re-run: only staging changes.
	_, err = te.accounts["staging"].IAM().CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(rootTrust(te.accounts["staging"].ID())),
	})
	require.NoError(t, err)
	require.Equal(t, exitOK, te.run(args...), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "dev: deploy: unchanged\nstaging: deploy: changed (1 attempt)")
	assert.Contains(t, te.stdout.String(), "1 changed, 2 unchanged\n")
}

func TestTrustTargetsError(t *testing.T) {
	te := newTrustEnv(t, "staging")
	assert.Equal(t, exitFailed, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,nope"))
	assert.Equal(t, "iamkit trust add: loading AWS configuration for profile nope: no such profile\n", te.stderr.String())
	assert.Zero(t, te.accounts["staging"].CallsWithPrefix("iam:"), "nothing is called when an account cannot be set up")
}

func TestLoadTrustTargets(t *testing.T) {
	// The real builder, with no network: the configuration is read from
	// files in a temporary directory and no call is made.
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	require.NoError(t, os.WriteFile(dir+"/config", []byte("[profile staging]\nregion = eu-west-1\n[profile prod]\n"), 0o600))
	require.NoError(t, os.WriteFile(dir+"/credentials", nil, 0o600))
	ctx := context.Background()

	targets, err := newApp(nil, io.Discard, io.Discard).loadTrustTargets(ctx, trustTargetSpec{})
	require.NoError(t, err)
	require.Len(t, targets, 1)
	assert.Equal(t, "default", targets[0].Name)

	targets, err = newApp(nil, io.Discard, io.Discard).loadTrustTargets(ctx, trustTargetSpec{profiles: []string{"staging", "prod"}})
	require.NoError(t, err)
	require.Len(t, targets, 2)
	assert.Equal(t, "staging", targets[0].Name)
	assert.Equal(t, "eu-west-1", targets[0].API.(*iam.Client).Options().Region)
	assert.Equal(t, "us-east-1", targets[1].API.(*iam.Client).Options().Region, "IAM's region when none is configured")

	_, err = newApp(nil, io.Discard, io.Discard).loadTrustTargets(ctx, trustTargetSpec{profiles: []string{"missing"}})
	assert.ErrorContains(t, err, "loading AWS configuration for profile missing")

	arns := []string{"arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"}
	targets, err = newApp(nil, io.Discard, io.Discard).loadTrustTargets(ctx, trustTargetSpec{roleARNs: arns})
	require.NoError(t, err)
	require.Len(t, targets, 2)
	for i, tg := range targets {
		assert.Equal(t, arns[i], tg.Name)
		_, cached := tg.API.(*iam.Client).Options().Credentials.(*aws.CredentialsCache)
		assert.True(t, cached, "assumed-role credentials are cached")
	}
}

func TestDemoTrustChapters(t *testing.T) {
	e := newEnv(t)
	var out bytes.Buffer
	d, closeDemo, err := newDemo(&out, e.a, t.TempDir())
	require.NoError(t, err)
	defer closeDemo()
	require.NoError(t, d.play(context.Background(), []chapter{
		{"An AWS account, served in this process", (*demo).account},
		{"Onboard a person", (*demo).onboard},
		{"Her role in two more accounts: trustpolicy", (*demo).trustGrant},
		{"Offboarding, step 2: apply it", (*demo).offboard},
		{"Her unique ID, left in the other accounts' trust policies: prune", (*demo).trustPrune},
	}))
	s := out.String()
	grant := s[strings.Index(s, "== 3."):strings.Index(s, "== 4.")]
	for _, want := range []string{
		"  staging  arn:aws:iam::222222222222:role/deploy\n  prod     arn:aws:iam::333333333333:role/deploy\n",
		"  [profile staging]\n  region = us-east-1\n  endpoint_url = " + d.profiles[1].srv.URL() + "\n",
		"  [profile prod]\n  region = us-east-1\n  endpoint_url = " + d.profiles[2].srv.URL() + "\n",
		"$ iamkit trust add --role deploy --principal arn:aws:iam::123456789012:user/alice --profiles staging,prod --dry-run\n" +
			"  staging: deploy: would change\n      Access Analyzer: 0 findings (0 blocking); CheckNoNewAccess FAIL\n",
		"  prod: deploy: would change\n",
		"      new access (iamkit, from the diff): AWS:arn:aws:iam::123456789012:user/alice may now assume the role (sts:AssumeRole)\n      @@",
		`+          "arn:aws:iam::123456789012:user/alice"`,
		"  2 would change\n  Access Analyzer: 2 changed documents validated; 2 custom policy checks (CheckNoNewAccess, charged per call)\n" +
			"  Dry run: nothing was changed. Run again without --dry-run to apply.\n" +
			"  Applying makes 2 custom policy checks again (CheckNoNewAccess, one per changed document, charged per call).\n\n" +
			"Nothing was sent (UpdateAssumeRolePolicy calls: 0). Now for real:\n" +
			"$ iamkit trust add --role deploy --principal arn:aws:iam::123456789012:user/alice --profiles staging,prod\n" +
			"  staging: deploy: changed (1 attempt)\n",
		"  2 changed\n",
		"  staging: deploy: unchanged\n  prod: deploy: unchanged\n  2 unchanged\n",
		"UpdateAssumeRolePolicy calls still 2.",
	} {
		assert.Contains(t, grant, want)
	}
	prune := s[strings.Index(s, "== 5."):]
	id := d.secrets.UserID
	require.True(t, trustpolicy.IsUniqueID(id), id)
	for _, want := range []string{
		"her unique ID " + id,
		"$ iamkit trust show --role deploy --profiles staging\n  staging: deploy (arn:aws:iam::222222222222:role/deploy)\n",
		`"arn:aws:iam::222222222222:root",` + "\n            \"" + id + `"`,
		"It names 1 unique ID of deleted users or roles (" + id + ")",
		`-          "` + id + `"`,
		"$ iamkit trust prune --role deploy --profiles staging,prod --dry-run\n",
		"  2 would change\n",
		"$ iamkit trust prune --role deploy --profiles staging,prod\n  staging: deploy: changed (1 attempt)\n",
		"The clean policy:\n$ iamkit trust show --role deploy --profiles staging\n",
	} {
		assert.Contains(t, prune, want)
	}
	for _, p := range d.otherAccounts() {
		acct := p.srv.Account()
		doc, ok := acct.TrustPolicy("deploy")
		require.True(t, ok)
		assert.Equal(t, rootTrustList(acct.ID()), doc)
		assert.Equal(t, 2, acct.Calls(updateOp), "one grant and one prune per account")
	}
}

func rootTrustList(id string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + id + `:root"]},"Action":"sts:AssumeRole"}]}`
}

func TestTrustAddDenyAndSize(t *testing.T) {
	te := newTrustEnv(t, "staging")
	ctx := context.Background()
	acct := te.accounts["staging"]
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"},` +
		`{"Sid":"NoAlice","Effect":"Deny","Principal":{"AWS":"` + trustAlice + `"},"Action":"sts:AssumeRole"}]}`
	_, err := acct.IAM().UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(deny)})
	require.NoError(t, err)
	acct.ResetCalls()

	assert.Equal(t, exitFailed, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice))
	assert.Contains(t, te.stdout.String(), `Deny statement "NoAlice" names AWS:`+trustAlice)
	assert.Zero(t, te.updates("staging"))

	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--force"), te.stderr.String())
	assert.Contains(t, te.stdout.String(), `warning: forced: Deny statement "NoAlice"`)
	assert.Equal(t, 1, te.updates("staging"))

	for _, bad := range []string{"2047", "4097", "0"} {
		assert.Equal(t, exitUsage, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--max-size", bad))
		assert.Contains(t, te.stderr.String(), "--max-size must be between 2048")
	}
	assert.Equal(t, exitUsage, te.run("trust", "remove", "--role", "deploy", "--principal", trustAlice, "--force"))
}

func TestTrustFindingsBlock(t *testing.T) {
	te := newTrustEnv(t, "staging")
	assert.Equal(t, exitFailed, te.run("trust", "add", "--role", "deploy", "--principal", "*"))
	out := te.stdout.String()
	assert.Contains(t, out, "blocking findings of Access Analyzer: SECURITY_WARNING PUBLIC_ROLE_TRUST at Statement[0].Principal")
	assert.Zero(t, te.updates("staging"))

	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", "*", "--allow-findings"), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "warning: allowed finding: SECURITY_WARNING PUBLIC_ROLE_TRUST")
	assert.Equal(t, 1, te.updates("staging"))
}

// journal returns the default journal's entries.
func (te *trustEnv) journal() []trustpolicy.JournalEntry {
	te.t.Helper()
	entries, err := trustpolicy.ReadJournalFile(filepath.Join(te.state, "iamkit", "trust-journal.jsonl"))
	require.NoError(te.t, err)
	return entries
}

func TestTrustJournalAndRollback(t *testing.T) {
	te := newTrustEnv(t, "staging", "prod")
	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,prod"), te.stderr.String())
	entries := te.journal()
	require.Len(t, entries, 2)
	for _, e := range entries {
		assert.Equal(t, "deploy", e.RoleName)
		assert.Regexp(t, `^AROA`, e.RoleID)
		assert.Contains(t, e.Caller, ":root")
		assert.Contains(t, string(e.After), trustAlice)
	}
	journalPath := filepath.Join(te.state, "iamkit", "trust-journal.jsonl")
	st, err := os.Stat(journalPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// Keep a copy of this run's journal to roll it back.
	run := filepath.Join(t.TempDir(), "run.jsonl")
	b, err := os.ReadFile(journalPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(run, b, 0o600))

	require.Equal(t, exitOK, te.run("trust", "rollback", run, "--profiles", "staging,prod", "--dry-run"), te.stderr.String())
	out := te.stdout.String()
	assert.Contains(t, out, "staging: deploy: would change")
	assert.Contains(t, out, `-          "`+trustAlice+`"`)
	assert.Contains(t, out, "Dry run: nothing was changed. Run again without --dry-run to roll back.")
	assert.Equal(t, 1, te.updates("staging"))

	require.Equal(t, exitOK, te.run("trust", "rollback", run, "--profiles", "staging,prod"), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "2 changed")
	assert.Equal(t, rootTrust("222222222222"), te.policy("staging"))
	assert.Equal(t, rootTrust("333333333333"), te.policy("prod"))
	assert.Len(t, te.journal(), 4, "the rollback is journalled")

	require.Equal(t, exitOK, te.run("trust", "rollback", run, "--profiles", "staging,prod"), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "2 unchanged")

	// The role in staging deleted and created again: refused there.
	ctx := context.Background()
	_, err = te.accounts["staging"].IAM().DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deploy")})
	require.NoError(t, err)
	_, err = te.accounts["staging"].IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(rootTrustList("222222222222"))})
	require.NoError(t, err)
	assert.Equal(t, exitFailed, te.run("trust", "rollback", run, "--profiles", "staging,prod"))
	assert.Contains(t, te.stdout.String(), "staging: deploy: failed: trustpolicy: role deploy: the role was replaced (different role ID)")
	assert.Equal(t, rootTrustList("222222222222"), te.policy("staging"))

	// A role no target holds.
	assert.Equal(t, exitFailed, te.run("trust", "rollback", run, "--profiles", "prod"))
	assert.Contains(t, te.stdout.String(), "no target account holds arn:aws:iam::222222222222:role/deploy")
}

func TestTrustRollbackUsage(t *testing.T) {
	te := newTrustEnv(t, "staging")
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("{\n"), 0o600))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"trust", "rollback"}, "missing JOURNAL"},
		{[]string{"trust", "rollback", bad}, "trust journal: line 1"},
		{[]string{"trust", "rollback", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{[]string{"trust", "rollback", bad, "extra"}, `unexpected argument "extra"`},
	} {
		assert.Equal(t, exitUsage, te.run(c.args...), c.args)
		assert.Contains(t, te.stderr.String(), c.want)
		assert.Zero(t, te.built)
	}
	te.a.getenv = func(string) string { return "" }
	assert.Equal(t, exitUsage, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice))
	assert.Contains(t, te.stderr.String(), "give --journal FILE")
}

func TestTrustPruneAllRoles(t *testing.T) {
	te := newTrustEnv(t, "staging")
	ctx := context.Background()
	acct := te.accounts["staging"]
	_, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"` + trustAlice + `"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	_, err = acct.IAM().CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	require.NoError(t, err)
	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice), te.stderr.String())
	te.deleteAlice()

	require.Equal(t, exitOK, te.run("trust", "prune", "--all-roles", "--dry-run"), te.stdout.String())
	out := te.stdout.String()
	assert.Contains(t, out, "default: deploy: would change")
	assert.Contains(t, out, "default: ops: would change")
	assert.NotContains(t, out, "AWSServiceRoleFor")
	assert.Contains(t, out, "2 would change")

	require.Equal(t, exitOK, te.run("trust", "prune", "--all-roles"), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "2 changed")
	assert.NotContains(t, te.policy("staging"), "AIDA")
	assert.Len(t, te.journal(), 3)

	require.Equal(t, exitOK, te.run("trust", "prune", "--all-roles"), te.stderr.String())
	assert.Contains(t, te.stdout.String(), "No role names a unique ID")

	assert.Equal(t, exitUsage, te.run("trust", "prune", "--all-roles", "--role", "deploy"))
	assert.Contains(t, te.stderr.String(), "--role and --all-roles cannot be combined")
	assert.Equal(t, exitUsage, te.run("trust", "add", "--all-roles", "--principal", trustAlice))
}

func TestTrustOrganization(t *testing.T) {
	te := newTrustEnv(t, "staging", "prod")
	ctx := context.Background()

	// Not the management account: refused, saying who may list.
	te.login.SetOrganizationMember()
	assert.Equal(t, exitFailed, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--organization"))
	assert.Contains(t, te.stderr.String(), "run it with the credentials of the organization's management account or of a delegated administrator")
	assert.Zero(t, te.updates("staging"))

	te.login.SetOrganization(
		fakes.OrganizationAccount{ID: te.accounts["staging"].ID(), Name: "staging"},
		fakes.OrganizationAccount{ID: te.accounts["prod"].ID(), Name: "prod"},
		fakes.OrganizationAccount{ID: "444444444444", Name: "old", State: "SUSPENDED"},
	)
	_, err := te.login.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(rootTrust("111111111111"))})
	require.NoError(t, err)
	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--organization", "--role-name", "Admin"), te.stdout.String()+te.stderr.String())
	out := te.stdout.String()
	assert.Contains(t, out, "444444444444 (old): skipped: the account is SUSPENDED, not ACTIVE\n")
	assert.Contains(t, out, "222222222222 (staging): deploy: changed")
	assert.Contains(t, out, "333333333333 (prod): deploy: changed")
	assert.Contains(t, out, "111111111111 (management): deploy: changed")
	assert.Contains(t, out, "3 changed")
	assert.Equal(t, "Admin", te.spec.roleName)
	assert.Equal(t, 1, te.updates("staging"))
	assert.Equal(t, 1, te.updates("prod"))

	require.Equal(t, exitOK, te.run("trust", "show", "--role", "deploy", "--organization"))
	assert.Equal(t, defaultOrgRoleName, te.spec.roleName)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"trust", "show", "--role", "deploy", "--organization", "--profiles", "staging"}, "--organization cannot be combined with --profiles or --role-arns"},
		{[]string{"trust", "show", "--role", "deploy", "--role-name", "Admin"}, "--role-name goes with --organization"},
		{[]string{"trust", "show", "--role", "deploy", "--organization", "--role-name", "arn:aws:iam::1:role/x"}, "--role-name: invalid role name"},
	} {
		assert.Equal(t, exitUsage, te.run(c.args...))
		assert.Contains(t, te.stderr.String(), c.want)
	}
}

// --json: one object per line of the documented shape, nothing else.
func TestTrustJSON(t *testing.T) {
	te := newTrustEnv(t, "staging", "prod")
	lines := func() []map[string]any {
		t.Helper()
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(te.stdout.String()), "\n") {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &m), l)
			out = append(out, m)
		}
		return out
	}
	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging,prod", "--dry-run", "--json"), te.stderr.String())
	got := lines()
	require.Len(t, got, 2)
	assert.Equal(t, "staging", got[0]["target"])
	assert.Equal(t, "would change", got[0]["status"])
	assert.Equal(t, true, got[0]["dry_run"])
	assert.Regexp(t, `^AROA`, got[0]["role_id"])
	assert.Contains(t, got[0]["diff"], trustAlice)
	chk := got[0]["check"].(map[string]any)
	assert.Equal(t, "FAIL", chk["no_new_access"])
	assert.EqualValues(t, 1, chk["custom_checks"])
	assert.Contains(t, chk["new_access"].([]any)[0], trustAlice)
	assert.Contains(t, got[0]["after"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Principal"].(map[string]any)["AWS"], trustAlice)

	require.Equal(t, exitOK, te.run("trust", "add", "--role", "deploy", "--principal", trustAlice, "--profiles", "staging", "--json"), te.stderr.String())
	got = lines()
	require.Len(t, got, 1)
	assert.Equal(t, "changed", got[0]["status"])
	assert.EqualValues(t, 1, got[0]["attempts"])

	require.Equal(t, exitOK, te.run("trust", "show", "--role", "deploy", "--profiles", "staging,prod", "--json"), te.stderr.String())
	got = lines()
	require.Len(t, got, 2)
	assert.Equal(t, "arn:aws:iam::222222222222:role/deploy", got[0]["role_arn"])
	assert.Equal(t, false, got[0]["service_linked"])
	assert.Contains(t, got[0]["document"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Principal"].(map[string]any)["AWS"], trustAlice)

	te.deleteAlice()
	require.Equal(t, exitOK, te.run("trust", "prune", "--all-roles", "--profiles", "staging,prod", "--json"), te.stderr.String())
	got = lines()
	require.Len(t, got, 1)
	assert.Equal(t, "deploy", got[0]["role"])
	assert.Equal(t, "changed", got[0]["status"])
	assert.Equal(t, "PASS", got[0]["check"].(map[string]any)["no_new_access"])

	run := filepath.Join(te.state, "iamkit", "trust-journal.jsonl")
	copyTo := filepath.Join(t.TempDir(), "run.jsonl")
	b, err := os.ReadFile(run)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(copyTo, b, 0o600))
	require.Equal(t, exitOK, te.run("trust", "rollback", copyTo, "--profiles", "staging,prod", "--json", "--dry-run"), te.stderr.String())
	got = lines()
	require.Len(t, got, 1)
	// Back to the first document: the role holds it already, in another
	// form (["root"] for "root"), which is no change.
	assert.Equal(t, "unchanged", got[0]["status"])
	assert.Equal(t, true, got[0]["dry_run"])

	// A failure is a line with an error; the exit code says it too.
	assert.Equal(t, exitFailed, te.run("trust", "show", "--role", "nosuch", "--profiles", "staging", "--json"))
	got = lines()
	require.Len(t, got, 1)
	assert.Contains(t, got[0]["error"], "nosuch")

	for _, cmd := range []string{"show", "add", "remove", "prune", "rollback"} {
		require.Equal(t, exitOK, te.run("trust", cmd, "--help"))
		assert.Contains(t, te.stdout.String(), "--json")
		assert.Contains(t, te.stdout.String(), "With --json, one JSON object per")
	}
}
