package main

import (
	"context"
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
	log                 *slog.Logger
	seeded              bool
}

// splitList splits a comma- or space-separated list.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// newHandler builds the handler from its clients and the environment.
func newHandler(iamAPI iamsource.IAMAPI, s3API s3snapshot.SnapshotPublishAPI, getenv func(string) string, log *slog.Logger) (*handler, error) {
	h := &handler{
		s3:          s3API,
		cache:       hostsync.NewMemoryKeyBodyCache(),
		bucket:      getenv(EnvBucket),
		key:         getenv(EnvKey),
		account:     getenv(EnvAccountID),
		now:         time.Now,
		log:         log,
		kmsKey:      getenv(EnvKMSKeyID),
		bucketOwner: getenv(EnvExpectedBucketOwner),
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

// Handle publishes the snapshot for a scheduled event.
func (h *handler) Handle(ctx context.Context, ev events.CloudWatchEvent) (Result, error) {
	account, err := h.accountFor(ctx, ev)
	if err != nil {
		return Result{}, err
	}
	if !h.seeded {
		h.seeded = true
		h.seed(ctx, account)
	}
	object := "s3://" + h.bucket + "/" + h.key
	snap, err := iamsource.BuildSnapshot(ctx, h.src, account, h.now())
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
	h.log.InfoContext(ctx, "snapshot publisher: done", "object", object, "written", res.Written, "reason", res.Reason,
		"users", res.Users, "keys", res.Keys, "bytes", res.Size, "etag", res.ETag, "generation", res.Generation, "account", account)
	return out, nil
}
