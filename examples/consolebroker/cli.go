package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes, as the iamkit CLI's: 1 the broker failed, 2 its configuration
// (environment or flags) is invalid and it did not start.
const (
	exitFailed = 1
	exitUsage  = 2
)

// configError is an invalid configuration: the environment or the flags.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// exitCode is the exit code for run's error.
func exitCode(err error) int {
	var ce configError
	if errors.As(err, &ce) {
		return exitUsage
	}
	return exitFailed
}

// helpRequested reports whether args ask for the help: -h, -help or
// --help anywhere.
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// usage is what --help prints: how the broker is configured.
const usage = `Usage: consolebroker [--addr ADDR] [--tls-cert FILE --tls-key FILE | --insecure-http]

An AWS console sign-in broker for people who have no IAM user: it
authenticates a request, maps the person to a role, obtains the role's
credentials and redirects the browser to the console. Only GET signs in
(other methods: 405); each person is rate-limited (429 with Retry-After).
It runs as an HTTP server, or as a Lambda function when the Lambda runtime
starts it (see examples/cloudformation/consolebroker.yaml).

Configuration (environment):
  BROKER_ROLES_FILE            person -> role map; required
  BROKER_AUTH                  header (a trusted reverse proxy sets the person's header),
                               alb (an ALB's OIDC authentication) or token-file
  BROKER_USER_HEADER           header auth: the header naming the person (X-Forwarded-Email)
  BROKER_PROXY_SECRET_HEADER   header auth: the header carrying the proxy's secret (X-Broker-Secret)
  BROKER_PROXY_SECRET          header auth: the secret (16+ characters)
  BROKER_ALB_ARN, BROKER_ALB_CLAIM, BROKER_ALB_ISSUER   alb auth: the signer, claim and issuer
  BROKER_TOKEN_FILE            token-file auth: "person sha256-hex" lines
  BROKER_SOURCE                cognito (default), assume-role or federation-token
                               (federation-token needs an IAM user's long-term keys)
  BROKER_POOL_ID, BROKER_DEVELOPER_PROVIDER   cognito: the identity pool, its developer provider
  BROKER_ROLE_DURATION         role session (or federation token) duration (default 1h)
  BROKER_SESSION_DURATION      console session duration
  BROKER_REGION, BROKER_REGIONAL_SIGNIN, BROKER_ISSUER, BROKER_LOGOUT_FIRST, BROKER_SIGNIN_ENDPOINT
  BROKER_RATE_LIMIT            sign-ins per person, BURST/INTERVAL (default 10/30s); 0 turns it off
  BROKER_CALL_TIMEOUT          deadline of each AWS step (default 10s)
  BROKER_ADDR, BROKER_TLS_CERT, BROKER_TLS_KEY, BROKER_INSECURE_HTTP   as the flags

Flags (a server; they override the environment):
  --addr ADDR        listen address (default 127.0.0.1:8080)
  --tls-cert FILE    certificate (PEM, chain first) to serve HTTPS
  --tls-key FILE     its private key (PEM)
  --insecure-http    serve plain HTTP on a non-loopback address: only behind a
                     proxy that terminates TLS and is the sole way in
  --version          print the version and exit

Without TLS the broker listens only on a loopback address: the redirect it
answers carries the console session. Exit codes: 0 stopped, 1 failed,
2 invalid configuration (nothing started). The details: go doc
github.com/iamkit/iamkit/examples/consolebroker.
`

// printUsage writes the help to w.
func printUsage(w io.Writer) { fmt.Fprint(w, usage) }
