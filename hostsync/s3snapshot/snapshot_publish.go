package s3snapshot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/iamkit/iamkit/hostsync"
)

// SnapshotPublishAPI is the part of the S3 client Publish calls, with the
// SDK's signatures. *s3.Client satisfies it, and so does the fake account of
// iamkittest (Account.S3). The publisher needs s3:GetObject and s3:PutObject on the
// one key, and with SSE-KMS kms:GenerateDataKey and kms:Decrypt on the key.
type SnapshotPublishAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ SnapshotPublishAPI = (*s3.Client)(nil)

// DefaultSnapshotRefresh is Publish's WithRefreshAfter default: an
// unchanged snapshot is rewritten (with a new generated_at) once it is an
// hour old, so hosts can tell a quiet fleet from a dead publisher. It must
// stay well below the hosts' snapshot WithMaxAge
// (DefaultSnapshotMaxAge).
const DefaultSnapshotRefresh = time.Hour

// User metadata Publish stores on the snapshot object, for people and tools
// (aws s3api head-object); S3 returns the keys in lower case. Publish itself
// decides from the object's content, not from its metadata.
const (
	// SnapshotMetaDigest holds the snapshot's content_sha256.
	SnapshotMetaDigest = "iamkit-content-sha256"
	// SnapshotMetaGeneratedAt holds its generated_at, RFC 3339.
	SnapshotMetaGeneratedAt = "iamkit-generated-at"
	// SnapshotMetaGeneration holds its generation, in decimal.
	SnapshotMetaGeneration = "iamkit-generation"
	// SnapshotMetaKMSKey holds the KMS key Publish asked to encrypt with,
	// when one was given (S3 reports the key's ARN, not an alias).
	SnapshotMetaKMSKey = "iamkit-kms-key"
)

// PublishResult says what Publish did.
type PublishResult struct {
	// Written is true when the object was (re)written.
	Written bool
	// Reason says why it was or was not written: "unchanged", "content
	// changed", "no object yet", "refresh: 1h0m0s old", ...
	Reason string
	// ETag is the ETag of the object now in place (as S3 reports it, quoted).
	ETag string
	// VersionID is the version written, on a versioned bucket.
	VersionID string
	// Digest is the snapshot's content_sha256.
	Digest string
	// Generation is the generation of the object now in place: the one
	// written, or the one kept.
	Generation uint64
	// Size is the size in bytes of the object (gzip-compressed under a
	// ".gz" key).
	Size int
	// Users and Keys count the snapshot's users and keys.
	Users, Keys int
}

// maxPublishAttempts bounds how often Publish re-reads the object and
// retries after losing the race for it to another writer.
const maxPublishAttempts = 3

// Publish writes the snapshot to s3://bucket/key — only when it changed.
// A key ending in ".gz" gets the document compressed with gzip
// (hostsync.GzipSnapshot: about 30% of the JSON's size, deterministic, so
// an unchanged snapshot keeps its ETag); readers of this version accept
// both forms whatever the key (DecodeSnapshot), so move hosts to a ".gz"
// key once they all run it.
//
// It first reads the object in place (one GetObject) and parses it: when it
// is a valid snapshot with the same content (Digest), encrypted as asked,
// and younger than WithRefreshAfter (default DefaultSnapshotRefresh; its
// generated_at against snap's),
// nothing is written and the object — bytes, generated_at and ETag — stays
// as it is, so hosts' conditional GETs keep answering 304. When it holds
// other content read from IAM after snap (a racing publisher's, at most a
// few minutes newer), nothing is written either: the newer read wins.
// Otherwise (no
// object; an object that cannot be read — S3 answers 403 rather than 404 for
// a missing key to a caller without s3:ListBucket —; one that does not
// parse, was edited, holds other content, is encrypted otherwise or is old)
// it writes the document (MarshalSnapshot) with PutObject: content type
// application/json, Cache-Control no-cache, the SnapshotMeta* metadata, and
// SSE-KMS under WithKMSKey's key when set.
//
// Generations: the document written has a Generation greater than the
// object it replaces (see Snapshot.Generation; snap itself is not
// modified), and the PutObject is conditional on what was read: If-Match
// with the ETag read, or If-None-Match "*" when there was no object or it
// could not be read (so an object that exists but could not be read is
// never overwritten blindly: the write fails and the next round reads it
// again). Of two publishers racing for the object, the second
// write fails (412 PreconditionFailed, or 409 ConditionalRequestConflict)
// and that publisher reads the object again and decides again — at most
// three rounds, then an error wrapping ErrSnapshotConflict. Generations
// thus strictly increase from one object to the next, and hosts refuse
// any object older than the one they applied.
//
// Deciding from the content rather than from metadata costs the publisher
// one download per run, and makes sure that an object replaced by hand (or
// by a tool that keeps the old metadata) is repaired at the next run.
//
// Retries of failed requests are the SDK's (build the client with the
// retryer you want). A failed write returns its error; the previous object
// stays in place.
//
// With WithAbsenceConfirmer, the users the object in place lists and snap
// does not are confirmed gone from IAM first (ConfirmDropped); when one is
// not, nothing is written and the error wraps ErrNotAbsent (or the read's
// error): hosts keep the snapshot they have.
//
// Publish reads the options WithKMSKey, WithRefreshAfter,
// WithExpectedBucketOwner and WithAbsenceConfirmer.
func Publish(ctx context.Context, api SnapshotPublishAPI, bucket, key string, snap *hostsync.Snapshot, opts ...hostsync.Option) (PublishResult, error) {
	o := hostsync.ResolveOptions(opts...)
	if _, err := hostsync.MarshalSnapshot(snap); err != nil {
		return PublishResult{}, hserr.Errorf("publish: %w", err)
	}
	var res PublishResult
	var err error
	for range maxPublishAttempts {
		res, err = publishOnce(ctx, api, bucket, key, snap, o)
		if err == nil || !isWriteConflict(err) || ctx.Err() != nil {
			return res, err
		}
	}
	return res, hserr.Errorf("publish: %w: %d attempts lost the race for s3://%s/%s; last: %w",
		hostsync.ErrSnapshotConflict, maxPublishAttempts, bucket, key, err)
}

// publishOnce reads the object in place and writes snap over it if need
// be, conditionally on what it read; see Publish.
func publishOnce(ctx context.Context, api SnapshotPublishAPI, bucket, key string, snap *hostsync.Snapshot, o hostsync.Settings) (PublishResult, error) {
	digest := snap.Digest()
	res := PublishResult{Digest: digest, Users: len(snap.Users), Keys: snap.KeyCount()}
	refresh := o.RefreshAfter
	if refresh <= 0 {
		refresh = DefaultSnapshotRefresh
	}

	var prevETag string
	var prevGen uint64
	cur, err := api.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ExpectedBucketOwner: nonEmpty(o.ExpectedBucketOwner),
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return res, hserr.Errorf("publish: reading s3://%s/%s: %w", bucket, key, err)
	case err != nil && isS3NotFound(err):
		res.Reason = "no object yet"
	case err != nil:
		res.Reason = "the object in place could not be read (" + err.Error() + ")"
	default:
		prevETag = aws.ToString(cur.ETag)
		prevData, rerr := io.ReadAll(io.LimitReader(cur.Body, hostsync.MaxSnapshotSize+1))
		cur.Body.Close()
		prev, perr := hostsync.ParseSnapshot(prevData)
		if perr == nil {
			prevGen = prev.Generation
		}
		switch {
		case rerr != nil:
			res.Reason = "the object in place could not be read (" + rerr.Error() + ")"
		case perr != nil:
			res.Reason = "the object in place is not a valid snapshot (" + perr.Error() + ")"
		case prev.Digest() != digest:
			if ahead := prev.GeneratedAt.Sub(snap.GeneratedAt); ahead > 0 && ahead <= maxSnapshotSkew {
				res.Reason = "a newer snapshot is in place (generated at " + prev.GeneratedAt.UTC().Format(time.RFC3339) + ")"
				res.ETag, res.Generation, res.Size = prevETag, prev.Generation, len(prevData)
				return res, nil
			}
			if o.Confirmer != nil {
				if err := hostsync.ConfirmDropped(ctx, o.Confirmer, prev.Desired(), snap.Desired()); err != nil {
					return res, hserr.Errorf("publish: users dropped from the snapshot are not confirmed gone from IAM; nothing written: %w", err)
				}
			}
			res.Reason = "content changed"
		case !kmsMatches(o.KMSKeyID, cur.ServerSideEncryption, aws.ToString(cur.SSEKMSKeyId), cur.Metadata[SnapshotMetaKMSKey]):
			res.Reason = "encryption changed"
		default:
			age := snap.GeneratedAt.Sub(prev.GeneratedAt)
			switch {
			case age >= refresh:
				res.Reason = "refresh: " + age.String() + " old"
			case age < -maxSnapshotSkew:
				res.Reason = "the object in place is from the future"
			default:
				res.Reason = "unchanged"
				res.ETag, res.Generation, res.Size = prevETag, prev.Generation, len(prevData)
				return res, nil
			}
		}
	}

	w := *snap
	w.Generation = nextGeneration(prevGen, snap.GeneratedAt, snap.Generation)
	data, err := hostsync.MarshalSnapshot(&w)
	if err != nil {
		return res, hserr.Errorf("publish: %w", err)
	}
	contentType := "application/json"
	if strings.HasSuffix(key, ".gz") {
		if data, err = hostsync.GzipSnapshot(data); err != nil {
			return res, hserr.Errorf("publish: %w", err)
		}
		contentType = "application/gzip"
	}
	res.Size, res.Generation = len(data), w.Generation
	in := &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String(contentType),
		CacheControl:  aws.String("no-cache"),
		Metadata: map[string]string{
			SnapshotMetaDigest:      digest,
			SnapshotMetaGeneratedAt: snap.GeneratedAt.UTC().Format(time.RFC3339),
			SnapshotMetaGeneration:  strconv.FormatUint(w.Generation, 10),
		},
		ExpectedBucketOwner: nonEmpty(o.ExpectedBucketOwner),
	}
	if prevETag != "" {
		in.IfMatch = aws.String(prevETag)
	} else {
		in.IfNoneMatch = aws.String("*")
	}
	if o.KMSKeyID != "" {
		in.Metadata[SnapshotMetaKMSKey] = o.KMSKeyID
		in.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(o.KMSKeyID)
	}
	out, err := api.PutObject(ctx, in)
	if err != nil {
		return res, hserr.Errorf("publish: writing s3://%s/%s: %w", bucket, key, err)
	}
	res.Written = true
	res.ETag = aws.ToString(out.ETag)
	res.VersionID = aws.ToString(out.VersionId)
	return res, nil
}

// kmsMatches reports whether an object's encryption satisfies a wanted KMS
// key: any encryption when none is wanted (the bucket's default may be
// SSE-KMS itself); otherwise SSE-KMS under the key, which S3 reports by ARN
// (so a wanted key ID matches the ARN's "key/ID", and a wanted alias matches
// through the metadata Publish recorded).
func kmsMatches(want string, sse s3types.ServerSideEncryption, keyARN, recorded string) bool {
	if want == "" {
		return true
	}
	if sse != s3types.ServerSideEncryptionAwsKms && sse != s3types.ServerSideEncryptionAwsKmsDsse {
		return false
	}
	if keyARN == want || recorded == want {
		return true
	}
	// A wanted key ID matches the resource "key/ID" of the key's ARN.
	a, err := arn.Parse(keyARN)
	return err == nil && a.Service == "kms" && a.Resource == "key/"+want
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// isS3NotFound reports whether err is S3's answer for a missing object:
// NoSuchKey (GetObject), NotFound (HeadObject) or a 404.
func isS3NotFound(err error) bool {
	var nsk *s3types.NoSuchKey
	var nf *s3types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	return httpStatusOf(err) == 404
}

// httpStatusOf returns the HTTP status of an SDK error, or 0.
func httpStatusOf(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// ParseS3URL splits "s3://bucket/key" into bucket and key.
func ParseS3URL(u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", hserr.Errorf("%q is not an s3://bucket/key URL", u)
	}
	bucket, key, ok = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", hserr.Errorf("%q is not an s3://bucket/key URL", u)
	}
	return bucket, key, nil
}
