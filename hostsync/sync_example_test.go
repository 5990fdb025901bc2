package hostsync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/iamkittest"
)

// Sync a host from live IAM: members of the "ssh" group get an account and
// their Active keys, members of "admins" sudo. A real frontend passes
// iam.NewFromConfig(awsCfg) where this example passes the fake account.
func ExampleSync() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	svc := acct.IAM()
	for _, g := range []string{"ssh", "admins"} {
		_, _ = svc.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})
	}
	_, _ = svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice@corp.com")})
	for _, g := range []string{"ssh", "admins"} {
		_, _ = svc.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("alice@corp.com"), GroupName: aws.String(g)})
	}
	_, _ = svc.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice@corp.com"), SSHPublicKeyBody: aws.String(exampleKey("example"))})

	acct.ResetCalls()

	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	src := iamsource.NewIAMSource(svc, cfg)
	host := iamkittest.NewHost()

	p, _, err := hostsync.Sync(ctx, src, host, cfg)
	if err != nil {
		panic(err)
	}
	for _, a := range p.Actions {
		if a.User != "" {
			fmt.Println(a.Kind, a.User)
		}
	}
	u, _ := host.User("alice.at.corp.com")
	fmt.Println("sudo:", u.Sudo, "keys:", len(u.Keys))
	fmt.Println(acct.CallSummary())

	// The next sync changes nothing and fetches no key body.
	acct.ResetCalls()
	p, _, _ = hostsync.Sync(ctx, src, host, cfg)
	fmt.Println("empty:", p.Empty(), acct.CallSummary())

	// When IAM throttles beyond the SDK's retries, nothing changes at all.
	acct.Throttle("iam:ListSSHPublicKeys", 1)
	_, _, err = hostsync.Sync(ctx, src, host, cfg)
	fmt.Println(err != nil)
	// Output:
	// create-user alice.at.corp.com
	// write-keys alice.at.corp.com
	// grant-sudo alice.at.corp.com
	// sudo: true keys: 1
	// iam:GetGroup=2 iam:GetSSHPublicKey=1 iam:ListSSHPublicKeys=1
	// empty: true iam:GetGroup=2 iam:ListSSHPublicKeys=1
	// true
}

// With ASSUMEROLE, the IAM client carries the assumed role's credentials,
// cached until they expire: five syncs assume the role once. (The SDK's
// signer calls Retrieve before every request; this example calls it by
// hand.)
func ExampleAssumeRoleCredentials() {
	ctx := context.Background()
	acct := iamkittest.NewAccount(iamkittest.WithClock(iamkittest.NewClock(time.Now())))
	role, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("hostsync-reader"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		panic(err)
	}
	acct.ResetCalls()
	creds := iamsource.AssumeRoleCredentials(acct.STS(), aws.ToString(role.Role.Arn), "")
	for range 5 {
		if _, err := creds.Retrieve(ctx); err != nil {
			panic(err)
		}
	}
	fmt.Println(acct.CallSummary())
	// Output:
	// sts:AssumeRole=1
}
