package mfa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit"
)

// EnableAPI is the one IAM method Enable calls. *iam.Client satisfies it, and
// so does the fake account's IAM.
type EnableAPI interface {
	EnableMFADevice(ctx context.Context, in *iam.EnableMFADeviceInput, optFns ...func(*iam.Options)) (*iam.EnableMFADeviceOutput, error)
}

var _ EnableAPI = (*iam.Client)(nil)

// EnableError is the error Enable returns. It names the user and the device
// (never the seed or the codes) and wraps the cause, so errors.As still finds
// the SDK's typed exception (e.g. *types.InvalidAuthenticationCodeException,
// *types.EntityAlreadyExistsException, *types.NoSuchEntityException) and
// errors.Is finds ErrInvalidSeed or a context error.
type EnableError struct {
	// UserName is the IAM user the device was to be enabled for.
	UserName string
	// SerialNumber is the device's serial number (its ARN for a virtual device).
	SerialNumber string
	// Attempts is how many EnableMFADevice calls were made: 0 when the seed was
	// invalid or ctx was done before the first call, 2 when the retry failed too.
	Attempts int
	// Err is the cause.
	Err error
}

// Error describes the failure.
func (e *EnableError) Error() string {
	what := "enable"
	if e.Attempts > 1 {
		what = fmt.Sprintf("enable (after %d attempts)", e.Attempts)
	}
	// A cause from this package (an invalid seed) has the prefix already.
	return fmt.Sprintf("mfa: %s MFA device %s for user %s: %s", what, e.SerialNumber, e.UserName, strings.TrimPrefix(e.Err.Error(), "mfa: "))
}

// Unwrap returns the cause.
func (e *EnableError) Unwrap() error { return e.Err }

// Enable enables the virtual MFA device serialNumber for userName at once,
// without waiting for a fresh code: it sends the codes of seed for the
// previous and the current 30-second step (PairingCodes at clk.Now()).
//
// If IAM refuses them with InvalidAuthenticationCode — typically because the
// local clock sits at a step boundary or is slightly skewed — Enable waits on
// clk until the next step begins and retries exactly once with the codes of
// the new (previous, current) pair. Any other error, a second refusal and a
// done ctx end it. Errors are an *EnableError wrapping the cause.
//
// seed is the text of the device's Base32StringSeed, as for Code.
func Enable(ctx context.Context, api EnableAPI, clk iamkit.Clock, userName, serialNumber, seed string) error {
	fail := func(attempts int, err error) error {
		return &EnableError{UserName: userName, SerialNumber: serialNumber, Attempts: attempts, Err: err}
	}
	if _, err := checkSeed(seed); err != nil {
		return fail(0, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(0, err)
	}

	err := enableAt(ctx, api, userName, serialNumber, seed, clk.Now())
	if err == nil {
		return nil
	}
	var invalid *types.InvalidAuthenticationCodeException
	if !errors.As(err, &invalid) {
		return fail(1, err)
	}

	now := clk.Now()
	next := NextStep(now)
	if err := clk.Sleep(ctx, next.Sub(now)); err != nil {
		return fail(1, fmt.Errorf("waiting for the next TOTP step: %w", err))
	}
	// A clock may wake a little early; the codes are those of the new step.
	t := clk.Now()
	if t.Before(next) {
		t = next
	}
	if err := enableAt(ctx, api, userName, serialNumber, seed, t); err != nil {
		return fail(2, err)
	}
	return nil
}

// enableAt calls EnableMFADevice with the pairing codes of seed at t.
func enableAt(ctx context.Context, api EnableAPI, userName, serialNumber, seed string, t time.Time) error {
	code1, code2, err := PairingCodes(seed, t)
	if err != nil {
		return err
	}
	_, err = api.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
		UserName:            aws.String(userName),
		SerialNumber:        aws.String(serialNumber),
		AuthenticationCode1: aws.String(code1),
		AuthenticationCode2: aws.String(code2),
	})
	return err
}
