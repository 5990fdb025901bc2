// Command snapshotpublisher is an AWS Lambda function that publishes the
// hostsync snapshot of a fleet on a schedule (an EventBridge rule such as
// rate(10 minutes)): it reads the IAM users of the authorized groups, their
// groups and Active SSH keys once (iamsource.BuildSnapshot), and writes the
// snapshot to S3 only when it changed (s3snapshot.Publish). Hosts then sync
// from that one object (hostsyncd --snapshot s3://BUCKET/KEY) instead of
// each asking IAM.
//
// It also publishes on IAM's "AWS API Call via CloudTrail" events for the
// calls that change a snapshot (IAMEventNames in events.go: a user removed
// from a group, a key deactivated or deleted, a user deleted or renamed,
// ...), so that a change made in the console reaches hosts polling the
// snapshot within seconds. These events exist only in us-east-1, only for
// a trail logging management events, and are delivered best effort: the
// schedule stays the safety net. A burst coalesces: an event is skipped
// when a publish since read IAM after the call (DefaultEventMargin), and
// event-triggered publishes are at least DefaultEventSpacing apart, so 1,000
// events in 10 s cost at most four publishes (BenchmarkEventBurst measures
// it). A malformed, unrelated, duplicate or out-of-order event is logged
// and publishes nothing; it is never an error. A failed publish is: Lambda
// retries the invocation and the template alarms on the Errors metric.
//
// Environment: BUCKET (required), KEY (default hostsync/snapshot.json),
// KMS_KEY_ID, AUTHORIZED_GROUPS and SUDOERS_GROUPS (comma-separated; they
// must cover every host's IAM_AUTHORIZED_GROUPS and SUDOERS_GROUPS),
// ASSUMEROLE (read IAM in another account), ACCOUNT_ID, REFRESH_AFTER,
// EXPECTED_BUCKET_OWNER. See handler.go.
//
// Cost per run: one ListSSHPublicKeys per user plus the listing pages
// (GetGroup), and no GetSSHPublicKey for keys already published — a fresh
// execution environment seeds its key body cache from the snapshot in place
// — plus one or two S3 requests (a GetObject, and a PutObject when the
// snapshot changed or is due for its hourly refresh).
//
// The function's role needs iam:GetGroup (or iam:ListUsers without
// AUTHORIZED_GROUPS), iam:ListSSHPublicKeys, iam:GetSSHPublicKey;
// s3:GetObject and s3:PutObject on the one key; with KMS_KEY_ID,
// kms:GenerateDataKey and kms:Decrypt on the key. The CloudFormation
// template in examples/cloudformation deploys it. Build for the
// provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./examples/lambda/snapshotpublisher
//
// Run with --version, the binary prints the version it was built from and
// exits; every log line carries that version.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/version"
)

func main() {
	if version.Requested(os.Args[1:]) {
		version.Print(os.Stdout, "snapshotpublisher")
		return
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("version", version.Read().String())
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("loading AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	iamCfg := cfg.Copy()
	if role := os.Getenv(EnvAssumeRole); role != "" {
		iamCfg.Credentials = iamsource.AssumeRoleCredentials(sts.NewFromConfig(cfg), role, "iamkit-snapshot-publisher")
	}
	h, err := newHandler(iam.NewFromConfig(iamCfg), s3snapshot.NewS3Client(cfg), os.Getenv, log)
	if err != nil {
		log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
