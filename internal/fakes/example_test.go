package fakes_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/iamkit/iamkit/internal/fakes"
)

// A test builds one account and hands its IAM service to the code under test
// wherever that code expects an *iam.Client-shaped interface.
func ExampleNewAccount() {
	ctx := context.Background()
	acct := fakes.NewAccount()
	svc := acct.IAM()

	out, err := svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/staff/")})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(out.User.Arn))

	_, err = svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	var exists *types.EntityAlreadyExistsException
	fmt.Println(errors.As(err, &exists))
	fmt.Println(acct.CallSummary())
	// Output:
	// arn:aws:iam::123456789012:user/staff/alice
	// true
	// iam:CreateUser=2
}

// The fake plays the part of the person's phone: the seed returned by
// CreateVirtualMFADevice gives the codes of two consecutive steps, so the
// device can be enabled at once.
func ExampleTOTP() {
	ctx := context.Background()
	acct := fakes.NewAccount()
	svc := acct.IAM()
	if _, err := svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		panic(err)
	}
	dev, err := svc.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	if err != nil {
		panic(err)
	}
	seed := string(dev.VirtualMFADevice.Base32StringSeed)
	now := acct.Clock().Now()
	_, err = svc.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
		UserName:            aws.String("alice"),
		SerialNumber:        dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(fakes.TOTP(seed, now.Add(-30*time.Second))),
		AuthenticationCode2: aws.String(fakes.TOTP(seed, now)),
	})
	fmt.Println(err)

	// Without removing the device first, DeleteUser is refused, as in IAM.
	_, err = svc.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	var conflict *types.DeleteConflictException
	fmt.Println(errors.As(err, &conflict))
	// Output:
	// <nil>
	// true
}

// Throttle makes the next calls to one operation fail the way the SDK reports
// throttling once its retries are exhausted.
func ExampleAccount_Throttle() {
	ctx := context.Background()
	acct := fakes.NewAccount()
	svc := acct.IAM()
	acct.Throttle("iam:ListUsers", 2)

	for range 3 {
		_, err := svc.ListUsers(ctx, &iam.ListUsersInput{})
		var ae smithy.APIError
		if errors.As(err, &ae) {
			fmt.Println(ae.ErrorCode())
		} else {
			fmt.Println(err)
		}
	}
	fmt.Println(acct.Calls("iam:ListUsers"))
	// Output:
	// Throttling
	// Throttling
	// <nil>
	// 3
}

// Inject fails chosen calls: here the second GetUser for bob only.
func ExampleAccount_Inject() {
	ctx := context.Background()
	acct := fakes.NewAccount()
	svc := acct.IAM()
	for _, name := range []string{"alice", "bob"} {
		if _, err := svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			panic(err)
		}
	}
	acct.Inject("iam:GetUser", fakes.Fault{
		Skip:  1,
		Times: 1,
		Err:   &types.ServiceFailureException{Message: aws.String("injected")},
		Match: func(in any) bool { return aws.ToString(in.(*iam.GetUserInput).UserName) == "bob" },
	})
	for _, name := range []string{"bob", "alice", "bob", "bob"} {
		_, err := svc.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		fmt.Println(name, err != nil)
	}
	// Output:
	// bob false
	// alice false
	// bob true
	// bob false
}

// A consistency window reproduces IAM's eventual consistency right after
// CreateUser; advancing the clock ends it without sleeping.
func ExampleAccount_SetConsistencyWindow() {
	ctx := context.Background()
	acct := fakes.NewAccount()
	svc := acct.IAM()
	acct.SetConsistencyWindow(5 * time.Second)
	if _, err := svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		panic(err)
	}

	_, err := svc.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	var missing *types.NoSuchEntityException
	fmt.Println(errors.As(err, &missing))

	acct.Clock().Advance(5 * time.Second)
	_, err = svc.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}

// The fake honours MaxItems and Marker, so the SDK's paginators work over it.
func ExampleIAM_ListUsers() {
	ctx := context.Background()
	svc := fakes.NewAccount().IAM()
	for _, name := range []string{"ann", "ben", "cy", "di", "ed"} {
		if _, err := svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			panic(err)
		}
	}
	p := iam.NewListUsersPaginator(svc, &iam.ListUsersInput{}, func(o *iam.ListUsersPaginatorOptions) { o.Limit = 2 })
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			panic(err)
		}
		var names []string
		for _, u := range page.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		fmt.Println(names, page.IsTruncated)
	}
	// Output:
	// [ann ben] true
	// [cy di] true
	// [ed] false
}

// Clock.Sleep moves the account's time forward at once.
func ExampleClock_Sleep() {
	clk := fakes.NewClock(fakes.DefaultStart)
	_ = clk.Sleep(context.Background(), 90*time.Second)
	fmt.Println(clk.Now().Format(time.RFC3339))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fmt.Println(clk.Sleep(ctx, time.Hour))
	// Output:
	// 2026-01-15T09:01:30Z
	// context canceled
}
