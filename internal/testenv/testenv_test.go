package testenv_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/iamkit/iamkit/internal/testenv"
)

// tbRecorder records Skip and Fatal instead of stopping the test.
type tbRecorder struct {
	testing.TB
	skipped, fatal string
}

func (r *tbRecorder) Helper()           {}
func (r *tbRecorder) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *tbRecorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...) }

func TestSkip(t *testing.T) {
	tests := []struct {
		ci                 string
		wantSkip, wantFail bool
	}{
		{ci: "", wantSkip: true},
		{ci: "false", wantSkip: true},
		{ci: "garbage", wantSkip: true},
		{ci: "true", wantFail: true},
		{ci: "1", wantFail: true},
		{ci: "TRUE", wantFail: true},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv(testenv.CIVar, tt.ci)
			assert.Equal(t, tt.wantFail, testenv.CI())
			for _, skip := range []func(tb testing.TB){
				func(tb testing.TB) { testenv.Skip(tb, "no ", "sshd") },
				func(tb testing.TB) { testenv.Skipf(tb, "no %s", "sshd") },
			} {
				r := &tbRecorder{TB: t}
				skip(r)
				if tt.wantSkip {
					assert.Equal(t, "no sshd", r.skipped)
					assert.Empty(t, r.fatal)
				} else {
					assert.Empty(t, r.skipped)
					assert.Equal(t, "CI=true: a test that needs this must run, not skip: no sshd", r.fatal)
				}
			}
		})
	}
}

func TestRequireRoot(t *testing.T) {
	t.Setenv(testenv.CIVar, "true")
	r := &tbRecorder{TB: t}
	testenv.RequireRoot(r, "a root-owned key cache")
	if r.fatal != "" {
		assert.Contains(t, r.fatal, "needs root (a root-owned key cache)")
	}
	assert.Empty(t, r.skipped, "under CI, never a skip")
}
