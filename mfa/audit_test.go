package mfa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// auditAccount builds an account with one user per case:
//
//	alice: password and MFA                  → fine
//	bob:   password, no MFA                  → finding
//	carol: active access key, no MFA         → finding
//	dave:  inactive access key only, no MFA  → fine
//	erin:  password and two active keys      → finding
//	frank: nothing at all                    → fine
func auditAccount(t *testing.T) *fakes.Account {
	t.Helper()
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := acct.IAM()
	user := func(name string) {
		_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		require.NoError(t, err)
	}
	password := func(name string) {
		_, err := api.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String("Correct-Horse-9")})
		require.NoError(t, err)
	}
	key := func(name string) string {
		out, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		require.NoError(t, err)
		return aws.ToString(out.AccessKey.AccessKeyId)
	}
	for _, n := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
		user(n)
	}
	password("alice")
	dev, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	require.NoError(t, err)
	require.NoError(t, mfa.Enable(ctx, api, acct.Clock(), "alice", aws.ToString(dev.VirtualMFADevice.SerialNumber), string(dev.VirtualMFADevice.Base32StringSeed)))
	key("alice")
	password("bob")
	key("carol")
	id := key("dave")
	_, err = api.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("dave"), AccessKeyId: aws.String(id), Status: types.StatusTypeInactive})
	require.NoError(t, err)
	password("erin")
	key("erin")
	key("erin")
	return acct
}

func users(fs []mfa.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.User)
	}
	return out
}

func TestAuditCredentialReport(t *testing.T) {
	ctx := context.Background()
	acct := auditAccount(t)
	start := acct.Clock().Now()

	findings, err := mfa.Audit(ctx, acct.IAM(), mfa.WithClock(acct.Clock()))
	require.NoError(t, err)
	assert.Equal(t, []string{mfa.RootUser, "bob", "carol", "erin"}, users(findings))
	assert.Equal(t, 2, acct.Calls("iam:GenerateCredentialReport"), "STARTED, then COMPLETE")
	assert.Equal(t, 1, acct.Calls("iam:GetCredentialReport"))
	assert.Zero(t, acct.Calls("iam:ListUsers"), "no listing")
	assert.Equal(t, 2*time.Second, acct.Clock().Now().Sub(start), "one poll interval on the fake clock")

	root := findings[0]
	assert.True(t, root.Root)
	assert.True(t, root.PasswordEnabled, "the root can always sign in")
	assert.Equal(t, "arn:aws:iam::123456789012:root", root.ARN)
	bob := findings[1]
	assert.Equal(t, mfa.Finding{
		User: "bob", ARN: "arn:aws:iam::123456789012:user/bob", UserCreated: fakes.DefaultStart,
		PasswordEnabled: true, Source: mfa.SourceCredentialReport,
	}, bob)
	assert.Equal(t, 1, findings[2].ActiveAccessKeys)
	assert.False(t, findings[2].PasswordEnabled)
	assert.Equal(t, 2, findings[3].ActiveAccessKeys)
	assert.Equal(t, "erin: console password and 2 active access keys, no MFA", findings[3].Summary())
	assert.Equal(t, "carol: 1 active access key, no MFA", findings[2].Summary())

	// The root with MFA is no finding.
	acct.SetRootMFA(true)
	acct.Clock().Advance(fakes.CredentialReportMaxAge + time.Second)
	findings, err = mfa.Audit(ctx, acct.IAM(), mfa.WithClock(acct.Clock()))
	require.NoError(t, err)
	assert.Equal(t, []string{"bob", "carol", "erin"}, users(findings))
}

func TestAuditListing(t *testing.T) {
	ctx := context.Background()
	acct := auditAccount(t)
	findings, err := mfa.Audit(ctx, acct.IAM(), mfa.WithAuditSource(mfa.SourceListing), mfa.WithClock(acct.Clock()))
	require.NoError(t, err)
	assert.Equal(t, []string{"bob", "carol", "erin"}, users(findings), "the root is not listed")
	assert.Zero(t, acct.Calls("iam:GenerateCredentialReport"))
	for _, f := range findings {
		assert.Equal(t, mfa.SourceListing, f.Source)
		assert.Len(t, f.AccessKeyIDs, f.ActiveAccessKeys)
	}
	assert.Equal(t, 2, findings[2].ActiveAccessKeys)
	assert.True(t, findings[2].PasswordEnabled)
	// alice has MFA: one call for her, none of the others.
	assert.Equal(t, 6, acct.Calls("iam:ListMFADevices"))
	assert.Equal(t, 5, acct.Calls("iam:GetLoginProfile"))
	assert.Equal(t, 5, acct.Calls("iam:ListAccessKeys"))
}

func TestAuditSourcesAgree(t *testing.T) {
	ctx := context.Background()
	acct := auditAccount(t)
	fromReport, err := mfa.Audit(ctx, acct.IAM(), mfa.WithClock(acct.Clock()))
	require.NoError(t, err)
	fromListing, err := mfa.Audit(ctx, acct.IAM(), mfa.WithClock(acct.Clock()), mfa.WithAuditSource(mfa.SourceListing))
	require.NoError(t, err)
	strip := func(fs []mfa.Finding) []mfa.Finding {
		var out []mfa.Finding
		for _, f := range fs {
			if f.Root {
				continue
			}
			f.Source, f.AccessKeyIDs, f.AccessKeyLastUsed, f.PasswordLastUsed = "", nil, time.Time{}, time.Time{}
			out = append(out, f)
		}
		return out
	}
	assert.Equal(t, strip(fromReport), strip(fromListing))
}

// brokenReport wraps the fake with a credential report that misbehaves.
type brokenReport struct {
	*fakes.IAM
	state   types.ReportStateType
	content []byte
}

func (b brokenReport) GenerateCredentialReport(ctx context.Context, in *iam.GenerateCredentialReportInput, o ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	if b.state == "" {
		return b.IAM.GenerateCredentialReport(ctx, in, o...)
	}
	return &iam.GenerateCredentialReportOutput{State: b.state}, nil
}

func (b brokenReport) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, o ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	if b.content == nil {
		return b.IAM.GetCredentialReport(ctx, in, o...)
	}
	return &iam.GetCredentialReportOutput{Content: b.content, ReportFormat: types.ReportFormatTypeTextCsv}, nil
}

func TestAuditFallsBackToListing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(acct *fakes.Account) mfa.AuditAPI
		why   string
	}{
		{"access denied", func(acct *fakes.Account) mfa.AuditAPI {
			acct.Inject("iam:GenerateCredentialReport", fakes.Fault{Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not allowed"}})
			return acct.IAM()
		}, "AccessDenied"},
		{"throttled", func(acct *fakes.Account) mfa.AuditAPI {
			acct.Throttle("iam:GenerateCredentialReport", 0)
			return acct.IAM()
		}, "Throttling"},
		{"generation limit", func(acct *fakes.Account) mfa.AuditAPI {
			acct.Inject("iam:GetCredentialReport", fakes.Fault{Err: &types.ReportGenerationLimitExceededException{Message: aws.String("limit")}})
			return acct.IAM()
		}, "ReportGenerationLimitExceeded"},
		{"never completes", func(acct *fakes.Account) mfa.AuditAPI {
			return brokenReport{IAM: acct.IAM(), state: types.ReportStateTypeInprogress}
		}, "not generated in time"},
		{"unreadable", func(acct *fakes.Account) mfa.AuditAPI {
			return brokenReport{IAM: acct.IAM(), content: []byte("user,arn\n\"unterminated")}
		}, "malformed credential report"},
		{"not a report", func(acct *fakes.Account) mfa.AuditAPI {
			return brokenReport{IAM: acct.IAM(), content: []byte("<html>oops</html>\n")}
		}, "malformed credential report: no"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acct := auditAccount(t)
			api := tc.setup(acct)
			var logs bytes.Buffer
			start := acct.Clock().Now()
			findings, err := mfa.Audit(ctx, api, mfa.WithClock(acct.Clock()), mfa.WithMaxWait(time.Minute), mfa.WithPollInterval(5*time.Second), mfa.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, err)
			assert.Equal(t, []string{"bob", "carol", "erin"}, users(findings))
			assert.Equal(t, mfa.SourceListing, findings[0].Source)
			assert.Contains(t, logs.String(), "listing users instead")
			assert.Contains(t, logs.String(), tc.why)
			assert.LessOrEqual(t, acct.Clock().Now().Sub(start), time.Minute+5*time.Second)

			// Without fallback, the same failure is an error.
			_, err = mfa.Audit(ctx, api, mfa.WithClock(acct.Clock()), mfa.WithMaxWait(time.Minute), mfa.WithAuditSource(mfa.SourceCredentialReport))
			require.ErrorContains(t, err, tc.why)
		})
	}
}

func TestAuditErrors(t *testing.T) {
	ctx := context.Background()

	t.Run("listing fails too", func(t *testing.T) {
		acct := auditAccount(t)
		acct.Throttle("iam:GenerateCredentialReport", 0)
		acct.Throttle("iam:ListUsers", 0)
		findings, err := mfa.Audit(ctx, acct.IAM(), mfa.WithClock(acct.Clock()))
		require.ErrorContains(t, err, "ListUsers")
		assert.Nil(t, findings)
	})

	t.Run("a per-user call fails", func(t *testing.T) {
		acct := auditAccount(t)
		acct.Inject("iam:ListAccessKeys", fakes.Fault{Match: func(in any) bool {
			return aws.ToString(in.(*iam.ListAccessKeysInput).UserName) == "erin"
		}})
		_, err := mfa.Audit(ctx, acct.IAM(), mfa.WithAuditSource(mfa.SourceListing), mfa.WithConcurrency(1))
		require.ErrorContains(t, err, "ListAccessKeys erin")
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "Throttling", ae.ErrorCode())
	})

	t.Run("a user deleted meanwhile is skipped", func(t *testing.T) {
		acct := auditAccount(t)
		acct.Inject("iam:ListMFADevices", fakes.Fault{
			Err:   &types.NoSuchEntityException{Message: aws.String("gone")},
			Match: func(in any) bool { return aws.ToString(in.(*iam.ListMFADevicesInput).UserName) == "bob" },
		})
		findings, err := mfa.Audit(ctx, acct.IAM(), mfa.WithAuditSource(mfa.SourceListing))
		require.NoError(t, err)
		assert.Equal(t, []string{"carol", "erin"}, users(findings))
	})

	t.Run("cancelled", func(t *testing.T) {
		acct := auditAccount(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := mfa.Audit(cctx, acct.IAM(), mfa.WithClock(acct.Clock()))
		require.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, acct.Calls("iam:ListUsers"), "no fallback once cancelled")
	})
}

func TestAuditManyUsers(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	api := acct.IAM()
	for i := range 250 {
		name := fmt.Sprintf("user-%03d", i)
		_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		require.NoError(t, err)
		if i%10 == 0 {
			_, err = api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
			require.NoError(t, err)
		}
	}
	for _, src := range []mfa.AuditSource{mfa.SourceCredentialReport, mfa.SourceListing} {
		findings, err := mfa.Audit(ctx, api, mfa.WithAuditSource(src), mfa.WithClock(acct.Clock()), mfa.WithConcurrency(8))
		require.NoError(t, err)
		n := len(findings)
		if src == mfa.SourceCredentialReport {
			n-- // the root
		}
		assert.Equal(t, 25, n, src)
	}
	assert.Equal(t, 3, acct.Calls("iam:ListUsers"), "three pages of 100")
}

const sampleReport = `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111122223333:root,2019-01-01T00:00:00+00:00,not_supported,2026-01-10T08:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111122223333:user/alice,2019-01-01T00:00:00+00:00,true,2026-01-14T10:00:00+00:00,2019-01-01T00:00:00+00:00,N/A,true,true,2019-01-01T00:00:00+00:00,2026-01-14T11:00:00+00:00,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
bob,arn:aws:iam::111122223333:user/bob,2019-01-01T00:00:00+00:00,true,no_information,2019-01-01T00:00:00+00:00,2026-04-01T00:00:00+00:00,false,true,2019-01-01T00:00:00+00:00,N/A,N/A,N/A,true,2025-06-01T00:00:00+00:00,2025-12-24T18:30:00+00:00,us-east-1,ec2,false,N/A,false,N/A
"ci,bot","arn:aws:iam::111122223333:user/ci/ci,bot",2020-02-02T00:00:00+00:00,false,N/A,N/A,N/A,false,false,2020-02-02T00:00:00+00:00,2020-03-01T00:00:00+00:00,us-west-2,sts,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
`

func TestParseCredentialReport(t *testing.T) {
	entries, err := mfa.ParseCredentialReport([]byte(sampleReport))
	require.NoError(t, err)
	require.Len(t, entries, 4)

	root := entries[0]
	assert.True(t, root.Root)
	assert.False(t, root.PasswordEnabled, "not_supported")
	assert.True(t, root.MFAActive)
	assert.Equal(t, time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC), root.PasswordLastUsed)
	assert.True(t, root.PasswordLastChanged.IsZero())

	alice := entries[1]
	assert.Equal(t, "arn:aws:iam::111122223333:user/alice", alice.ARN)
	assert.Equal(t, mfa.ReportAccessKey{
		Active: true, LastRotated: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC),
		LastUsed: time.Date(2026, 1, 14, 11, 0, 0, 0, time.UTC), LastUsedRegion: "eu-west-1", LastUsedService: "s3",
	}, alice.AccessKeys[0])
	assert.Equal(t, mfa.ReportAccessKey{}, alice.AccessKeys[1])

	bob := entries[2]
	assert.True(t, bob.PasswordEnabled)
	assert.True(t, bob.PasswordLastUsed.IsZero(), "no_information")
	assert.False(t, bob.MFAActive)
	assert.True(t, bob.AccessKeys[0].LastUsed.IsZero())
	assert.True(t, bob.AccessKeys[1].Active)

	assert.Equal(t, "ci,bot", entries[3].User)
	assert.False(t, entries[3].AccessKeys[0].Active)

	// Columns found by name: reordered, extra, and a BOM and CRLF.
	reordered := "\ufeffmfa_active,arn,new_column,user,password_enabled\r\nfalse,arn:aws:iam::1:user/x,?,x,TRUE\r\n"
	entries, err = mfa.ParseCredentialReport([]byte(reordered))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "x", entries[0].User)
	assert.True(t, entries[0].PasswordEnabled)
	assert.False(t, entries[0].AccessKeys[0].Active, "absent column")

	// Only a header: no entries.
	entries, err = mfa.ParseCredentialReport([]byte("user,arn,password_enabled,mfa_active\n"))
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestParseCredentialReportErrors(t *testing.T) {
	header := "user,arn,user_creation_time,password_enabled,mfa_active\n"
	tests := []struct{ name, in, msg string }{
		{"empty", "", "empty"},
		{"missing column", "user,arn,password_enabled\nx,y,true\n", `no "mfa_active" column`},
		{"duplicate column", "user,arn,password_enabled,mfa_active,user\n", `"user" appears twice`},
		{"bad boolean", header + "x,a,2020-01-01T00:00:00+00:00,yes,false\n", "line 2: password_enabled is \"yes\""},
		{"bad time", header + "x,a,01/01/2020,true,false\n", "line 2: user_creation_time is not an ISO 8601 time"},
		{"ragged row", header + "x,a\n", "wrong number of fields"},
		{"bad quoting", header + "\"x,a,b,c,d\n", "extraneous or missing"},
		{"empty user", header + ",a,N/A,true,false\n", "line 2: empty user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mfa.ParseCredentialReport([]byte(tc.in))
			require.ErrorIs(t, err, mfa.ErrReportFormat)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestFindingJSON(t *testing.T) {
	f := mfa.Finding{User: "bob", ARN: "arn:aws:iam::1:user/bob", PasswordEnabled: true, Source: mfa.SourceListing}
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.JSONEq(t, `{"user":"bob","arn":"arn:aws:iam::1:user/bob","password_enabled":true,"active_access_keys":0,"source":"listing"}`, string(b))
}
