package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// httpStatus returns the HTTP status an SDK error came with.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestAuthenticationOfOtherProtocols checks that SigV4 verification lets
// real Cognito Identity and S3 clients through to their protocol's handler
// (whatever it answers), and reports failures in their protocol's shape.
func TestAuthenticationOfOtherProtocols(t *testing.T) {
	srv, _ := start(t)
	ctx := context.Background()
	bad := withCreds(srv, "AKIAUNKNOWNUNKNOWN12", strings.Repeat("x", 40), "")

	t.Run("s3 signed request passes", func(t *testing.T) {
		_, err := s3.NewFromConfig(srv.Config()).PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("snapshots"), Key: aws.String("hosts/a b+c/é.json"), Body: strings.NewReader(`{"v":1}`),
		})
		if err != nil {
			assert.NotEqual(t, http.StatusForbidden, httpStatus(err), "%v", err)
			var ae interface{ ErrorCode() string }
			if errors.As(err, &ae) {
				assert.NotContains(t, []string{"SignatureDoesNotMatch", "InvalidAccessKeyId", "XAmzContentSHA256Mismatch"}, ae.ErrorCode())
			}
		}
	})
	t.Run("s3 unknown key", func(t *testing.T) {
		_, err := s3.NewFromConfig(bad).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
		code, status := apiCode(t, err)
		assert.Equal(t, "InvalidAccessKeyId", code)
		assert.Equal(t, 403, status)
	})
	t.Run("s3 wrong secret", func(t *testing.T) {
		id, _ := srv.Account().RootAccessKey()
		_, err := s3.NewFromConfig(withCreds(srv, id, "wrong", "")).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
		code, status := apiCode(t, err)
		assert.Equal(t, "SignatureDoesNotMatch", code)
		assert.Equal(t, 403, status)
	})
	t.Run("cognito signed request passes", func(t *testing.T) {
		_, err := cognitoidentity.NewFromConfig(srv.Config()).DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-0000-0000-000000000000")})
		if err != nil {
			assert.NotEqual(t, http.StatusForbidden, httpStatus(err), "%v", err)
			var ae interface{ ErrorCode() string }
			if errors.As(err, &ae) {
				assert.NotContains(t, []string{"InvalidSignatureException", "UnrecognizedClientException", "MissingAuthenticationTokenException"}, ae.ErrorCode())
			}
		}
	})
	t.Run("cognito unsigned operation passes unsigned", func(t *testing.T) {
		cfg := srv.Config()
		cfg.Credentials = aws.AnonymousCredentials{}
		_, err := cognitoidentity.NewFromConfig(cfg).GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-0000-0000-000000000000")})
		if err != nil {
			var ae interface{ ErrorCode() string }
			if errors.As(err, &ae) {
				assert.NotEqual(t, "MissingAuthenticationTokenException", ae.ErrorCode())
			}
		}
	})
	t.Run("cognito unknown key", func(t *testing.T) {
		_, err := cognitoidentity.NewFromConfig(bad).DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String("us-east-1:x")})
		code, _ := apiCode(t, err)
		assert.Equal(t, "UnrecognizedClientException", code)
	})
	t.Run("cognito signed operation sent unsigned", func(t *testing.T) {
		cfg := srv.Config()
		cfg.Credentials = aws.AnonymousCredentials{}
		_, err := cognitoidentity.NewFromConfig(cfg).DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String("us-east-1:x")})
		code, _ := apiCode(t, err)
		assert.Equal(t, "MissingAuthenticationTokenException", code)
	})
}

// TestLatencyHonoursTheClientsContext: an injected latency longer than the
// client's deadline ends with the client's deadline, not a hung server.
func TestLatencyHonoursTheClientsContext(t *testing.T) {
	srv, acct := start(t)
	acct.SetLatency("iam:ListUsers", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := iam.NewFromConfig(srv.Config()).ListUsers(ctx, &iam.ListUsersInput{})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	acct.SetLatency("iam:ListUsers", 0)
	_, err = iam.NewFromConfig(srv.Config()).ListUsers(context.Background(), &iam.ListUsersInput{})
	require.NoError(t, err)
}
