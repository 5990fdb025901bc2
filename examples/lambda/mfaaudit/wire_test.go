package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamkittest"
)

// The handler as deployed: real IAM and SNS clients, here on the fake
// account's loopback endpoint, so the credential report and the
// notification go through the SDK's serialisation, signing and retries.
func TestHandlerOverTheWire(t *testing.T) {
	ctx := context.Background()
	srv := iamkittest.NewServer(t, iamkittest.WithClock(iamkittest.NewClock(iamkittest.DefaultStart)))
	acct := srv.Account()
	acct.SetRootMFA(true)
	iamc, snsc := iam.NewFromConfig(srv.Config()), sns.NewFromConfig(srv.Config())
	for _, n := range []string{"bob", "dave"} {
		_, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n)})
		require.NoError(t, err)
	}
	_, err := iamc.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Correct-Horse-9")})
	require.NoError(t, err)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("mfa-audit")})
	require.NoError(t, err)

	var logs bytes.Buffer
	h, err := newHandler(iamc, snsc, env(map[string]string{EnvTopicARN: aws.ToString(topic.TopicArn)}), slog.New(slog.NewJSONHandler(&logs, nil)))
	require.NoError(t, err)
	h.clock = acct.Clock()
	acct.Throttle("sns:Publish", 1)
	res, err := h.Handle(ctx, event)
	require.NoError(t, err)
	assert.Equal(t, Result{Findings: 1, Published: 1, Topic: aws.ToString(topic.TopicArn)}, res)
	assert.Equal(t, 2, acct.Calls("sns:Publish"), "a throttled Publish is retried by the SDK")

	msgs := acct.SNSMessages(aws.ToString(topic.TopicArn))
	require.Len(t, msgs, 1)
	assert.Equal(t, "IAM MFA audit: 1 identity without MFA", msgs[0].Subject)
	var body report
	require.NoError(t, json.Unmarshal([]byte(msgs[0].Message), &body))
	require.Len(t, body.Findings, 1)
	assert.Equal(t, "bob", body.Findings[0].User)
	assert.True(t, body.Findings[0].PasswordEnabled)
}
