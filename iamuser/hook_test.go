package iamuser_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
)

// WithAfterOffboard's hook runs once per run that changed something (the
// fleet snapshot is republished at once), after the changes, and its error
// is reported without undoing the offboarding.
func TestOffboardAfterHook(t *testing.T) {
	hookErr := errors.New("S3 down")
	tests := []struct {
		name      string
		user      string // "" : a user that does not exist
		hookErr   error
		wantCalls int
		wantErr   bool
	}{
		{name: "offboarded: hook called", user: "rita", wantCalls: 1},
		{name: "nothing to do: no call", wantCalls: 0},
		{name: "hook fails: reported, offboarding stands", user: "sam", hookErr: hookErr, wantCalls: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "developers")
			name := "ghost"
			if tt.user != "" {
				name = tt.user
				fullyLoaded(t, e, name)
			}
			var calls []string
			existedAtCall := true
			off := iamuser.NewOffboarder(e.iam, iamuser.WithAfterOffboard(func(ctx context.Context, user string) error {
				calls = append(calls, user)
				existedAtCall = e.userExists(t, user)
				return tt.hookErr
			}))
			rep, err := off.Offboard(t.Context(), name)
			assert.Len(t, calls, tt.wantCalls)
			if tt.wantCalls > 0 {
				assert.Equal(t, name, calls[0])
				assert.False(t, existedAtCall, "the hook runs after the user is gone")
			}
			if tt.wantErr {
				require.ErrorIs(t, err, hookErr)
				assert.ErrorContains(t, err, "after offboarding "+name)
				assert.True(t, rep.Verified)
				assert.NoError(t, rep.Err())
			} else {
				require.NoError(t, err)
			}
		})
	}
}
