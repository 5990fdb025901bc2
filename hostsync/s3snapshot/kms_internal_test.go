package s3snapshot

import (
	"testing"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
)

func TestKMSMatches(t *testing.T) {
	const keyARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	kms := s3types.ServerSideEncryptionAwsKms
	tests := []struct {
		name, want, keyARN, recorded string
		sse                          s3types.ServerSideEncryption
		ok                           bool
	}{
		{name: "nothing wanted", sse: s3types.ServerSideEncryptionAes256, ok: true},
		{name: "the key's ARN", want: keyARN, sse: kms, keyARN: keyARN, ok: true},
		{name: "the key's ID", want: "1234abcd-12ab-34cd-56ef-1234567890ab", sse: kms, keyARN: keyARN, ok: true},
		{name: "DSSE", want: "1234abcd-12ab-34cd-56ef-1234567890ab", sse: s3types.ServerSideEncryptionAwsKmsDsse, keyARN: keyARN, ok: true},
		{name: "an alias recorded by Publish", want: "alias/fleet", sse: kms, keyARN: keyARN, recorded: "alias/fleet", ok: true},
		{name: "another key", want: "ffff", sse: kms, keyARN: keyARN},
		{name: "a suffix of the ID", want: "1234567890ab", sse: kms, keyARN: keyARN},
		{name: "not KMS", want: keyARN, sse: s3types.ServerSideEncryptionAes256, keyARN: keyARN},
		{name: "not a KMS ARN", want: "k", sse: kms, keyARN: "arn:aws:s3:::bucket/key/k"},
		{name: "not an ARN", want: "k", sse: kms, keyARN: "garbage:key/k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.ok, kmsMatches(tt.want, tt.sse, tt.keyARN, tt.recorded))
		})
	}
}
