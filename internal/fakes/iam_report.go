package fakes

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// CredentialReportHeader is the header row of IAM's credential report, in
// IAM's column order.
var CredentialReportHeader = []string{
	"user", "arn", "user_creation_time",
	"password_enabled", "password_last_used", "password_last_changed", "password_next_rotation",
	"mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// CredentialReportMaxAge is how long a generated credential report stays
// current: GenerateCredentialReport starts a new one only when the last is
// older, and GetCredentialReport refuses an older one as expired.
const CredentialReportMaxAge = 4 * time.Hour

// RootCreated is the creation time the credential report gives the account
// root (the fake does not otherwise model when the account was created).
var RootCreated = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// credReportState is the account's credential report and the root user's MFA
// flag, which only the report shows.
type credReportState struct {
	mu        sync.Mutex
	generated time.Time // when the current report's generation started; zero: none
	ready     bool      // generation finished
	content   []byte
	rootMFA   bool
}

func (a *Account) credReport() *credReportState { return &a.report }

// SetRootMFA sets whether the account root has an MFA device, as the
// credential report's mfa_active column shows it for <root_account>. A new
// account's root has none, as in AWS.
func (a *Account) SetRootMFA(enabled bool) {
	st := a.credReport()
	st.mu.Lock()
	st.rootMFA = enabled
	st.mu.Unlock()
}

// GenerateCredentialReport implements iam.Client.GenerateCredentialReport.
// With no current report (none yet, or one older than
// CredentialReportMaxAge) it starts one and answers STARTED; the next call
// finishes it — the report is the account's state at that moment — and
// answers COMPLETE, as do later calls while the report is current.
func (f *IAM) GenerateCredentialReport(ctx context.Context, in *iam.GenerateCredentialReportInput, _ ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	a := f.a
	st := a.credReport()
	return call(ctx, a, "iam:GenerateCredentialReport", in, func() (*iam.GenerateCredentialReportOutput, error) {
		st.mu.Lock()
		defer st.mu.Unlock()
		now := a.clock.Now().UTC()
		switch {
		case st.generated.IsZero() || now.Sub(st.generated) > CredentialReportMaxAge:
			st.generated, st.ready, st.content = now, false, nil
			return &iam.GenerateCredentialReportOutput{
				State:       types.ReportStateTypeStarted,
				Description: aws.String("No report exists. Starting a new report generation task"),
			}, nil
		case !st.ready:
			st.content = a.credentialReportCSV(st.rootMFA)
			st.ready = true
		}
		return &iam.GenerateCredentialReportOutput{State: types.ReportStateTypeComplete}, nil
	})
}

// GetCredentialReport implements iam.Client.GetCredentialReport: the CSV of
// the last generated report (Content is the decoded bytes, as the SDK hands
// them over), or ReportNotPresent, ReportInProgress, ReportExpired.
func (f *IAM) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, _ ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	a := f.a
	st := a.credReport()
	return call(ctx, a, "iam:GetCredentialReport", in, func() (*iam.GetCredentialReportOutput, error) {
		st.mu.Lock()
		defer st.mu.Unlock()
		switch {
		case st.generated.IsZero():
			return nil, &types.CredentialReportNotPresentException{Message: msg("Credential report not present. Call GenerateCredentialReport first.")}
		case !st.ready:
			return nil, &types.CredentialReportNotReadyException{Message: msg("Credential report generation is in progress.")}
		case a.clock.Now().Sub(st.generated) > CredentialReportMaxAge:
			return nil, &types.CredentialReportExpiredException{Message: msg("The credential report has expired. Call GenerateCredentialReport to generate a new one.")}
		}
		return &iam.GetCredentialReportOutput{
			Content:       bytes.Clone(st.content),
			GeneratedTime: aws.Time(st.generated),
			ReportFormat:  types.ReportFormatTypeTextCsv,
		}, nil
	})
}

// reportTime formats a time the way the credential report does.
func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// credentialReportCSV renders the account's state as IAM's credential
// report. Last-used columns say "no_information" or "N/A": the fake does not
// record use. Callers hold a.mu.
func (a *Account) credentialReportCSV(rootMFA bool) []byte {
	const na = "N/A"
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CredentialReportHeader)

	root := []string{"<root_account>", a.arn("iam", "root"), reportTime(RootCreated),
		"not_supported", "no_information", "not_supported", "not_supported", reportBool(rootMFA)}
	for range 2 {
		root = append(root, "false", na, na, na, na)
	}
	root = append(root, "false", na, "false", na)
	_ = w.Write(root)

	for _, k := range sortedKeys(a.iam.users) {
		u := a.iam.users[k]
		row := []string{u.name, u.arn, reportTime(u.created)}
		if u.login != nil {
			changed := aws.ToTime(u.login.CreateDate)
			next := na
			if p := a.iam.passwordPolicy; p != nil && aws.ToInt32(p.MaxPasswordAge) > 0 {
				next = reportTime(changed.AddDate(0, 0, int(aws.ToInt32(p.MaxPasswordAge))))
			}
			row = append(row, "true", "no_information", reportTime(changed), next)
		} else {
			row = append(row, "false", na, na, na)
		}
		mfa := false
		for _, d := range a.iam.mfa {
			if d.user == strings.ToLower(u.name) {
				mfa = true
				break
			}
		}
		row = append(row, reportBool(mfa))
		for i := range 2 {
			if i < len(u.accessKeys) {
				key := u.accessKeys[i]
				row = append(row, reportBool(key.Status == types.StatusTypeActive), reportTime(aws.ToTime(key.CreateDate)), na, na, na)
			} else {
				row = append(row, "false", na, na, na, na)
			}
		}
		for i := range 2 {
			if i < len(u.certs) {
				c := u.certs[i]
				row = append(row, reportBool(c.Status == types.StatusTypeActive), reportTime(aws.ToTime(c.UploadDate)))
			} else {
				row = append(row, "false", na)
			}
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

func reportBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
