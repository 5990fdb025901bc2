package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// Environment variables the function reads.
const (
	// EnvBucket is the bucket the snapshot is written to (required).
	EnvBucket = "BUCKET"
	// EnvKey is the object key (default DefaultKey).
	EnvKey = "KEY"
	// EnvKMSKeyID, when set, encrypts the object with SSE-KMS under this
	// key.
	EnvKMSKeyID = "KMS_KEY_ID"
	// EnvAuthorizedGroups are the IAM groups whose members the snapshot
	// lists (comma- or space-separated, like IAM_AUTHORIZED_GROUPS); empty
	// lists every IAM user. It must include every group any host
	// authorizes: hosts refuse a snapshot that does not cover theirs.
	EnvAuthorizedGroups = "AUTHORIZED_GROUPS"
	// EnvSudoersGroups are further groups whose membership the snapshot
	// records (SUDOERS_GROUPS); every group any host gives sudo through.
	EnvSudoersGroups = "SUDOERS_GROUPS"
	// EnvAssumeRole, when set, is the role to assume to read IAM in another
	// account (ASSUMEROLE); the snapshot then carries that account's ID.
	EnvAssumeRole = "ASSUMEROLE"
	// EnvAccountID overrides the account ID the snapshot carries (default:
	// the role's account under ASSUMEROLE, else the event's account).
	EnvAccountID = "ACCOUNT_ID"
	// EnvRefreshAfter is how old an unchanged snapshot may grow before it is
	// rewritten (a Go duration, default s3snapshot.DefaultSnapshotRefresh).
	EnvRefreshAfter = "REFRESH_AFTER"
	// EnvExpectedBucketOwner, when set, is the account that must own the
	// bucket.
	EnvExpectedBucketOwner = "EXPECTED_BUCKET_OWNER"
)

// DefaultKey is the object key when KEY is not set.
const DefaultKey = "hostsync/snapshot.json"

// handler publishes one snapshot per invocation. It lives as long as the
// Lambda execution environment, and so does its IAMSource's key body
// cache.
type handler struct {
	s3      s3snapshot.SnapshotPublishAPI
	src     *iamsource.IAMSource
	cache   *hostsync.MemoryKeyBodyCache
	bucket  string
	key     string
	account string // from the environment; "" = from the event
	// Publish options: KMS key, expected bucket owner, refresh age
	// (0 = s3snapshot.DefaultSnapshotRefresh).
	kmsKey, bucketOwner string
	refreshAfter        time.Duration
	now                 func() time.Time
	sleep               func(ctx context.Context, d time.Duration) error
	log                 *slog.Logger
	seeded              bool

	// IAM events (events.go): lastRead is when the last successful
	// publish started reading IAM; an event whose call is older than it by
	// eventMargin is covered and costs nothing. An uncovered event waits
	// until its call is eventMargin old and eventSpacing has passed since
	// the last read, so that a burst of events costs at most one publish
	// per eventSpacing.
	lastRead                  time.Time
	eventMargin, eventSpacing time.Duration
	published                 map[string]bool // IDs of events a publish covered
}

// Event coalescing defaults; see handler.lastRead.
const (
	// DefaultEventMargin is how long after an IAM call a read of IAM is
	// taken to see it (IAM's eventual consistency).
	DefaultEventMargin = 2 * time.Second
	// DefaultEventSpacing is the shortest time between two publishes
	// started by events.
	DefaultEventSpacing = 5 * time.Second
	// maxPublishedIDs bounds the event IDs remembered.
	maxPublishedIDs = 10000
)

// splitList splits a comma- or space-separated list.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// newHandler builds the handler from its clients and the environment.
func newHandler(iamAPI iamsource.IAMAPI, s3API s3snapshot.SnapshotPublishAPI, getenv func(string) string, log *slog.Logger) (*handler, error) {
	h := &handler{
		s3:      s3API,
		cache:   hostsync.NewMemoryKeyBodyCache(),
		bucket:  getenv(EnvBucket),
		key:     getenv(EnvKey),
		account: getenv(EnvAccountID),
		now:     time.Now,
		sleep:   iamkit.SystemClock{}.Sleep,
		log:     log,

		eventMargin:  DefaultEventMargin,
		eventSpacing: DefaultEventSpacing,
		published:    map[string]bool{},
		kmsKey:       getenv(EnvKMSKeyID),
		bucketOwner:  getenv(EnvExpectedBucketOwner),
	}
	if h.bucket == "" {
		return nil, fmt.Errorf("%s is not set", EnvBucket)
	}
	if h.key == "" {
		h.key = DefaultKey
	}
	if v := getenv(EnvRefreshAfter); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s=%q: want a positive duration such as 1h", EnvRefreshAfter, v)
		}
		h.refreshAfter = d
	}
	if role := getenv(EnvAssumeRole); role != "" && h.account == "" {
		acct, err := hostsync.RoleAccount(role)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvAssumeRole, err)
		}
		h.account = acct
	}
	cfg := hostsync.Config{
		AuthorizedGroups: splitList(getenv(EnvAuthorizedGroups)),
		SudoersGroups:    splitList(getenv(EnvSudoersGroups)),
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h.src = iamsource.NewIAMSource(iamAPI, cfg, hostsync.WithKeyBodyCache(h.cache), hostsync.WithLogger(log))
	return h, nil
}

// Result is what an invocation returns (and Lambda records).
type Result struct {
	Written bool   `json:"written"`
	Reason  string `json:"reason"`
	Object  string `json:"object"`
	ETag    string `json:"etag,omitempty"`
	Digest  string `json:"content_sha256"`
	// Generation is the generation of the object in place (written or
	// kept); hosts refuse any older one.
	Generation uint64 `json:"generation,omitempty"`
	Users      int    `json:"users"`
	Keys       int    `json:"keys"`
	Bytes      int    `json:"bytes"`
	// Trigger is what started the run: "schedule", or "iam:" and the
	// IAM call of a CloudTrail event.
	Trigger string `json:"trigger"`
	// Skipped says why nothing was published for an event: ignored,
	// malformed, duplicate or already covered.
	Skipped string `json:"skipped,omitempty"`
}

// accountFor returns the account ID the snapshot carries.
func (h *handler) accountFor(ctx context.Context, ev events.CloudWatchEvent) (string, error) {
	switch {
	case h.account != "":
		return h.account, nil
	case ev.AccountID != "":
		return ev.AccountID, nil
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		if a, err := arn.Parse(lc.InvokedFunctionArn); err == nil && a.AccountID != "" {
			return a.AccountID, nil
		}
	}
	return "", fmt.Errorf("no account ID: set %s", EnvAccountID)
}

// seed fills the empty key body cache of a fresh execution environment from
// the snapshot in place, so that a cold start does not fetch every key body
// from IAM again. Any failure only costs those calls.
func (h *handler) seed(ctx context.Context, account string) {
	in := &s3.GetObjectInput{Bucket: aws.String(h.bucket), Key: aws.String(h.key)}
	if h.bucketOwner != "" {
		in.ExpectedBucketOwner = aws.String(h.bucketOwner)
	}
	out, err := h.s3.GetObject(ctx, in)
	if err != nil {
		h.log.DebugContext(ctx, "snapshot publisher: no snapshot to seed the key body cache from", "error", err.Error())
		return
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, hostsync.MaxSnapshotSize+1))
	if err != nil {
		return
	}
	prev, err := hostsync.ParseSnapshot(data)
	if err != nil || prev.Account != account {
		h.log.WarnContext(ctx, "snapshot publisher: the snapshot in place is not usable; it will be replaced", "error", fmt.Sprint(err))
		return
	}
	n := prev.SeedKeyBodyCache(h.cache)
	h.log.DebugContext(ctx, "snapshot publisher: key body cache seeded from the snapshot in place", "keys", n)
}

// Handle publishes the snapshot for a scheduled event, or for an "AWS API
// Call via CloudTrail" event of one of the IAMEventNames unless a publish
// since covers it. An event that is malformed, about something else, a
// duplicate or already covered is logged and publishes nothing — never an
// error, so Lambda does not retry it. A failed publish is an error: Lambda
// retries the invocation (the function's asynchronous retries) and its
// Errors metric feeds the template's alarm.
func (h *handler) Handle(ctx context.Context, ev events.CloudWatchEvent) (Result, error) {
	object := "s3://" + h.bucket + "/" + h.key
	trigger := "schedule"
	var call iamCall
	if ev.DetailType == CloudTrailDetailType {
		var err error
		call, err = parseIAMEvent(ev)
		if err != nil {
			level, msg := slog.LevelWarn, "snapshot publisher: malformed event ignored; nothing published"
			if errors.Is(err, errIgnored) {
				level, msg = slog.LevelInfo, "snapshot publisher: event ignored"
			}
			h.log.Log(ctx, level, msg, "event_id", ev.ID, "reason", err.Error())
			return Result{Object: object, Trigger: "event", Skipped: err.Error()}, nil
		}
		trigger = "iam:" + call.Name
		h.log.InfoContext(ctx, "snapshot publisher: IAM event", "event_id", call.ID, "call", call.Name,
			"event_time", call.At.UTC().Format(time.RFC3339), "user", call.User, "group", call.Group)
		if why := h.covered(call); why != "" {
			h.log.InfoContext(ctx, "snapshot publisher: event covered; nothing to publish", "event_id", call.ID, "reason", why)
			return Result{Object: object, Trigger: trigger, Skipped: why}, nil
		}
		if err := h.waitForEvent(ctx, call); err != nil {
			return Result{Object: object, Trigger: trigger}, err
		}
	}
	res, err := h.publish(ctx, ev, object)
	res.Trigger = trigger
	if err == nil && call.ID != "" {
		if len(h.published) >= maxPublishedIDs {
			clear(h.published)
		}
		h.published[call.ID] = true
	}
	return res, err
}

// covered says why an IAM event needs no publish ("" when it needs one):
// a publish already covered this very event, or read IAM at least
// eventMargin after the call (so also an out-of-order event older than the
// last read).
func (h *handler) covered(c iamCall) string {
	switch {
	case c.ID != "" && h.published[c.ID]:
		return "duplicate: this event was published already"
	case !h.lastRead.IsZero() && !h.lastRead.Before(c.At.Add(h.eventMargin)):
		return "covered by the snapshot read at " + h.lastRead.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

// waitForEvent waits, on the handler's clock, until the call is
// eventMargin old (IAM shows it) and eventSpacing has passed since the
// last read: events queued meanwhile are then covered by this one read.
func (h *handler) waitForEvent(ctx context.Context, c iamCall) error {
	at := c.At.Add(h.eventMargin)
	if !h.lastRead.IsZero() {
		if next := h.lastRead.Add(h.eventSpacing); next.After(at) {
			at = next
		}
	}
	if d := at.Sub(h.now()); d > 0 {
		return h.sleep(ctx, d)
	}
	return nil
}

// publish reads IAM and publishes the snapshot.
func (h *handler) publish(ctx context.Context, ev events.CloudWatchEvent, object string) (Result, error) {
	account, err := h.accountFor(ctx, ev)
	if err != nil {
		return Result{}, err
	}
	if !h.seeded {
		h.seeded = true
		h.seed(ctx, account)
	}
	readAt := h.now()
	snap, err := iamsource.BuildSnapshot(ctx, h.src, account, readAt)
	if err != nil {
		// Nothing is published from an unknown source; the hosts keep the
		// snapshot in place until it is older than their MaxAge.
		h.log.ErrorContext(ctx, "snapshot publisher: reading IAM failed; nothing published", "error", err.Error())
		return Result{Object: object}, err
	}
	res, err := s3snapshot.Publish(ctx, h.s3, h.bucket, h.key, snap,
		hostsync.WithKMSKey(h.kmsKey), hostsync.WithExpectedBucketOwner(h.bucketOwner), hostsync.WithRefreshAfter(h.refreshAfter),
		hostsync.WithAbsenceConfirmer(h.src))
	out := Result{
		Written: res.Written, Reason: res.Reason, Object: object, ETag: res.ETag,
		Digest: res.Digest, Generation: res.Generation, Users: res.Users, Keys: res.Keys, Bytes: res.Size,
	}
	if err != nil {
		h.log.ErrorContext(ctx, "snapshot publisher: writing the snapshot failed", "object", object, "error", err.Error())
		return out, err
	}
	if readAt.After(h.lastRead) {
		h.lastRead = readAt
	}
	h.log.InfoContext(ctx, "snapshot publisher: done", "object", object, "written", res.Written, "reason", res.Reason,
		"users", res.Users, "keys", res.Keys, "bytes", res.Size, "etag", res.ETag, "generation", res.Generation, "account", account)
	return out, nil
}
