package federation_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/mfa"
)

// examplePool sets up, on a fake account, an identity pool that allows the
// basic flow and guests, and a role its guests may assume.
func examplePool(ctx context.Context, acct *iamkittest.Account) (poolID, roleARN string) {
	pool, err := acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("console"),
		AllowClassicFlow:               aws.Bool(true),
		AllowUnauthenticatedIdentities: true,
	})
	if err != nil {
		panic(err)
	}
	role, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("ReadOnlyConsole"),
		AssumeRolePolicyDocument: aws.String(iamkittest.CognitoTrustPolicy(*pool.IdentityPoolId, iamkittest.CognitoUnauthenticated)),
		MaxSessionDuration:       aws.Int32(43200),
	})
	if err != nil {
		panic(err)
	}
	return *pool.IdentityPoolId, *role.Role.Arn
}

// A person with no IAM user gets a console session from an identity pool:
// the basic flow with the role and session name the broker chooses, then
// the sign-in endpoint (here the fake account's).
func ExampleCognitoBasicFlow() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	poolID, roleARN := examplePool(ctx, acct)

	s, err := federation.CognitoBasicFlow(ctx, acct.Cognito(), acct.STS(), federation.CognitoRequest{
		IdentityPoolID:  poolID,
		RoleARN:         roleARN,
		RoleSessionName: "carol@example.com", // who she is, for CloudTrail
		Duration:        federation.MaxRoleSession,
		Ephemeral:       true, // leave no identity behind
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Credentials.Provenance)
	fmt.Println("identity deleted:", s.Deleted)

	signin := iamkittest.StartSignIn(acct)
	defer signin.Close()
	si := &federation.SignIn{Region: "eu-west-1", Endpoint: signin.URL(), HTTPClient: signin.Client(), Clock: acct.Clock()}
	u, err := si.ConsoleURL(ctx, federation.ConsoleRequest{Credentials: s.Credentials, SessionDuration: federation.MaxConsoleSession})
	if err != nil {
		panic(err)
	}
	fmt.Println(u) // never the URL itself: it is the session
	login, _ := url.Parse(u.URL)
	fmt.Println(login.Query().Get("Destination"))
	// Output:
	// web-identity role=arn:aws:iam::123456789012:role/ReadOnlyConsole expires=2026-01-15T21:00:00Z
	// identity deleted: true
	// console sign-in URL (redacted) to https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1, valid until 2026-01-15T09:15:00Z, for web-identity role=arn:aws:iam::123456789012:role/ReadOnlyConsole expires=2026-01-15T21:00:00Z
	// https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1
}

// A pool that does not allow the basic flow fails at GetOpenIdToken; the
// identity the flow created is deleted again.
func ExampleFlowError() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	pool, _ := acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("enhanced only"), AllowUnauthenticatedIdentities: true,
	})
	_, err := federation.CognitoBasicFlow(ctx, acct.Cognito(), acct.STS(), federation.CognitoRequest{
		IdentityPoolID: *pool.IdentityPoolId, RoleARN: "arn:aws:iam::123456789012:role/Guest", RoleSessionName: "carol",
	})
	var fe *federation.FlowError
	if errors.As(err, &fe) {
		fmt.Println(fe.Step, errors.Is(err, federation.ErrClassicFlowDisabled), fe.Deleted)
	}
	fmt.Println(len(acct.CognitoIdentities(*pool.IdentityPoolId)), "identities left")
	// Output:
	// GetOpenIdToken true true
	// 0 identities left
}

// GetSessionToken credentials (what aws-mfa writes) cannot sign in; the
// request is refused before anything is sent.
func ExampleCheckCredentials() {
	acct := iamkittest.NewAccount()
	out, _ := acct.STS().GetSessionToken(context.Background(), &sts.GetSessionTokenInput{})
	creds, _ := mfa.FromSTS(out.Credentials, mfa.Provenance{Kind: mfa.KindSessionToken})
	err := federation.CheckCredentials(creds, 0, acct.Clock().Now())
	fmt.Println(errors.Is(err, federation.ErrSessionTokenCredentials))
	// Output:
	// true
}

// GetFederationToken without a session policy would give a console session
// with no permissions at all, so it is refused unless asked for.
func ExampleFederationToken() {
	acct := iamkittest.NewAccount()
	_, err := federation.FederationToken(context.Background(), acct.STS(), federation.FederationTokenRequest{Name: "grace"})
	fmt.Println(errors.Is(err, federation.ErrNoSessionPolicy))

	creds, err := federation.FederationToken(context.Background(), acct.STS(), federation.FederationTokenRequest{
		Name:       "grace",
		PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
	})
	fmt.Println(creds.Provenance.Kind, err)
	// Output:
	// true
	// federation-token <nil>
}

// Console URLs are built from a region and a service path, on the
// partition's console host.
func ExampleDestination() {
	for _, c := range []struct{ partition, region, service string }{
		{"aws", "us-west-2", "ec2/home#Instances:"},
		{"aws-cn", "cn-north-1", "s3/buckets"},
		{"aws-us-gov", "us-gov-west-1", ""},
		{"aws-iso", "us-iso-east-1", ""},
	} {
		fmt.Println(federation.Destination(c.partition, c.region, c.service))
	}
	// Output:
	// https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances: <nil>
	// https://console.amazonaws.cn/s3/buckets?region=cn-north-1 <nil>
	// https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1 <nil>
	//  federation: partition without a known sign-in federation endpoint: "aws-iso" (supported: aws, aws-cn, aws-us-gov, aws-eusc)
}

// RedactURL shows where a sign-in URL goes without handing out the session.
func ExampleRedactURL() {
	fmt.Println(federation.RedactURL("https://signin.aws.amazon.com/federation?Action=login&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=secret"))
	// Output:
	// https://signin.aws.amazon.com/federation?Action=login&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=REDACTED
}

// The partition of a region, as the SDK's endpoint rules place it, and its
// sign-in and console hosts.
func ExamplePartitionOfRegion() {
	for _, region := range []string{"eu-central-1", "cn-north-1", "us-gov-west-1", "eusc-de-east-1"} {
		id, _ := federation.PartitionOfRegion(region)
		p, _ := federation.LookupPartition(id)
		endpoint, _ := p.FederationEndpoint("")
		fmt.Println(region, id, endpoint, p.ConsoleHost)
	}
	// Output:
	// eu-central-1 aws https://signin.aws.amazon.com/federation console.aws.amazon.com
	// cn-north-1 aws-cn https://signin.amazonaws.cn/federation console.amazonaws.cn
	// us-gov-west-1 aws-us-gov https://signin.amazonaws-us-gov.com/federation console.amazonaws-us-gov.com
	// eusc-de-east-1 aws-eusc https://eusc-de-east-1.signin.amazonaws-eusc.eu/federation console.amazonaws-eusc.eu
}

// The console's role-switch link, for a session signed in elsewhere.
func ExampleSwitchRoleURL() {
	u, _ := federation.SwitchRoleURL("arn:aws:iam::123456789012:role/ops/Deploy", "prod deploy")
	fmt.Println(u)
	// Output:
	// https://signin.aws.amazon.com/switchrole?account=123456789012&displayName=prod+deploy&roleName=ops%2FDeploy
}
