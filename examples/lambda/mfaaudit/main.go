// Command mfaaudit is an AWS Lambda function that audits the account's IAM
// users for MFA on a schedule (an EventBridge rule such as rate(1 day)).
//
// Every identity that can sign in to the console or holds an active access
// key, and has no MFA device, is a finding (see mfa.Audit). Findings are
// written to the function's log as JSON lines and, when MFA_AUDIT_TOPIC_ARN
// is set, published to that SNS topic as a JSON message (split into parts
// under SNS's size limit). MFA_AUDIT_SOURCE=listing skips the credential
// report.
//
// The function's role needs iam:GenerateCredentialReport,
// iam:GetCredentialReport, and for the fallback iam:ListUsers,
// iam:GetLoginProfile, iam:ListAccessKeys, iam:ListMFADevices; and
// sns:Publish on the topic. Build for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./examples/lambda/mfaaudit
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
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/iamkit/iamkit/internal/version"
)

func main() {
	if version.Requested(os.Args[1:]) {
		version.Print(os.Stdout, "mfaaudit")
		return
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("version", version.Read().String())
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	var pub Publisher
	if os.Getenv(EnvTopicARN) != "" {
		pub = sns.NewFromConfig(cfg)
	}
	h, err := newHandler(iam.NewFromConfig(cfg), pub, os.Getenv, log)
	if err != nil {
		log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
