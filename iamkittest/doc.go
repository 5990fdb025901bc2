// Package iamkittest is one fake AWS account for the tests of code that
// imports iamkit — as net/http/httptest is to net/http.
//
// [NewAccount] builds the account in process: [Account.IAM], [Account.STS],
// [Account.Cognito], [Account.S3], [Account.AccessAnalyzer] and
// [Account.Organizations] return services whose methods have the
// SDK clients' exact signatures, so they satisfy iamkit's narrow interfaces
// (iamuser.OnboardAPI, hostsync's IAM source, ...) and any interface of your
// own shaped after *iam.Client. They share one state, as AWS's services do:
// a test can onboard a user through IAM, sync a host from the same account
// and federate through STS. Typed errors, Marker pagination, URL-encoded
// policies, TOTP checks, DeleteConflict and eventual consistency behave as
// in AWS; [Account.Inject], [Account.Throttle] and [Account.SetLatency]
// inject faults; [Account.Calls] counts calls; [Account.Disable] makes an
// operation act as an endpoint that does not implement it.
//
// The account keeps a manual clock ([Account.Clock]): time moves only when
// the test says so, and nothing waits. Hand it to iamkit's packages, which
// all accept an iamkit.Clock, so that they and the account agree on the
// time:
//
//	acct := iamkittest.NewAccount()
//	m := iamuser.New(acct.IAM(), iamuser.WithClock(acct.Clock()))
//	acct.Clock().Advance(24 * time.Hour)
//
// [NewServer] serves such an account on a loopback HTTP endpoint over AWS's
// wire protocols (IAM, STS and SNS query, Cognito Identity and Organizations
// JSON 1.1, S3 REST-XML, IAM Access Analyzer REST-JSON, the console sign-in
// endpoint), so real SDK clients work against it
// unchanged — serialisation, retries, paging and error decoding included:
//
//	srv := iamkittest.NewServer(t)
//	client := iam.NewFromConfig(srv.Config())
//
// The server's account runs on the real time (its clock is a running one)
// unless [WithClock] is given, so iamkit's packages on their default system
// clocks work against it. [Server.Account] is the state behind it: seed it,
// inspect it, inject faults, read the counters.
//
// [NewHost] is an in-memory Linux host implementing hostsync.System, and
// [TestSystem] checks any hostsync.System implementation against that
// interface's contract, in the spirit of testing/fstest.TestFS.
//
// The wrappers in this package forward to one implementation (iamkit's
// internal fakes): every method documented here behaves as its
// documentation says, in process and over the wire alike.
package iamkittest

//go:generate go run ./internal/gen/genkit
