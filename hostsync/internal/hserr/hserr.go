// Package hserr builds the "hostsync: " prefixed errors of hostsync and its
// adapter packages, with the prefix once however deep the wrapping.
package hserr

import (
	"fmt"
	"strings"
)

// Prefix begins every hostsync error message.
const Prefix = "hostsync: "

type prefixedError struct {
	msg string
	err error
}

func (e *prefixedError) Error() string { return e.msg }
func (e *prefixedError) Unwrap() error { return e.err }

// Errorf is fmt.Errorf with the message prefixed by Prefix once: the
// prefixes of wrapped hostsync errors are dropped.
func Errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &prefixedError{msg: Prefix + Unprefixed(err.Error()), err: err}
}

// Unprefixed drops every "hostsync: " that begins msg or one of its
// wrapped parts.
func Unprefixed(msg string) string {
	msg = strings.TrimPrefix(msg, Prefix)
	for _, sep := range []string{": ", "(", "; ", "\n"} {
		msg = strings.ReplaceAll(msg, sep+Prefix, sep)
	}
	return msg
}
