package iamuser_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
)

// With AWS: build the client as the AWS CLI would (profiles, SSO,
// environment variables, instance roles, AWS_ENDPOINT_URL), onboard, and
// hand over the bundle. This Example is compiled but not run: it needs an
// AWS account.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	m := iamuser.New(iam.NewFromConfig(cfg))
	res, err := m.Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"developers"}})
	if err != nil {
		log.Fatal(err) // a *iamuser.StepError: re-run to resume
	}
	fmt.Println(res)                             // the steps, without secrets
	_, err = res.WriteBundle("iamkit-out/alice") // password, MFA secret, QR code: mode 0600
	if err != nil {
		log.Fatal(err)
	}
}

// In a test, in process: the account from iamkittest satisfies
// iamuser.OnboardAPI, and its manual clock, handed to iamuser, means the MFA
// pairing never waits.
func ExampleNew_inProcess() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	m := iamuser.New(acct.IAM(), iamuser.WithClock(acct.Clock()))
	res, err := m.Onboard(ctx, iamuser.Spec{UserName: "alice"})
	fmt.Println(res.UserARN, res.MFASerial, err)
	// Output:
	// arn:aws:iam::123456789012:user/alice arn:aws:iam::123456789012:mfa/alice <nil>
}

// In a test, over the wire: a real *iam.Client talks to a loopback endpoint
// serving the same fake account over IAM's query protocol, so the SDK's
// signing, serialisation, retries and error decoding all run. iamuser keeps
// its default (system) clock; the server checks the MFA codes against the
// real time. In a test function, srv := iamkittest.NewServer(t) replaces
// Start and Close (the server is closed on the test's cleanup).
func ExampleNew_overTheWire() {
	ctx := context.Background()
	srv, err := iamkittest.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	res, err := iamuser.New(iam.NewFromConfig(srv.Config())).Onboard(ctx, iamuser.Spec{UserName: "alice"})
	fmt.Println(res.UserARN, res.MFASerial, err)
	fmt.Println("CreateUser calls served:", srv.Account().Calls("iam:CreateUser"))
	// Output:
	// arn:aws:iam::123456789012:user/alice arn:aws:iam::123456789012:mfa/alice <nil>
	// CreateUser calls served: 1
}
