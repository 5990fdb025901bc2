package mfa_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/mfa"
)

// The fake account stands in for a real one; with AWS, api would be
// iam.NewFromConfig(cfg) and the clock iamkit.SystemClock{}.
func ExampleEnable() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	api := acct.IAM()

	if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		fmt.Println(err)
		return
	}
	out, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	if err != nil {
		fmt.Println(err)
		return
	}
	serial := aws.ToString(out.VirtualMFADevice.SerialNumber)
	seed := string(out.VirtualMFADevice.Base32StringSeed)

	start := acct.Clock().Now()
	if err := mfa.Enable(ctx, api, acct.Clock(), "alice", serial, seed); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("enabled", serial)
	fmt.Println("waited:", acct.Clock().Now().Sub(start))

	// The person scans this with an authenticator app.
	uri := mfa.URI(seed, mfa.URIOptions{AccountName: "alice@" + acct.ID()})
	fmt.Println(strings.SplitN(uri, "?", 2)[0])
	// Output:
	// enabled arn:aws:iam::123456789012:mfa/alice
	// waited: 0s
	// otpauth://totp/Amazon%20Web%20Services:alice@123456789012
}

func ExampleURI() {
	fmt.Println(mfa.URI("JBSWY3DPEHPK3PXP", mfa.URIOptions{}))
	fmt.Println(mfa.URI("JBSWY3DPEHPK3PXP", mfa.URIOptions{Issuer: "ACME Co", AccountName: "alice@123456789012"}))
	// Output:
	// otpauth://totp/Amazon%20Web%20Services:user@account?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services&algorithm=SHA1&digits=6&period=30
	// otpauth://totp/ACME%20Co:alice@123456789012?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30
}

// The RFC 6238 test key, "12345678901234567890" in base32.
func ExampleCode() {
	code, err := mfa.Code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", time.Unix(1111111111, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(code)
	// Output: 050471
}

func ExamplePairingCodes() {
	now := time.Unix(1111111111, 0)
	code1, code2, err := mfa.PairingCodes("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(code1, code2)
	fmt.Println("code2 changes in", mfa.NextStep(now).Sub(now))
	// Output:
	// 081804 050471
	// code2 changes in 29s
}

func ExampleNextStep() {
	t := time.Date(2026, 1, 15, 9, 0, 17, 0, time.UTC)
	fmt.Println(mfa.NextStep(t).Format(time.TimeOnly))
	// Output: 09:00:30
}

func ExampleQRCodePNG() {
	uri := mfa.URI("JBSWY3DPEHPK3PXP", mfa.URIOptions{AccountName: "alice@123456789012"})
	b, err := mfa.QRCodePNG(uri, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Dx(), "x", img.Bounds().Dy())
	// Output: 256 x 256
}

func ExampleQRCodeTerminal() {
	uri := mfa.URI("JBSWY3DPEHPK3PXP", mfa.URIOptions{AccountName: "alice@123456789012"})
	s, err := mfa.QRCodeTerminal(uri)
	if err != nil {
		fmt.Println(err)
		return
	}
	// A CLI prints s. Its shape: a version-8 symbol is 49 modules wide, 57
	// with the quiet zone, and each line holds two module rows.
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	fmt.Println(len([]rune(lines[0])), "columns,", len(lines), "lines")
	// Output: 57 columns, 29 lines
}
