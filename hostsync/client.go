package hostsync

import (
	"github.com/iamkit/iamkit/internal/awsname"
)

// RoleAccount returns the account ID of an IAM role ARN (ASSUMEROLE, a
// publisher's --assume-role), parsed with aws/arn: the account whose users
// a sync or a publisher reads through that role. An ARN that is not an IAM
// role's is an error wrapping ErrInvalidValue.
func RoleAccount(roleARN string) (string, error) {
	a, err := awsname.RoleARN(roleARN)
	if err != nil {
		return "", errorf("%w: %w", ErrInvalidValue, err)
	}
	return a.AccountID, nil
}
