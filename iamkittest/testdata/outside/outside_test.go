// Package outside is a module of its own that uses iamkit as any importer
// does: iamkittest is its only way to a fake account.
package outside

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
)

// onboarder is the narrow interface a 20-line onboarding tool declares.
type onboarder interface {
	CreateUser(ctx context.Context, in *iam.CreateUserInput, optFns ...func(*iam.Options)) (*iam.CreateUserOutput, error)
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
}

var (
	_ onboarder = (*iam.Client)(nil)
	_ onboarder = (*iamkittest.IAM)(nil)
)

func TestOnboardInProcess(t *testing.T) {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	_, err := acct.IAM().CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	if err != nil {
		t.Fatal(err)
	}
	m := iamuser.New(acct.IAM(), iamuser.WithClock(acct.Clock()))
	if _, err := m.Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"devs"}}); err != nil {
		t.Fatal(err)
	}
	var c onboarder = acct.IAM()
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	var missing *types.NoSuchEntityException
	if !errors.As(err, &missing) {
		t.Fatalf("GetUser(bob) = %v, want NoSuchEntity", err)
	}
}

func TestOnboardThroughTheServer(t *testing.T) {
	ctx := context.Background()
	srv := iamkittest.NewServer(t)
	client := iam.NewFromConfig(srv.Config())
	if _, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob", "carol"} {
		if _, err := iamuser.New(client).Onboard(ctx, iamuser.Spec{UserName: name, Groups: []string{"devs"}}); err != nil {
			t.Fatalf("Onboard(%s): %v", name, err)
		}
	}
	var names []string
	pages := iam.NewListUsersPaginator(client, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if len(names) != 3 || names[0] != "alice" || names[2] != "carol" {
		t.Errorf("ListUsers pages = %v, want alice bob carol", names)
	}
	if n := srv.Account().Calls("iam:ListUsers"); n != 2 {
		t.Errorf("ListUsers was called %d times, want 2 pages", n)
	}

	_, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dave")})
	var missing *types.NoSuchEntityException
	if !errors.As(err, &missing) {
		t.Fatalf("GetUser(dave) = %v, want *types.NoSuchEntityException", err)
	}
}

func TestFakeHost(t *testing.T) {
	iamkittest.TestSystem(t, iamkittest.NewHost())
}
