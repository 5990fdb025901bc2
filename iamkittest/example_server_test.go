package iamkittest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
)

// A real *iam.Client reaches the server through srv.Config(): requests are
// serialised, signed, retried and decoded by the SDK, as against AWS.
// iamuser runs on its default (system) clock, and the server checks the
// MFA codes against the real time.
//
// In a test, srv := iamkittest.NewServer(t) is all it takes (the server is
// closed on the test's cleanup); an Example has no t, so this one uses
// Start and Close, which NewServer wraps.
func ExampleNewServer() {
	ctx := context.Background()
	srv, err := iamkittest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	client := iam.NewFromConfig(srv.Config())

	if _, err = client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		panic(err)
	}
	res, err := iamuser.New(client).Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"devs"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.UserARN)

	_, err = client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	var missing *types.NoSuchEntityException
	fmt.Println("bob is missing:", errors.As(err, &missing))
	fmt.Println("served CreateUser calls:", srv.Account().Calls("iam:CreateUser"))
	// Output:
	// arn:aws:iam::123456789012:user/alice
	// bob is missing: true
	// served CreateUser calls: 1
}
