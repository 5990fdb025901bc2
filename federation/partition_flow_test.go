package federation_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// In every partition the table knows, the partition comes from the
// caller's ARN (GetCallerIdentity) and the role's, and the console session
// lands on that partition's console host.
func TestSignInEveryPartition(t *testing.T) {
	for _, p := range federation.Partitions() {
		t.Run(p.ID, func(t *testing.T) {
			e := newEnv(t, fakes.WithPartition(p.ID))
			sts := e.acct.STSAs(e.key)
			keys := e.userKeys()
			id, err := federation.Identify(t.Context(), sts, keys, "broker")
			require.NoError(t, err)
			assert.Equal(t, p.ID, id.Partition, "from the caller's ARN")
			creds, err := federation.AssumeRole(t.Context(), sts, federation.AssumeRoleRequest{
				RoleARN: e.adminRole, RoleSessionName: "dana", Source: &id.Credentials.Provenance})
			require.NoError(t, err)
			part, err := federation.PartitionOf(e.adminRole)
			require.NoError(t, err)
			require.Equal(t, p.ID, part)
			si := &federation.SignIn{Partition: part, Endpoint: e.si.URL(), HTTPClient: e.si.Client(), Clock: e.acct.Clock()}
			u, err := si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: creds})
			require.NoError(t, err)
			resp, err := e.si.Client().Get(u.URL)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusFound, resp.StatusCode)
			landed, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			assert.Equal(t, p.ConsoleHost, landed.Host)
			assert.Equal(t, mfa.KindAssumedRole, creds.Kind)
		})
	}
}

// userKeys returns broker's long-term keys as aws.Credentials (the fake
// STS of STSAs answers as the key's owner whatever the secret).
func (e *env) userKeys() aws.Credentials {
	return aws.Credentials{AccessKeyID: e.key, SecretAccessKey: "the-secret-the-fake-does-not-check"}
}
