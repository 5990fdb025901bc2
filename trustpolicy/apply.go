package trustpolicy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/internal/errwrap"
)

// RoleAPI is the part of the IAM API that Apply calls. The signatures are the
// SDK's own: *iam.Client satisfies it, and so does the in-memory fake account.
type RoleAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, optFns ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
}

var _ RoleAPI = (*iam.Client)(nil)

// ErrUnmodifiable is matched (errors.Is) when the role is a service-linked
// role (path /aws-service-role/): only the AWS service that owns it may
// change its trust policy. The SDK's *types.UnmodifiableEntityException stays
// in the chain when IAM said so.
var ErrUnmodifiable = errors.New("service-linked role: only its AWS service can modify it")

// ServiceLinkedPath is the path prefix of service-linked roles.
const ServiceLinkedPath = "/aws-service-role/"

// Defaults for the retry of a principal created moments ago.
const (
	DefaultRetries    = 5
	DefaultRetryDelay = 2 * time.Second
	maxRetryDelay     = 30 * time.Second
)

type config struct {
	clock       iamkit.Clock
	retries     int
	delay       time.Duration
	quota       int
	dryRun      bool
	force       bool
	validator   Validator
	allowFind   bool
	journal     *Journal
	caller      CallerAPI
	target      string
	expect      *RollbackPlan // Rollback: the role must be this one
	log         *slog.Logger
	concurrency int
}

func newConfig(opts []Option) config {
	c := config{clock: iamkit.SystemClock{}, retries: DefaultRetries, delay: DefaultRetryDelay, quota: DefaultSizeQuota, concurrency: DefaultConcurrency}
	for _, o := range opts {
		o(&c)
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.clock == nil {
		c.clock = iamkit.SystemClock{}
	}
	return c
}

// Option configures Apply and ApplyAll.
type Option func(*config)

// WithClock sets the clock retries wait on (default iamkit.SystemClock);
// tests hand in a manual clock so they never sleep.
func WithClock(c iamkit.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithRetries sets how many times an update refused with "MalformedPolicyDocument:
// Invalid principal" is retried when the principal IAM names is one the edit
// adds (IAM may not see a user or role created moments ago), and the first
// delay, doubled after each retry up to 30 s. Defaults: DefaultRetries and
// DefaultRetryDelay; n = 0 disables the retry.
func WithRetries(n int, delay time.Duration) Option {
	return func(c *config) { c.retries, c.delay = max(n, 0), delay }
}

// WithSizeQuota sets the size quota checked before sending (default
// DefaultSizeQuota), for accounts whose quota was raised.
func WithSizeQuota(n int) Option { return func(c *config) { c.quota = n } }

// WithDryRun makes Apply and ApplyAll compute, validate and diff without
// calling UpdateAssumeRolePolicy; changes are reported as WouldChange.
func WithDryRun(dryRun bool) Option { return func(c *config) { c.dryRun = dryRun } }

// WithForce lets an edit through that allows a principal an explicit Deny
// of the same document names: the conflict is reported in Result.Warnings
// instead of failing with a *DenyError.
func WithForce(force bool) Option { return func(c *config) { c.force = force } }

// WithValidator makes Apply prove every changed document with IAM Access
// Analyzer before sending it, and in a dry run (see CheckChange):
// ValidatePolicy findings of type ERROR or SECURITY_WARNING fail the edit
// with ErrFindings (unless WithAllowFindings), and a removal that
// CheckNoNewAccess says grants new access fails with ErrNewAccess. The
// outcome is in Result.Check. ApplyAll uses each Target's Validator and
// falls back to this one.
func WithValidator(v Validator) Option { return func(c *config) { c.validator = v } }

// WithAllowFindings lets an edit through despite ERROR and SECURITY_WARNING
// findings; they stay in Result.Check and Result.Warnings.
func WithAllowFindings(allow bool) Option { return func(c *config) { c.allowFind = allow } }

// WithJournal records every change in j before it is sent (see Journal),
// with the caller GetCallerIdentity names through caller (nil: not
// recorded). ApplyAll uses each Target's Caller and falls back to this
// one. A change that cannot be journalled is not sent. A dry run records
// nothing.
func WithJournal(j *Journal, caller CallerAPI) Option {
	return func(c *config) { c.journal, c.caller = j, caller }
}

// WithLogger sets the logger for retries and decisions (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithConcurrency sets how many accounts ApplyAll works on at once (default
// DefaultConcurrency).
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// Status is the outcome of applying an edit to one role.
type Status string

// The outcomes.
const (
	Unchanged   Status = "unchanged"    // the edit changed nothing; nothing was sent
	Changed     Status = "changed"      // UpdateAssumeRolePolicy succeeded
	WouldChange Status = "would change" // dry run: the edit changes the document; nothing was sent
	Failed      Status = "failed"       // see Err
)

// Result is the outcome of applying an edit to one role.
type Result struct {
	Target   string // the Target's name (ApplyAll); "" for Apply
	Role     string
	RoleARN  string // "" when GetRole failed
	RoleID   string // the role's unique ID (AROA…); "" when GetRole failed
	Status   Status
	Before   *Document // the document read; nil when it could not be read
	After    *Document // the edited document; nil when the edit failed
	Diff     string    // Diff(Before, After); "" when nothing changed
	Attempts int       // UpdateAssumeRolePolicy calls made
	Warnings []string  // what WithForce and WithAllowFindings let through
	Check    *Check    // what Access Analyzer said (WithValidator); nil when not checked
	Err      error     // non-nil exactly when Status is Failed
}

var invalidPrincipalRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`Invalid principal in policy: "(\w+)":"([^"]*)"`) })

// Apply reads the role's trust policy (GetRole, decoded once), applies the
// edit, and when the document changed, validates it, diffs it and sends it
// with UpdateAssumeRolePolicy; when nothing changed nothing is sent. An
// update refused with "Invalid principal" naming a principal the edit adds
// is retried (WithRetries) on the clock (WithClock), reading the role again
// each time, since IAM may not see a principal created moments ago yet.
// A service-linked role fails with ErrUnmodifiable. Throttling is left to
// the SDK client's retryer.
//
// The error, when not nil, is also in Result.Err; the Result is never nil.
func Apply(ctx context.Context, api RoleAPI, roleName string, edit Edit, opts ...Option) (*Result, error) {
	cfg := newConfig(opts)
	res := apply(ctx, api, cfg.validator, roleName, edit, &cfg)
	return res, res.Err
}

func apply(ctx context.Context, api RoleAPI, validator Validator, roleName string, edit Edit, cfg *config) *Result {
	res := &Result{Role: roleName}
	fail := func(err error) *Result {
		res.Status, res.Err = Failed, err
		return res
	}
	delay := cfg.delay
	for {
		out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
		if err != nil {
			return fail(fmt.Errorf("trustpolicy: reading role %s: %w", roleName, err))
		}
		if out.Role == nil {
			return fail(fmt.Errorf("trustpolicy: reading role %s: GetRole returned no role", roleName))
		}
		res.RoleARN = aws.ToString(out.Role.Arn)
		res.RoleID = aws.ToString(out.Role.RoleId)
		if err := checkExpected(cfg.expect, res.RoleID, res.RoleARN); err != nil {
			return fail(fmt.Errorf("trustpolicy: role %s: %w", roleName, err))
		}
		before, err := ParseRoleDocument(aws.ToString(out.Role.AssumeRolePolicyDocument))
		if err != nil {
			return fail(errwrap.Wrap("trustpolicy", err, "role %s", roleName))
		}
		res.Before = before
		after, err := before.With(edit)
		if err != nil {
			return fail(errwrap.Wrap("trustpolicy", err, "role %s", roleName))
		}
		res.After = after
		res.Diff = Diff(before, after)
		if res.Diff == "" {
			res.Status = Unchanged
			cfg.log.DebugContext(ctx, "trust policy unchanged", "role", roleName, "edit", edit.String())
			return res
		}
		if strings.HasPrefix(aws.ToString(out.Role.Path), ServiceLinkedPath) {
			return fail(fmt.Errorf("trustpolicy: role %s: %w", roleName, ErrUnmodifiable))
		}
		if err := after.Validate(cfg.quota); err != nil {
			return fail(errwrap.Wrap("trustpolicy", err, "role %s", roleName))
		}
		if conflicts := denyConflicts(before, after); len(conflicts) > 0 {
			if !cfg.force {
				return fail(errwrap.Wrap("trustpolicy", &DenyError{Conflicts: conflicts}, "role %s", roleName))
			}
			res.Warnings = res.Warnings[:0]
			for _, c := range conflicts {
				res.Warnings = append(res.Warnings, "forced: "+c.String()+"; the Deny wins over the new Allow")
				cfg.log.WarnContext(ctx, "allowing a principal an explicit Deny names", "role", roleName, "conflict", c.String())
			}
		}
		if validator != nil && res.Check == nil {
			chk, err := CheckChange(ctx, validator, before, after, narrowing(edit))
			res.Check = chk
			if err != nil {
				return fail(errwrap.Wrap("trustpolicy", err, "role %s", roleName))
			}
			if blocking := chk.Blocking(); len(blocking) > 0 {
				if !cfg.allowFind {
					parts := make([]string, len(blocking))
					for i, f := range blocking {
						parts[i] = f.String()
					}
					return fail(fmt.Errorf("trustpolicy: role %s: %w: %s", roleName, ErrFindings, strings.Join(parts, "; ")))
				}
				for _, f := range blocking {
					res.Warnings = append(res.Warnings, "allowed finding: "+f.String())
				}
			}
			if chk.ExpectNoNewAccess && chk.NoNewAccess == string(aatypes.CheckNoNewAccessResultFail) {
				return fail(fmt.Errorf("trustpolicy: role %s: %w: Access Analyzer's CheckNoNewAccess FAILs the %s: %s",
					roleName, ErrNewAccess, edit, strings.Join(chk.Reasons, "; ")))
			}
		}
		if cfg.dryRun {
			res.Status = WouldChange
			return res
		}
		if cfg.journal != nil && res.Attempts == 0 {
			entry, err := journalEntry(ctx, cfg.caller, cfg.clock.Now(), cfg.target, res, edit)
			if err == nil {
				err = cfg.journal.Append(entry)
			}
			if err != nil {
				return fail(errwrap.Wrap("trustpolicy", err, "role %s: nothing sent", roleName))
			}
		}
		res.Attempts++
		_, err = api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName:       aws.String(roleName),
			PolicyDocument: aws.String(after.String()),
		})
		if err == nil {
			res.Status = Changed
			cfg.log.InfoContext(ctx, "trust policy updated", "role", roleName, "edit", edit.String(), "attempts", res.Attempts)
			return res
		}
		var unmod *types.UnmodifiableEntityException
		if errors.As(err, &unmod) {
			return fail(fmt.Errorf("trustpolicy: role %s: %w: %w", roleName, ErrUnmodifiable, err))
		}
		if p, ok := retryablePrincipal(err, before, after); ok && res.Attempts <= cfg.retries {
			cfg.log.InfoContext(ctx, "principal not visible to IAM yet; retrying", "role", roleName, "principal", p, "attempt", res.Attempts, "delay", delay)
			if serr := cfg.clock.Sleep(ctx, delay); serr != nil {
				return fail(fmt.Errorf("trustpolicy: role %s: waiting to retry: %w (after %w)", roleName, serr, err))
			}
			delay = min(2*delay, maxRetryDelay)
			continue
		}
		return fail(fmt.Errorf("trustpolicy: updating role %s: %w", roleName, err))
	}
}

// retryablePrincipal reports whether err is IAM's "Invalid principal" for a
// principal that after adds to before: the one IAM names, or, when the
// message names none, any added principal.
func retryablePrincipal(err error, before, after *Document) (string, bool) {
	var mal *types.MalformedPolicyDocumentException
	if !errors.As(err, &mal) || !strings.Contains(mal.ErrorMessage(), "Invalid principal") {
		return "", false
	}
	var added []Principal
	for _, p := range after.Principals() {
		if !before.mentions(p) {
			added = append(added, p)
		}
	}
	if m := invalidPrincipalRE().FindStringSubmatch(mal.ErrorMessage()); m != nil {
		named := Principal{Kind: Kind(m[1]), ID: m[2]}
		for _, p := range added {
			if p.Same(named) {
				return named.String(), true
			}
		}
		return "", false
	}
	if len(added) > 0 {
		return added[0].String(), true
	}
	return "", false
}
