package trustpolicy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

// fixture returns testdata/name as written.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// fixtures returns the names of every testdata/*.json file.
func fixtures(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

func compact(t testing.TB, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, b))
	return buf.String()
}

func parse(t testing.TB, s string) *trustpolicy.Document {
	t.Helper()
	d, err := trustpolicy.Parse([]byte(s))
	require.NoError(t, err)
	return d
}

// newRole creates a role on the fake account and returns its IAM client.
func newRole(t testing.TB, acct *fakes.Account, name, doc string) *fakes.IAM {
	t.Helper()
	api := acct.IAM()
	_, err := api.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)})
	require.NoError(t, err)
	return api
}

func mustCreateUser(t testing.TB, acct *fakes.Account, name string) string {
	t.Helper()
	out, err := acct.IAM().CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(t, err)
	return aws.ToString(out.User.Arn)
}

// stored returns the role's document as the fake account stores it.
func stored(t testing.TB, acct *fakes.Account, role string) string {
	t.Helper()
	doc, ok := acct.TrustPolicy(role)
	require.True(t, ok, "role %s", role)
	return doc
}

const rootTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
