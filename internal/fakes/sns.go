package fakes

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// MaxSNSMessageSize is the largest message SNS publishes: 256 KB.
const MaxSNSMessageSize = 256 << 10

// SNSMessage is one message published to a topic of the fake SNS.
type SNSMessage struct {
	// MessageID is the ID Publish returned.
	MessageID string
	// Subject and Message are as published.
	Subject, Message string
}

// snsState is the account's SNS topics, by ARN (callers hold a.mu).
type snsState struct {
	topics map[string][]SNSMessage
}

// SNS is the account's Amazon SNS service, enough of it to publish
// notifications: CreateTopic (idempotent, as SNS's is), Publish and
// DeleteTopic. Published messages are kept per topic (Account.SNSMessages).
type SNS struct{ a *Account }

// SNS returns the account's SNS service.
func (a *Account) SNS() *SNS { return &SNS{a: a} }

var snsTopicNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`) })

func snsError(code, format string, args ...any) error {
	switch code {
	case "NotFound":
		return &types.NotFoundException{Message: aws.String(fmt.Sprintf(format, args...))}
	default:
		return &types.InvalidParameterException{Message: aws.String(fmt.Sprintf(format, args...))}
	}
}

// topicARN returns the ARN of topic name in the account's region.
func (a *Account) topicARN(name string) string {
	return fmt.Sprintf("arn:%s:sns:%s:%s:%s", a.partition, a.region, a.id, name)
}

// CreateTopic implements sns.Client.CreateTopic: a standard topic; creating
// an existing one returns its ARN.
func (f *SNS) CreateTopic(ctx context.Context, in *sns.CreateTopicInput, _ ...func(*sns.Options)) (*sns.CreateTopicOutput, error) {
	return call(ctx, f.a, "sns:CreateTopic", in, func() (*sns.CreateTopicOutput, error) {
		name := aws.ToString(in.Name)
		if !snsTopicNameRE().MatchString(name) {
			return nil, snsError("InvalidParameter", "Invalid parameter: Topic Name")
		}
		arn := f.a.topicARN(name)
		if f.a.sns.topics == nil {
			f.a.sns.topics = map[string][]SNSMessage{}
		}
		if _, ok := f.a.sns.topics[arn]; !ok {
			f.a.sns.topics[arn] = nil
		}
		return &sns.CreateTopicOutput{TopicArn: aws.String(arn)}, nil
	})
}

// DeleteTopic implements sns.Client.DeleteTopic (a missing topic is not an
// error, as in SNS).
func (f *SNS) DeleteTopic(ctx context.Context, in *sns.DeleteTopicInput, _ ...func(*sns.Options)) (*sns.DeleteTopicOutput, error) {
	return call(ctx, f.a, "sns:DeleteTopic", in, func() (*sns.DeleteTopicOutput, error) {
		delete(f.a.sns.topics, aws.ToString(in.TopicArn))
		return &sns.DeleteTopicOutput{}, nil
	})
}

// Publish implements sns.Client.Publish to a topic (TopicArn, or TargetArn
// naming a topic): the message must be non-empty valid UTF-8 of at most
// MaxSNSMessageSize bytes, the subject at most 100 characters; a missing
// topic is NotFound.
func (f *SNS) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return call(ctx, f.a, "sns:Publish", in, func() (*sns.PublishOutput, error) {
		arn := aws.ToString(in.TopicArn)
		if arn == "" {
			arn = aws.ToString(in.TargetArn)
		}
		msg, subject := aws.ToString(in.Message), aws.ToString(in.Subject)
		switch {
		case arn == "":
			return nil, snsError("InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
		case msg == "" || !utf8.ValidString(msg):
			return nil, snsError("InvalidParameter", "Invalid parameter: Message")
		case len(msg) > MaxSNSMessageSize:
			return nil, snsError("InvalidParameter", "Invalid parameter: Message too long")
		case utf8.RuneCountInString(subject) > 100:
			return nil, snsError("InvalidParameter", "Invalid parameter: Subject")
		}
		msgs, ok := f.a.sns.topics[arn]
		if !ok {
			return nil, snsError("NotFound", "Topic does not exist")
		}
		_, id, _ := strings.Cut(f.a.guid(), ":") // a UUID, as SNS's message IDs
		f.a.sns.topics[arn] = append(msgs, SNSMessage{MessageID: id, Subject: subject, Message: msg})
		return &sns.PublishOutput{MessageId: aws.String(id)}, nil
	})
}

// SNSMessages returns the messages published to the topic with ARN
// topicARN, oldest first.
func (a *Account) SNSMessages(topicARN string) []SNSMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]SNSMessage(nil), a.sns.topics[topicARN]...)
}

// SNSTopics returns the ARNs of the account's topics, sorted.
func (a *Account) SNSTopics() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.sns.topics))
	for arn := range a.sns.topics {
		out = append(out, arn)
	}
	sort.Strings(out)
	return out
}
