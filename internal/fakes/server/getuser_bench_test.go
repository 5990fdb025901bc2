package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// BenchmarkGetUser is one IAM call in process and through a real client
// on the server: the cost of the wire per call.
func BenchmarkGetUser(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"in-process", "wire"} {
		b.Run(mode, func(b *testing.B) {
			acct := fakes.NewAccount(fakes.WithClock(fakes.NewRunningClock()))
			var api interface {
				GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error)
			} = acct.IAM()
			if mode == "wire" {
				srv, _ := start(b)
				acct = srv.Account()
				api = iam.NewFromConfig(srv.Config())
			}
			_, err := acct.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
			require.NoError(b, err)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
