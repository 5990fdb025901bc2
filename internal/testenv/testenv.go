// Package testenv decides what iamkit's tests do when the machine lacks
// something they need: root, a system package (openssh-server, sudo,
// util-linux), a mount namespace. On a developer's machine such a test
// skips; in CI it fails, because .ci/run runs as root and installs every
// package the tests need, so a test that skips there is a test that
// silently stopped running.
package testenv

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// CIVar is the environment variable that marks a CI run; .ci/run sets it
// to "true", as most CI services do.
const CIVar = "CI"

// CI reports whether the tests run in CI: CIVar holds a true value as
// strconv.ParseBool reads it ("true", "1", ...).
func CI() bool {
	v, err := strconv.ParseBool(os.Getenv(CIVar))
	return err == nil && v
}

// Skip skips tb for a missing prerequisite, or under CI fails it at once
// (tb.Fatal) with the same message: in CI, every prerequisite is there.
func Skip(tb testing.TB, args ...any) {
	tb.Helper()
	if CI() {
		tb.Fatal("CI=true: a test that needs this must run, not skip: " + fmt.Sprint(args...))
		return
	}
	tb.Skip(args...)
}

// Skipf is Skip with a format.
func Skipf(tb testing.TB, format string, args ...any) {
	tb.Helper()
	Skip(tb, fmt.Sprintf(format, args...))
}

// RequireRoot calls Skip unless the process runs as root; why says what
// the test needs root for.
func RequireRoot(tb testing.TB, why string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		Skip(tb, "needs root ("+why+"): run as root, as CI does")
	}
}
