package fakes_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func TestLoseReply(t *testing.T) {
	ctx := context.Background()
	lost := errors.New("connection reset")
	tests := []struct {
		name      string
		loseReply bool
		wantMade  bool
	}{
		{"a failing call changes nothing", false, false},
		{"a lost reply is applied", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct, f := newIAM(t)
			mustCreateUser(t, f, "alice")
			acct.Inject("iam:CreateLoginProfile", fakes.Fault{Times: 1, Err: lost, LoseReply: tt.loseReply})
			out, err := f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Secret-Passw0rd-1234")})
			require.ErrorIs(t, err, lost)
			assert.Nil(t, out)
			_, err = f.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("alice")})
			assert.Equal(t, tt.wantMade, err == nil, "profile made: %v", err)

			// The fault is used up: the next call answers normally.
			_, err = f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Secret-Passw0rd-1234")})
			if tt.wantMade {
				var exists *types.EntityAlreadyExistsException
				require.ErrorAs(t, err, &exists)
			} else {
				require.NoError(t, err)
			}
		})
	}
	t.Run("a refused call returns its refusal", func(t *testing.T) {
		acct, f := newIAM(t)
		acct.Inject("iam:CreateAccessKey", fakes.Fault{Times: 1, Err: lost, LoseReply: true})
		_, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
		var nse *types.NoSuchEntityException
		require.ErrorAs(t, err, &nse)
	})
}

func TestGetAccessKeyLastUsed(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	k, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	id := k.AccessKey.AccessKeyId

	out, err := f.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: id})
	require.NoError(t, err)
	assert.Equal(t, "alice", aws.ToString(out.UserName))
	assert.Nil(t, out.AccessKeyLastUsed.LastUsedDate)
	assert.Equal(t, "N/A", aws.ToString(out.AccessKeyLastUsed.ServiceName))

	acct.RecordKeyUse(aws.ToString(id), "sts")
	out, err = f.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: id})
	require.NoError(t, err)
	require.NotNil(t, out.AccessKeyLastUsed.LastUsedDate)
	assert.Equal(t, acct.Clock().Now().UTC(), *out.AccessKeyLastUsed.LastUsedDate)
	assert.Equal(t, "sts", aws.ToString(out.AccessKeyLastUsed.ServiceName))

	_, err = f.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIANOTAKEY000000000")})
	var nse *types.NoSuchEntityException
	require.ErrorAs(t, err, &nse)
}

func TestUntagUser(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("infra")}, {Key: aws.String("Run"), Value: aws.String("x")}}})
	require.NoError(t, err)
	_, err = f.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"run", "absent"}})
	require.NoError(t, err)
	out, err := f.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, out.Tags, 1)
	assert.Equal(t, "team", aws.ToString(out.Tags[0].Key))
	_, err = f.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("alice")})
	require.Error(t, err)
}
