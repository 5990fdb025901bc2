package hostsync

import (
	"context"
	"errors"
	"fmt"
)

// Source is a source of truth for a sync: live IAM (IAMSource), a snapshot,
// or a fixed list (StaticSource).
//
// Desired never returns partial data: when any call, page or check fails it
// returns a Desired with Complete false, Err set and no users, and Plan then
// changes nothing.
type Source interface {
	Desired(ctx context.Context) Desired
}

// StaticSource is a Source that always returns the same Desired: for tests,
// demos and tools that read the users from elsewhere.
type StaticSource Desired

// Desired returns the fixed Desired, or an unknown source once ctx has
// ended.
func (s StaticSource) Desired(ctx context.Context) Desired {
	if err := ctx.Err(); err != nil {
		return Desired{Err: err}
	}
	return Desired(s)
}

// SourceError is the error of an IAMSource read that failed: the call, what
// it was about, and the cause (the SDK's error once its retryer gave up, a
// partial page, an inconsistent answer, or the context's error).
type SourceError struct {
	// Op is the IAM operation, e.g. "iam:GetGroup".
	Op string
	// Target says what the call was about, e.g. `group "ssh-users"` or
	// `user "alice"`.
	Target string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *SourceError) Error() string {
	return fmt.Sprintf("hostsync: IAM source: %s (%s): %s", e.Op, e.Target, unprefixed(fmt.Sprint(e.Err)))
}

// Unwrap returns the cause.
func (e *SourceError) Unwrap() error { return e.Err }

// ErrPartialPage is wrapped by the SourceError of a listing that IAM
// reported as truncated without a usable marker to continue from (or with
// the marker of the previous page): the listing is incomplete.
var ErrPartialPage = errors.New("hostsync: partial page: truncated listing without a usable marker")

// ErrMalformedResponse is wrapped by the SourceError of an IAM answer that
// lacks a field the source relies on.
var ErrMalformedResponse = errors.New("hostsync: malformed IAM response")
