package iamkittest

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/iamuser"
)

// BenchmarkOnboard onboards one person (user, password, MFA enabled, one
// group) per iteration, in process and through a real *iam.Client on the
// server, and reports the IAM calls each onboarding makes.
func BenchmarkOnboard(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, acct *Account, api iamuser.API, opts ...iamuser.Option) {
		if _, err := acct.IAM().CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
			b.Fatal(err)
		}
		m := iamuser.New(api, opts...)
		acct.ResetCalls()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := m.Onboard(ctx, iamuser.Spec{UserName: fmt.Sprintf("user%d", i), Groups: []string{"devs"}}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(acct.CallsWithPrefix("iam:"))/float64(b.N), "calls/op")
	}
	b.Run("in-process", func(b *testing.B) {
		acct := NewAccount()
		run(b, acct, acct.IAM(), iamuser.WithClock(acct.Clock()))
	})
	b.Run("wire", func(b *testing.B) {
		srv, err := Start("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		run(b, srv.Account(), iam.NewFromConfig(srv.Config()))
	})
}
