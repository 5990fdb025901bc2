package mfa_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/mfa"
)

// exampleUser gives alice an access key and an enabled virtual MFA device on
// the fake account, and returns the key, the device and the seed her phone
// holds.
func exampleUser(ctx context.Context, acct *iamkittest.Account) (key *iam.CreateAccessKeyOutput, serial, seed string, err error) {
	api := acct.IAM()
	if _, err = api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		return
	}
	if key, err = api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}); err != nil {
		return
	}
	dev, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	if err != nil {
		return
	}
	serial, seed = aws.ToString(dev.VirtualMFADevice.SerialNumber), string(dev.VirtualMFADevice.Base32StringSeed)
	err = mfa.Enable(ctx, api, acct.Clock(), "alice", serial, seed)
	acct.Clock().Advance(mfa.Period) // the pairing codes are spent
	return
}

// printRedacted prints a credentials file with its secrets elided.
func printRedacted(path string) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		for _, k := range []string{"aws_secret_access_key", "aws_session_token", "aws_security_token"} {
			if strings.HasPrefix(line, k+" = ") {
				line = k + " = ..."
			}
		}
		fmt.Println(line)
	}
}

// An aws-mfa style credentials file: long-term keys in [dev-long-term],
// short-term credentials written to [dev]. With AWS, NewSTS would be
// mfa.NewSTSFactory(cfg) with cfg from config.LoadDefaultConfig, the token
// source mfa.NewPrompt(os.Stdin, os.Stderr) and the clock iamkit.SystemClock{}.
func ExampleSession() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	key, serial, seed, err := exampleUser(ctx, acct)
	if err != nil {
		fmt.Println(err)
		return
	}

	dir, err := os.MkdirTemp("", "iamkit-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "credentials")
	content := "# Work account -- this comment survives\n" +
		"[dev-long-term]\n" +
		"aws_access_key_id = " + aws.ToString(key.AccessKey.AccessKeyId) + "\n" +
		"aws_secret_access_key = " + aws.ToString(key.AccessKey.SecretAccessKey) + "\n" +
		"aws_mfa_device = " + serial + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		fmt.Println(err)
		return
	}

	req := mfa.SessionRequest{
		Profile:         "dev",
		CredentialsPath: path,
		ConfigPath:      filepath.Join(dir, "config"),
		// The person's phone: the code it shows now.
		Token: mfa.TokenFunc(func(context.Context, mfa.TokenRequest) (string, error) {
			return iamkittest.TOTP(seed, acct.Clock().Now()), nil
		}),
	}
	opts := []mfa.Option{
		mfa.WithSTS(func(c aws.Credentials, _ string) mfa.STSAPI { return acct.STSAs(c.AccessKeyID) }),
		mfa.WithClock(acct.Clock()),
		mfa.WithGetenv(func(string) string { return "" }),
	}
	res, err := mfa.Session(ctx, req, opts...)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("refreshed:", res.Refreshed, res.Plan.Reason)
	fmt.Println("provenance:", res.Credentials.Provenance)
	printRedacted(path)

	// An hour later the section is still valid: no STS call.
	acct.Clock().Advance(time.Hour)
	res, err = mfa.Session(ctx, req, opts...)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("refreshed:", res.Refreshed, res.Plan.Reason)
	fmt.Println("STS calls:", acct.Calls("sts:GetSessionToken"))
	// Output:
	// refreshed: true missing
	// provenance: session-token from=[dev-long-term] profile=[dev] mfa=arn:aws:iam::123456789012:mfa/alice expires=2026-01-15T21:00:30Z (via long-term profile=[dev-long-term])
	// # Work account -- this comment survives
	// [dev-long-term]
	// aws_access_key_id = AKIAHPGVMEZRVPYSM5WK
	// aws_secret_access_key = ...
	// aws_mfa_device = arn:aws:iam::123456789012:mfa/alice
	//
	// [dev]
	// assumed_role = False
	// aws_access_key_id = ASIAT47WJMOXXWFOTHSQ
	// aws_secret_access_key = ...
	// aws_session_token = ...
	// aws_security_token = ...
	// expiration = 2026-01-15 21:00:30
	// refreshed: false valid
	// STS calls: 1
}

// PlanSession shows what Session would do, for a dry run.
func ExamplePlanSession() {
	dir, err := os.MkdirTemp("", "iamkit-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, []byte("[prod-long-term]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n"+
		"aws_mfa_device = arn:aws:iam::123456789012:mfa/alice\nassume_role = arn:aws:iam::123456789012:role/Admin\n"), 0o600); err != nil {
		fmt.Println(err)
		return
	}
	plan, err := mfa.PlanSession(context.Background(), mfa.SessionRequest{
		Profile:         "prod",
		CredentialsPath: path,
		ConfigPath:      filepath.Join(dir, "config"),
		RoleSessionName: "alice",
	},
		mfa.WithGetenv(func(string) string { return "" }),
		mfa.WithClock(iamkittest.NewClock(iamkittest.DefaultStart)),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.ReplaceAll(plan.String(), dir, "DIR"))
	// Output:
	// [prod] missing: AssumeRole arn:aws:iam::123456789012:role/Admin as alice for 1h0m0s with the keys of [prod-long-term] and MFA device arn:aws:iam::123456789012:mfa/alice, then rewrite [prod] in DIR/credentials
}
