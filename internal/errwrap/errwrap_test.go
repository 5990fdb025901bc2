package errwrap_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/errwrap"
)

var errSentinel = errors.New("malformed trust policy")

type typed struct{ msg string }

func (e *typed) Error() string { return e.msg }

func TestWrap(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		format  string
		args    []any
		want    string
		matches error
	}{
		{"same package: the prefix once", fmt.Errorf("trustpolicy: %w: line 3", errSentinel), "role %s", []any{"deploy"}, "trustpolicy: role deploy: malformed trust policy: line 3", errSentinel},
		{"another package keeps its prefix", fmt.Errorf("credfile: lock: %w", fs.ErrPermission), "role %s", []any{"deploy"}, "trustpolicy: role deploy: credfile: lock: permission denied", fs.ErrPermission},
		{"an unprefixed cause", errSentinel, "role %s", []any{"deploy"}, "trustpolicy: role deploy: malformed trust policy", errSentinel},
		{"no context", fmt.Errorf("trustpolicy: %w", errSentinel), "", nil, "trustpolicy: malformed trust policy", errSentinel},
		{"a look-alike prefix is not stripped", errors.New("trustpolicyx: y"), "c", nil, "trustpolicy: c: trustpolicyx: y", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := errwrap.Wrap("trustpolicy", tt.err, tt.format, tt.args...)
			require.EqualError(t, err, tt.want)
			assert.Same(t, tt.err, errors.Unwrap(err))
			if tt.matches != nil {
				assert.ErrorIs(t, err, tt.matches)
			}
		})
	}
	assert.NoError(t, errwrap.Wrap("mfa", nil, "x"))

	te := &typed{"mfa: prompt: no input"}
	err := errwrap.Wrap("mfa", te, "session for profile %s: getting the MFA code", "dev")
	assert.EqualError(t, err, "mfa: session for profile dev: getting the MFA code: prompt: no input")
	got, ok := errors.AsType[*typed](err)
	require.True(t, ok)
	assert.Same(t, te, got)
}
