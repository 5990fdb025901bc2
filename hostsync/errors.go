package hostsync

import (
	"fmt"
	"strings"
)

// errPrefix starts every error hostsync returns.
const errPrefix = "hostsync: "

// The error-prefix rule of hostsync (the rule of every iamkit package): an
// error the package returns starts with "hostsync: " exactly once. Sentinel
// errors and error types carry the prefix, since they may be returned as
// they are; an error that wraps another adds its context after the prefix
// and drops the prefix of the hostsync error it wraps, so that a message
// reads "hostsync: sync: source unknown: ...", never "hostsync: sync:
// hostsync: source unknown: ...". errors.Is and errors.As see every wrapped
// error as usual. errorf applies the rule, and every wrapping in this
// package goes through it; the error types (ConfigError, CommandError,
// SourceError) quote their cause without its prefix (unprefixed).

// prefixedError is an error built by errorf: its message under the rule,
// and the error fmt.Errorf built, which wraps the causes.
type prefixedError struct {
	msg string
	err error
}

func (e *prefixedError) Error() string { return e.msg }
func (e *prefixedError) Unwrap() error { return e.err }

// errorf is fmt.Errorf under the prefix rule: the message gets "hostsync: "
// at its start, and loses the prefix of every hostsync error it quotes.
// format must not start with the prefix itself.
func errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &prefixedError{msg: errPrefix + unprefixed(err.Error()), err: err}
}

// unprefixed removes the package prefix from msg wherever an error message
// starts in it: at the start, and after ": ", "(", "; " or a newline (the
// separator of errors.Join).
func unprefixed(msg string) string {
	msg = strings.TrimPrefix(msg, errPrefix)
	for _, sep := range []string{": ", "(", "; ", "\n"} {
		msg = strings.ReplaceAll(msg, sep+errPrefix, sep)
	}
	return msg
}
