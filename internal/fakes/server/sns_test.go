package server_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/fakes/server"
)

// SNS is served in the query protocol, so the MFA-audit Lambda's
// notification goes through a real client: the message lands on the
// account's topic, errors come back typed, throttles are retried.
func TestSNSOverTheWire(t *testing.T) {
	ctx := context.Background()
	acct := fakes.NewAccount(fakes.WithRegion("eu-west-1"))
	srv, err := server.Start(acct, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	c := sns.NewFromConfig(srv.Config())

	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("mfa-audit")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sns:eu-west-1:"+acct.ID()+":mfa-audit", aws.ToString(topic.TopicArn))
	again, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("mfa-audit")})
	require.NoError(t, err)
	assert.Equal(t, topic.TopicArn, again.TopicArn, "CreateTopic is idempotent")

	acct.Throttle("sns:Publish", 1)
	out, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Subject: aws.String("MFA audit"), Message: aws.String("2 users without MFA\n")})
	require.NoError(t, err)
	assert.Equal(t, 2, acct.Calls("sns:Publish"), "the throttled call was retried by the SDK")
	msgs := acct.SNSMessages(aws.ToString(topic.TopicArn))
	require.Len(t, msgs, 1)
	assert.Equal(t, fakes.SNSMessage{MessageID: aws.ToString(out.MessageId), Subject: "MFA audit", Message: "2 users without MFA\n"}, msgs[0])

	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:eu-west-1:" + acct.ID() + ":gone"), Message: aws.String("x")})
	var nf *snstypes.NotFoundException
	assert.True(t, errors.As(err, &nf), "%v", err)
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("")})
	var ip *snstypes.InvalidParameterException
	assert.True(t, errors.As(err, &ip), "%v", err)
	_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("no spaces")})
	assert.True(t, errors.As(err, &ip), "%v", err)
	assert.Equal(t, []string{aws.ToString(topic.TopicArn)}, acct.SNSTopics())
}
