package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// consoleURL is the demo chapter "a console URL for a person with no IAM
// user, from the fake pool": an identity pool, the basic flow, the fake
// sign-in endpoint, and the login followed to the console. The sign-in
// token is never shown: only its length.
func (d *demo) consoleURL(ctx context.Context) error {
	cog := d.acct.Cognito()
	pool, err := cog.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("console visitors"),
		AllowClassicFlow:               aws.Bool(true),
		AllowUnauthenticatedIdentities: true,
	})
	if err != nil {
		return err
	}
	poolID := aws.ToString(pool.IdentityPoolId)
	role, err := d.iam.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("ConsoleVisitor"),
		AssumeRolePolicyDocument: aws.String(fakes.CognitoTrustPolicy(poolID, fakes.CognitoUnauthenticated)),
		MaxSessionDuration:       aws.Int32(43200),
	})
	if err != nil {
		return err
	}
	roleARN := aws.ToString(role.Role.Arn)
	fmt.Fprintf(d.w, "carol has no IAM user. The account has an identity pool that allows the basic\n"+
		"(classic) flow and unauthenticated identities:\n  %s\n"+
		"and a role whose trust policy trusts that pool's unauthenticated identities:\n  %s\n\n", poolID, roleARN)

	s, err := federation.CognitoBasicFlow(ctx, cog, d.acct.STS(), federation.CognitoRequest{
		IdentityPoolID:  poolID,
		RoleARN:         roleARN,
		RoleSessionName: "carol@example.com",
		Duration:        federation.MaxRoleSession,
		Ephemeral:       true,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "GetId → GetOpenIdToken → AssumeRoleWithWebIdentity gave role credentials:\n  %s\n", s.Credentials)
	fmt.Fprintf(d.w, "The identity %s was deleted once they were in hand (identities left in the pool: %d).\n\n",
		s.IdentityID, len(d.acct.CognitoIdentities(poolID)))

	signin := fakes.StartSignIn(d.acct)
	defer signin.Close()
	dest, err := federation.Destination(d.acct.Partition(), d.acct.Region(), "ec2/home#Instances:")
	if err != nil {
		return err
	}
	si := &federation.SignIn{
		Partition: d.acct.Partition(), Region: d.acct.Region(), Endpoint: signin.URL(), HTTPClient: signin.Client(),
		Issuer: "https://broker.example.com/", Clock: d.acct.Clock(),
	}
	u, err := si.ConsoleURL(ctx, federation.ConsoleRequest{Credentials: s.Credentials, SessionDuration: federation.MaxConsoleSession, Destination: dest})
	if err != nil {
		return err
	}
	login, err := url.Parse(u.URL)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "getSigninToken (SessionDuration=%d, role credentials only) at the sign-in\n"+
		"endpoint (here an HTTP server in this process) returned a sign-in token; the\n"+
		"login URL, valid until %s, is:\n  %s\n  SigninToken: %s\n",
		int(u.SessionDuration.Seconds()), u.Expires.Format("15:04:05 MST"), federation.RedactURL(u.URL), mask(login.Query().Get("SigninToken")))
	fmt.Fprintln(d.w, "(The token is masked: whoever holds the URL holds the console session.)")

	resp, err := signin.Client().Get(u.URL)
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Fprintf(d.w, "\nOpening it: %s, Location: %s\n", resp.Status, resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || len(signin.Logins()) != 1 {
		return fmt.Errorf("the sign-in endpoint answered %s", resp.Status)
	}
	fmt.Fprintf(d.w, "A console session for %s, for %s.\n", signin.Logins()[0].Principal, signin.Logins()[0].SessionDuration)

	// What aws-mfa writes cannot sign in: refused before any request.
	gst, err := d.acct.STS().GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		return err
	}
	token, _ := mfa.FromSTS(gst.Credentials, mfa.Provenance{Kind: mfa.KindSessionToken})
	_, err = si.ConsoleURL(ctx, federation.ConsoleRequest{Credentials: token})
	fmt.Fprintf(d.w, "\nGetSessionToken credentials, by contrast, are refused up front:\n  %v\n", err)
	return nil
}
