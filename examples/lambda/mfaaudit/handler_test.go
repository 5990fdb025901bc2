package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// fakeSNS records what is published.
type fakeSNS struct {
	mu   sync.Mutex
	msgs []*sns.PublishInput
	err  error
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.msgs = append(f.msgs, in)
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprint(len(f.msgs)))}, nil
}

// account has bob (password, no MFA), carol (active key, no MFA), dave
// (nothing) and a root with MFA.
func account(t *testing.T) *fakes.Account {
	t.Helper()
	ctx := context.Background()
	acct := fakes.NewAccount()
	acct.SetRootMFA(true)
	api := acct.IAM()
	for _, n := range []string{"bob", "carol", "dave"} {
		_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n)})
		require.NoError(t, err)
	}
	_, err := api.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Correct-Horse-9")})
	require.NoError(t, err)
	_, err = api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	return acct
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var event = events.CloudWatchEvent{DetailType: "Scheduled Event", Source: "aws.events", AccountID: fakes.DefaultAccountID, Time: fakes.DefaultStart}

func newTestHandler(t *testing.T, acct *fakes.Account, pub Publisher, vars map[string]string) (*handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h, err := newHandler(acct.IAM(), pub, env(vars), slog.New(slog.NewJSONHandler(&logs, nil)))
	require.NoError(t, err)
	h.clock = acct.Clock()
	return h, &logs
}

// logLines decodes the JSON log lines.
func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func TestHandlerLogsWithoutTopic(t *testing.T) {
	acct := account(t)
	h, logs := newTestHandler(t, acct, nil, nil)
	res, err := h.Handle(context.Background(), event)
	require.NoError(t, err)
	assert.Equal(t, Result{Findings: 2}, res)

	var findings []string
	for _, l := range logLines(t, logs) {
		if l["msg"] == "mfa finding" {
			f := l["finding"].(map[string]any)
			findings = append(findings, f["user"].(string))
			assert.Equal(t, "credential-report", f["source"])
		}
	}
	assert.Equal(t, []string{"bob", "carol"}, findings)
	assert.Equal(t, 2, acct.Calls("iam:GenerateCredentialReport"))
}

func TestHandlerPublishes(t *testing.T) {
	acct := account(t)
	pub := &fakeSNS{}
	topic := "arn:aws:sns:us-east-1:123456789012:mfa-audit"
	h, _ := newTestHandler(t, acct, pub, map[string]string{EnvTopicARN: topic})
	res, err := h.Handle(context.Background(), event)
	require.NoError(t, err)
	assert.Equal(t, Result{Findings: 2, Published: 1, Topic: topic}, res)

	require.Len(t, pub.msgs, 1)
	msg := pub.msgs[0]
	assert.Equal(t, topic, aws.ToString(msg.TopicArn))
	assert.Equal(t, "IAM MFA audit: 2 identities without MFA", aws.ToString(msg.Subject))
	var body report
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(msg.Message)), &body))
	assert.Equal(t, 2, body.Total)
	assert.Equal(t, 1, body.Parts)
	assert.Equal(t, fakes.DefaultAccountID, body.Account)
	require.Len(t, body.Findings, 2)
	assert.Equal(t, "bob", body.Findings[0].User)
	assert.True(t, body.Findings[0].PasswordEnabled)
	assert.Equal(t, "carol", body.Findings[1].User)
	assert.Equal(t, 1, body.Findings[1].ActiveAccessKeys)
}

func TestHandlerNothingToReport(t *testing.T) {
	acct := fakes.NewAccount()
	acct.SetRootMFA(true)
	pub := &fakeSNS{}
	h, _ := newTestHandler(t, acct, pub, map[string]string{EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:t"})
	res, err := h.Handle(context.Background(), event)
	require.NoError(t, err)
	assert.Zero(t, res.Findings)
	assert.Empty(t, pub.msgs, "no message when all is well")
}

func TestHandlerSplitsLargeReports(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount()
	acct.SetRootMFA(true)
	for i := range 40 {
		name := fmt.Sprintf("user-%02d", i)
		_, err := acct.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		require.NoError(t, err)
		_, err = acct.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		require.NoError(t, err)
	}
	pub := &fakeSNS{}
	h, _ := newTestHandler(t, acct, pub, map[string]string{EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:t", EnvSource: "listing"})
	h.maxBytes = 2048
	res, err := h.Handle(ctx, event)
	require.NoError(t, err)
	assert.Equal(t, 40, res.Findings)
	assert.Greater(t, res.Published, 1)
	assert.Zero(t, acct.Calls("iam:GenerateCredentialReport"), "listing forced")

	seen := 0
	for i, m := range pub.msgs {
		assert.LessOrEqual(t, len(aws.ToString(m.Message)), h.maxBytes)
		assert.Equal(t, fmt.Sprintf("IAM MFA audit: 40 identities without MFA (%d/%d)", i+1, len(pub.msgs)), aws.ToString(m.Subject))
		var body report
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Message)), &body))
		assert.Equal(t, i+1, body.Part)
		assert.Equal(t, "listing", string(body.Findings[0].Source))
		seen += len(body.Findings)
	}
	assert.Equal(t, 40, seen)
}

func TestHandlerFailures(t *testing.T) {
	ctx := context.Background()

	t.Run("publish fails", func(t *testing.T) {
		acct := account(t)
		pub := &fakeSNS{err: &smithy.GenericAPIError{Code: "AuthorizationError", Message: "no"}}
		h, logs := newTestHandler(t, acct, pub, map[string]string{EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:t"})
		_, err := h.Handle(ctx, event)
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "AuthorizationError", ae.ErrorCode())
		assert.Contains(t, logs.String(), "publishing failed")
	})

	t.Run("audit fails", func(t *testing.T) {
		acct := account(t)
		acct.Throttle("iam:GenerateCredentialReport", 0)
		acct.Throttle("iam:ListUsers", 0)
		pub := &fakeSNS{}
		h, logs := newTestHandler(t, acct, pub, map[string]string{EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:t"})
		_, err := h.Handle(ctx, event)
		require.Error(t, err)
		assert.Empty(t, pub.msgs)
		assert.Contains(t, logs.String(), "mfa audit failed")
	})

	t.Run("report denied: listing instead", func(t *testing.T) {
		acct := account(t)
		acct.Inject("iam:GenerateCredentialReport", fakes.Fault{Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}})
		h, _ := newTestHandler(t, acct, nil, nil)
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		res, err := h.Handle(cctx, event)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Findings)
	})

	t.Run("bad configuration", func(t *testing.T) {
		acct := account(t)
		_, err := newHandler(acct.IAM(), nil, env(map[string]string{EnvSource: "magic"}), slog.Default())
		require.ErrorContains(t, err, EnvSource)
		_, err = newHandler(acct.IAM(), nil, env(map[string]string{EnvTopicARN: "arn"}), slog.Default())
		require.Error(t, err)
	})
}
