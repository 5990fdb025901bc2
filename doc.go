// Package iamkit automates the AWS IAM chores a small infrastructure team
// otherwise does by hand with shell scripts and the AWS CLI. This package is
// the map, and holds the one [Clock] interface every package accepts (with
// [SystemClock], the real one). Each chore is a package of its own, and the
// example frontends under examples/ show how to wire them into a program.
//
// # Packages
//
//   - [github.com/iamkit/iamkit/iamuser] onboards a person: the IAM user, a
//     console password generated to satisfy the account's password policy
//     (reset required at first sign-in), a virtual MFA device created and
//     enabled at once — no waiting for a second code —, groups, and
//     optionally an access key and SSH public keys; the secrets come back as
//     a bundle written with mode 0600. Onboarding resumes a half-made user.
//     Offboarding removes everything that blocks DeleteUser, in AWS's
//     documented order, then the user. Bulk onboarding reads a CSV file.
//   - [github.com/iamkit/iamkit/mfa] pairs virtual MFA devices: TOTP codes
//     for the previous and current 30-second steps, so EnableMFADevice is
//     called at once; the otpauth:// key URI; its QR code as a PNG and as
//     text for a terminal. Its subpackage
//     [github.com/iamkit/iamkit/mfa/credfile] edits ~/.aws/credentials and
//     ~/.aws/config losslessly. Session obtains MFA session credentials the
//     way aws-mfa does (same files, flags and environment variables), with a
//     Provenance record travelling with every set of credentials; Audit lists
//     who can sign in or holds active keys without MFA.
//   - [github.com/iamkit/iamkit/federation] builds console sign-in URLs for
//     people who have no IAM user: Cognito identity pools, AssumeRole and
//     GetFederationToken credentials, exchanged at the partition's sign-in
//     endpoint. Its subpackage [github.com/iamkit/iamkit/federation/broker]
//     is a console sign-in broker as an importable http.Handler: it
//     authenticates the request, maps the person to a role and redirects to
//     the console (examples/consolebroker only wires it into a server and a
//     Lambda function).
//   - [github.com/iamkit/iamkit/trustpolicy] edits role trust (assume-role)
//     policies as lossless documents: principals added and removed as
//     idempotent set operations, the unique IDs (AIDA…, AROA…) IAM leaves in
//     place of deleted users and roles pruned, every change validated and
//     diffed before it is sent, and nothing sent when nothing changed. Apply
//     edits one role; ApplyAll makes the same edit on the same-named role in
//     many accounts, at bounded concurrency, with a dry run and a result per
//     account.
//   - [github.com/iamkit/iamkit/hostsync] turns IAM users and their SSH keys
//     into Linux users, groups, sudo rights and a root-owned SSH key cache on
//     a host (a drop-in for aws-ec2-ssh), plan first, without ever deleting on
//     a partial or failed read of IAM; sshd's AuthorizedKeysCommand answers
//     from the cache.
//   - [github.com/iamkit/iamkit/iamkittest] is for the tests of code that
//     imports iamkit, as net/http/httptest is to net/http: one fake AWS
//     account (IAM, STS, Cognito Identity, S3 and the console sign-in
//     endpoint sharing one state), in process (NewAccount) or served over
//     AWS's wire protocols on a loopback endpoint that real SDK clients
//     reach unchanged (NewServer); a fake Linux host (NewHost); and
//     TestSystem, which checks any hostsync.System implementation.
//
// # How they fit
//
// Each package declares the few AWS SDK methods it calls as a narrow
// interface, with the SDK's exact signatures; *iam.Client (and the other
// SDK clients) satisfy them directly. Callers build clients with
// config.LoadDefaultConfig, so profiles, SSO, environment variables,
// instance roles, the SDK's retryer and AWS_ENDPOINT_URL work as everywhere
// else. There is no wrapper over the SDK.
//
// iamkittest's account satisfies the same interfaces, with the SDK's typed
// errors, Marker pagination, eventual consistency, fault injection and
// per-operation call counters. Its implementation is the module's
// internal/fakes package (with internal/fakes/server, the wire server):
// iamkittest is the public door to it, so there is one fake account, not
// two. iamkit's own tests, benchmarks and the demo (go run
// ./examples/iamkit demo) run against it, without an AWS account — in
// process, and through real SDK clients over the wire.
//
// Whatever changes state in bulk is split into plan and apply: the plan is a
// plain value that prints as a dry run and changes nothing; applying it
// reports per item, counts work already done as done, and can be re-run
// after a failure. Time and randomness are injected, so tests never sleep.
// Secrets (passwords, TOTP seeds, access key secrets) are never logged and
// are written only to files with mode 0600.
//
// # One dialect
//
// Every package speaks the same way:
//
//   - Options are functional (WithClock, WithLogger, …): one Option type
//     per package; what a call is about is its arguments, or a request
//     struct when there are many (mfa.SessionRequest).
//   - Time comes from the one [Clock] interface; [SystemClock] is the
//     default everywhere, and tests hand in the manual clock of an
//     iamkittest account (its Clock method), so that the package and the
//     fake account agree on the time and nothing waits.
//   - Errors: an error a package returns starts with the package's name
//     once ("iamuser: onboarding alice: …"). Context goes after the prefix;
//     a cause from another package keeps its own text, prefix included
//     ("mfa: session for profile dev: writing the credentials: credfile: …");
//     a cause from the same package is not prefixed again. A sentinel error
//     (ErrXxx) either carries no prefix and is returned wrapped after it, or
//     carries the prefix itself (hostsync's, broker's) and is not prefixed
//     again; either way callers branch with errors.Is and errors.As, never
//     on the text.
//   - Files holding secrets or state are written by one atomic writer: a
//     temporary file beside the target, mode 0600, synced, renamed, the
//     directory synced, and no temporary copy left on failure. Bundles are
//     never overwritten.
//   - Role session names follow one rule (characters outside
//     [A-Za-z0-9_+=,.@-] become '-', at most 64, no trailing '-'), and
//     ARNs are parsed with the SDK's aws/arn, not split by hand.
//
// # Example
//
// Onboard a person, hand over the bundle, and later offboard them, plan
// first:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	if err != nil {
//		return err
//	}
//	m := iamuser.New(iam.NewFromConfig(cfg), iamuser.WithLogger(logger))
//
//	res, err := m.Onboard(ctx, iamuser.Spec{
//		UserName: "alice",
//		Groups:   []string{"developers"},
//	})
//	if err != nil {
//		return err // a *iamuser.StepError: re-run to resume
//	}
//	fmt.Println(res) // the steps, without secrets
//	files, err := res.WriteBundle("bundles/alice") // password, MFA secret, QR code: mode 0600
//
//	off := iamuser.NewOffboarder(iam.NewFromConfig(cfg), iamuser.WithLogger(logger))
//	plan, err := off.PlanOffboard(ctx, "alice")
//	if err != nil {
//		return err
//	}
//	fmt.Print(plan) // the dry run
//	report, err := off.ApplyOffboard(ctx, plan)
//
// The command-line example in examples/iamkit does exactly this behind
// "iamkit user create" and "iamkit user delete".
//
// The same onboarding in a test, in process and over the wire (these are
// iamuser's runnable examples ExampleNew_inProcess and
// ExampleNew_overTheWire):
//
//	acct := iamkittest.NewAccount()
//	m := iamuser.New(acct.IAM(), iamuser.WithClock(acct.Clock()))
//	res, err := m.Onboard(ctx, iamuser.Spec{UserName: "alice"})
//
//	srv := iamkittest.NewServer(t) // closed on t's cleanup
//	res, err := iamuser.New(iam.NewFromConfig(srv.Config())).Onboard(ctx, iamuser.Spec{UserName: "alice"})
package iamkit
