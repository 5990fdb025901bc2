package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/iamkit/iamkit/mfa"
)

// demoLaptopMarker starts alice's part of the demo's credentials file.
const demoLaptopMarker = "# alice's laptop: ~/.aws/credentials (this comment survives)"

// mfaSession adds alice's access key to the credentials file as
// [alice-long-term], next to a comment, and runs 'iamkit mfa session'
// twice: the first run calls GetSessionToken with a code from her phone and
// writes [alice]; the second finds it valid and calls nothing.
func (d *demo) mfaSession(ctx context.Context) error {
	s := d.secrets
	if s.AccessKeyID == "" || s.MFASeed == "" || s.MFASerial == "" {
		return fmt.Errorf("alice has no access key or MFA device to show a session with")
	}
	f, err := os.OpenFile(d.credentialsPath(), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\n[alice-long-term]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_mfa_device = %s\n",
		demoLaptopMarker, s.AccessKeyID, s.SecretAccessKey, s.MFASerial)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "aws-mfa keeps long-term keys in [alice-long-term] and writes MFA-backed\n"+
		"short-term ones to [alice]. iamkit mfa session does the same, with the same\n"+
		"files (here $DEMO/aws/credentials, as AWS_SHARED_CREDENTIALS_FILE), and\n"+
		"changes nothing else in the file. alice's keys from the bundle went in as\n"+
		"[alice-long-term]; her phone shows the code of the next 30-second step.\n\n")

	// The codes used to enable the device are spent: her phone shows the next.
	d.clock.Set(mfa.NextStep(d.clock.Now()))
	code, err := mfa.Code(s.MFASeed, d.clock.Now())
	if err != nil {
		return err
	}
	calls := d.acct.Calls("sts:GetSessionToken")
	if _, err := d.run(ctx, "mfa", "session", "--profile", "alice", "--token", code); err != nil {
		return err
	}
	if n := d.acct.Calls("sts:GetSessionToken") - calls; n != 1 {
		return fmt.Errorf("the first run made %d GetSessionToken calls, want 1", n)
	}
	fmt.Fprintf(d.w, "One GetSessionToken, signed with her long-term key. alice's part of the file now:\n\n")
	if err := d.printLaptopCredentials(); err != nil {
		return err
	}

	d.clock.Advance(time.Hour)
	calls = d.acct.Calls("sts:GetSessionToken")
	fmt.Fprintf(d.w, "\nAn hour later, the same command (no code needed):\n")
	if _, err := d.run(ctx, "mfa", "session", "--profile", "alice"); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "STS calls made: %d.\n", d.acct.Calls("sts:GetSessionToken")-calls)
	return nil
}

// printLaptopCredentials prints alice's part of the credentials file, the
// secrets masked.
func (d *demo) printLaptopCredentials() error {
	b, err := os.ReadFile(d.credentialsPath())
	if err != nil {
		return err
	}
	_, part, ok := strings.Cut(string(b), demoLaptopMarker)
	if !ok {
		return fmt.Errorf("the comment in %s did not survive", d.path(d.credentialsPath()))
	}
	fmt.Fprintf(d.w, "    %s\n", demoLaptopMarker)
	sc := bufio.NewScanner(strings.NewReader(strings.TrimLeft(part, "\n")))
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, " = "); ok && (k == "aws_secret_access_key" || k == "aws_session_token" || k == "aws_security_token") {
			line = k + " = " + mask(v)
		}
		fmt.Fprintf(d.w, "    %s\n", line)
	}
	return nil
}
