package iamsource

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/iamkit/iamkit/hostsync"
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
func NewIAMClient(awsCfg aws.Config, cfg hostsync.Config, hostname string) *iam.Client {
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultIAMRegion
	}
	if cfg.AssumeRole != "" {
		awsCfg.Credentials = AssumeRoleCredentials(sts.NewFromConfig(awsCfg), cfg.AssumeRole, hostsync.HostSessionName(hostname))
	}
	return iam.NewFromConfig(awsCfg)
}
