package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
)

// BenchmarkOnboard onboards one user (login profile, enabled MFA device,
// one group) per iteration, in process and through a real *iam.Client on
// the loopback server, side by side: ns/op, allocations, and IAM calls per
// onboarding (the same both ways).
func BenchmarkOnboard(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"in-process", "wire"} {
		b.Run(mode, func(b *testing.B) {
			acct := fakes.NewAccount(fakes.WithClock(fakes.NewRunningClock()))
			var api iamuser.API = acct.IAM()
			if mode == "wire" {
				srv, _ := start(b)
				acct = srv.Account()
				api = iam.NewFromConfig(srv.Config())
			}
			_, err := acct.IAM().CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
			require.NoError(b, err)
			m := iamuser.New(api)
			acct.ResetCalls()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := m.Onboard(ctx, iamuser.Spec{UserName: fmt.Sprintf("user%d", i), Groups: []string{"devs"}}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(acct.CallsWithPrefix("iam:"))/float64(b.N), "iam-calls/op")
		})
	}
}
