package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/iamkit/iamkit/iamkittest"
)

func fakeCommand() *command {
	return &command{
		name:    "fake",
		summary: "a fake AWS account on a local endpoint, for scripts and tools in any language",
		args:    "COMMAND [ARGS]",
		help: `Run iamkit's fake AWS account (the one behind the demo and iamkittest) on a
loopback HTTP endpoint that speaks AWS's wire protocols: IAM, STS, Cognito
Identity, S3 and the console sign-in endpoint.`,
		subs: []*command{
			{
				name:    "serve",
				summary: "serve a fresh account until interrupted; print the environment to export",
				args:    "[--addr 127.0.0.1:PORT]",
				help: `Start a fresh, empty account (ID ` + iamkittest.DefaultAccountID + `) on --addr and print, on stdout,
the shell 'export' lines that point the AWS SDKs, the AWS CLI and iamkit at it:
AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_STS, which the SDK's assume-role
profiles read), the account root's access key (fake, and valid only here),
the region, IAMKIT_SIGNIN_ENDPOINT for 'iamkit console', and
AWS_EC2_METADATA_DISABLED. Then serve until SIGINT or SIGTERM; everything
lives in memory and is gone when it stops. Requests are SigV4-checked
against the keys the account issued, and the clock is the real time, so MFA
codes are checked against it.

The command keeps running, so 'eval "$(iamkit fake serve)"' would never
return: run it in the background with its output in a file, and source the
file once the lines are there:

  iamkit fake serve --addr 127.0.0.1:4566 > fake.env &
  until grep -q AWS_EC2_METADATA_DISABLED fake.env 2>/dev/null; do sleep 0.1; done
  . ./fake.env
  aws iam create-group --group-name developers
  iamkit user create -u alice -g developers
  aws --endpoint-url "$AWS_ENDPOINT_URL" iam list-users
  kill %1

With a fixed --addr the lines are known in advance: the access key is the
same for every fresh account.`,
				examples: []string{
					"iamkit fake serve",
					"iamkit fake serve --addr 127.0.0.1:4566 > fake.env &",
				},
				run: runFakeServe,
			},
		},
	}
}

func runFakeServe(ctx context.Context, a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	addr := fs.String("addr", "127.0.0.1:0", "listen on `HOST:PORT` (port 0: a free one)")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return c.usageError("unexpected argument %q", pos[0])
	}
	srv, err := iamkittest.Start(*addr)
	if err != nil {
		return err
	}
	defer srv.Close()
	writeFakeEnv(a.stdout, fakeEnv(srv))
	fmt.Fprintf(a.stderr, "Serving the fake account %s at %s until interrupted (Ctrl-C).\n", srv.Account().ID(), srv.URL())
	<-ctx.Done()
	fmt.Fprintln(a.stderr, "Stopped; the account is gone.")
	return nil
}

// fakeEnv is the environment that points the SDKs, the AWS CLI and iamkit
// at srv.
func fakeEnv(srv *iamkittest.Server) map[string]string {
	id, secret := srv.Account().RootAccessKey()
	return map[string]string{
		"AWS_ENDPOINT_URL": srv.URL(),
		// The SDK builds the assume-role provider of a profile with
		// role_arn (source_profile, credential_source) before it applies
		// AWS_ENDPOINT_URL: without the STS one, such a profile would call
		// the real STS.
		"AWS_ENDPOINT_URL_STS":      srv.URL(),
		"AWS_ACCESS_KEY_ID":         id,
		"AWS_SECRET_ACCESS_KEY":     secret,
		"AWS_REGION":                srv.Account().Region(),
		"AWS_DEFAULT_REGION":        srv.Account().Region(),
		signinEndpointEnv:           srv.URL() + "/federation",
		"AWS_EC2_METADATA_DISABLED": "true",
	}
}

// fakeEnvOrder is the order the export lines are printed in: the metadata
// switch last, so a reader can wait for it.
var fakeEnvOrder = []string{
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION",
	signinEndpointEnv, "AWS_EC2_METADATA_DISABLED",
}

// writeFakeEnv prints env as shell export lines, single-quoted: the
// variables of fakeEnvOrder in that order, any others sorted after them.
func writeFakeEnv(w io.Writer, env map[string]string) {
	var extra []string
	for k := range env {
		if !slices.Contains(fakeEnvOrder, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	keys := append(slices.Clone(fakeEnvOrder), extra...)
	var b strings.Builder
	for _, k := range keys {
		v, ok := env[k]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "export %s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
	}
	_, _ = io.WriteString(w, b.String())
}
