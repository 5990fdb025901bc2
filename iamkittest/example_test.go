package iamkittest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
)

// A test onboards a person with iamuser against the account in process,
// with the account's clock, then looks at what the account holds.
func ExampleNewAccount() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	if _, err := acct.IAM().CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		panic(err)
	}

	m := iamuser.New(acct.IAM(), iamuser.WithClock(acct.Clock()))
	res, err := m.Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"devs"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.UserARN)

	mfa, err := acct.IAM().ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	if err != nil {
		panic(err)
	}
	fmt.Println("MFA devices enabled:", len(mfa.MFADevices))
	groups, err := acct.IAM().ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	if err != nil {
		panic(err)
	}
	fmt.Println("groups:", aws.ToString(groups.Groups[0].GroupName))

	_, err = acct.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	var missing *types.NoSuchEntityException
	fmt.Println("bob is missing:", errors.As(err, &missing))
	fmt.Println("CreateUser calls:", acct.Calls("iam:CreateUser"))
	// Output:
	// arn:aws:iam::123456789012:user/alice
	// MFA devices enabled: 1
	// groups: devs
	// bob is missing: true
	// CreateUser calls: 1
}

// Faults are injected per operation: here the next two ListUsers calls are
// throttled, as the SDK reports it once its retries are exhausted, and
// GetUser acts as an endpoint that does not implement it.
func ExampleAccount_Throttle() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	acct.Throttle("iam:ListUsers", 2)
	acct.Disable("iam:GetUser")
	for range 3 {
		_, err := acct.IAM().ListUsers(ctx, &iam.ListUsersInput{})
		fmt.Println(err)
	}
	_, err := acct.IAM().GetUser(ctx, &iam.GetUserInput{})
	fmt.Println(err)
	// Output:
	// operation error IAM: ListUsers, api error Throttling: Rate exceeded
	// operation error IAM: ListUsers, api error Throttling: Rate exceeded
	// <nil>
	// operation error IAM: GetUser, api error InvalidAction: the operation GetUser is not implemented by this endpoint
}

// In a test, TestSystem takes the test's t:
//
//	func TestMySystem(t *testing.T) {
//		iamkittest.TestSystem(t, mySystem)
//	}
//
// Here it checks the fake host, which passes, and a System whose Lock does
// nothing, which does not.
func ExampleTestSystem() {
	t := &failures{}
	iamkittest.TestSystem(t, iamkittest.NewHost())
	fmt.Println("fake host failures:", len(t.errs))

	t = &failures{}
	iamkittest.TestSystem(t, noLock{iamkittest.NewHost()})
	fmt.Println(t.errs[0])
	// Output:
	// fake host failures: 0
	// TestSystem: LookupUser: iamkitt1 has Locked false, want true
}

// failures is a testing.TB that collects TestSystem's failures, to run it
// outside a test; in a test, pass t.
type failures struct {
	testing.TB
	errs []string
}

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// noLock is a hostsync.System whose Lock forgets to lock.
type noLock struct{ *iamkittest.Host }

func (noLock) Lock(context.Context, string) error { return nil }

var _ hostsync.System = noLock{}

// The fake host is the hostsync.System of tests: it starts as a typical
// cloud image, and shows what a sync changed.
func ExampleNewHost() {
	ctx := context.Background()
	h := iamkittest.NewHost()
	if err := h.CreateUser(ctx, "alice", 1_900_000_001, []string{"iam-synced-users"}); err != nil {
		panic(err)
	}
	if err := h.Lock(ctx, "alice"); err != nil {
		panic(err)
	}
	u, _ := h.User("alice")
	fmt.Println(u.Locked, h.Shell("alice"), slices.Contains(u.Groups, "iam-synced-users"))
	fmt.Println(h.Log())
	// Output:
	// true /sbin/nologin true
	// [CreateUser alice uid=1900000001 groups=iam-synced-users Lock alice]
}
