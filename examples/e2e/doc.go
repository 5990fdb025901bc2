// Package e2e holds the end-to-end tests of iamkit's example binaries
// (iamkit, hostsyncd, hostsync-keys, consolebroker): each test builds the
// binaries once (TestMain), starts an iamkittest.NewServer and runs the
// built programs as a user would, with a clean environment whose
// AWS_ENDPOINT_URL points at the server. Every AWS call therefore goes
// through the real SDK clients the binaries build with
// config.LoadDefaultConfig — serialisation, SigV4 signing, retries and error
// decoding included — and the tests check the outcome both in the
// programs' output and in the server's account (state and call counters).
//
// The package has no code outside its tests. go test -short skips it.
package e2e
