package broker_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/iamkittest"
)

// Mount the broker behind a reverse proxy that authenticates people: the
// proxy names the person in X-Forwarded-Email and proves it is the proxy
// with X-Broker-Secret. Everyone may use the ReadOnly role, through an
// identity pool whose developer provider is the broker. Here the account,
// its Cognito Identity, STS and sign-in endpoint are the fake account's;
// in production they are cognitoidentity.NewFromConfig(cfg),
// sts.NewFromConfig(cfg) and the partition's sign-in endpoint.
func ExampleNew() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	pool, err := acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("console"), AllowClassicFlow: aws.Bool(true), DeveloperProviderName: aws.String("broker.example.com")})
	if err != nil {
		panic(err)
	}
	role, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ReadOnly"),
		AssumeRolePolicyDocument: aws.String(iamkittest.CognitoTrustPolicy(*pool.IdentityPoolId, iamkittest.CognitoAuthenticated))})
	if err != nil {
		panic(err)
	}
	signin := iamkittest.StartSignIn(acct)
	defer signin.Close()

	roles, err := broker.ParseRoleMap(strings.NewReader("* readonly " + *role.Role.Arn + "\n"))
	if err != nil {
		panic(err)
	}
	auth, err := broker.NewHeaderAuth("X-Forwarded-Email", "X-Broker-Secret", "a-secret-only-the-proxy-knows")
	if err != nil {
		panic(err)
	}
	src, err := broker.NewCognitoSource(acct.Cognito(), acct.STS(), *pool.IdentityPoolId, "broker.example.com")
	if err != nil {
		panic(err)
	}
	h, err := broker.New(auth, roles, src,
		broker.WithRegion("eu-west-1"),
		broker.WithSignInEndpoint(signin.URL()), broker.WithHTTPClient(signin.Client()), // the fake's
		broker.WithClock(acct.Clock()))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)

	// What the proxy sends on for Carol.
	req := httptest.NewRequest(http.MethodGet, "/console?role=readonly&service=s3/buckets", nil)
	req.Header.Set("X-Forwarded-Email", "carol@example.com")
	req.Header.Set("X-Broker-Secret", "a-secret-only-the-proxy-knows")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"))

	// The Location is the login URL, a secret: follow it, never print it.
	resp, err := signin.Client().Get(rec.Header().Get("Location"))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("lands on", resp.Header.Get("Location"))
	fmt.Println("as", signin.Logins()[0].Principal)
	// Output:
	// 302 no-store
	// lands on https://eu-west-1.console.aws.amazon.com/s3/buckets?region=eu-west-1
	// as arn:aws:sts::123456789012:assumed-role/ReadOnly/carol@example.com
}

// The token file holds SHA-256 hashes of the tokens, never a token.
func ExampleHashToken() {
	fmt.Println("alice@example.com", broker.HashToken("test"))
	// Output:
	// alice@example.com 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
}
