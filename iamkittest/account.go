package iamkittest

import (
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/iamkit/iamkit/internal/fakes"
)

// Option configures an account built by NewAccount or NewServer.
type Option func(*options)

type options struct {
	fakes []fakes.Option
}

func fromFakesOption(o fakes.Option) Option {
	return func(s *options) { s.fakes = append(s.fakes, o) }
}

func buildOptions(opts []Option) []fakes.Option {
	var s options
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	return s.fakes
}

// NewAccount returns an empty account, in process. Its clock is a manual
// clock showing DefaultStart unless WithClock is given; its ID is
// DefaultAccountID, its region us-east-1 and its partition aws unless
// WithAccountID, WithRegion or WithPartition say otherwise.
func NewAccount(opts ...Option) *Account {
	return fromFakesAccount(fakes.NewAccount(buildOptions(opts)...))
}

// Disable makes every later call to op ("iam:CreateUser" style) fail as an
// endpoint that does not implement the operation answers: an API error
// with code InvalidAction for the query-protocol services (IAM, STS, EC2),
// NotImplemented for S3 and UnknownOperationException for the JSON
// services (Cognito Identity, Organizations, ...), whose message says the
// operation is not implemented. Over the wire the server sends that error
// in its protocol's shape. Calls are still counted; ClearFaults enables
// the operation again.
func (a *Account) Disable(op string) {
	a.impl.Inject(op, fakes.Fault{Err: notImplemented(op)})
}

// notImplemented is the error of an operation Disable switched off.
func notImplemented(op string) error {
	service, name, ok := strings.Cut(op, ":")
	if !ok {
		name = op
	}
	code := "UnknownOperationException"
	switch strings.ToLower(service) {
	case "iam", "sts", "ec2":
		code = "InvalidAction"
	case "s3":
		code = "NotImplemented"
	}
	return &smithy.GenericAPIError{
		Code:    code,
		Message: fmt.Sprintf("the operation %s is not implemented by this endpoint", name),
		Fault:   smithy.FaultClient,
	}
}

// toFakesError converts an error injected through a Fault: an *HTTPError
// becomes the fakes' own, which the sign-in endpoint recognises.
func toFakesError(err error) error {
	if h, ok := err.(*HTTPError); ok && h != nil {
		f := toFakesHTTPError(*h)
		return &f
	}
	return err
}

// Clock returns the clock the account follows: a manual clock, whose time
// moves only when the test calls Advance, Set or Sleep, for an account from
// NewAccount; a running one (the real time) for NewServer's, unless
// WithClock chose another. It satisfies iamkit.Clock, which every iamkit
// package's WithClock option accepts; hand it over so that the package and
// the account agree on the time, and nothing waits:
//
//	m := iamuser.New(acct.IAM(), iamuser.WithClock(acct.Clock()))
//	creds, err := federation.AssumeRole(ctx, acct.STS(), req, federation.WithClock(acct.Clock()))
//	acct.Clock().Advance(13 * time.Hour) // the session credentials expire
func (a *Account) Clock() *Clock { return fromFakesClock(a.impl.Clock()) }
