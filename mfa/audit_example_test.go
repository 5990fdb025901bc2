package mfa_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/mfa"
)

// Audit on the fake account; with AWS, api would be iam.NewFromConfig(cfg)
// and the clock iamkit.SystemClock{}.
func ExampleAudit() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	api := acct.IAM()
	acct.SetRootMFA(true)
	for _, name := range []string{"bob", "carol", "dave"} {
		if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			fmt.Println(err)
			return
		}
	}
	// bob can sign in, carol has an access key, dave has neither.
	if _, err := api.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Correct-Horse-9")}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")}); err != nil {
		fmt.Println(err)
		return
	}

	findings, err := mfa.Audit(ctx, api, mfa.WithClock(acct.Clock()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range findings {
		fmt.Printf("%s (%s)\n", f.Summary(), f.Source)
	}
	// Output:
	// bob: console password, no MFA (credential-report)
	// carol: 1 active access key, no MFA (credential-report)
}
