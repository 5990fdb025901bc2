package server

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// The enhanced Cognito flow (GetId, GetCredentialsForIdentity) in process
// and through the real SDK client over the wire, side by side.
func BenchmarkCognitoEnhancedFlow(b *testing.B) {
	w := newWire(b)
	ctx := context.Background()
	out, err := w.acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("bench"), AllowUnauthenticatedIdentities: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	pool := out.IdentityPoolId
	wirePoolRoles(b, w, aws.ToString(pool))
	anon := cognitoidentity.NewFromConfig(w.config(), func(o *cognitoidentity.Options) { o.Credentials = aws.AnonymousCredentials{} })
	for _, tc := range []struct {
		name string
		api  federation.CognitoEnhancedAPI
	}{{"in-process", w.acct.Cognito()}, {"wire", anon}} {
		b.Run(tc.name, func(b *testing.B) {
			w.acct.ResetCalls()
			w.took()
			for b.Loop() {
				id, err := tc.api.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: pool})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tc.api.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.acct.CallsWithPrefix("cognito-identity:"))/float64(b.N), "calls/op")
			b.ReportMetric(float64(len(w.took()))/float64(b.N), "requests/op")
		})
	}
}

// A host's conditional snapshot GET answered 304, in process and over the
// wire.
func BenchmarkS3ConditionalGet(b *testing.B) {
	w := newWire(b)
	ctx := context.Background()
	f := w.acct.S3()
	if _, err := f.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")}); err != nil {
		b.Fatal(err)
	}
	put, err := f.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader(`{"users":[]}`)})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		api  s3snapshot.SnapshotGetAPI
	}{{"in-process", f}, {"wire", w.s3()}} {
		b.Run(tc.name, func(b *testing.B) {
			w.acct.ResetCalls()
			w.took()
			for b.Loop() {
				_, err := tc.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), IfNoneMatch: put.ETag})
				if httpStatus(err) != 304 {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.acct.Calls("s3:GetObject"))/float64(b.N), "calls/op")
			b.ReportMetric(float64(len(w.took()))/float64(b.N), "requests/op")
		})
	}
}
