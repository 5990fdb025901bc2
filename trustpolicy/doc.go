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
// (principal syntax, no partial wildcards, the size quota — 2,048
// characters without whitespace, or a raised quota up to [MaxSizeQuota],
// [ErrTooLarge] — no statement left without a principal), [Diff] shows a
// change as a unified line diff, and [Equivalent] compares two documents by
// meaning rather than form: the order of statements, principals, actions
// and condition values makes no difference, so [Diff] is empty and [Apply]
// sends nothing for a change of order alone ([Replace] sets a whole
// document on those terms).
//
// An edit that allows a principal an explicit Deny of the same document
// names ([Document.DeniedBy]) is refused with a [*DenyError] naming the
// Deny's Sid ([ErrDenied]); [WithForce] turns that into a warning.
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
// # Proof before apply
//
// With [WithValidator] (or [Target.Validator]) every changed document is
// checked by IAM Access Analyzer before it is sent, and in a dry run
// ([CheckChange]): ValidatePolicy as a RESOURCE_POLICY of resource type
// AWS::IAM::AssumeRolePolicyDocument, whose ERROR and SECURITY_WARNING
// findings block the change ([ErrFindings]) unless [WithAllowFindings]; and
// CheckNoNewAccess against the current document, which refuses a removal or
// prune that grants new access ([ErrNewAccess]). For an addition,
// [DescribeNewAccess] states the new access from the two documents (added
// principals, loosened conditions, removed Denies) beside Access Analyzer's
// PASS or FAIL. CheckNoNewAccess is charged per call: [Check.CustomChecks]
// and [CustomChecks] count them, and [WriteReport] prints the count.
//
// # Journal and rollback
//
// [WithJournal] records every change in a [Journal] (JSON lines, mode 0600,
// appended and synced before the change is sent; a change that cannot be
// recorded is not sent): time, role name, role ID, role ARN, the caller
// (STS GetCallerIdentity through [CallerAPI]), the edit, the old and new
// documents. [ReadJournal] parses one, [PlanRollback] groups it by role ID
// and [Rollback] restores the document a role had before its first
// journalled change, refusing a role that was deleted and created again
// ([ErrReplaced]) or that belongs to another account ([ErrOtherAccount]).
//
// # Accounts and roles
//
// [PruneAllRoles] lists every role of each target account and prunes the
// unique IDs of deleted principals wherever they are left, skipping
// service-linked roles ([Skipped]). [OrganizationTargets] discovers the
// ACTIVE accounts of an organization (Organizations ListAccounts, with
// [ErrNotOrganizationAdmin] when the caller is neither the management
// account nor a delegated administrator) and builds a [Target] for each.
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
//   - [WithValidator] and [CheckChange] take a [Validator] (Access Analyzer's
//     ValidatePolicy and CheckNoNewAccess): *accessanalyzer.Client.
//   - [WithJournal] takes a [CallerAPI] (GetCallerIdentity): *sts.Client.
//   - [PruneAllRoles] needs a Target API that also lists roles
//     ([AccountAPI]).
//   - [OrganizationTargets] takes an [OrganizationsAPI] (ListAccounts):
//     *organizations.Client.
//   - Parsing, editing, validating and diffing documents call nothing.
//
// Retries wait on a [github.com/iamkit/iamkit.Clock] ([WithClock], default
// iamkit.SystemClock).
package trustpolicy
