package mfa_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// Errors start with "mfa: " once, also where a cause from the package
// itself is wrapped (Enable around an invalid seed; the token sources and
// SplitCommandLine are covered by TestSessionClearErrors).
func TestErrorPrefixOnce(t *testing.T) {
	acct := fakes.NewAccount()
	enableErr := mfa.Enable(t.Context(), acct.IAM(), acct.Clock(), "alice", "arn:aws:iam::123456789012:mfa/alice", "")
	_, splitErr := mfa.SplitCommandLine(`a "b`)
	_, codeErr := mfa.Code("not base32!", acct.Clock().Now())
	for name, err := range map[string]error{"Enable": enableErr, "SplitCommandLine": splitErr, "Code": codeErr} {
		require.Error(t, err, name)
		assert.True(t, strings.HasPrefix(err.Error(), "mfa: "), "%s: %v", name, err)
		assert.Equal(t, 1, strings.Count(err.Error(), "mfa:"), "%s: %v", name, err)
	}
	assert.ErrorIs(t, enableErr, mfa.ErrInvalidSeed)
}
