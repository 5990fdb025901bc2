package hostsync

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/iamkit/iamkit/internal/awsname"
)

// DefaultIAMRegion is the region NewIAMClient signs IAM calls for when the
// AWS configuration names none: IAM is a global service, served from
// us-east-1 in the aws partition.
const DefaultIAMRegion = "us-east-1"

var (
	_ IAMAPI      = (*iam.Client)(nil)
	_ LiveKeysAPI = (*iam.Client)(nil)
)

// NewIAMClient builds the IAM client a host syncs and looks keys up with,
// from awsCfg (config.LoadDefaultConfig: on EC2, the instance role) and the
// host's configuration, the same way for every frontend:
//
//   - without a region in awsCfg, DefaultIAMRegion;
//   - under ASSUMEROLE (cfg.AssumeRole), the client's credentials are the
//     role's (AssumeRoleCredentials: assumed once, cached until shortly
//     before they expire), under the session name HostSessionName(hostname),
//     so that CloudTrail in the users' account tells the hosts apart; STS is
//     called with awsCfg's own credentials.
//
// Build it once and keep it across syncs, so that the role is not assumed
// again for every sync. It satisfies IAMAPI and LiveKeysAPI.
func NewIAMClient(awsCfg aws.Config, cfg Config, hostname string) *iam.Client {
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultIAMRegion
	}
	if cfg.AssumeRole != "" {
		awsCfg.Credentials = AssumeRoleCredentials(sts.NewFromConfig(awsCfg), cfg.AssumeRole, HostSessionName(hostname))
	}
	return iam.NewFromConfig(awsCfg)
}

// NewS3Client builds the S3 client the snapshot source and publisher use,
// from awsCfg (config.LoadDefaultConfig), the same way for every frontend:
// the SDK's "Response has no supported checksum" notice, which it would
// otherwise log for every GetObject of an object stored without a checksum,
// is off, so that a daemon's stderr stays its own structured log. It
// satisfies SnapshotGetAPI and SnapshotPublishAPI.
func NewS3Client(awsCfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(awsCfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.DisableLogOutputChecksumValidationSkipped = true
	}}, optFns...)...)
}

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
