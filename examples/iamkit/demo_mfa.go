package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/iamkit/iamkit/mfa"
)

// Wiring (demo.go): in demoChapters, after "Onboarding again is safe" and
// before the offboarding chapters (which delete alice's key), add
//
//	{"An MFA session, the aws-mfa way", (*demo).mfaSession},

// mfaSession writes alice's access key into a temporary credentials file as
// [alice-long-term], next to a comment, and runs mfa.Session twice: the first
// run calls GetSessionToken with a code from her phone and writes [alice];
// the second finds it valid and calls nothing.
func (d *demo) mfaSession(ctx context.Context) error {
	if d.res == nil || d.res.AccessKeyID == "" || d.res.MFASeed == "" {
		return fmt.Errorf("alice has no access key or MFA seed to show a session with")
	}
	path := filepath.Join(d.dir, "credentials")
	content := "# alice's laptop: ~/.aws/credentials (this comment survives)\n" +
		"[alice-long-term]\n" +
		"aws_access_key_id = " + d.res.AccessKeyID + "\n" +
		"aws_secret_access_key = " + d.res.SecretAccessKey + "\n" +
		"aws_mfa_device = " + d.res.MFASerial + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	// The codes used to enable the device are spent: her phone shows the next.
	d.acct.Clock().Set(mfa.NextStep(d.acct.Clock().Now()))
	opts := mfa.SessionOptions{
		Profile:         "alice",
		CredentialsPath: path,
		ConfigPath:      filepath.Join(d.dir, "config"),
		Token: mfa.TokenFunc(func(context.Context, mfa.TokenRequest) (string, error) {
			return mfa.Code(d.res.MFASeed, d.acct.Clock().Now()) // alice reads her phone
		}),
		NewSTS: func(c aws.Credentials, _ string) mfa.STSAPI { return d.acct.STSAs(c.AccessKeyID) },
		Clock:  d.acct.Clock(),
		Getenv: func(string) string { return "" },
	}
	fmt.Fprintf(d.w, "aws-mfa keeps long-term keys in [alice-long-term] and writes MFA-backed\n"+
		"short-term ones to [alice]. iamkit mfa session does the same, with the same\n"+
		"files, and changes nothing else in the file.\n\n")
	res, err := mfa.Session(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "First run (%s): GetSessionToken with alice's MFA code; %s\n\n", res.Plan.Reason, res.Credentials.Provenance)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		line := s.Text()
		if k, v, ok := strings.Cut(line, " = "); ok && (k == "aws_secret_access_key" || k == "aws_session_token" || k == "aws_security_token") {
			line = k + " = " + mask(v)
		}
		fmt.Fprintf(d.w, "    %s\n", line)
	}
	d.acct.Clock().Advance(time.Hour)
	calls := d.acct.Calls("sts:GetSessionToken")
	res, err = mfa.Session(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\nAn hour later (%s): STS calls made: %d; [alice] is valid until %s.\n",
		res.Plan.Reason, d.acct.Calls("sts:GetSessionToken")-calls, res.Credentials.Expires.Format(time.DateTime+" MST"))
	return nil
}
