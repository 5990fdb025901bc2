package s3snapshot

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

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
