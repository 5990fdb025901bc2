package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trustDoc is a trust policy with one statement letting principal assume
// the role.
func trustDoc(t *testing.T, principal map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole",
		}},
	})
	require.NoError(t, err)
	return string(b)
}

// createRole creates role name trusting principal, over the wire.
func (w *world) createRole(name string, principal map[string]any) string {
	w.t.Helper()
	out, err := iam.NewFromConfig(w.cfg).CreateRole(w.t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustDoc(w.t, principal)),
	})
	require.NoError(w.t, err)
	return aws.ToString(out.Role.Arn)
}

// iamkit trust show and add on a role of the server's account: GetRole's
// URL-encoded document is decoded by the SDK and the library, the edit is
// sent with UpdateAssumeRolePolicy, and a second add sends nothing.
func TestIAMKitTrust(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	acct := w.srv.Account()
	w.createRole("deploy", map[string]any{"Service": "codebuild.amazonaws.com"})
	// IAM refuses a trust policy naming a principal it does not know (the
	// library retries that for a while, as IAM's eventual consistency
	// needs): bob must exist.
	created, err := iam.NewFromConfig(w.cfg).CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	bob := aws.ToString(created.User.Arn)

	acct.ResetCalls()
	r := w.iamkit("trust", "show", "--role", "deploy")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "codebuild.amazonaws.com")
	assert.Equal(t, 1, acct.Calls("iam:GetRole"))
	assert.Equal(t, 0, acct.CallsWithPrefix("iam:Update"))

	acct.ResetCalls()
	r = w.iamkit("trust", "add", "--role", "deploy", "--principal", bob)
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, bob, "the diff names the new principal")
	assert.Equal(t, 1, acct.Calls("iam:UpdateAssumeRolePolicy"))
	t.Logf("trust add: %s", acct.CallSummary())

	stored, ok := acct.TrustPolicy("deploy")
	require.True(t, ok)
	var doc struct {
		Statement []struct {
			Principal map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stored), &doc), stored)
	var principals []any
	for _, s := range doc.Statement {
		for _, p := range s.Principal {
			switch p := p.(type) {
			case []any:
				principals = append(principals, p...)
			default:
				principals = append(principals, p)
			}
		}
	}
	assert.ElementsMatch(t, []any{"codebuild.amazonaws.com", bob}, principals, stored)

	// Nothing changes: nothing is sent.
	acct.ResetCalls()
	r = w.iamkit("trust", "add", "--role", "deploy", "--principal", bob)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, acct.Calls("iam:GetRole"))
	assert.Equal(t, 0, acct.Calls("iam:UpdateAssumeRolePolicy"))

	r = w.iamkit("trust", "show", "--role", "deploy")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, bob)
}

// Errors as AWS sends them reach the binary through the SDK's decoder and
// retryer: typed errors become exit codes and messages, a bad signature or
// an unknown key is refused by the server's SigV4 check, and a throttle is
// retried.
func TestIAMKitErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	acct := w.srv.Account()
	_, err := iam.NewFromConfig(w.cfg).CreateGroup(t.Context(), &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		env    map[string]string
		setup  func()
		args   []string
		code   int
		output []string // in stdout or stderr
		calls  map[string]int
	}{{
		name:   "missing role: NoSuchEntity",
		args:   []string{"trust", "show", "--role", "missing"},
		code:   1,
		output: []string{"NoSuchEntity", "role with name missing cannot be found", "1 of 1 account failed"},
		calls:  map[string]int{"iam:GetRole": 1},
	}, {
		name:   "missing group: nothing is created",
		args:   []string{"user", "create", "-u", "bob", "-g", "nosuch", "--out", "bob-bundle", "--qr", "never"},
		code:   2, // invalid input, found before anything was changed
		output: []string{`invalid groups[0] "nosuch": no such IAM group`},
		calls:  map[string]int{"iam:GetGroup": 1, "iam:CreateUser": 0},
	}, {
		name:   "bad signature: SignatureDoesNotMatch",
		env:    map[string]string{"AWS_SECRET_ACCESS_KEY": "not-the-secret-the-account-issued-000000"},
		args:   []string{"trust", "show", "--role", "missing"},
		code:   1,
		output: []string{"StatusCode: 403", "SignatureDoesNotMatch"},
	}, {
		name:   "unknown key: InvalidClientTokenId",
		env:    map[string]string{"AWS_ACCESS_KEY_ID": "AKIAUNKNOWNUNKNOWN00"},
		args:   []string{"trust", "show", "--role", "missing"},
		code:   1,
		output: []string{"StatusCode: 403", "InvalidClientTokenId"},
	}, {
		name:  "a throttle is retried by the SDK",
		setup: func() { acct.Throttle("iam:GetUser", 1) },
		args:  []string{"user", "delete", "ghost"},
		code:  0,
		calls: map[string]int{"iam:GetUser": 2},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			acct.ResetCalls()
			acct.ClearFaults()
			if tc.setup != nil {
				tc.setup()
			}
			r := w.run(iamkitBin, tc.env, "", tc.args...)
			assert.Equal(t, tc.code, r.code, r)
			for _, s := range tc.output {
				assert.Contains(t, r.stdout+r.stderr, s, r)
			}
			for op, n := range tc.calls {
				assert.Equal(t, n, acct.Calls(op), op)
			}
			t.Logf("calls: %s", acct.CallSummary())
		})
	}
	_, ok := acct.Password("bob")
	assert.False(t, ok, "bob was never created")
}

// The binary proves a change with Access Analyzer over REST-JSON, records
// it in the journal under $HOME (STS GetCallerIdentity names the caller),
// and rolls it back; --organization lists the accounts over JSON 1.1 and
// says what a refusal means.
func TestIAMKitTrustChecksJournalRollback(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	acct := w.srv.Account()
	w.createRole("deploy", map[string]any{"Service": "codebuild.amazonaws.com"})

	acct.ResetCalls()
	r := w.iamkit("trust", "add", "--role", "deploy", "--principal", "*", "--dry-run")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stdout, "SECURITY_WARNING PUBLIC_ROLE_TRUST", r)
	assert.Equal(t, 1, acct.Calls("access-analyzer:ValidatePolicy"))
	assert.Equal(t, 1, acct.Calls("access-analyzer:CheckNoNewAccess"))

	r = w.iamkit("trust", "add", "--role", "deploy", "--principal", "Service:ec2.amazonaws.com", "--json")
	require.Equal(t, 0, r.code, r)
	var line struct {
		Status string
		Check  struct {
			NoNewAccess string `json:"no_new_access"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &line), r.stdout)
	assert.Equal(t, "changed", line.Status)
	assert.Equal(t, "FAIL", line.Check.NoNewAccess)

	journal := filepath.Join(w.home, ".local", "state", "iamkit", "trust-journal.jsonl")
	b, err := os.ReadFile(journal)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"caller":"arn:aws:iam::`+acct.ID()+`:root"`)
	run := filepath.Join(t.TempDir(), "run.jsonl")
	require.NoError(t, os.WriteFile(run, b, 0o600))

	r = w.iamkit("trust", "rollback", run)
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "deploy: changed", r)
	stored, _ := acct.TrustPolicy("deploy")
	assert.NotContains(t, stored, "ec2.amazonaws.com")

	r = w.iamkit("trust", "show", "--role", "deploy", "--organization")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "management account or of a delegated administrator", r)
	acct.SetOrganization()
	r = w.iamkit("trust", "show", "--role", "deploy", "--organization")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, acct.ID()+" (management): deploy", r)
}
