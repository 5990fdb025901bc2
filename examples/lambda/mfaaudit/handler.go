package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/iamkit/iamkit"

	"github.com/iamkit/iamkit/mfa"
)

// Environment variables the function reads.
const (
	// EnvTopicARN is the SNS topic findings are published to; when unset,
	// findings are written as JSON log lines only.
	EnvTopicARN = "MFA_AUDIT_TOPIC_ARN"
	// EnvSource forces the audit's source: "credential-report" or "listing"
	// (default: the report, falling back to listing).
	EnvSource = "MFA_AUDIT_SOURCE"
)

// Publisher is the SNS method the handler calls. *sns.Client satisfies it.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ Publisher = (*sns.Client)(nil)

// maxMessageBytes keeps each SNS message under SNS's 256 KiB limit, with
// room for the envelope.
const maxMessageBytes = 240 * 1024

// handler runs one audit per invocation.
type handler struct {
	iam      mfa.AuditAPI
	sns      Publisher // nil: log only
	topicARN string
	source   mfa.AuditSource
	clock    iamkit.Clock
	log      *slog.Logger
	maxBytes int // per SNS message; maxMessageBytes unless a test shrinks it
}

// newHandler builds the handler from its clients and the environment.
func newHandler(iamAPI mfa.AuditAPI, pub Publisher, getenv func(string) string, log *slog.Logger) (*handler, error) {
	h := &handler{iam: iamAPI, clock: iamkit.SystemClock{}, log: log, maxBytes: maxMessageBytes}
	switch src := mfa.AuditSource(getenv(EnvSource)); src {
	case "", mfa.SourceCredentialReport, mfa.SourceListing:
		h.source = src
	default:
		return nil, fmt.Errorf("%s=%q: want %q or %q", EnvSource, src, mfa.SourceCredentialReport, mfa.SourceListing)
	}
	if topic := getenv(EnvTopicARN); topic != "" {
		if pub == nil {
			return nil, fmt.Errorf("%s is set but there is no SNS client", EnvTopicARN)
		}
		h.sns, h.topicARN = pub, topic
	}
	return h, nil
}

// Result is what an invocation returns (and Lambda records).
type Result struct {
	Findings  int    `json:"findings"`
	Published int    `json:"published_messages"`
	Topic     string `json:"topic,omitempty"`
}

// report is the JSON body of an SNS message.
type report struct {
	Title    string        `json:"title"`
	Account  string        `json:"account,omitempty"`
	Time     time.Time     `json:"time"`
	Part     int           `json:"part"`
	Parts    int           `json:"parts"`
	Total    int           `json:"total_findings"`
	Findings []mfa.Finding `json:"findings"`
}

// Handle runs the audit for a scheduled event and reports the findings.
func (h *handler) Handle(ctx context.Context, ev events.CloudWatchEvent) (Result, error) {
	opts := []mfa.Option{mfa.WithAuditSource(h.source), mfa.WithClock(h.clock), mfa.WithLogger(h.log)}
	// Leave the listing fallback time to run before Lambda's deadline.
	if dl, ok := ctx.Deadline(); ok {
		opts = append(opts, mfa.WithMaxWait(max(time.Until(dl)/3, time.Second)))
	}
	findings, err := mfa.Audit(ctx, h.iam, opts...)
	if err != nil {
		h.log.ErrorContext(ctx, "mfa audit failed", "error", err.Error())
		return Result{}, err
	}
	res := Result{Findings: len(findings), Topic: h.topicARN}
	for _, f := range findings {
		h.log.InfoContext(ctx, "mfa finding", "finding", f)
	}
	h.log.InfoContext(ctx, "mfa audit done", "findings", len(findings), "account", ev.AccountID)
	if h.sns == nil || len(findings) == 0 {
		return res, nil
	}

	now := h.clock.Now().UTC()
	chunks, err := h.chunk(findings)
	if err != nil {
		return res, err
	}
	for i, chunk := range chunks {
		body, err := json.Marshal(report{
			Title: title(len(findings)), Account: ev.AccountID, Time: now,
			Part: i + 1, Parts: len(chunks), Total: len(findings), Findings: chunk,
		})
		if err != nil {
			return res, err
		}
		subject := title(len(findings))
		if len(chunks) > 1 {
			subject = fmt.Sprintf("%s (%d/%d)", subject, i+1, len(chunks))
		}
		if _, err := h.sns.Publish(ctx, &sns.PublishInput{
			TopicArn: aws.String(h.topicARN),
			Subject:  aws.String(subject),
			Message:  aws.String(string(body)),
		}); err != nil {
			h.log.ErrorContext(ctx, "mfa audit: publishing failed", "topic", h.topicARN, "part", i+1, "error", err.Error())
			return res, fmt.Errorf("publishing to %s: %w", h.topicARN, err)
		}
		res.Published++
	}
	return res, nil
}

// title is the SNS subject: ASCII, under 100 characters.
func title(n int) string {
	if n == 1 {
		return "IAM MFA audit: 1 identity without MFA"
	}
	return fmt.Sprintf("IAM MFA audit: %d identities without MFA", n)
}

// chunk splits findings so that each message's JSON stays under maxBytes.
func (h *handler) chunk(findings []mfa.Finding) ([][]mfa.Finding, error) {
	const envelope = 512 // title, counts, time, account
	var (
		out  [][]mfa.Finding
		cur  []mfa.Finding
		size = envelope
	)
	for _, f := range findings {
		b, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		if len(cur) > 0 && size+len(b)+1 > h.maxBytes {
			out = append(out, cur)
			cur, size = nil, envelope
		}
		cur = append(cur, f)
		size += len(b) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}
