package federation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/mfa"
)

// Every error the package returns starts with "federation: " once, the
// sentinels included (they are returned wrapped).
func TestErrorPrefixOnce(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	longTerm := mfa.Credentials{Credentials: aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s"}, Provenance: mfa.Provenance{Kind: mfa.KindLongTerm}}
	_, partErr := federation.LookupPartition("aws-iso")
	_, ofErr := federation.PartitionOf("not an arn")
	_, destErr := federation.CheckDestination("aws", "http://evil.example.com/")
	errs := map[string]error{
		"CheckCredentials":     federation.CheckCredentials(longTerm, 0, now),
		"CheckSessionDuration": federation.CheckSessionDuration(mfa.KindFederationToken, time.Hour),
		"LookupPartition":      partErr,
		"PartitionOf":          ofErr,
		"CheckDestination":     destErr,
	}
	for name, err := range errs {
		require.Error(t, err, name)
		assert.True(t, strings.HasPrefix(err.Error(), "federation: "), "%s: %v", name, err)
		assert.Equal(t, 1, strings.Count(err.Error(), "federation:"), "%s: %v", name, err)
	}
	assert.ErrorIs(t, errs["CheckCredentials"], federation.ErrLongTermCredentials)
	assert.ErrorIs(t, errs["PartitionOf"], federation.ErrInvalidRequest)
}
