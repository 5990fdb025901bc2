package hostsync

import "github.com/iamkit/iamkit/hostsync/internal/hserr"

// The error-prefix rule of hostsync (the rule of every iamkit package): an
// error the package returns starts with "hostsync: " exactly once. Sentinel
// errors and error types carry the prefix, since they may be returned as
// they are; an error that wraps another adds its context after the prefix
// and drops the prefix of the hostsync error it wraps, so that a message
// reads "hostsync: sync: source unknown: ...", never "hostsync: sync:
// hostsync: source unknown: ...". errors.Is and errors.As see every wrapped
// error as usual. errorf applies the rule, and every wrapping in this
// package goes through it; the error types (ConfigError, CommandError,
// SourceError) quote their cause without its prefix (unprefixed). The rule
// lives in internal/hserr, shared with the adapter packages.

// errorf is fmt.Errorf under the prefix rule (hserr.Errorf): the message
// gets "hostsync: " at its start, and loses the prefix of every hostsync
// error it quotes. format must not start with the prefix itself.
func errorf(format string, args ...any) error { return hserr.Errorf(format, args...) }

// unprefixed removes the package prefix from msg wherever an error message
// starts in it (hserr.Unprefixed).
func unprefixed(msg string) string { return hserr.Unprefixed(msg) }
