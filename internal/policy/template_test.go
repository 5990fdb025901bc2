package policy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/policy"
)

// templateRoleActions returns the actions the inline policies of a role
// resource of a CloudFormation template grant (not its trust policy).
func templateRoleActions(t *testing.T, template, resource string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, template))
	require.NoError(t, err)
	text := string(data)
	start := strings.Index(text, "\n  "+resource+":\n")
	require.GreaterOrEqual(t, start, 0, "%s has no resource %s", template, resource)
	block := text[start+1:]
	if next := regexp.MustCompile(`\n  [A-Za-z0-9]+:\n`).FindStringIndex(block[1:]); next != nil {
		block = block[:next[0]+1]
	}
	i := strings.Index(block, "\n      Policies:")
	require.GreaterOrEqual(t, i, 0, "%s: no inline policies", resource)
	return regexp.MustCompile(`\b(?:iam|s3|sts|sns|kms|cognito-identity):[A-Za-z]+\b`).FindAllString(block[i:], -1)
}

func generated(t *testing.T, name string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, policy.Dir, name+".json"))
	require.NoError(t, err)
	var doc policy.Document
	require.NoError(t, json.Unmarshal(data, &doc))
	m := map[string]bool{}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			m[a] = true
		}
	}
	return m
}

// The shipped templates grant their roles nothing the code does not declare
// (KMS for an encrypted snapshot aside: the S3 client's, not an interface's),
// and where a template runs the whole frontend (complete), everything it
// declares.
func TestTemplateGrantsNoMoreThanTheGeneratedPolicies(t *testing.T) {
	tests := []struct {
		template, resource, policy string
		complete                   bool
	}{
		{"hostsync-fleet.yaml", "PublisherRole", "lambda-snapshotpublisher", false},
		{"hostsync-fleet.yaml", "HostRole", "hostsyncd-snapshot", false},
		{"hostsync-host.yaml", "HostRole", "hostsyncd-snapshot", false},
		{"mfa-audit.yaml", "AuditRole", "lambda-mfaaudit", true},
		// The broker as a Lambda function assumes roles only: no Cognito
		// pool, and GetFederationToken needs an IAM user's keys.
		{"consolebroker.yaml", "BrokerRole", "consolebroker", false},
	}
	for _, tt := range tests {
		t.Run(tt.template+"/"+tt.resource, func(t *testing.T) {
			allowed := generated(t, tt.policy)
			actions := templateRoleActions(t, "examples/cloudformation/"+tt.template, tt.resource)
			require.NotEmpty(t, actions)
			granted := map[string]bool{}
			for _, a := range actions {
				granted[a] = true
				if strings.HasPrefix(a, "kms:") {
					continue
				}
				assert.True(t, allowed[a], "%s grants %s, which %s.json does not have", tt.resource, a, tt.policy)
			}
			if tt.complete {
				for a := range allowed {
					assert.True(t, granted[a], "%s lacks %s, which %s.json has", tt.resource, a, tt.policy)
				}
			}
		})
	}
}
