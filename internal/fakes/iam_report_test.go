package fakes_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// readReport generates the credential report (two calls) and returns its rows
// keyed by user, with the header.
func readReport(t *testing.T, f *fakes.IAM) (header []string, rows map[string]map[string]string) {
	t.Helper()
	ctx := context.Background()
	for range 2 {
		_, err := f.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		require.NoError(t, err)
	}
	out, err := f.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	require.NoError(t, err)
	require.Equal(t, types.ReportFormatTypeTextCsv, out.ReportFormat)
	records, err := csv.NewReader(bytes.NewReader(out.Content)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, records)
	header = records[0]
	rows = map[string]map[string]string{}
	for _, r := range records[1:] {
		require.Len(t, r, len(header))
		m := map[string]string{}
		for i, h := range header {
			m[h] = r[i]
		}
		rows[r[0]] = m
	}
	return header, rows
}

func TestCredentialReportLifecycle(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")

	// Nothing generated yet.
	_, err := f.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	requireAPIError(t, err, "GetCredentialReport", "ReportNotPresent")
	requireErrAs[*types.CredentialReportNotPresentException](t, err)

	// STARTED, then in progress until the next Generate call.
	gen, err := f.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, types.ReportStateTypeStarted, gen.State)
	assert.NotEmpty(t, aws.ToString(gen.Description))
	_, err = f.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	requireAPIError(t, err, "GetCredentialReport", "ReportInProgress")

	gen, err = f.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, types.ReportStateTypeComplete, gen.State)
	out, err := f.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, fakes.DefaultStart, aws.ToTime(out.GeneratedTime))
	first := out.Content

	// The report is a snapshot: a new user does not appear while it is current,
	// and Generate does not start another.
	mustCreateUser(t, f, "bob")
	acct.Clock().Advance(time.Hour)
	gen, err = f.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, types.ReportStateTypeComplete, gen.State)
	out, err = f.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, first, out.Content)
	assert.NotContains(t, string(out.Content), "user/bob")

	// Older than four hours: expired; Generate starts a new one.
	acct.Clock().Advance(fakes.CredentialReportMaxAge)
	_, err = f.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	requireAPIError(t, err, "GetCredentialReport", "ReportExpired")
	gen, err = f.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	require.NoError(t, err)
	assert.Equal(t, types.ReportStateTypeStarted, gen.State)
	_, rows := readReport(t, f)
	assert.Contains(t, rows, "bob")

	assert.Equal(t, 6, acct.Calls("iam:GenerateCredentialReport"))
}

func TestCredentialReportContent(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	clk := acct.Clock()
	_, err := f.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MaxPasswordAge: aws.Int32(90), MinimumPasswordLength: aws.Int32(8)})
	require.NoError(t, err)

	// alice: password, MFA, two keys (the second inactive), a certificate.
	mustCreateUser(t, f, "alice")
	clk.Advance(time.Minute)
	_, err = f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Correct-Horse-9")})
	require.NoError(t, err)
	enableVirtualMFA(t, acct, f, "alice", "alice")
	_, err = f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	clk.Advance(time.Minute)
	k2, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = f.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k2.AccessKey.AccessKeyId, Status: types.StatusTypeInactive})
	require.NoError(t, err)
	_, err = f.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("alice"), CertificateBody: aws.String(selfSignedCert(t))})
	require.NoError(t, err)
	// "bob,ops": a comma in the name, nothing else.
	mustCreateUser(t, f, "bob,ops")

	header, rows := readReport(t, f)
	assert.Equal(t, fakes.CredentialReportHeader, header)
	assert.Len(t, header, 22)
	require.Len(t, rows, 3)

	root := rows["<root_account>"]
	assert.Equal(t, "arn:aws:iam::123456789012:root", root["arn"])
	assert.Equal(t, "2020-01-01T00:00:00+00:00", root["user_creation_time"])
	assert.Equal(t, "not_supported", root["password_enabled"])
	assert.Equal(t, "not_supported", root["password_next_rotation"])
	assert.Equal(t, "false", root["mfa_active"])
	assert.Equal(t, "false", root["access_key_1_active"])

	a := rows["alice"]
	assert.Equal(t, "arn:aws:iam::123456789012:user/alice", a["arn"])
	assert.Equal(t, "2026-01-15T09:00:00+00:00", a["user_creation_time"])
	assert.Equal(t, "true", a["password_enabled"])
	assert.Equal(t, "no_information", a["password_last_used"])
	assert.Equal(t, "2026-01-15T09:01:00+00:00", a["password_last_changed"])
	assert.Equal(t, "2026-04-15T09:01:00+00:00", a["password_next_rotation"])
	assert.Equal(t, "true", a["mfa_active"])
	assert.Equal(t, "true", a["access_key_1_active"])
	assert.Equal(t, "2026-01-15T09:01:00+00:00", a["access_key_1_last_rotated"])
	assert.Equal(t, "N/A", a["access_key_1_last_used_date"])
	assert.Equal(t, "false", a["access_key_2_active"])
	assert.Equal(t, "2026-01-15T09:02:00+00:00", a["access_key_2_last_rotated"])
	assert.Equal(t, "true", a["cert_1_active"])
	assert.Equal(t, "false", a["cert_2_active"])
	assert.Equal(t, "N/A", a["cert_2_last_rotated"])

	b := rows["bob,ops"]
	assert.Equal(t, "false", b["password_enabled"])
	assert.Equal(t, "N/A", b["password_last_used"])
	assert.Equal(t, "N/A", b["password_last_changed"])
	assert.Equal(t, "false", b["mfa_active"])
	assert.Equal(t, "false", b["access_key_1_active"])
	assert.Equal(t, "N/A", b["access_key_1_last_rotated"])

	// The root's MFA shows once set, in the next report.
	acct.SetRootMFA(true)
	clk.Advance(fakes.CredentialReportMaxAge + time.Second)
	_, rows = readReport(t, f)
	assert.Equal(t, "true", rows["<root_account>"]["mfa_active"])
}

func TestCredentialReportFaultsAndConcurrency(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")

	acct.Throttle("iam:GenerateCredentialReport", 1)
	_, err := f.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	assert.Equal(t, "Throttling", apiCode(err))

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				_, _ = f.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
				_, _ = f.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			}
		})
	}
	wg.Wait()
	_, rows := readReport(t, f)
	assert.Contains(t, rows, "alice")

	// Separate accounts keep separate reports.
	other := fakes.NewAccount()
	_, err = other.IAM().GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	assert.Equal(t, "ReportNotPresent", apiCode(err))
}
