package fakes

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// RecordKeyUse notes that accessKeyID, an IAM user's access key, signed a
// request to service ("iam", "sts", "s3", ...) at the account clock's time,
// as AWS does for GetAccessKeyLastUsed. The loopback server records every
// request it authenticates; an in-process test calls it to model a key
// someone used. Other keys are ignored.
func (a *Account) RecordKeyUse(accessKeyID, service string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.iam.accessKeyOwner[accessKeyID]; !ok {
		return
	}
	a.iam.keyLastUsed[accessKeyID] = types.AccessKeyLastUsed{
		LastUsedDate: aws.Time(a.clock.Now().UTC()),
		ServiceName:  aws.String(service),
		Region:       aws.String(a.region),
	}
}

// GetAccessKeyLastUsed implements iam.Client.GetAccessKeyLastUsed: a key
// never used answers ServiceName and Region "N/A" and no LastUsedDate, as
// AWS does.
func (f *IAM) GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, _ ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	a := f.a
	return call(ctx, a, "iam:GetAccessKeyLastUsed", in, func() (*iam.GetAccessKeyLastUsedOutput, error) {
		id := aws.ToString(in.AccessKeyId)
		owner, ok := a.iam.accessKeyOwner[id]
		if !ok {
			return nil, &types.NoSuchEntityException{Message: msg("The Access Key with id %s cannot be found.", id)}
		}
		used, ok := a.iam.keyLastUsed[id]
		if !ok {
			used = types.AccessKeyLastUsed{ServiceName: aws.String("N/A"), Region: aws.String("N/A")}
		}
		name := owner
		if u, ok := a.iam.users[owner]; ok {
			name = u.name
		}
		return &iam.GetAccessKeyLastUsedOutput{UserName: aws.String(name), AccessKeyLastUsed: &used}, nil
	})
}

// UntagUser implements iam.Client.UntagUser: removing a key the user does
// not carry is not an error.
func (f *IAM) UntagUser(ctx context.Context, in *iam.UntagUserInput, _ ...func(*iam.Options)) (*iam.UntagUserOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UntagUser", in, func() (*iam.UntagUserOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		if len(in.TagKeys) == 0 {
			return nil, invalidInput("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
		}
		kept := u.tags[:0:0]
		for _, t := range u.tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || strings.EqualFold(aws.ToString(t.Key), k)
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		u.tags = kept
		return &iam.UntagUserOutput{}, nil
	})
}
