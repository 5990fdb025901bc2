package iamuser_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
)

// Onboard a person on the in-memory account: user, password with forced
// reset, MFA enabled at once, group. With a real account, pass an *iam.Client
// built from config.LoadDefaultConfig instead of the fake.
func ExampleManager_Onboard() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	api := acct.IAM()
	_, _ = api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("developers")})

	m := iamuser.New(api, iamuser.WithClock(acct.Clock()))
	res, err := m.Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"developers"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.UserARN)
	fmt.Println("MFA:", res.MFASerial)
	fmt.Println("password reset required:", res.PasswordResetRequired)
	fmt.Println("sign in at", res.SignInURL)
	// Output:
	// arn:aws:iam::123456789012:user/alice
	// MFA: arn:aws:iam::123456789012:mfa/alice
	// password reset required: true
	// sign in at https://123456789012.signin.aws.amazon.com/console
}

// Plan an offboarding, print it as a dry run, then apply it.
func ExampleOffboarder_PlanOffboard() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	m := iamuser.New(acct.IAM(), iamuser.WithClock(acct.Clock()))
	if _, err := m.Onboard(ctx, iamuser.Spec{UserName: "bob", AccessKey: true}); err != nil {
		fmt.Println(err)
		return
	}
	off := iamuser.NewOffboarder(acct.IAM())
	plan, err := off.PlanOffboard(ctx, "bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Access key IDs vary; print the action kinds.
	for _, a := range plan.Actions {
		fmt.Println(a.Kind)
	}
	rep, err := off.ApplyOffboard(ctx, plan)
	fmt.Println("gone:", rep.Verified, err)
	// Output:
	// DeleteLoginProfile
	// DeleteAccessKey
	// DeactivateMFADevice
	// DeleteVirtualMFADevice
	// DeleteUser
	// gone: true <nil>
}

// Onboard a batch from CSV; a bad row would stop the batch before any call.
func ExampleParseCSV() {
	rows, err := iamuser.ParseCSV(strings.NewReader("user_name,groups,access_key\ncarol,ops;dev,true\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("line %d: %s groups=%v access key=%v\n", rows[0].Line, rows[0].Spec.UserName, rows[0].Spec.Groups, rows[0].Spec.AccessKey)
	_, err = iamuser.ParseCSV(strings.NewReader("user_name\nbad name\n"))
	fmt.Println(err)
	// Output:
	// line 2: carol groups=[ops dev] access key=true
	// iamuser: CSV line 2: invalid user name "bad name": may contain only letters, digits and _+=,.@-
}
