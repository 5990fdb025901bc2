// Package authkeys is the read path of sshd's AuthorizedKeysCommand over
// hostsync's key cache, on its own: what hostsync-keys runs on every SSH
// login, and nothing else.
//
// hostsync.AuthorizedKeys answers the same question, but the hostsync
// package also plans, applies and runs useradd, parses keys with
// golang.org/x/crypto/ssh and logs with log/slog; linking all that (and the
// package initialisers of crypto/x509, net, os/exec, encoding/json...) into
// a process sshd starts for each login made hostsync-keys 1.4-1.5× as slow
// as a static hello-world at p50. authkeys imports only the standard
// library's os, io/fs, syscall, time, strings, strconv, errors, fmt,
// crypto/sha256 and encoding/base64 (see examples/hostsync-keys/deps_test.go).
//
// The hostsync package keeps writing the cache (hostsync.KeyCache); authkeys
// reads it with every check of hostsync's read path, and gives the same
// answers and the same refusals (tested side by side in hostsync's
// authkeys_agree_test.go):
//   - the user name must map back to an IAM user (hostsync.IAMName) and be
//     a user hostsync manages: in /etc/passwd with a UID of at least 1000,
//     not reserved, and in the configuration's marker group
//     (hostsync.Linux.IsManaged);
//   - the cache directory and its files must be root-owned, not group- or
//     world-writable, not symlinks, and are opened without following one;
//   - the heartbeat must be younger than the maximum age and not in the
//     future by more than five minutes;
//   - a user's file must parse exactly as hostsync.FormatKeyCacheFile
//     writes it: header naming the user, sorted key IDs, canonical keys of
//     an accepted type (the key blob's structure and an RSA modulus of at
//     least 2048 bits are checked; an ECDSA point's curve membership is
//     left to sshd, which checks it before any signature).
//
// From the configuration file it reads the keys it needs —
// LOCAL_MARKER_GROUP, LOCAL_GROUPS and IAMKIT_RESERVED — with the shell
// grammar of hostsync.ParseConfig: a line that does not parse fails closed
// as it does there, and an invalid value of one of these keys too. The
// values of the other keys are not checked: an AuthorizedKeysCommand has
// no use for them, and the sync, which does, refuses them.
//
// The errors carry the messages of hostsync's and wrap the same sentinel
// values (hostsync.ErrNotManaged is ErrNotManaged, and so on).
package authkeys
