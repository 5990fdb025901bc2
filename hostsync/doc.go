// Package hostsync turns IAM users and their SSH keys into Linux users,
// groups, sudo rights and an SSH key cache on a host — safely. It replaces
// aws-ec2-ssh and cron'd bash sync scripts, and reads aws-ec2-ssh's
// configuration file.
//
// A sync has three steps, and only the last one changes anything:
//
//  1. Read the source of truth into a Desired: complete, or unknown.
//  2. Plan: a pure function of the Desired, the HostState (local accounts,
//     key cache, persisted State) and the Config, returning a SyncPlan — the
//     actions, each with its reason, and what is left alone and why. It
//     prints as a dry run.
//  3. Apply the plan through a System, the host interface, and get a Report
//     with one result per action.
//
// The safety rules live in Plan and are checked again by Apply: an unknown
// source changes nothing; only members of the marker group are ever touched;
// reserved names, system UIDs and pre-existing local users are never created
// over, changed or deleted; a user missing from the source is locked at once
// but deleted only after several consecutive complete syncs, and at most a
// capped number of accounts are deleted per run.
//
// Names follow aws-ec2-ssh's convention ('@' becomes ".at." and so on, see
// LinuxName), made injective and reversible. UIDs derive from the IAM user
// ID and are persisted (UIDMap), so a user gets the same UID on every host
// and after being deleted and restored. Keys are parsed and fingerprinted
// with golang.org/x/crypto/ssh (ParseKey); only Active keys ever reach a
// host.
package hostsync
