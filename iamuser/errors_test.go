package iamuser_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
)

// Errors start with "iamuser: " once, also a CSV error quoting a
// validation error.
func TestErrorPrefixOnce(t *testing.T) {
	e := newEnv(t)
	_, csvErr := iamuser.ParseCSV(strings.NewReader("user_name\nbad name\n"))
	_, pwErr := iamuser.GeneratePassword(&types.PasswordPolicy{MinimumPasswordLength: aws.Int32(200)}, nil)
	_, onboardErr := e.m.Onboard(t.Context(), iamuser.Spec{UserName: "alice", Groups: []string{"nope"}})
	_, planErr := e.off.PlanOffboard(t.Context(), "bad name")
	checkErr := iamuser.CheckPassword(nil, "short")
	for name, err := range map[string]error{"ParseCSV": csvErr, "GeneratePassword": pwErr, "Onboard": onboardErr, "PlanOffboard": planErr, "CheckPassword": checkErr} {
		require.Error(t, err, name)
		assert.True(t, strings.HasPrefix(err.Error(), "iamuser: "), "%s: %v", name, err)
		assert.Equal(t, 1, strings.Count(err.Error(), "iamuser:"), "%s: %v", name, err)
	}
}
