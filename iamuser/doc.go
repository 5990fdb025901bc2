// Package iamuser onboards and offboards the people of an AWS account as IAM
// users, replacing the bash onboarding script most teams keep.
//
// [Manager.Onboard] validates a [Spec] and checks its groups before any change,
// then creates the user (path, tags, permissions boundary), a console password
// generated from crypto/rand that satisfies the account's password policy
// (reset required at first sign-in), a virtual MFA device created and enabled
// at once with the codes of the previous and current TOTP steps — no waiting —,
// group memberships, and optionally an access key and SSH public keys. The
// [Result] can be written as a bundle for the person ([Result.WriteBundle]): a
// CSV row, the otpauth URI and the QR code, all written atomically with mode
// 0600. A bundle may be the only copy of a password, so WriteBundle never
// overwrites one; [NextBundleDir] picks a directory that holds none.
//
// Onboarding is resumable: re-running it for a half-made user keeps what
// exists and finishes the rest, replacing a leftover unassigned MFA device.
//
// # Lost replies
//
// A reply can be lost after AWS acted (a dropped connection, a timeout the
// SDK retries): a login profile or an access key exists whose secret nobody
// received. A run records itself in the user tag [OnboardingTag] (its start,
// then what it handed back) before the first credential is made and removes
// it when it succeeds, so a re-run can tell:
//
//   - a login profile created since an unfinished run began, whose password
//     that run never handed back, gets a new password (UpdateLoginProfile,
//     reset required), returned in the Result for a new bundle (the
//     frontends never overwrite one). A re-run after a delivered password —
//     a finished run, or one that failed later — keeps it.
//   - an access key created since an unfinished run began and never handed
//     back is deleted and made anew if GetAccessKeyLastUsed says it was never
//     used; a used one stops the run with an [OrphanAccessKeyError] naming it.
//     A key the SDK's retry made twice in one run is removed the same way.
//
// IAM's eventual consistency right after CreateUser is waited out with bounded
// retries on the injected clock; throttling is left to the SDK's retryer.
//
// Offboarding is plan-then-apply: [Offboarder.PlanOffboard] reads everything
// that blocks DeleteUser and returns a printable [OffboardPlan];
// [Offboarder.ApplyOffboard] removes it in AWS's documented order, tolerates what
// is already gone, never calls DeleteUser while a step failed, and verifies the
// user is gone. [ParseCSV] and [Manager.OnboardBulk] onboard a whole file with
// bounded concurrency and per-row results.
//
// # Interfaces
//
// Each operation asks only for the IAM methods it calls, with the SDK's
// signatures; *iam.Client satisfies every one of them, and so does the fake
// account of iamkittest (Account.IAM):
//
//   - [New] takes an [OnboardAPI]: [Manager.Onboard] and [Manager.OnboardBulk]
//     (bulk onboarding calls nothing onboarding does not).
//   - [NewOffboarder] takes an [OffboardAPI]: [Offboarder.PlanOffboard],
//     [Offboarder.ApplyOffboard] and [Offboarder.Offboard].
//   - [Result.WriteBundle], [NextBundleDir], [ParseCSV], [GeneratePassword]
//     and the validators call no AWS API.
//
// [API] is both together, for a frontend that does both with one client.
package iamuser
