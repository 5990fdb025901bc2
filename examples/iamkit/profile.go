package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"golang.org/x/term"

	"github.com/iamkit/iamkit/mfa"
	"github.com/iamkit/iamkit/mfa/credfile"
)

// errNoMFACode: a role profile needs an MFA code and there is no way to get
// one: no --mfa-token, no mfa_process, and stdin is not a terminal.
var errNoMFACode = errors.New("no MFA code: pass --mfa-token CODE, set mfa_process in the profile, or run on a terminal to be asked")

// terminalReader is implemented by an input that knows whether it is a
// terminal (tests hand in one that says yes); an *os.File is asked with
// golang.org/x/term.
type terminalReader interface {
	io.Reader
	IsTerminal() bool
}

// stdinIsTerminal reports whether a person can be asked on a.stdin.
func (a *app) stdinIsTerminal() bool {
	switch in := a.stdin.(type) {
	case terminalReader:
		return in.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(in.Fd()))
	}
	return false
}

// withProfileMFA is the configuration option that lets the SDK's own
// assume-role provider (stscreds, as config.LoadDefaultConfig builds it
// for a profile with role_arn and mfa_serial) obtain the MFA code. Without
// it, such a profile fails with the SDK's raw "AssumeRoleTokenProvider
// session option not set". The code comes from, in order: token (the
// command's --mfa-token), the mfa_process of the profile (or of the
// source_profile holding that mfa_serial), or a prompt on stderr read
// from stdin when stdin is a terminal; otherwise the call fails with
// errNoMFACode, naming the profile and the device. profile "" is
// AWS_PROFILE's, or "default".
func (a *app) withProfileMFA(profile, token string) func(*config.LoadOptions) error {
	if profile == "" {
		profile = a.getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	var prompt *mfa.Prompt
	var once sync.Mutex // the SDK may ask from several goroutines; one prompt at a time
	return config.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
		serial := aws.ToString(o.SerialNumber)
		d := o.Duration
		o.TokenProvider = func() (string, error) {
			once.Lock()
			defer once.Unlock()
			req := mfa.TokenRequest{Device: serial, Profile: profile, Duration: d}
			ctx := context.Background()
			if token != "" {
				if !mfa.ValidToken(token) {
					return "", fmt.Errorf("--mfa-token: %w", mfa.ErrInvalidToken)
				}
				return token, nil
			}
			if process, ok := a.mfaProcess(profile, serial); ok {
				argv, err := mfa.SplitCommandLine(process)
				if err != nil {
					return "", fmt.Errorf("profile %s: mfa_process: %w", profile, err)
				}
				return mfa.Command{Argv: argv}.Token(ctx, req)
			}
			if !a.stdinIsTerminal() {
				return "", fmt.Errorf("profile %s assumes a role with MFA device %s: %w", profile, serial, errNoMFACode)
			}
			if prompt == nil {
				prompt = mfa.NewPrompt(a.stdin, a.stderr)
			}
			return prompt.Token(ctx, req)
		}
	})
}

// mfaProcess finds the mfa_process for device serial: in profile, or along
// its source_profile chain, in the profile that names serial as its
// mfa_serial (the AWS CLI's and aws-vault's rule), in the shared config
// file ($AWS_CONFIG_FILE or ~/.aws/config). A file that cannot be read has
// none: the SDK has read it already and reports its own errors.
func (a *app) mfaProcess(profile, serial string) (string, bool) {
	path, err := credfile.ConfigPath(a.getenv)
	if err != nil {
		return "", false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	f, err := credfile.Parse(data)
	if err != nil {
		return "", false
	}
	seen := map[string]bool{}
	for name := profile; name != "" && !seen[name]; {
		seen[name] = true
		section := "profile " + name
		if name == "default" {
			if _, ok := f.Section("default"); ok {
				section = "default"
			}
		}
		s, ok := f.Section(section)
		if !ok {
			return "", false
		}
		if v, _ := s.Get("mfa_serial"); v == serial {
			if p, ok := s.Get("mfa_process"); ok && p != "" {
				return p, true
			}
		}
		name, _ = s.Get("source_profile")
	}
	return "", false
}
