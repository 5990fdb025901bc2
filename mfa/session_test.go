package mfa_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
	"github.com/iamkit/iamkit/mfa/credfile"
)

func fixture50(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("credfile/testdata/credentials-50")
	require.NoError(t, err)
	return string(b)
}

// insertBefore inserts s before the line that starts with header.
func insertBefore(t *testing.T, content, header, s string) string {
	t.Helper()
	i := strings.Index(content, "\n"+header)
	require.GreaterOrEqual(t, i, 0, header)
	return content[:i+1] + s + content[i+1:]
}

func TestSessionWritesOnlyItsSection(t *testing.T) {
	ctx := context.Background()

	t.Run("new section appended to a 50-profile file", func(t *testing.T) {
		w := newWorld(t)
		before := insertBefore(t, fixture50(t), "[profile-25]", w.longTerm("dev")+"\r\n")
		w.writeCreds(before)

		res, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		require.NoError(t, err)
		assert.True(t, res.Refreshed)
		assert.Equal(t, mfa.ReasonMissing, res.Plan.Reason)

		after := w.creds()
		require.True(t, strings.HasPrefix(after, before), "every byte before the new section is kept")
		issued, ok := w.acct.Issued(res.Credentials.AccessKeyID)
		require.True(t, ok)
		assert.Equal(t, []string{
			"assumed_role = False",
			"aws_access_key_id = " + issued.AccessKeyID,
			"aws_secret_access_key = " + issued.SecretAccessKey,
			"aws_session_token = " + issued.SessionToken,
			"aws_security_token = " + issued.SessionToken,
			"expiration = " + issued.Expiration.UTC().Format("2006-01-02 15:04:05"),
		}, section(after, "dev"))
		// The new section is the only addition, and the file still parses with
		// all 50 profiles.
		f, err := credfile.Parse([]byte(after))
		require.NoError(t, err)
		assert.Len(t, f.Sections(), 53) // 51 profiles, [dev-long-term], [dev]
		info, err := os.Stat(w.credPath)
		require.NoError(t, err)
		if runtime.GOOS != "windows" {
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
		}
	})

	t.Run("existing section in the middle rewritten in place", func(t *testing.T) {
		w := newWorld(t)
		dev := "# dev: refreshed by aws-mfa\r\n[dev]\r\nregion = eu-west-1   ; my region\r\naws_access_key_id=ASIAOLD\r\naws_secret_access_key\t=\told\r\n" +
			"aws_session_token = old\r\naws_security_token = old\r\nexpiration = 2020-01-01 00:00:00\r\nassumed_role = False\r\n\r\n"
		before := insertBefore(t, fixture50(t), "[profile-32]", dev)
		before = insertBefore(t, before, "[profile-10]", w.longTerm("dev"))
		w.writeCreds(before)

		res, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		require.NoError(t, err)
		assert.Equal(t, mfa.ReasonExpired, res.Plan.Reason)
		after := w.creds()

		start := strings.Index(before, "[dev]")
		end := strings.Index(before, "[profile-32]")
		require.Equal(t, before[:start], after[:start], "bytes before [dev]")
		tail := before[end:]
		require.True(t, strings.HasSuffix(after, tail), "bytes from the next section on")
		got := after[start : len(after)-len(tail)]
		issued, _ := w.acct.Issued(res.Credentials.AccessKeyID)
		assert.Equal(t, "[dev]\r\nregion = eu-west-1   ; my region\r\naws_access_key_id="+issued.AccessKeyID+
			"\r\naws_secret_access_key\t=\t"+issued.SecretAccessKey+"\r\naws_session_token = "+issued.SessionToken+
			"\r\naws_security_token = "+issued.SessionToken+"\r\nexpiration = "+issued.Expiration.Format("2006-01-02 15:04:05")+
			"\r\nassumed_role = False\r\n\r\n", got)
	})
}

func TestSessionSkipsWhileValid(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.writeCreds("# keep me\n" + w.longTerm("dev"))

	first, err := mfa.Session(ctx, w.req("dev"), w.options()...)
	require.NoError(t, err)
	require.True(t, first.Refreshed)
	written := w.creds()
	calls := w.stsCalls()

	// Eleven hours later: still valid for an hour. No call, no write.
	w.acct.Clock().Advance(11 * time.Hour)
	second, err := mfa.Session(ctx, w.req("dev"), w.options()...)
	require.NoError(t, err)
	assert.False(t, second.Refreshed)
	assert.Equal(t, mfa.ReasonValid, second.Plan.Reason)
	assert.Equal(t, calls, w.stsCalls(), "no STS call")
	assert.Equal(t, written, w.creds(), "file untouched")
	assert.Equal(t, first.Credentials.Credentials, second.Credentials.Credentials)
	assert.Equal(t, mfa.KindSessionToken, second.Credentials.Kind)
	assert.Equal(t, w.serial, second.Credentials.MFASerial)
	assert.Contains(t, second.Plan.String(), "nothing to do")

	// Within the 5-minute margin: refreshed.
	w.acct.Clock().Advance(56 * time.Minute)
	third, err := mfa.Session(ctx, w.req("dev"), w.options()...)
	require.NoError(t, err)
	assert.True(t, third.Refreshed)
	assert.Equal(t, mfa.ReasonExpiring, third.Plan.Reason)
	assert.Equal(t, calls+1, w.stsCalls())

	// A larger margin refreshes earlier; a negative one only once expired.
	req := w.req("dev")
	p, err := mfa.PlanSession(ctx, req, w.options(mfa.WithRefreshMargin(13*time.Hour))...)
	require.NoError(t, err)
	assert.Equal(t, mfa.ReasonExpiring, p.Reason)
	w.acct.Clock().Advance(12*time.Hour - time.Second)
	p, err = mfa.PlanSession(ctx, req, w.options(mfa.WithRefreshMargin(-1))...)
	require.NoError(t, err)
	assert.Equal(t, mfa.ReasonValid, p.Reason)
}

func TestSessionRefreshReasons(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	lt := w.longTerm("dev")
	future := fakes.DefaultStart.Add(6 * time.Hour)
	valid := func(extra string) string {
		return lt + "[dev]\naws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\naws_security_token = t\n" + extra
	}
	tests := []struct {
		name   string
		file   string
		mutate func(*mfa.SessionRequest)
		want   mfa.RefreshReason
	}{
		{"valid aws-mfa layout", valid("expiration = " + future.Format("2006-01-02 15:04:05") + "\nassumed_role = False\n"), nil, mfa.ReasonValid},
		{"valid RFC 3339 with offset", valid("expiration = " + future.In(time.FixedZone("JST", 9*3600)).Format(time.RFC3339) + "\n"), nil, mfa.ReasonValid},
		{"expired RFC 3339 with offset", valid("expiration = " + fakes.DefaultStart.Add(-time.Minute).In(time.FixedZone("X", -5*3600)).Format(time.RFC3339) + "\n"), nil, mfa.ReasonExpired},
		// 09:00 local in UTC+9 is 00:00 UTC: expired, though the wall-clock
		// digits are later than the fake clock's 09:00:30 UTC.
		{"offset honoured", valid("expiration = 2026-01-15T09:30:00+09:00\n"), nil, mfa.ReasonExpired},
		{"forced", valid("expiration = " + future.Format("2006-01-02 15:04:05") + "\n"), func(o *mfa.SessionRequest) { o.Force = true }, mfa.ReasonForced},
		{"role requested, session held", valid("expiration = " + future.Format("2006-01-02 15:04:05") + "\n"), func(o *mfa.SessionRequest) { o.AssumeRole = w.adminRole }, mfa.ReasonRoleChanged},
		{"session requested, role held", valid("expiration = " + future.Format("2006-01-02 15:04:05") + "\nassumed_role = True\nassumed_role_arn = " + w.adminRole + "\n"), nil, mfa.ReasonRoleChanged},
		{"same role held", valid("expiration = " + future.Format("2006-01-02 15:04:05") + "\nassumed_role = True\nassumed_role_arn = " + w.adminRole + "\n"), func(o *mfa.SessionRequest) { o.AssumeRole = w.adminRole }, mfa.ReasonValid},
		{"other role held", valid("expiration = " + future.Format("2006-01-02 15:04:05") + "\nassumed_role_arn = " + w.readOnlyRole + "\n"), func(o *mfa.SessionRequest) { o.AssumeRole = w.adminRole }, mfa.ReasonRoleChanged},
		{"no session token", lt + "[dev]\naws_access_key_id = A\naws_secret_access_key = s\nexpiration = " + future.Format("2006-01-02 15:04:05") + "\n", nil, mfa.ReasonIncomplete},
		{"security token only (boto2)", lt + "[dev]\naws_access_key_id = A\naws_secret_access_key = s\naws_security_token = t\nexpiration = " + future.Format("2006-01-02 15:04:05") + "\n", nil, mfa.ReasonValid},
		{"no expiration", valid(""), nil, mfa.ReasonIncomplete},
		{"garbled expiration", valid("expiration = tomorrow\n"), nil, mfa.ReasonBadExpiration},
		{"missing", lt, nil, mfa.ReasonMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w.writeCreds(tc.file)
			req := w.req("dev")
			if tc.mutate != nil {
				tc.mutate(&req)
			}
			p, err := mfa.PlanSession(ctx, req, w.options()...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.Reason)
			assert.Equal(t, tc.want != mfa.ReasonValid, p.Refresh)
		})
	}
}

func TestSessionRoleVersusSessionToken(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.writeCreds(w.longTerm("dev") + "\n[dev]\n# my notes\noutput = json\n")

	req := w.req("dev")
	req.AssumeRole = w.adminRole
	req.RoleSessionName = "alice-laptop"
	res, err := mfa.Session(ctx, req, w.options()...)
	require.NoError(t, err)
	assert.Equal(t, "AssumeRole", res.Plan.Operation())
	assert.Equal(t, mfa.DefaultRoleDuration, res.Plan.Duration)
	issued, ok := w.acct.Issued(res.Credentials.AccessKeyID)
	require.True(t, ok)
	assert.Equal(t, fakes.KindAssumedRole, issued.Kind)
	assert.True(t, issued.MFA)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Admin/alice-laptop", issued.ARN)
	assert.Equal(t, w.acct.Clock().Now().Add(time.Hour).UTC().Truncate(time.Second), issued.Expiration)

	c := res.Credentials
	assert.Equal(t, mfa.KindAssumedRole, c.Kind)
	assert.Equal(t, w.adminRole, c.RoleARN)
	assert.Equal(t, "alice-laptop", c.RoleSessionName)
	assert.Equal(t, "dev-long-term", c.SourceProfile)
	assert.Equal(t, "dev", c.Profile)
	assert.True(t, c.MFA())
	assert.Equal(t, issued.Expiration, c.Expires)
	assert.Equal(t, c.Expires, c.Expiration)
	require.NotNil(t, c.Parent)
	assert.Equal(t, mfa.KindLongTerm, c.Parent.Kind)

	got := section(w.creds(), "dev")
	assert.Equal(t, []string{
		"output = json",
		"assumed_role = True",
		"assumed_role_arn = " + w.adminRole,
		"aws_access_key_id = " + issued.AccessKeyID,
		"aws_secret_access_key = " + issued.SecretAccessKey,
		"aws_session_token = " + issued.SessionToken,
		"aws_security_token = " + issued.SessionToken,
		"expiration = " + issued.Expiration.Format("2006-01-02 15:04:05"),
	}, got)
	assert.Contains(t, w.creds(), "# my notes\n")

	// Back to a plain session token: assumed_role False, assumed_role_arn gone.
	w.acct.Clock().Advance(mfa.Period)
	res, err = mfa.Session(ctx, w.req("dev"), w.options()...)
	require.NoError(t, err)
	assert.Equal(t, mfa.ReasonRoleChanged, res.Plan.Reason)
	assert.Equal(t, "GetSessionToken", res.Plan.Operation())
	assert.Equal(t, mfa.DefaultSessionDuration, res.Plan.Duration)
	issued, _ = w.acct.Issued(res.Credentials.AccessKeyID)
	assert.Equal(t, fakes.KindSessionToken, issued.Kind)
	assert.True(t, issued.MFA)
	assert.Equal(t, "arn:aws:iam::123456789012:user/alice", issued.ARN)
	assert.Equal(t, mfa.KindSessionToken, res.Credentials.Kind)
	assert.Empty(t, res.Credentials.RoleARN)
	got = section(w.creds(), "dev")
	assert.Contains(t, got, "assumed_role = False")
	for _, line := range got {
		assert.NotContains(t, line, "assumed_role_arn")
	}
}

func TestSessionForcedRefresh(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.writeCreds(w.longTerm("dev"))
	first, err := mfa.Session(ctx, w.req("dev"), w.options()...)
	require.NoError(t, err)

	req := w.req("dev")
	req.Force = true
	second, err := mfa.Session(ctx, req, w.options()...)
	require.NoError(t, err)
	assert.True(t, second.Refreshed)
	assert.Equal(t, mfa.ReasonForced, second.Plan.Reason)
	assert.NotEqual(t, first.Credentials.AccessKeyID, second.Credentials.AccessKeyID)
	assert.Equal(t, 2, w.stsCalls())
	// The same device, twice within one step: the second waited for a new code.
	assert.Equal(t, 30*time.Second, second.Waited)
}

func TestSessionExpired(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.writeCreds(w.longTerm("dev"))
	req := w.req("dev")
	req.Duration = 15 * time.Minute
	first, err := mfa.Session(ctx, req, w.options()...)
	require.NoError(t, err)
	w.acct.Clock().Advance(16 * time.Minute)
	assert.True(t, first.Credentials.Expires.Before(w.acct.Clock().Now()))

	second, err := mfa.Session(ctx, req, w.options()...)
	require.NoError(t, err)
	assert.Equal(t, mfa.ReasonExpired, second.Plan.Reason)
	assert.True(t, second.Refreshed)
	assert.Zero(t, second.Waited, "a new step has long begun")
}

func TestSessionNeverSendsACodeTwice(t *testing.T) {
	ctx := context.Background()

	t.Run("two profiles, one device: the second waits for the next step", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev") + w.longTerm("prod"))
		start := w.acct.Clock().Now()
		_, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		require.NoError(t, err)
		res, err := mfa.Session(ctx, w.req("prod"), w.options()...)
		require.NoError(t, err, "the fake refuses a reused code; Session did not send one")
		assert.Equal(t, mfa.NextStep(start).Sub(start), res.Waited)
		assert.Equal(t, mfa.NextStep(start), w.acct.Clock().Now())
		state, err := os.ReadFile(w.credPath + ".mfa-state")
		require.NoError(t, err)
		assert.Contains(t, string(state), "["+w.serial+"]")
		assert.NotContains(t, string(state), fakes.TOTP(w.seed, start), "the state file never holds a code")
	})

	t.Run("a source that cannot answer fails before the wait", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev") + w.longTerm("prod"))
		_, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		require.NoError(t, err)
		noTTY := errors.New("no terminal")
		req := w.req("prod")
		req.Token = notReady{TokenSource: w.phone(), err: noTTY}
		at, calls := w.acct.Clock().Now(), w.stsCalls()
		_, err = mfa.Session(ctx, req, w.options()...)
		require.ErrorIs(t, err, noTTY)
		assert.Equal(t, at, w.acct.Clock().Now(), "no wait for the next step")
		assert.Equal(t, calls, w.stsCalls())
	})

	t.Run("without the state the fake refuses the reused code", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev") + w.longTerm("prod"))
		a, b := w.req("dev"), w.req("prod")
		a.StatePath = filepath.Join(w.dir, "state-a")
		b.StatePath = filepath.Join(w.dir, "state-b")
		_, err := mfa.Session(ctx, a, w.options()...)
		require.NoError(t, err)
		before := w.creds()
		_, err = mfa.Session(ctx, b, w.options()...)
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "AccessDenied", ae.ErrorCode())
		assert.Equal(t, before, w.creds(), "file untouched on an STS error")
	})

	t.Run("a fixed token is refused, not resent", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev") + w.longTerm("prod"))
		code := fakes.TOTP(w.seed, w.acct.Clock().Now())
		a, b := w.req("dev"), w.req("prod")
		a.Token, b.Token = mfa.StaticToken(code), mfa.StaticToken(code)
		_, err := mfa.Session(ctx, a, w.options()...)
		require.NoError(t, err)
		before := w.creds()
		start := w.acct.Clock().Now()
		_, err = mfa.Session(ctx, b, w.options()...)
		require.ErrorIs(t, err, mfa.ErrCodeReused)
		assert.NotContains(t, err.Error(), code)
		assert.Equal(t, 1, w.stsCalls())
		assert.Equal(t, start, w.acct.Clock().Now(), "no wait for a code that cannot change")
		assert.Equal(t, before, w.creds())

		// The next code goes through.
		w.acct.Clock().Advance(mfa.Period)
		b.Token = mfa.StaticToken(fakes.TOTP(w.seed, w.acct.Clock().Now()))
		_, err = mfa.Session(ctx, b, w.options()...)
		require.NoError(t, err)
	})

	t.Run("a stale screen is asked again after the next step", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev") + w.longTerm("prod"))
		first := fakes.TOTP(w.seed, w.acct.Clock().Now())
		var retries []bool
		stale := mfa.TokenFunc(func(_ context.Context, req mfa.TokenRequest) (string, error) {
			retries = append(retries, req.Retry)
			if !req.Retry {
				return first, nil // still showing the code just used
			}
			return fakes.TOTP(w.seed, w.acct.Clock().Now()), nil
		})
		_, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		require.NoError(t, err)
		// The clock moves on by itself; the person still reads the old code.
		w.acct.Clock().Advance(mfa.Period)
		b := w.req("prod")
		b.Token = stale
		res, err := mfa.Session(ctx, b, w.options()...)
		require.NoError(t, err)
		assert.Equal(t, []bool{false, true}, retries)
		assert.Equal(t, mfa.Period, res.Waited)
	})

	t.Run("concurrent sessions take turns", func(t *testing.T) {
		w := newWorld(t)
		var content strings.Builder
		for i := range 4 {
			content.WriteString(w.longTerm(fmt.Sprintf("p%d", i)))
		}
		w.writeCreds(content.String())
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range 4 {
			wg.Go(func() {
				_, errs[i] = mfa.Session(ctx, w.req(fmt.Sprintf("p%d", i)), w.options()...)
			})
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err)
		}
		assert.Equal(t, 4, w.stsCalls())
		f, err := credfile.ReadFile(w.credPath)
		require.NoError(t, err)
		for i := range 4 {
			_, ok := f.Get(fmt.Sprintf("p%d", i), "aws_session_token")
			assert.True(t, ok)
		}
	})
}

// untouched asserts that a failed Session left the credentials file as it
// was and called nothing.
func untouched(t *testing.T, w *world, before string) {
	t.Helper()
	assert.Equal(t, before, w.creds(), "credentials file untouched")
	assert.Zero(t, w.stsCalls(), "no STS call")
	_, err := os.Stat(w.credPath + ".mfa-state")
	assert.ErrorIs(t, err, os.ErrNotExist, "no state written")
}

func TestSessionBadDurations(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		env    map[string]string
		config string
		mutate func(w *world, o *mfa.SessionRequest)
		msg    string
	}{
		{"below 15 minutes", nil, "", func(_ *world, o *mfa.SessionRequest) { o.Duration = 10 * time.Minute }, "outside GetSessionToken's limits of 900 to 129600 seconds"},
		{"above 36 hours", nil, "", func(_ *world, o *mfa.SessionRequest) { o.Duration = 37 * time.Hour }, "outside GetSessionToken's limits"},
		{"role above 12 hours", nil, "", func(w *world, o *mfa.SessionRequest) { o.Duration = 13 * time.Hour; o.AssumeRole = w.adminRole }, "outside AssumeRole's limits of 900 to 43200 seconds"},
		{"fraction of a second", nil, "", func(_ *world, o *mfa.SessionRequest) { o.Duration = 900*time.Second + time.Millisecond }, "whole number of seconds"},
		{"negative", nil, "", func(_ *world, o *mfa.SessionRequest) { o.Duration = -time.Hour }, "outside"},
		{"env not a number", map[string]string{"MFA_STS_DURATION": "12h"}, "", nil, `MFA_STS_DURATION="12h" is not a number of seconds`},
		{"env too short", map[string]string{"MFA_STS_DURATION": "60"}, "", nil, "MFA_STS_DURATION 1m0s (60 s) is outside"},
		{"config duration_seconds for a role", nil, "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nduration_seconds = 50000\n", nil, "duration_seconds 13h53m20s (50000 s) is outside AssumeRole's limits"},
		{"config duration_seconds garbled", nil, "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nduration_seconds = one hour\n", nil, "not a number of seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			before := w.longTerm("dev")
			w.writeCreds(before)
			if tc.config != "" {
				w.writeConfig(tc.config)
			}
			for k, v := range tc.env {
				w.env[k] = v
			}
			req := w.req("dev")
			if tc.mutate != nil {
				tc.mutate(w, &req)
			}
			_, err := mfa.Session(ctx, req, w.options()...)
			require.ErrorIs(t, err, mfa.ErrInvalidDuration)
			assert.Contains(t, err.Error(), tc.msg)
			untouched(t, w, before)
		})
	}

	t.Run("a role's own maximum is STS's to enforce", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev"))
		req := w.req("dev")
		req.AssumeRole, req.Duration = w.readOnlyRole, 2*time.Hour
		before := w.creds()
		_, err := mfa.Session(ctx, req, w.options()...)
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "ValidationError", ae.ErrorCode())
		assert.Equal(t, before, w.creds())
	})
}

func TestSessionClearErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		file   string // "" and noFile: no credentials file
		noFile bool
		config string
		mutate func(w *world, o *mfa.SessionRequest)
		is     error
		msg    string
	}{
		{name: "no credentials file", noFile: true, is: mfa.ErrNoLongTerm, msg: "does not exist; add a [dev-long-term] section"},
		{name: "no long-term section", file: "[dev]\naws_access_key_id = A\n", is: mfa.ErrNoLongTerm, msg: "no [dev-long-term] section"},
		{name: "no secret", file: "[dev-long-term]\naws_access_key_id = AKIA\n", is: mfa.ErrNoLongTerm, msg: "has no aws_secret_access_key"},
		{name: "no key id", file: "[dev-long-term]\naws_secret_access_key = s\n", is: mfa.ErrNoLongTerm, msg: "has no aws_access_key_id"},
		{name: "no device", file: "[dev-long-term]\naws_access_key_id = A\naws_secret_access_key = s\n", is: mfa.ErrNoDevice, msg: "set MFA_DEVICE"},
		{name: "bad device", file: "[dev-long-term]\naws_access_key_id = A\naws_secret_access_key = s\naws_mfa_device = my phone\n", is: mfa.ErrNoDevice, msg: "not an MFA device"},
		{name: "bad role", mutate: func(_ *world, o *mfa.SessionRequest) { o.AssumeRole = "Admin" }, is: mfa.ErrInvalidRole, msg: `"Admin" is not a role ARN`},
		{name: "bad session name", mutate: func(w *world, o *mfa.SessionRequest) { o.AssumeRole = w.adminRole; o.RoleSessionName = "a b" }, is: mfa.ErrInvalidRole, msg: "role session name"},
		{name: "same sections", mutate: func(_ *world, o *mfa.SessionRequest) { o.LongTermSuffix = "none" }, is: mfa.ErrInvalidProfile, msg: "both [dev]"},
		{name: "bad section name", mutate: func(_ *world, o *mfa.SessionRequest) { o.ShortTermSuffix = "x]" }, is: mfa.ErrInvalidProfile},
		{name: "no token source", mutate: func(_ *world, o *mfa.SessionRequest) { o.Token = nil }, is: mfa.ErrNoTokenSource},
		{name: "invalid static token", mutate: func(_ *world, o *mfa.SessionRequest) { o.Token = mfa.StaticToken("12345") }, is: mfa.ErrInvalidToken},
		// Causes from the package's own token sources keep one "mfa: ".
		{name: "prompt without input", mutate: func(_ *world, o *mfa.SessionRequest) { o.Token = mfa.NewPrompt(strings.NewReader(""), io.Discard) }, msg: "getting the MFA code: prompt: no code entered"},
		{name: "bad mfa_process", config: "[profile dev]\nmfa_process = totp \"unterminated\n", mutate: func(_ *world, o *mfa.SessionRequest) { o.Token = nil }, msg: "mfa_process for profile dev: command line has an unterminated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			before := tc.file
			if before == "" && !tc.noFile {
				before = "# comment\n" + w.longTerm("dev")
			}
			if !tc.noFile {
				w.writeCreds(before)
			}
			if tc.config != "" {
				w.writeConfig(tc.config)
			}
			req := w.req("dev")
			if tc.mutate != nil {
				tc.mutate(w, &req)
			}
			_, err := mfa.Session(ctx, req, w.options()...)
			require.Error(t, err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "mfa: "), err.Error())
			assert.Equal(t, 1, strings.Count(err.Error(), "mfa:"), "one prefix: %v", err)
			assert.NotContains(t, err.Error(), w.secret)
			if tc.noFile {
				_, statErr := os.Stat(w.credPath)
				assert.ErrorIs(t, statErr, os.ErrNotExist, "no file created")
				return
			}
			if errors.Is(err, mfa.ErrInvalidToken) {
				// The state is locked and read before the code is checked, but
				// nothing is recorded and STS is not called.
				assert.Equal(t, before, w.creds())
				assert.Zero(t, w.stsCalls())
				return
			}
			untouched(t, w, before)
		})
	}
}

func TestSessionMalformedFiles(t *testing.T) {
	ctx := context.Background()
	t.Run("credentials", func(t *testing.T) {
		w := newWorld(t)
		before := w.longTerm("dev") + "[dev]\naws_access_key_id = A\nthis line is not a key\n"
		w.writeCreds(before)
		_, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		var pe *credfile.ParseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 7, pe.Line)
		assert.Contains(t, err.Error(), w.credPath)
		assert.Contains(t, err.Error(), "line 7")
		untouched(t, w, before)
	})
	t.Run("config", func(t *testing.T) {
		w := newWorld(t)
		before := w.longTerm("dev")
		w.writeCreds(before)
		w.writeConfig("[profile dev]\nregion = eu-west-1\n[broken\n")
		_, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		var pe *credfile.ParseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 3, pe.Line)
		untouched(t, w, before)
	})
	t.Run("state", func(t *testing.T) {
		w := newWorld(t)
		before := w.longTerm("dev")
		w.writeCreds(before)
		require.NoError(t, os.WriteFile(w.credPath+".mfa-state", []byte("[x\n"), 0o600))
		_, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		var pe *credfile.ParseError
		require.ErrorAs(t, err, &pe)
		assert.Contains(t, err.Error(), "state file")
		assert.Equal(t, before, w.creds())
		assert.Zero(t, w.stsCalls())
	})
}

func TestSessionSettingsFromEnvAndConfig(t *testing.T) {
	ctx := context.Background()

	t.Run("config file profile", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds("[dev-long-term]\naws_access_key_id = " + w.keyID + "\naws_secret_access_key = " + w.secret + "\n")
		w.writeConfig("[default]\nregion = us-east-1\n\n[profile dev]\nmfa_serial = " + w.serial +
			"\nrole_arn = " + w.adminRole + "\nduration_seconds = 7200\nregion = eu-central-1\n")
		res, err := mfa.Session(ctx, w.req("dev"), w.options()...)
		require.NoError(t, err)
		assert.Equal(t, w.serial, res.Plan.Device)
		assert.Equal(t, w.adminRole, res.Plan.RoleARN)
		assert.Equal(t, 2*time.Hour, res.Plan.Duration)
		assert.Equal(t, "eu-central-1", res.Plan.Region)
		assert.Equal(t, []string{"eu-central-1"}, w.regions)
		assert.Equal(t, "alice", res.Plan.RoleSessionName, "from $USER, as aws-mfa")
	})

	t.Run("credentials keys win over config", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev", "assume_role = "+w.readOnlyRole))
		w.writeConfig("[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/other\nrole_arn = " + w.adminRole + "\n")
		p, err := mfa.PlanSession(ctx, w.req("dev"), w.options()...)
		require.NoError(t, err)
		assert.Equal(t, w.serial, p.Device)
		assert.Equal(t, w.readOnlyRole, p.RoleARN)
	})

	t.Run("env wins over files, options over env", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds("[work-long-term]\naws_access_key_id = " + w.keyID + "\naws_secret_access_key = " + w.secret +
			"\naws_mfa_device = arn:aws:iam::123456789012:mfa/nope\n")
		w.env["AWS_PROFILE"] = "work"
		w.env["MFA_DEVICE"] = w.serial
		w.env["MFA_ASSUME_ROLE"] = w.adminRole
		w.env["MFA_STS_DURATION"] = "5400"
		req := w.req("")
		res, err := mfa.Session(ctx, req, w.options()...)
		require.NoError(t, err)
		assert.Equal(t, "work", res.Plan.Profile)
		assert.Equal(t, w.serial, res.Plan.Device)
		assert.Equal(t, w.adminRole, res.Plan.RoleARN)
		assert.Equal(t, 90*time.Minute, res.Plan.Duration)

		req.Duration = time.Hour
		req.AssumeRole = w.readOnlyRole
		p, err := mfa.PlanSession(ctx, req, w.options()...)
		require.NoError(t, err)
		assert.Equal(t, time.Hour, p.Duration)
		assert.Equal(t, w.readOnlyRole, p.RoleARN)
	})

	t.Run("suffixes", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds("[dev]\naws_access_key_id = " + w.keyID + "\naws_secret_access_key = " + w.secret + "\naws_mfa_device = " + w.serial + "\n")
		req := w.req("dev")
		req.LongTermSuffix, req.ShortTermSuffix = "NONE", "mfa"
		res, err := mfa.Session(ctx, req, w.options()...)
		require.NoError(t, err)
		assert.Equal(t, "dev", res.Plan.LongTermProfile)
		assert.Equal(t, "dev-mfa", res.Plan.Profile)
		assert.Contains(t, w.creds(), "[dev-mfa]\n")

		req.LongTermSuffix, req.ShortTermSuffix = "lt", ""
		p, err := mfa.PlanSession(ctx, req, w.options()...)
		require.ErrorIs(t, err, mfa.ErrNoLongTerm)
		assert.Nil(t, p)
		assert.Contains(t, err.Error(), "[dev-lt]")
	})

	t.Run("role session name from the login name", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev", "assume_role = "+w.adminRole))
		for user, want := range map[string]string{
			"alice":                 "alice",
			"Jean Dupont/ops":       "Jean-Dupont-ops",
			"x":                     "iamkit",
			"":                      "iamkit",
			strings.Repeat("a", 70): strings.Repeat("a", 64),
		} {
			w.env["USER"] = user
			p, err := mfa.PlanSession(ctx, w.req("dev"), w.options(mfa.WithCurrentUser(func() string { return "" }))...)
			require.NoError(t, err)
			assert.Equal(t, want, p.RoleSessionName, user)
		}
		w.env["USER"], w.env["LOGNAME"] = "bob", "carol"
		p, err := mfa.PlanSession(ctx, w.req("dev"), w.options(mfa.WithCurrentUser(func() string { return "dana" }))...)
		require.NoError(t, err)
		assert.Equal(t, "carol", p.RoleSessionName, "LOGNAME first, as getpass.getuser")

		// Neither LOGNAME nor USER (cron, systemd, a container): the passwd
		// entry, as getpass.getuser falls back to pwd.getpwuid.
		delete(w.env, "USER")
		delete(w.env, "LOGNAME")
		p, err = mfa.PlanSession(ctx, w.req("dev"), w.options(mfa.WithCurrentUser(func() string { return "dana" }))...)
		require.NoError(t, err)
		assert.Equal(t, "dana", p.RoleSessionName)
		p, err = mfa.PlanSession(ctx, w.req("dev"), w.options(mfa.WithCurrentUser(func() string { return "" }))...)
		require.NoError(t, err)
		assert.Equal(t, "iamkit", p.RoleSessionName, "no passwd entry either")
	})

	t.Run("default profile, files under HOME", func(t *testing.T) {
		w := newWorld(t)
		delete(w.env, "AWS_SHARED_CREDENTIALS_FILE")
		delete(w.env, "AWS_CONFIG_FILE")
		w.writeCreds(w.longTerm("default"))
		res, err := mfa.Session(ctx, w.req(""), w.options()...)
		require.NoError(t, err)
		assert.Equal(t, "default", res.Plan.Profile)
		assert.Equal(t, w.credPath, res.Plan.CredentialsPath)
		assert.Equal(t, w.cfgPath, res.Plan.ConfigPath)
		assert.Contains(t, w.creds(), "[default]\nassumed_role = False\n")
	})
}

func TestSessionTokenSources(t *testing.T) {
	ctx := context.Background()

	t.Run("stored seed, opt-in", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev", "aws_mfa_seed = "+w.seed))
		req := w.req("dev")
		req.Token = nil
		_, err := mfa.Session(ctx, req, w.options()...)
		require.ErrorIs(t, err, mfa.ErrNoTokenSource, "the seed is not used unless allowed")
		_, err = mfa.Session(ctx, req, w.options(mfa.WithStoredSeed(true))...)
		require.NoError(t, err)
		// And again, for another profile: the next step's code, computed.
		req.Force = true
		res, err := mfa.Session(ctx, req, w.options(mfa.WithStoredSeed(true))...)
		require.NoError(t, err)
		assert.Equal(t, mfa.Period, res.Waited)
	})

	t.Run("prompt", func(t *testing.T) {
		w := newWorld(t)
		w.writeCreds(w.longTerm("dev"))
		req := w.req("dev")
		req.Token = nil
		var out bytes.Buffer
		prompt := mfa.NewPrompt(strings.NewReader("12ab\n"+fakes.TOTP(w.seed, w.acct.Clock().Now())+"\n"), &out)
		_, err := mfa.Session(ctx, req, w.options(mfa.WithPrompt(prompt))...)
		require.NoError(t, err)
		assert.Equal(t, "Enter AWS MFA code for device ["+w.serial+"] (renewing for 43200 seconds): The code must be 6 digits.\n"+
			"Enter AWS MFA code for device ["+w.serial+"] (renewing for 43200 seconds): ", out.String())

		// Forced at once: the person is told why nothing happens for a while.
		out.Reset()
		req.Force = true
		prompt = mfa.NewPrompt(strings.NewReader(fakes.TOTP(w.seed, mfa.NextStep(w.acct.Clock().Now()))+"\n"), &out)
		res, err := mfa.Session(ctx, req, w.options(mfa.WithPrompt(prompt))...)
		require.NoError(t, err)
		assert.Equal(t, mfa.Period, res.Waited)
		assert.Equal(t, "The last code of device ["+w.serial+"] was just used; waiting 30s for the next one.\n"+
			"Enter AWS MFA code for device ["+w.serial+"] (renewing for 43200 seconds): ", out.String())
	})

	t.Run("mfa_process", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("shell script")
		}
		w := newWorld(t)
		script := filepath.Join(w.dir, "otp tool")
		code := fakes.TOTP(w.seed, w.acct.Clock().Now())
		require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\n[ \"$AWS_MFA_DEVICE\" = \"$1\" ] || exit 3\necho '  "+code+"'\n"), 0o700))
		// Inline " #" text is part of a command line, as the AWS CLI reads it.
		w.writeCreds(w.longTerm("dev", "mfa_process = '"+script+"' "+w.serial+" '# not a comment'"))
		req := w.req("dev")
		req.Token = nil
		// The prompt is not used: mfa_process comes first.
		_, err := mfa.Session(ctx, req, w.options(mfa.WithPrompt(mfa.StaticToken("000000")))...)
		require.NoError(t, err)
	})

	t.Run("mfa_process failing", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("shell script")
		}
		w := newWorld(t)
		before := w.longTerm("dev", "mfa_process = sh -c 'echo locked >&2; exit 1'")
		w.writeCreds(before)
		req := w.req("dev")
		req.Token = nil
		_, err := mfa.Session(ctx, req, w.options()...)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "locked")
		assert.Equal(t, before, w.creds())
		assert.Zero(t, w.stsCalls())
	})
}

func TestSessionWithoutSTSFactory(t *testing.T) {
	w := newWorld(t)
	w.writeCreds(w.longTerm("dev"))
	_, err := mfa.Session(context.Background(), w.req("dev"), mfa.WithClock(w.acct.Clock()), mfa.WithGetenv(w.getenv))
	require.ErrorContains(t, err, "WithSTS")
}

func TestNewSTSFactory(t *testing.T) {
	cfg := aws.Config{Region: "ap-northeast-1"}
	f := mfa.NewSTSFactory(cfg)
	creds := aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"}
	c := f(creds, "").(*sts.Client)
	assert.Equal(t, "ap-northeast-1", c.Options().Region)
	got, err := c.Options().Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AKIAEXAMPLE", got.AccessKeyID)
	assert.Equal(t, "eu-west-1", f(creds, "eu-west-1").(*sts.Client).Options().Region)
	assert.Equal(t, "us-east-1", mfa.NewSTSFactory(aws.Config{})(creds, "").(*sts.Client).Options().Region)
}

func TestParseExpiration(t *testing.T) {
	want := time.Date(2018, 11, 26, 3, 48, 22, 0, time.UTC)
	for _, s := range []string{
		"2018-11-26 03:48:22",
		" 2018-11-26 03:48:22 ",
		"2018-11-26T03:48:22Z",
		"2018-11-26T03:48:22+00:00",
		"2018-11-26T12:48:22+09:00",
		"2018-11-25T22:48:22-05:00",
		"2018-11-26 03:48:22+00:00",
		"2018-11-26T03:48:22",
	} {
		got, err := mfa.ParseExpiration(s)
		require.NoError(t, err, s)
		assert.True(t, want.Equal(got), s)
		assert.Equal(t, time.UTC, got.Location(), s)
	}
	got, err := mfa.ParseExpiration("2018-11-26T03:48:22.5Z")
	require.NoError(t, err)
	assert.Equal(t, want.Add(500*time.Millisecond), got)
	for _, s := range []string{"", "tomorrow", "2018-11-26", "26/11/2018 03:48:22", "2018-13-01 00:00:00"} {
		_, err := mfa.ParseExpiration(s)
		assert.Error(t, err, s)
	}
}

// notReady is a token source whose Ready (mfa.ReadyChecker) fails.
type notReady struct {
	mfa.TokenSource
	err error
}

func (n notReady) Ready(context.Context) error { return n.err }
