// Command iamkit is the example command-line frontend of the iamkit library.
//
// It is deliberately thin: each command parses its flags, builds SDK clients
// with config.LoadDefaultConfig (so AWS_PROFILE, SSO, environment variables,
// IMDS and AWS_ENDPOINT_URL work as they do for the AWS CLI), calls one
// library function and prints the result.
//
//	iamkit demo                                  the whole story on a fake account served in process
//	iamkit user create -u NAME [-g GROUP]...     onboard a person
//	iamkit user delete NAME [--dry-run]          offboard a person, plan first
//	iamkit user import FILE.csv                  onboard many people from CSV
//	iamkit mfa session [--profile P] [--setup]   MFA session credentials, the aws-mfa way
//	iamkit mfa credential-process --profile P    the MFA session as credential_process JSON
//	iamkit mfa audit                             who can sign in without MFA
//	iamkit hostsync plan|apply                   sync IAM users and SSH keys to this host
//	iamkit hostsync keys USER [FINGERPRINT]      sshd's AuthorizedKeysCommand
//	iamkit trust show|add|remove|prune --role R  edit a role's trust policy, many accounts
//	iamkit console [--role-arn ARN]              an AWS console sign-in URL
//	iamkit fake serve [--addr 127.0.0.1:PORT]     a fake AWS account for scripts; prints the env to export
//
// Run "iamkit COMMAND --help" for the flags and examples of a command, and
// "iamkit --version" for the version it was built from.
//
// Exit codes: 0 success, 1 the operation failed, 2 the command line or its
// input is invalid (nothing was changed).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := newApp(os.Stdin, os.Stdout, os.Stderr)
	a.stdoutTTY, a.stderrTTY, a.stdinTTY = isTerminal(os.Stdout), isTerminal(os.Stderr), isTerminal(os.Stdin)
	a.readSecret = func() (string, error) {
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr) // the Enter that was not echoed
		return string(b), err
	}
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a terminal (term.IsTerminal: the
// terminal ioctl succeeds). /dev/null, a character device too, is not one.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}
