package mfa

import (
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Period is the length of one TOTP time step, as IAM virtual MFA devices use it.
const Period = 30 * time.Second

// ErrInvalidSeed is returned (wrapped) when a seed is empty or is not valid
// base32 text. Test for it with errors.Is.
var ErrInvalidSeed = errors.New("invalid TOTP seed")

// normalizeSeed returns seed in canonical form: upper case, with no whitespace
// and no trailing "=" padding. IAM's Base32StringSeed is already upper case;
// the leniency is for seeds copied by hand from authenticator apps, which show
// them in lower case and in groups separated by spaces.
func normalizeSeed(seed string) string {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			return -1
		}
		return r
	}, seed)
	return strings.ToUpper(strings.TrimRight(s, "="))
}

// checkSeed normalises seed and checks that it decodes to a non-empty key.
// Its errors never contain the seed: it is a secret.
func checkSeed(seed string) (string, error) {
	s := normalizeSeed(seed)
	if s == "" {
		return "", fmt.Errorf("mfa: %w: empty", ErrInvalidSeed)
	}
	// Decode padded, as the TOTP library does: the padded decoder also rejects
	// impossible lengths (1, 3 or 6 characters past a multiple of 8).
	padded := s
	if n := len(s) % 8; n != 0 {
		padded += strings.Repeat("=", 8-n)
	}
	if _, err := base32.StdEncoding.DecodeString(padded); err != nil {
		var corrupt base32.CorruptInputError
		if errors.As(err, &corrupt) && int(corrupt) < len(s) {
			return "", fmt.Errorf("mfa: %w: not base32 (invalid at offset %d of %d characters)", ErrInvalidSeed, int64(corrupt), len(s))
		}
		return "", fmt.Errorf("mfa: %w: not base32 (%d characters is not a possible length)", ErrInvalidSeed, len(s))
	}
	return s, nil
}

// Code returns the 6-digit TOTP code (RFC 6238: HMAC-SHA1, 30-second steps)
// of seed at time t.
//
// seed is the base32 text of IAM's Base32StringSeed
// (string(out.VirtualMFADevice.Base32StringSeed)); padding may be missing,
// and case and whitespace are ignored. An empty or non-base32 seed yields an
// error wrapping ErrInvalidSeed; a t before the Unix epoch is an error too.
func Code(seed string, t time.Time) (string, error) {
	s, err := checkSeed(seed)
	if err != nil {
		return "", err
	}
	if t.Unix() < 0 {
		return "", fmt.Errorf("mfa: TOTP time %s is before the Unix epoch", t.UTC().Format(time.RFC3339))
	}
	code, err := totp.GenerateCodeCustom(s, t, totp.ValidateOpts{
		Period:    uint(Period / time.Second),
		Digits:    otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", fmt.Errorf("mfa: generate TOTP code: %w", err)
	}
	return code, nil
}

// PairingCodes returns the two consecutive codes EnableMFADevice wants: code1
// for the 30-second step before the one now falls in, code2 for the step now
// falls in. AWS accepts this pair, so pairing never has to wait for the next
// code to appear.
func PairingCodes(seed string, now time.Time) (code1, code2 string, err error) {
	if code1, err = Code(seed, now.Add(-Period)); err != nil {
		return "", "", err
	}
	if code2, err = Code(seed, now); err != nil {
		return "", "", err
	}
	return code1, code2, nil
}

// NextStep returns the start of the 30-second TOTP step after the one t falls
// in: the moment the current code is replaced. NextStep(t).Sub(t) is how long
// the code of t remains current.
func NextStep(t time.Time) time.Time {
	// Truncate counts from the zero time, which lies a whole number of
	// 30-second steps before the Unix epoch, so this is RFC 6238's step grid.
	return t.Truncate(Period).Add(Period)
}
