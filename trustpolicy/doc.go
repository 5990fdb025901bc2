// Package trustpolicy edits role trust (assume-role) policies as lossless
// documents, on one role or on the same role across many accounts, replacing
// the hand-edited trustpolicy.json and the update-assume-role-policy run
// account by account.
//
// # The document
//
// [Parse] reads a policy into a [Document] that serializes back with the same
// key order, unknown fields, single values and lists, "*" and {"AWS": …},
// single statement or array, and condition values of every JSON type,
// wherever an edit did not touch them. [DecodeRoleDocument] and
// [ParseRoleDocument] decode GetRole's URL-encoded document exactly once.
//
// Edits are set operations and idempotent: [AddPrincipals] and
// [RemovePrincipals] for AWS, Service and Federated principals (a bare account
// ID and arn:aws:iam::ID:root are the same principal), [AddAssumeRoleStatement],
// [AddStatement] and [RemoveStatement], [RequireMFA] and [DropMFARequirement],
// and [PruneUniqueIDs], which removes the AIDA…/AROA… IDs IAM writes in place
// of a deleted user's or role's ARN. [Invert] gives an edit's inverse.
// [Document.Validate] checks what IAM would refuse before anything is sent
// (principal syntax, no partial wildcards, the size quota, no statement left
// without a principal), [Diff] shows a change as a unified line diff, and
// [Equivalent] compares two documents by meaning rather than form.
//
// # Applying
//
// [Apply] runs GetRole → edit → diff → UpdateAssumeRolePolicy on one role,
// sending nothing when nothing changed, retrying a bounded number of times
// when IAM does not yet see a principal created moments ago, and reporting a
// service-linked role as [ErrUnmodifiable]. [ApplyAll] does the same on the
// same-named role in many accounts ([Target]: a name and a client built by
// the frontend per profile or per assumed role), with bounded concurrency and
// a [Result] per account; [WithDryRun] changes nothing and reports every
// diff, which [WriteReport] prints. [GetRoleTrust] reads one role's document
// (for a "show" command) and [ListRoleTrust] lists every role with its
// document, to find the roles an offboarded user's unique ID was left in.
//
// # Interfaces
//
// Each operation asks only for the IAM methods it calls, with the SDK's
// signatures; *iam.Client satisfies every one (so does the fake account of
// iamkittest):
//
//   - [Apply] takes a [RoleAPI] (GetRole, UpdateAssumeRolePolicy), and so
//     does each [Target] of [ApplyAll].
//   - [GetRoleTrust] takes a [GetRoleAPI] (GetRole).
//   - [ListRoleTrust] takes a [ListRolesAPI] (ListRoles).
//   - Parsing, editing, validating and diffing documents call nothing.
//
// Retries wait on a [github.com/iamkit/iamkit.Clock] ([WithClock], default
// iamkit.SystemClock).
package trustpolicy
