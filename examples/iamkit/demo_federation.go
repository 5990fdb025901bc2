package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/iamkittest"
)

// consoleURL is the demo chapter "a console URL for a person with no IAM
// user, from the fake pool": an identity pool and a role, 'iamkit console
// --cognito-pool' against the fake sign-in endpoint, and the login followed
// to the console. The sign-in token is never shown: only its length.
func (d *demo) consoleURL(ctx context.Context) error {
	cfg := d.srv.Config()
	pool, err := cognitoidentity.NewFromConfig(cfg).CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
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
		AssumeRolePolicyDocument: aws.String(iamkittest.CognitoTrustPolicy(poolID, iamkittest.CognitoUnauthenticated)),
		MaxSessionDuration:       aws.Int32(43200),
	})
	if err != nil {
		return err
	}
	roleARN := aws.ToString(role.Role.Arn)
	fmt.Fprintf(d.w, "carol has no IAM user. The account has an identity pool that allows the basic\n"+
		"(classic) flow and unauthenticated identities:\n  %s\n"+
		"and a role whose trust policy trusts that pool's unauthenticated identities:\n  %s\n\n", poolID, roleARN)
	dest, err := federation.Destination(d.acct.Partition(), d.acct.Region(), "ec2/home#Instances:")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "The console command's sign-in endpoint is the fake's, from\n"+
		"IAMKIT_SIGNIN_ENDPOINT=%s/federation:\n", d.srv.URL())

	args := []string{"console", "--cognito-pool", poolID, "--role-arn", roleARN,
		"--session-name", "carol@example.com", "--duration", "12h", "--destination", dest}
	d.printCmd(args)
	out, errOut, code := d.exec(ctx, args)
	if code != exitOK {
		return fmt.Errorf("iamkit console: exit code %d: %s", code, strings.TrimSpace(errOut.String()))
	}
	loginURL := strings.TrimSpace(out.String())
	login, err := url.Parse(loginURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "  %s\n    SigninToken: %s\n%s\n", federation.RedactURL(loginURL), mask(login.Query().Get("SigninToken")), indent(errOut.String()))
	fmt.Fprintf(d.w, "(The URL is printed on stdout only, and here its token is masked: whoever\n"+
		"holds the URL holds the console session.)\n")
	fmt.Fprintf(d.w, "GetId → GetOpenIdToken → AssumeRoleWithWebIdentity gave the role's credentials;\n"+
		"the identity was deleted once they were in hand (identities left in the pool: %d).\n",
		len(d.acct.CognitoIdentities(poolID)))

	logins := d.acct.Calls("signin:login")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(loginURL)
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Fprintf(d.w, "\nOpening it: %s, Location: %s\n", resp.Status, resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("the sign-in endpoint answered %s", resp.Status)
	}
	if n := d.acct.Calls("signin:login") - logins; n != 1 {
		return fmt.Errorf("the sign-in endpoint counted %d logins, want 1", n)
	}
	fmt.Fprintln(d.w, "A console session for carol, for 12 hours.")

	// What aws-mfa writes cannot sign in: refused before any sign-in request.
	gst, err := sts.NewFromConfig(cfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(d.credentialsPath(), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	c := gst.Credentials
	_, err = fmt.Fprintf(f, "\n[ops-mfa]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n",
		aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\nGetSessionToken credentials (what aws-mfa writes; here in profile ops-mfa), by\n"+
		"contrast, cannot sign in to the console, and are refused up front:\n")
	tokens := d.acct.Calls("signin:getSigninToken")
	if _, _, err := d.cmd(ctx, exitFailed, "console", "--profile", "ops-mfa"); err != nil {
		return err
	}
	if d.acct.Calls("signin:getSigninToken") != tokens {
		return fmt.Errorf("session-token credentials reached the sign-in endpoint")
	}
	return nil
}
