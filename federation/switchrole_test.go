package federation_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/mfa"
)

func TestSwitchRoleURL(t *testing.T) {
	cases := []struct{ arn, display, want string }{
		{"arn:aws:iam::123456789012:role/Admin", "", "https://signin.aws.amazon.com/switchrole?account=123456789012&displayName=Admin&roleName=Admin"},
		{"arn:aws:iam::123456789012:role/ops/eu/Deploy", "prod deploy", "https://signin.aws.amazon.com/switchrole?account=123456789012&displayName=prod+deploy&roleName=ops%2Feu%2FDeploy"},
		{"arn:aws-cn:iam::123456789012:role/R", "", "https://signin.amazonaws.cn/switchrole?account=123456789012&displayName=R&roleName=R"},
		{"arn:aws-us-gov:iam::123456789012:role/R", "", "https://signin.amazonaws-us-gov.com/switchrole?account=123456789012&displayName=R&roleName=R"},
		{"arn:aws-eusc:iam::123456789012:role/R", "", "https://eusc-de-east-1.signin.amazonaws-eusc.eu/switchrole?account=123456789012&displayName=R&roleName=R"},
	}
	for _, c := range cases {
		got, err := federation.SwitchRoleURL(c.arn, c.display)
		require.NoError(t, err, c.arn)
		assert.Equal(t, c.want, got)
	}
	long, err := federation.SwitchRoleURL("arn:aws:iam::123456789012:role/R", strings.Repeat("é", 70))
	require.NoError(t, err)
	u, _ := url.Parse(long)
	assert.Len(t, []rune(u.Query().Get("displayName")), 64)
	for _, bad := range []string{"", "arn:aws:iam::123456789012:user/alice", "arn:aws-iso:iam::123456789012:role/R", "Admin"} {
		_, err := federation.SwitchRoleURL(bad, "")
		assert.Error(t, err, bad)
	}
}

// A chained role's console session is capped at one hour, as its
// credentials are; other role sessions keep the 12 h of the endpoint.
func TestChainedSessionDuration(t *testing.T) {
	assert.NoError(t, federation.CheckSessionDuration(mfa.KindChainedRole, time.Hour))
	err := federation.CheckSessionDuration(mfa.KindChainedRole, 2*time.Hour)
	assert.ErrorIs(t, err, federation.ErrSessionDuration)
	assert.ErrorContains(t, err, "role chaining")
	assert.NoError(t, federation.CheckSessionDuration(mfa.KindAssumedRole, 12*time.Hour))
}
