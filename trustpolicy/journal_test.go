package trustpolicy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

func TestJournalRecordsAndRollbackRestores(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	alice := mustCreateUser(t, acct, "alice")
	api := newRole(t, acct, "deploy", rootTrust)
	path := filepath.Join(t.TempDir(), "state", "trust.jsonl")
	j, err := trustpolicy.OpenJournal(path)
	require.NoError(t, err)
	opts := []trustpolicy.Option{trustpolicy.WithJournal(j, acct.STS()), trustpolicy.WithClock(acct.Clock())}

	// A dry run records nothing.
	_, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(alice)), append(opts, trustpolicy.WithDryRun(true))...)
	require.NoError(t, err)
	entries, err := trustpolicy.ReadJournalFile(path)
	require.NoError(t, err)
	assert.Empty(t, entries)

	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(alice)), opts...)
	require.NoError(t, err)
	_, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.RequireMFA(""), opts...)
	require.NoError(t, err)
	// Unchanged: nothing recorded.
	_, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.RequireMFA(""), opts...)
	require.NoError(t, err)

	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	entries, err = trustpolicy.ReadJournalFile(path)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	e := entries[0]
	assert.Equal(t, "deploy", e.RoleName)
	assert.Equal(t, res.RoleID, e.RoleID)
	assert.Regexp(t, `^AROA`, e.RoleID)
	assert.Equal(t, "arn:aws:iam::123456789012:role/deploy", e.RoleARN)
	assert.Equal(t, "arn:aws:iam::123456789012:root", e.Caller)
	assert.Equal(t, acct.Clock().Now().UTC(), e.Time)
	assert.JSONEq(t, rootTrust, string(e.Before))
	assert.Contains(t, string(e.After), alice)
	assert.Equal(t, "add AWS:"+alice, e.Edit)

	plans, err := trustpolicy.PlanRollback(entries)
	require.NoError(t, err)
	require.Len(t, plans, 1)
	assert.Equal(t, 2, plans[0].Changes)

	// Dry run: the diff back to the first document, nothing sent.
	acct.ResetCalls()
	rb, err := trustpolicy.Rollback(ctx, api, plans[0], trustpolicy.WithDryRun(true))
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.WouldChange, rb.Status)
	assert.Contains(t, rb.Diff, `-          "`+alice+`"`)
	assert.Contains(t, rb.Diff, `-          "aws:MultiFactorAuthPresent": "true"`)
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))

	rb, err = trustpolicy.Rollback(ctx, api, plans[0], opts...)
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Changed, rb.Status)
	assert.Equal(t, rootTrust, stored(t, acct, "deploy"))
	// The rollback is journalled too, and a second one changes nothing.
	entries, err = trustpolicy.ReadJournalFile(path)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
	rb, err = trustpolicy.Rollback(ctx, api, plans[0], opts...)
	require.NoError(t, err)
	assert.Equal(t, trustpolicy.Unchanged, rb.Status)
}

// A role deleted and created again under the same name has another role
// ID: the rollback refuses to put the old role's trust on it.
func TestRollbackRefusesAReplacedRole(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	alice := mustCreateUser(t, acct, "alice")
	api := newRole(t, acct, "deploy", rootTrust)
	j, err := trustpolicy.OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	require.NoError(t, err)
	_, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(alice)), trustpolicy.WithJournal(j, nil))
	require.NoError(t, err)
	entries, err := trustpolicy.ReadJournalFile(j.Path())
	require.NoError(t, err)
	plans, err := trustpolicy.PlanRollback(entries)
	require.NoError(t, err)

	_, err = api.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deploy")})
	require.NoError(t, err)
	newRole(t, acct, "deploy", rootTrust)
	acct.ResetCalls()
	res, err := trustpolicy.Rollback(ctx, api, plans[0])
	require.Error(t, err)
	assert.True(t, errors.Is(err, trustpolicy.ErrReplaced), "%v", err)
	assert.Contains(t, err.Error(), "the journal has "+plans[0].RoleID)
	assert.Equal(t, trustpolicy.Failed, res.Status)
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))

	// Another account's role of the same name is not this entry's.
	other := fakes.NewAccount(fakes.WithAccountID("222222222222"))
	otherAPI := newRole(t, other, "deploy", rootTrust)
	_, err = trustpolicy.Rollback(ctx, otherAPI, plans[0])
	assert.True(t, errors.Is(err, trustpolicy.ErrOtherAccount), "%v", err)
}

func TestOpenJournalRefusesReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	require.NoError(t, os.Chmod(path, 0o644))
	_, err := trustpolicy.OpenJournal(path)
	require.Error(t, err)
	assert.True(t, errors.Is(err, trustpolicy.ErrJournal))
	assert.Contains(t, err.Error(), "chmod 600")
}

// A journal the change cannot be written to: nothing is sent.
func TestApplyUnjournalledIsNotSent(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	alice := mustCreateUser(t, acct, "alice")
	api := newRole(t, acct, "deploy", rootTrust)
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := trustpolicy.OpenJournal(path)
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Mkdir(path, 0o700)) // now a directory: appending fails
	_, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.AWS(alice)), trustpolicy.WithJournal(j, nil))
	require.Error(t, err)
	assert.True(t, errors.Is(err, trustpolicy.ErrJournal))
	assert.Zero(t, acct.Calls("iam:UpdateAssumeRolePolicy"))
}

func TestReadJournalRejects(t *testing.T) {
	good := `{"time":"2026-01-15T09:00:00Z","role_name":"r","role_id":"AROAEXAMPLE123456789","role_arn":"arn:aws:iam::123456789012:role/r","caller":"c","edit":"e","before":{"Statement":[]},"after":{}}`
	tests := []struct{ name, text, want string }{
		{"good", good + "\n\n" + good, ""},
		{"not JSON", good + "\n{", "line 2"},
		{"unknown field", strings.Replace(good, `"edit"`, `"bogus":1,"edit"`, 1), "unknown field"},
		{"no role ID", strings.Replace(good, `"AROAEXAMPLE123456789"`, `""`, 1), "role_id"},
		{"bad before", strings.Replace(good, `{"Statement":[]}`, `[1]`, 1), "before"},
		{"two values", good + " {}", "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := trustpolicy.ReadJournal(strings.NewReader(tt.text))
			if tt.want == "" {
				require.NoError(t, err)
				assert.Len(t, entries, 2)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// FuzzReadJournal: the journal parser never panics; what it accepts
// round-trips through JSON to the same entries.
func FuzzReadJournal(f *testing.F) {
	f.Add([]byte(`{"time":"2026-01-15T09:00:00Z","role_name":"r","role_id":"AROAX","role_arn":"arn:aws:iam::1:role/r","caller":"c","edit":"e","before":{"Statement":[]},"after":{}}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := trustpolicy.ReadJournal(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		for _, e := range entries {
			b, err := json.Marshal(e)
			require.NoError(t, err)
			buf.Write(b)
			buf.WriteByte('\n')
		}
		again, err := trustpolicy.ReadJournal(&buf)
		require.NoError(t, err)
		require.Len(t, again, len(entries))
		_, err = trustpolicy.PlanRollback(entries)
		require.NoError(t, err)
	})
}
