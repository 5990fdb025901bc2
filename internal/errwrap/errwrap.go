// Package errwrap is iamkit's error-prefix rule in code (the rule is stated
// in the root package's documentation): an error a package returns starts
// with the package's name once.
//
// Most errors need nothing from here: fmt.Errorf("pkg: context: %w", err)
// around a cause from another package (the SDK, os, another iamkit package)
// is right, and keeps that package's own prefix. Wrap is for a cause that
// may come from the same package — an exported function composed by
// another (trustpolicy's Apply around ParseRoleDocument), or a value behind
// an interface (mfa's token sources) — where plain wrapping would stutter
// ("trustpolicy: role r: trustpolicy: malformed …").
package errwrap

import (
	"fmt"
	"strings"
)

// Wrap returns an error reading "pkg: context: cause", where context is
// format and args, and cause is err's text without a leading "pkg: ". The
// returned error unwraps to err, so errors.Is and errors.As see the cause
// unchanged. Wrap(pkg, nil, …) is nil.
func Wrap(pkg string, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &wrapped{pkg: pkg, context: fmt.Sprintf(format, args...), err: err}
}

type wrapped struct {
	pkg, context string
	err          error
}

func (w *wrapped) Error() string {
	cause := strings.TrimPrefix(w.err.Error(), w.pkg+": ")
	if w.context == "" {
		return w.pkg + ": " + cause
	}
	return w.pkg + ": " + w.context + ": " + cause
}

func (w *wrapped) Unwrap() error { return w.err }
