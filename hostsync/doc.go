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
// over, changed or deleted; no account is created under the name of a
// standard system group (DefaultSystemGroups) or of a local group hostsync
// does not manage; while two IAM user IDs claim one Linux name neither is
// created and the managed account of that name is left exactly as it is; a
// user missing from the source is locked at once (from an AbsenceConfirmer
// source such as IAMSource, once a direct read confirmed the absence; its
// sessions end with the lock unless EndSessionsOnLock is off) but deleted
// only after several consecutive complete syncs, and at most a capped
// number of accounts are deleted per run. An IAM user renamed (same user ID, recorded
// with its UID in the State) has its account renamed in place (ActRename,
// System.Rename): UID, home, keys and sudo kept, never locked or deleted
// for it; a new name taken by an account hostsync does not manage is
// refused (the account keeps its old name, reported every sync), and a
// rename refused because the user has running processes is StatusDeferred —
// not a failure — and retried on the next sync while the account stays
// current under its old name.
//
// Names follow aws-ec2-ssh's convention ('@' becomes ".at." and so on, see
// LinuxName), made injective and reversible. UIDs derive from the IAM user
// ID and are persisted (UIDMap), so a user gets the same UID on every host
// and after being deleted and restored. Keys are parsed and fingerprinted
// with golang.org/x/crypto/ssh (ParseKey); only Active keys ever reach a
// host.
//
// # The pieces
//
// The package itself links no AWS SDK package, so that hostsync-keys (sshd's
// AuthorizedKeysCommand) stays small and quick to start; the SDK adapters
// live in subpackages that import it: hostsync/iamsource (IAMSource,
// IAMAPI, LiveKeys, NewIAMClient, AssumeRoleCredentials, BuildSnapshot),
// hostsync/s3snapshot (SnapshotSource, Publish, NewS3Client, ParseS3URL)
// and hostsync/ec2tags (InstanceTags). Names below that this
// package does not define are theirs. hostsync-keys does not even link this
// package: hostsync/authkeys is the cache's read path alone (AuthorizedKeys
// without the live fallback, in the standard library's smallest corner),
// kept in step with this package by side-by-side tests.
//
//   - Sources: IAMSource reads live IAM through the narrow IAMAPI (GetGroup
//     or ListUsers pages, one ListSSHPublicKeys per user, GetSSHPublicKey only
//     for key IDs its KeyBodyCache has not seen), with bounded concurrency and
//     the SDK's retryer; any failed call makes the whole read unknown. A
//     paged listing is not a snapshot, so IAMSource is an AbsenceConfirmer:
//     before Sync locks, strips or deletes an account because its user was
//     not listed, one direct read per such user (ListGroupsForUser, or
//     GetUser without authorized groups) confirms it is gone (and one
//     ListGroupsForUser before sudo is taken from a listed user); otherwise the
//     source is read once more, then the sync halts. Steady state: no call.
//     AssumeRoleCredentials is the credentials provider for ASSUMEROLE: the
//     role is assumed once and its credentials are cached until they expire.
//     SnapshotSource reads a fleet snapshot;
//     StaticSource is a fixed answer for tests and demos.
//   - Sync runs one cycle: LoadHostState, the source, Plan, Apply, and —
//     when the source was complete and every action succeeded — the key
//     cache's heartbeat (System.MarkSynced), which keeps AuthorizedKeys
//     answering. A frontend never writes the heartbeat itself.
//   - StateDir is the layout of hostsync's files on a host (key cache,
//     state with the UID map, key body cache, last good snapshot, lock),
//     shared by every frontend; DefaultStateDir and DefaultConfigFile are
//     where they live by default. NewIAMClient builds the IAM client the
//     same way for every frontend (region, ASSUMEROLE).
//   - Linux is the System of a real host: useradd, usermod and userdel as
//     configured, sudoers drop-ins checked with visudo, the key cache, the
//     persisted state. AcquireLock keeps two syncs from running at once.
//   - KeyCache is the root-owned cache (outside home directories) that
//     AuthorizedKeys answers sshd's AuthorizedKeysCommand from, without any
//     network call; past its maximum age it fails closed, unless a live
//     lookup is configured: LiveKeys (through LiveKeysFunc) asks IAM under
//     the sync's rules — only members of the authorized groups, only Active
//     keys, and no keys at all on any error.
//   - ParseConfig reads aws-ec2-ssh.conf (an unknown key is a warning in
//     Config.Warnings; StrictConfig refuses it); InstanceTags and
//     ResolveInstanceTags fill in the *_TAG keys from the instance's tags
//     in the instance metadata, or with ec2:DescribeTags when metadata
//     tags are off, as aws-ec2-ssh did (the adapter hostsync/ec2tags).
//   - Migration from aws-ec2-ssh: its per-user sudoers files
//     (LegacySudoersFileName, HostUser.LegacySudo) are adopted by an explicit
//     ActAdoptSudo in the plan (System.AdoptSudo), and removed by
//     ActRevokeSudo when the user is no longer granted sudo.
//
// # Interfaces
//
// Each operation asks only for what it calls, with the SDK's signatures;
// the SDK's clients satisfy them, and so does the fake account of
// [github.com/iamkit/iamkit/iamkittest] (Account.IAM, Account.S3, Account.STS):
//
//   - NewIAMSource (and BuildSnapshot, through it) takes an IAMAPI: ListUsers,
//     GetGroup, ListSSHPublicKeys, GetSSHPublicKey, and ListGroupsForUser and
//     GetUser for confirming absences (*iam.Client).
//   - LiveKeys, LiveKeysFunc and LiveKeysFromConfigFile take a LiveKeysAPI:
//     ListGroupsForUser, ListSSHPublicKeys, GetSSHPublicKey (*iam.Client).
//     NewIAMClient's client satisfies both IAMAPI and LiveKeysAPI.
//   - Publish takes a SnapshotPublishAPI (S3 GetObject and PutObject);
//     NewS3SnapshotSource a SnapshotGetAPI (S3 GetObject only);
//     NewFileSnapshotSource reads a file and calls no AWS API.
//   - AssumeRoleCredentials takes an stscreds.AssumeRoleAPIClient
//     (*sts.Client); InstanceTags a MetadataAPI (*imds.Client).
//   - Sync takes a Source (an IAMSource, a SnapshotSource or a
//     StaticSource) and a System; LoadHostState and Apply take the System
//     alone: Linux on a host, iamkittest.NewHost in tests. System is kept whole, not split, and iamkittest.TestSystem
//     checks an implementation against its contract (see System for why).
//   - Plan, ParseConfig, the name mapping, the key cache and AuthorizedKeys
//     call no AWS API; AuthorizedKeys calls IAM only through the
//     WithLive fallback it is given.
//
// # Fleets: one snapshot instead of every host calling IAM
//
// With H hosts each reading N users' keys from IAM every cycle, IAM sees
// H × (N + pages) calls per cycle and throttles long before H reaches a
// thousand. Instead, one publisher reads IAM (BuildSnapshot, with the key
// body cache: N + pages calls) and writes a Snapshot — a versioned,
// deterministic JSON document of the users, their groups, Linux names and
// Active keys — to S3, only when it changed (Publish). Each host reads it
// through a SnapshotSource: one conditional GET per sync, a 304 while
// nothing changed. A snapshot that is stale, malformed or altered, from
// another account, older than the one last applied (Snapshot.Generation:
// Publish numbers each object above the one it replaces, with a PutObject
// conditional on its ETag, so racing publishers stay ordered), or that
// does not cover the host's groups, and a bucket that cannot be read, all
// make the source unknown: nothing is deleted and the key cache keeps
// serving sshd. See BenchmarkFleet and the README's
// fleet section for the figures.
//
// Revocation: a host following the snapshot polls it every 15 s
// (s3snapshot.Poller: one conditional GET, a sync only when it changed);
// changes made with iamkit republish at once (s3snapshot.Republisher,
// iamsource.PlanRevoke and ApplyRevoke), and a locked user's sessions end
// (Config.EndSessionsOnLock, on by default). A snapshot may travel gzipped
// (GzipSnapshot); DecodeSnapshot reads either form as a stream.
// BenchmarkRevocation and BenchmarkSnapshotWire give the figures.
package hostsync
