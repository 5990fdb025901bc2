package mfa

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit"
)

// AuditAPI is the IAM methods Audit calls: the credential report, and the
// listing calls it falls back to. *iam.Client satisfies it, and so does the
// fake account's IAM.
type AuditAPI interface {
	GenerateCredentialReport(ctx context.Context, in *iam.GenerateCredentialReportInput, optFns ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error)
	GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, optFns ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error)
	ListUsers(ctx context.Context, in *iam.ListUsersInput, optFns ...func(*iam.Options)) (*iam.ListUsersOutput, error)
	GetLoginProfile(ctx context.Context, in *iam.GetLoginProfileInput, optFns ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	ListMFADevices(ctx context.Context, in *iam.ListMFADevicesInput, optFns ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
}

var _ AuditAPI = (*iam.Client)(nil)

// AuditSource says where an audit's facts came from.
type AuditSource string

// Audit sources.
const (
	// SourceCredentialReport: IAM's credential report, one CSV for the
	// whole account (root included), generated at most every four hours.
	SourceCredentialReport AuditSource = "credential-report"
	// SourceListing: ListUsers, then per user ListMFADevices,
	// GetLoginProfile and ListAccessKeys; live, but the root is not seen.
	SourceListing AuditSource = "listing"
)

// RootUser is the name the credential report gives the account root.
const RootUser = "<root_account>"

// Finding is one identity that can sign in to the console or holds an active
// access key, and has no MFA device.
type Finding struct {
	// User is the IAM user name, or RootUser.
	User string `json:"user"`
	// ARN of the user (or arn:...:root).
	ARN string `json:"arn"`
	// Root is true for the account root.
	Root bool `json:"root,omitempty"`
	// UserCreated is when the user was created (zero if unknown).
	UserCreated time.Time `json:"user_created,omitzero"`
	// PasswordEnabled: the user has a console password. Always true for
	// the root, which can always sign in.
	PasswordEnabled bool `json:"password_enabled"`
	// PasswordLastUsed is the last console sign-in (zero: never, or unknown).
	PasswordLastUsed time.Time `json:"password_last_used,omitzero"`
	// ActiveAccessKeys is how many of the user's access keys are active.
	ActiveAccessKeys int `json:"active_access_keys"`
	// AccessKeyIDs are the active keys' IDs (listing only: the report does
	// not name keys).
	AccessKeyIDs []string `json:"access_key_ids,omitempty"`
	// AccessKeyLastUsed is the latest use of an active key (report only;
	// zero: never, or unknown).
	AccessKeyLastUsed time.Time `json:"access_key_last_used,omitzero"`
	// Source is where the facts came from.
	Source AuditSource `json:"source"`
}

// Summary describes the finding in one line.
func (f Finding) Summary() string {
	var what []string
	if f.PasswordEnabled {
		what = append(what, "console password")
	}
	switch f.ActiveAccessKeys {
	case 0:
	case 1:
		what = append(what, "1 active access key")
	default:
		what = append(what, fmt.Sprintf("%d active access keys", f.ActiveAccessKeys))
	}
	return fmt.Sprintf("%s: %s, no MFA", f.User, strings.Join(what, " and "))
}

// ReportAccessKey is one access key column group of the credential report.
type ReportAccessKey struct {
	Active          bool
	LastRotated     time.Time // zero: N/A
	LastUsed        time.Time // zero: N/A or no_information
	LastUsedRegion  string    // "" for N/A
	LastUsedService string    // "" for N/A
}

// CredentialReportEntry is one row of IAM's credential report. Times that
// the report gives as N/A, no_information or not_supported are zero.
type CredentialReportEntry struct {
	User                string
	ARN                 string
	Root                bool
	Created             time.Time
	PasswordEnabled     bool // "not_supported" (the root) reads as false
	PasswordLastUsed    time.Time
	PasswordLastChanged time.Time
	MFAActive           bool
	AccessKeys          [2]ReportAccessKey
}

// ErrReportFormat is returned (wrapped, with the line) by
// ParseCredentialReport for input that is not a credential report.
var ErrReportFormat = errors.New("malformed credential report")

// ParseCredentialReport parses the CSV of IAM's credential report
// (GetCredentialReport's Content). Columns are found by their header names,
// so added or reordered columns do not matter; user, arn, password_enabled
// and mfa_active are required. Booleans are true or false (not_supported and
// N/A read as false); times are ISO 8601 or N/A, no_information,
// not_supported (zero).
func ParseCredentialReport(data []byte) ([]CredentialReportEntry, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 0 // every row as long as the header
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("mfa: %w: empty", ErrReportFormat)
	}
	if err != nil {
		return nil, fmt.Errorf("mfa: %w: %w", ErrReportFormat, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("mfa: %w: column %q appears twice", ErrReportFormat, h)
		}
		col[h] = i
	}
	for _, req := range []string{"user", "arn", "password_enabled", "mfa_active"} {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("mfa: %w: no %q column", ErrReportFormat, req)
		}
	}

	var out []CredentialReportEntry
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("mfa: %w: %w", ErrReportFormat, err)
		}
		line, _ := r.FieldPos(0)
		p := rowParser{rec: rec, col: col, line: line}
		e := CredentialReportEntry{
			User:                p.text("user"),
			ARN:                 p.text("arn"),
			Created:             p.time("user_creation_time"),
			PasswordEnabled:     p.bool("password_enabled"),
			PasswordLastUsed:    p.time("password_last_used"),
			PasswordLastChanged: p.time("password_last_changed"),
			MFAActive:           p.bool("mfa_active"),
		}
		for i := range e.AccessKeys {
			prefix := fmt.Sprintf("access_key_%d_", i+1)
			e.AccessKeys[i] = ReportAccessKey{
				Active:          p.bool(prefix + "active"),
				LastRotated:     p.time(prefix + "last_rotated"),
				LastUsed:        p.time(prefix + "last_used_date"),
				LastUsedRegion:  p.text(prefix + "last_used_region"),
				LastUsedService: p.text(prefix + "last_used_service"),
			}
		}
		if p.err != nil {
			return nil, p.err
		}
		if e.User == "" {
			return nil, fmt.Errorf("mfa: %w: line %d: empty user", ErrReportFormat, line)
		}
		e.Root = e.User == RootUser
		out = append(out, e)
	}
}

// rowParser reads typed fields of one record, keeping the first error.
type rowParser struct {
	rec  []string
	col  map[string]int
	line int
	err  error
}

// text returns the named field, "" for a missing column and for N/A-like values.
func (p *rowParser) text(name string) string {
	i, ok := p.col[name]
	if !ok || i >= len(p.rec) {
		return ""
	}
	v := strings.TrimSpace(p.rec[i])
	switch v {
	case "N/A", "no_information", "not_supported":
		return ""
	}
	return v
}

func (p *rowParser) bool(name string) bool {
	i, ok := p.col[name]
	if !ok || i >= len(p.rec) {
		return false
	}
	switch v := strings.TrimSpace(p.rec[i]); strings.ToLower(v) {
	case "true":
		return true
	case "false", "n/a", "not_supported", "no_information", "":
		return false
	default:
		if p.err == nil {
			p.err = fmt.Errorf("mfa: %w: line %d: %s is %q, not true or false", ErrReportFormat, p.line, name, v)
		}
		return false
	}
}

func (p *rowParser) time(name string) time.Time {
	v := p.text(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if p.err == nil {
			p.err = fmt.Errorf("mfa: %w: line %d: %s is not an ISO 8601 time", ErrReportFormat, p.line, name)
		}
		return time.Time{}
	}
	return t.UTC()
}

// auditEnv holds resolved options.
type auditEnv struct {
	clk         iamkit.Clock
	poll, wait  time.Duration
	concurrency int
	log         *slog.Logger
}

func (o *settings) auditEnv() auditEnv {
	e := auditEnv{clk: o.clock, poll: o.pollInterval, wait: o.maxWait, concurrency: o.concurrency, log: o.logger}
	if e.clk == nil {
		e.clk = iamkit.SystemClock{}
	}
	if e.poll <= 0 {
		e.poll = 2 * time.Second
	}
	if e.wait <= 0 {
		e.wait = 2 * time.Minute
	}
	if e.concurrency <= 0 {
		e.concurrency = 4
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e
}

// Audit lists the identities of the account that can sign in to the console
// (a password; the root always) or hold an active access key, and have no MFA
// device. It reads IAM's credential report — GenerateCredentialReport,
// polled on the clock until COMPLETE, then GetCredentialReport — and falls
// back to listing users when the report cannot be had (see WithAuditSource).
// Findings are sorted: the root first, then by user name. An audit never
// changes anything.
//
// Audit reads the options WithAuditSource, WithClock, WithPollInterval,
// WithMaxWait, WithConcurrency and WithLogger.
func Audit(ctx context.Context, api AuditAPI, opts ...Option) ([]Finding, error) {
	o := newSettings(opts)
	e := o.auditEnv()
	if o.source != SourceListing {
		findings, err := auditReport(ctx, api, e)
		if err == nil {
			return findings, nil
		}
		if o.source == SourceCredentialReport || ctx.Err() != nil {
			return nil, err
		}
		e.log.Warn("mfa audit: credential report unavailable, listing users instead", "error", err.Error())
	}
	return auditListing(ctx, api, e)
}

// errReportTimeout: the report was not generated within MaxWait.
var errReportTimeout = errors.New("credential report not generated in time")

// FetchCredentialReport generates IAM's credential report if needed —
// calling GenerateCredentialReport every poll interval on clk until it
// answers COMPLETE, for at most maxWait — and returns its CSV and when it
// was generated.
func FetchCredentialReport(ctx context.Context, api AuditAPI, clk iamkit.Clock, poll, maxWait time.Duration) ([]byte, time.Time, error) {
	if clk == nil {
		clk = iamkit.SystemClock{}
	}
	deadline := clk.Now().Add(maxWait)
	for {
		gen, err := api.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("mfa: GenerateCredentialReport: %w", err)
		}
		if gen.State == types.ReportStateTypeComplete {
			out, err := api.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			var notReady *types.CredentialReportNotReadyException
			switch {
			case errors.As(err, &notReady): // generation restarted meanwhile: keep polling
			case err != nil:
				return nil, time.Time{}, fmt.Errorf("mfa: GetCredentialReport: %w", err)
			case out.ReportFormat != "" && out.ReportFormat != types.ReportFormatTypeTextCsv:
				return nil, time.Time{}, fmt.Errorf("mfa: GetCredentialReport: %w: format %q", ErrReportFormat, out.ReportFormat)
			default:
				return out.Content, aws.ToTime(out.GeneratedTime), nil
			}
		}
		if !clk.Now().Before(deadline) {
			return nil, time.Time{}, fmt.Errorf("mfa: %w (waited %s)", errReportTimeout, maxWait)
		}
		if err := clk.Sleep(ctx, poll); err != nil {
			return nil, time.Time{}, err
		}
	}
}

func auditReport(ctx context.Context, api AuditAPI, e auditEnv) ([]Finding, error) {
	data, generated, err := FetchCredentialReport(ctx, api, e.clk, e.poll, e.wait)
	if err != nil {
		return nil, err
	}
	entries, err := ParseCredentialReport(data)
	if err != nil {
		return nil, err
	}
	e.log.Info("mfa audit: credential report", "generated", generated.UTC().Format(time.RFC3339), "identities", len(entries))
	var out []Finding
	for _, en := range entries {
		f := Finding{
			User: en.User, ARN: en.ARN, Root: en.Root, UserCreated: en.Created,
			PasswordEnabled: en.PasswordEnabled || en.Root, PasswordLastUsed: en.PasswordLastUsed,
			Source: SourceCredentialReport,
		}
		for _, k := range en.AccessKeys {
			if k.Active {
				f.ActiveAccessKeys++
				if k.LastUsed.After(f.AccessKeyLastUsed) {
					f.AccessKeyLastUsed = k.LastUsed
				}
			}
		}
		if !en.MFAActive && (f.PasswordEnabled || f.ActiveAccessKeys > 0) {
			out = append(out, f)
		}
	}
	sortFindings(out)
	return out, nil
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Root != fs[j].Root {
			return fs[i].Root
		}
		return fs[i].User < fs[j].User
	})
}

func isNoSuchEntity(err error) bool {
	var nse *types.NoSuchEntityException
	return errors.As(err, &nse)
}

func auditListing(ctx context.Context, api AuditAPI, e auditEnv) ([]Finding, error) {
	var users []types.User
	pages := iam.NewListUsersPaginator(api, &iam.ListUsersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("mfa: audit: ListUsers: %w", err)
		}
		users = append(users, page.Users...)
	}
	e.log.Info("mfa audit: listing", "users", len(users))

	var (
		mu       sync.Mutex
		findings []Finding
		errs     []error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, e.concurrency)
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, u := range users {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f, found, err := auditUser(ctx, api, u)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
				cancel()
			case found:
				findings = append(findings, f)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	sortFindings(findings)
	return findings, nil
}

// auditUser checks one user: MFA first, since a user with a device needs no
// other call. A user gone since ListUsers is skipped.
func auditUser(ctx context.Context, api AuditAPI, u types.User) (Finding, bool, error) {
	name := aws.ToString(u.UserName)
	fail := func(op string, err error) (Finding, bool, error) {
		if isNoSuchEntity(err) {
			return Finding{}, false, nil
		}
		return Finding{}, false, fmt.Errorf("mfa: audit: %s %s: %w", op, name, err)
	}
	mfaOut, err := api.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: u.UserName, MaxItems: aws.Int32(1)})
	if err != nil {
		return fail("ListMFADevices", err)
	}
	if len(mfaOut.MFADevices) > 0 {
		return Finding{}, false, nil
	}
	f := Finding{User: name, ARN: aws.ToString(u.Arn), UserCreated: aws.ToTime(u.CreateDate), Source: SourceListing}
	if u.PasswordLastUsed != nil {
		f.PasswordLastUsed = u.PasswordLastUsed.UTC()
	}
	if _, err := api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: u.UserName}); err == nil {
		f.PasswordEnabled = true
	} else if !isNoSuchEntity(err) {
		return fail("GetLoginProfile", err)
	}
	keys := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{UserName: u.UserName})
	for keys.HasMorePages() {
		page, err := keys.NextPage(ctx)
		if err != nil {
			return fail("ListAccessKeys", err)
		}
		for _, k := range page.AccessKeyMetadata {
			if k.Status == types.StatusTypeActive {
				f.ActiveAccessKeys++
				f.AccessKeyIDs = append(f.AccessKeyIDs, aws.ToString(k.AccessKeyId))
			}
		}
	}
	return f, f.PasswordEnabled || f.ActiveAccessKeys > 0, nil
}
