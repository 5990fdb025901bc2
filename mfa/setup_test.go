package mfa_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/mfa"
)

func TestSetupThenSession(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.writeCreds("# mine\n[other]\naws_access_key_id = AKIAOTHER0000000000\n")
	res, err := mfa.Setup(ctx, mfa.SetupRequest{Profile: "dev", AccessKeyID: w.keyID, SecretAccessKey: w.secret, Device: w.serial}, w.options(mfa.WithLogger(nil))...)
	require.NoError(t, err)
	assert.Equal(t, &mfa.SetupResult{Section: "dev-long-term", CredentialsPath: w.credPath}, res)
	assert.Equal(t, "# mine\n[other]\naws_access_key_id = AKIAOTHER0000000000\n\n"+w.longTerm("dev"), w.creds(), "appended; every other byte kept")
	fi, err := os.Stat(w.credPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Session reads what Setup wrote (and a nil logger discards).
	s, err := mfa.Session(ctx, w.req("dev"), w.options(mfa.WithLogger(nil))...)
	require.NoError(t, err)
	assert.True(t, s.Refreshed)
}

func TestSetupRefusals(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		mutate func(w *world, r *mfa.SetupRequest)
		is     error
		msg    string
	}{
		{"no key ID", func(_ *world, r *mfa.SetupRequest) { r.AccessKeyID = "" }, mfa.ErrInvalidAccessKey, "access key ID is missing"},
		{"temporary key", func(_ *world, r *mfa.SetupRequest) { r.AccessKeyID = "ASIAEXAMPLE000000000" }, mfa.ErrInvalidAccessKey, "temporary key"},
		{"lower-case key ID", func(_ *world, r *mfa.SetupRequest) { r.AccessKeyID = "akiaexample00000000" }, mfa.ErrInvalidAccessKey, "capital letters"},
		{"no secret", func(_ *world, r *mfa.SetupRequest) { r.SecretAccessKey = " " }, mfa.ErrInvalidAccessKey, "secret access key is missing"},
		{"secret with a comment character", func(_ *world, r *mfa.SetupRequest) { r.SecretAccessKey = "abc#def" }, mfa.ErrInvalidAccessKey, "comment character"},
		{"bad device", func(_ *world, r *mfa.SetupRequest) { r.Device = "x" }, mfa.ErrNoDevice, `"x"`},
		{"clashing suffixes", func(_ *world, r *mfa.SetupRequest) { r.LongTermSuffix, r.ShortTermSuffix = "a", "a" }, mfa.ErrInvalidProfile, "must differ"},
		{"existing keys", func(w *world, r *mfa.SetupRequest) { w.writeCreds(w.longTerm("dev")) }, mfa.ErrSectionExists, "[dev-long-term]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.writeCreds("[x]\nk = v\n")
			req := mfa.SetupRequest{Profile: "dev", AccessKeyID: "AKIANEW0000000000000", SecretAccessKey: "the-secret-value/abc+def"}
			c.mutate(w, &req)
			before := w.creds()
			res, err := mfa.Setup(ctx, req, w.options()...)
			require.ErrorIs(t, err, c.is)
			assert.Nil(t, res)
			assert.Contains(t, err.Error(), c.msg)
			if len(req.SecretAccessKey) > 3 {
				assert.NotContains(t, err.Error(), req.SecretAccessKey, "the secret is never in an error")
			}
			assert.Equal(t, before, w.creds(), "the file is untouched")
		})
	}
}

func TestSetupOverwrite(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.writeCreds("[dev-long-term]\n# keep me\naws_access_key_id = AKIAOLD0000000000000\naws_secret_access_key = old\nassume_role = " + w.adminRole + "\n")
	w.env["AWS_PROFILE"] = "dev"
	res, err := mfa.Setup(ctx, mfa.SetupRequest{AccessKeyID: w.keyID, SecretAccessKey: w.secret, Overwrite: true}, w.options()...)
	require.NoError(t, err)
	assert.True(t, res.Replaced)
	assert.Equal(t, "[dev-long-term]\n# keep me\naws_access_key_id = "+w.keyID+"\naws_secret_access_key = "+w.secret+"\nassume_role = "+w.adminRole+"\n", w.creds())
}
