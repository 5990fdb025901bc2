// Package e2e holds the end-to-end tests of iamkit's example binaries
// (iamkit, hostsyncd, hostsync-keys, consolebroker). TestMain builds the
// binaries once; each test starts an iamkittest.NewServer and runs the
// built programs as a user would, with a clean environment: HOME in a
// temporary directory, AWS_ENDPOINT_URL at the server, access keys the
// account issued, IMDS off, and a dead HTTP proxy for anything off the
// loopback interface, so that nothing can reach real AWS. Every AWS call
// therefore goes through the real SDK clients the binaries build with
// config.LoadDefaultConfig — serialisation, SigV4 signing (verified by the
// server), retries and error decoding included — and the tests check the
// outcome both in the programs' output and exit codes and in the server's
// account: its state and its per-operation call counters.
//
// What the tests prove:
//
//   - iamkit user create/delete/import, trust show/add, mfa session and
//     audit, hostsync publish and keys, console: each command against the
//     server, its typed errors as exit codes and messages, SigV4 refusals,
//     a throttle retried by the SDK (TestIAMKit*).
//   - hostsyncd --once --dry-run from a snapshot in S3, from live IAM and
//     under ASSUMEROLE, and as a daemon that syncs on SIGHUP and stops on
//     SIGTERM (TestHostsyncPublishAndDaemon, TestHostsyncdDaemon).
//   - hostsync-keys answers from a key cache that a library sync wrote
//     from users read over the wire, and makes no request (TestHostsyncKeys).
//   - consolebroker with a token file and AssumeRole, and behind a trusted
//     proxy with Cognito developer identities: a 302 to the server's
//     sign-in endpoint, whose token the endpoint accepts; refusals call
//     nothing (TestConsoleBroker).
//
// A test that needs something a binary does not have yet skips, saying
// what is missing. The package has no code outside its tests; go test
// -short skips it.
package e2e
