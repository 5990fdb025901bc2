package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// decodeStrict decodes out as exactly one JSON document of type T, with no
// field T does not document.
func decodeStrict[T any](t *testing.T, out string) T {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var v T
	require.NoError(t, dec.Decode(&v), out)
	assert.False(t, dec.More(), "one document only:\n%s", out)
	return v
}

// noSecrets checks that out holds none of the secrets.
func noSecrets(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		require.NotEmpty(t, s)
		assert.NotContains(t, out, s, "a secret in the JSON")
	}
}

func TestUserCreateJSON(t *testing.T) {
	e := newEnv(t)
	e.createGroup("developers")
	dir := filepath.Join(t.TempDir(), "bundle")
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "-g", "developers", "--access-key", "--json", "--out", dir), e.stderr.String())
	j := decodeStrict[onboardJSON](t, e.stdout.String())
	assert.Equal(t, "alice", j.User)
	assert.Equal(t, "ok", j.Status)
	assert.Contains(t, j.UserARN, ":user/alice")
	assert.NotEmpty(t, j.MFASerial)
	assert.True(t, j.PasswordResetRequired)
	assert.Equal(t, []string{"developers"}, j.Groups)
	assert.True(t, strings.HasPrefix(j.AccessKeyID, "AKIA"))
	assert.NotEmpty(t, j.Steps)
	assert.Equal(t, []string{"password", "mfa_secret", "secret_access_key"}, j.SecretsInBundle)
	assert.Equal(t, dir, j.Bundle)
	require.NotEmpty(t, j.BundleFiles)
	assert.Empty(t, j.Error)

	row := readBundleRow(t, filepath.Join(dir, "alice.csv"))
	noSecrets(t, e.stdout.String(), append(e.secrets("alice"), row["secret_access_key"], row["password"])...)
	assert.NotContains(t, e.stdout.String(), "otpauth://")

	// Re-run: resumed, no new secret, no bundle.
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "-g", "developers", "--json", "--out", dir))
	j = decodeStrict[onboardJSON](t, e.stdout.String())
	assert.Equal(t, "resumed", j.Status)
	assert.Empty(t, j.SecretsInBundle)
	assert.Empty(t, j.Bundle)

	// A failed step: exit 1, status failed, the error — still one document.
	e.acct.Inject("iam:CreateLoginProfile", fakes.Fault{Err: errors.New("LoginBroken: refused")})
	require.Equal(t, exitFailed, e.run("user", "create", "-u", "bob", "--json", "--out", filepath.Join(t.TempDir(), "b")))
	j = decodeStrict[onboardJSON](t, e.stdout.String())
	assert.Equal(t, "failed", j.Status)
	assert.Contains(t, j.Error, "LoginBroken")

	require.Equal(t, exitUsage, e.run("user", "create", "-u", "carol", "--json", "--qr", "always"))
	assert.Empty(t, e.stdout.String())
	assert.Contains(t, e.stderr.String(), "--qr always does not go with --json")
}

func TestUserImportJSON(t *testing.T) {
	e := newEnv(t)
	e.createGroup("developers")
	dir := t.TempDir()
	csv := filepath.Join(dir, "people.csv")
	require.NoError(t, os.WriteFile(csv, []byte("user_name,groups,access_key\nalice,developers,true\nbob,,false\n"), 0o600))
	out := filepath.Join(dir, "out")
	require.Equal(t, exitOK, e.run("user", "import", csv, "--json", "--out", out), e.stderr.String())
	j := decodeStrict[importJSON](t, e.stdout.String())
	assert.Equal(t, csv, j.File)
	assert.Equal(t, 2, j.OK)
	assert.Zero(t, j.Failed)
	assert.False(t, j.NothingCreated)
	require.Len(t, j.Rows, 2)
	assert.Equal(t, []int{2, 3}, []int{j.Rows[0].Line, j.Rows[1].Line})
	assert.Equal(t, "alice", j.Rows[0].User)
	assert.Equal(t, []string{"password", "mfa_secret", "secret_access_key"}, j.Rows[0].SecretsInBundle)
	assert.Equal(t, filepath.Join(out, "alice"), j.Rows[0].Bundle)
	assert.Equal(t, []string{"password", "mfa_secret"}, j.Rows[1].SecretsInBundle)
	row := readBundleRow(t, filepath.Join(out, "alice", "alice.csv"))
	noSecrets(t, e.stdout.String(), append(append(e.secrets("alice"), e.secrets("bob")...), row["secret_access_key"])...)

	// A row naming a missing group: exit 2, nothing created, the rows say why.
	require.NoError(t, os.WriteFile(csv, []byte("user_name,groups\ncarol,developers\ndave,nosuch\n"), 0o600))
	require.Equal(t, exitUsage, e.run("user", "import", csv, "--json", "--out", out))
	j = decodeStrict[importJSON](t, e.stdout.String())
	assert.True(t, j.NothingCreated)
	assert.Equal(t, 2, j.Failed)
	assert.Contains(t, j.Rows[1].Error, "nosuch")
	assert.False(t, e.userExists("carol"))
}

func TestUserDeleteJSON(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--access-key", "--out", filepath.Join(t.TempDir(), "b")))

	require.Equal(t, exitOK, e.run("user", "delete", "alice", "--dry-run", "--json"), e.stderr.String())
	j := decodeStrict[offboardJSON](t, e.stdout.String())
	assert.True(t, j.Exists)
	assert.True(t, j.DryRun)
	require.NotEmpty(t, j.Plan)
	assert.Equal(t, "DeleteUser", j.Plan[len(j.Plan)-1].Action)
	assert.Empty(t, j.Results)
	assert.True(t, e.userExists("alice"))

	require.Equal(t, exitOK, e.run("user", "delete", "alice", "--json"), e.stderr.String())
	j = decodeStrict[offboardJSON](t, e.stdout.String())
	require.Len(t, j.Results, len(j.Plan))
	for _, r := range j.Results {
		assert.Contains(t, []string{"done", "already gone"}, r.Status, r.Action)
	}
	assert.True(t, j.Verified)
	assert.False(t, e.userExists("alice"))

	require.Equal(t, exitOK, e.run("user", "delete", "alice", "--json"))
	j = decodeStrict[offboardJSON](t, e.stdout.String())
	assert.False(t, j.Exists)
	assert.Empty(t, j.Plan)
}

func TestHostsyncPlanJSON(t *testing.T) {
	h := newHostsyncWorld(t, devsConf)
	require.Equal(t, exitOK, h.sync("plan", "--json"), h.stderr.String())
	j := decodeStrict[hostsyncPlanJSON](t, h.stdout.String())
	var kinds []string
	for _, a := range j.Actions {
		kinds = append(kinds, a.Kind)
		if a.Kind == "write-keys" {
			require.Len(t, a.Keys, 2)
			assert.True(t, strings.HasPrefix(a.Keys[0], "SHA256:"), a.Keys[0])
		}
	}
	assert.Contains(t, kinds, "create-user")
	assert.Contains(t, kinds, "write-keys")
	assert.NotContains(t, h.stdout.String(), "ssh-ed25519", "keys by fingerprint, not body")
	assert.Empty(t, h.managedUsers(), "a plan changes nothing")

	require.Equal(t, exitUsage, h.sync("apply", "--json"), "apply has no --json")
}

func TestHostsyncPublishJSON(t *testing.T) {
	p := newPubEnv(t)
	require.Equal(t, exitOK, p.publish("--bucket", "acme-fleet", "--groups", "devs", "--json"), p.stderr.String())
	j := decodeStrict[publishJSON](t, p.stdout.String())
	obj, ok := p.acct.S3().Object("acme-fleet", "hostsync/snapshot.json")
	require.True(t, ok)
	assert.Equal(t, publishJSON{Object: "s3://acme-fleet/hostsync/snapshot.json", Written: true, Reason: "no object yet", ETag: obj.ETag,
		Digest: j.Digest, Generation: j.Generation, Size: len(obj.Body), Users: 1, Keys: 2}, j)
	assert.NotEmpty(t, j.Digest)

	require.Equal(t, exitOK, p.publish("--bucket", "acme-fleet", "--key", "all.json", "--dry-run", "--json"), p.stderr.String())
	j = decodeStrict[publishJSON](t, p.stdout.String())
	assert.True(t, j.DryRun)
	assert.True(t, j.WouldWrite)
	assert.False(t, j.Written)
	assert.Equal(t, 2, j.Users)
}
