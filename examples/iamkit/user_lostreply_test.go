package main

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

var errLost = errors.New("read tcp: connection reset by peer")

// A lost CreateLoginProfile reply: the first run fails and writes nothing;
// the re-run resets the password and writes it to a bundle; the run after
// that resets nothing.
func TestUserCreateAfterALostLoginProfileReply(t *testing.T) {
	e := newEnv(t)
	out := filepath.Join(t.TempDir(), "alice")
	e.acct.Inject("iam:CreateLoginProfile", fakes.Fault{Times: 1, Err: errLost, LoseReply: true})
	assert.Equal(t, exitFailed, e.run("user", "create", "-u", "alice", "--no-mfa", "--out", out))
	assert.Contains(t, e.stderr.String(), "login profile")

	e.acct.Clock().Advance(time.Minute)
	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--no-mfa", "--out", out), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "login profile  replaced")
	row := readBundleRow(t, filepath.Join(out, "alice.csv"))
	pw, _ := e.acct.Password("alice")
	assert.Equal(t, pw, row["password"])

	require.Equal(t, exitOK, e.run("user", "create", "-u", "alice", "--no-mfa", "--out", out), e.stderr.String())
	assert.Contains(t, e.stdout.String(), "No new secrets")
	again, _ := e.acct.Password("alice")
	assert.Equal(t, pw, again, "a delivered password is never reset")
}

// A lost CreateAccessKey reply after the password was delivered: the
// re-run keeps the password, replaces the unused orphan key and writes a
// new bundle beside the first; a used orphan is exit 1, named.
func TestUserCreateAfterALostAccessKeyReply(t *testing.T) {
	for _, used := range []bool{false, true} {
		t.Run(map[bool]string{false: "never used", true: "used"}[used], func(t *testing.T) {
			e := newEnv(t)
			out := filepath.Join(t.TempDir(), "alice")
			e.acct.Inject("iam:CreateAccessKey", fakes.Fault{Times: 1, Err: errLost, LoseReply: true})
			assert.Equal(t, exitFailed, e.run("user", "create", "-u", "alice", "--no-mfa", "--access-key", "--out", out))
			first := readBundleRow(t, filepath.Join(out, "alice.csv"))
			require.NotEmpty(t, first["password"])
			assert.Empty(t, first["secret_access_key"])
			keys, err := e.acct.IAM().ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("alice")})
			require.NoError(t, err)
			orphan := aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId)
			if used {
				e.acct.RecordKeyUse(orphan, "s3")
			}

			code := e.run("user", "create", "-u", "alice", "--no-mfa", "--access-key", "--out", out)
			pw, _ := e.acct.Password("alice")
			assert.Equal(t, first["password"], pw, "the delivered password is kept")
			if used {
				assert.Equal(t, exitFailed, code)
				assert.Contains(t, e.stderr.String(), "access key "+orphan)
				assert.Contains(t, e.stderr.String(), "aws iam delete-access-key --user-name alice --access-key-id "+orphan)
				return
			}
			require.Equal(t, exitOK, code, e.stderr.String())
			second := readBundleRow(t, filepath.Join(out+".2", "alice.csv"))
			assert.Empty(t, second["password"])
			assert.NotEmpty(t, second["secret_access_key"])
			assert.NotEqual(t, orphan, second["access_key_id"])
		})
	}
}
