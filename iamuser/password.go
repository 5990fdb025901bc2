package iamuser

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Character classes for generated passwords. Characters that are easily
// confused when read aloud or copied from a printout (0 O o 1 l I |) are left
// out, and so is the quote ', which breaks shell and CSV handling.
const (
	upperChars = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	lowerChars = "abcdefghijkmnpqrstuvwxyz"
	digitChars = "23456789"
	// IAMSymbols is the set of characters IAM password policies count as
	// symbols.
	IAMSymbols  = "!@#$%^&*()_+-=[]{}|'"
	symbolChars = "!@#$%^&*()_+-=[]{}"
)

// DefaultPasswordLength is the length of generated passwords when the account
// policy does not ask for more.
const DefaultPasswordLength = 20

// MaxPasswordLength is IAM's maximum password length.
const MaxPasswordLength = 128

// GeneratePassword returns a password drawn from rnd (crypto/rand.Reader when
// nil) that satisfies policy. A nil policy means the account has none: the
// password is then DefaultPasswordLength characters with every class. Passwords
// always contain upper and lower case letters, digits and IAM symbols, so they
// also satisfy IAM's default policy, and are at least DefaultPasswordLength long.
func GeneratePassword(policy *types.PasswordPolicy, rnd io.Reader) (string, error) {
	pw, err := generatePassword(policy, rnd)
	if err != nil {
		return "", fmt.Errorf("iamuser: %w", err)
	}
	return pw, nil
}

// generatePassword is GeneratePassword with errors for a caller in the
// package to wrap (no prefix).
func generatePassword(policy *types.PasswordPolicy, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	length := DefaultPasswordLength
	if policy != nil && policy.MinimumPasswordLength != nil && int(*policy.MinimumPasswordLength) > length {
		length = int(*policy.MinimumPasswordLength)
	}
	if length > MaxPasswordLength {
		return "", fmt.Errorf("password policy asks for %d characters; IAM allows at most %d", length, MaxPasswordLength)
	}
	classes := []string{upperChars, lowerChars, digitChars, symbolChars}
	all := strings.Join(classes, "")
	pw := make([]byte, 0, length)
	for _, c := range classes {
		ch, err := pick(rnd, c)
		if err != nil {
			return "", err
		}
		pw = append(pw, ch)
	}
	for len(pw) < length {
		ch, err := pick(rnd, all)
		if err != nil {
			return "", err
		}
		pw = append(pw, ch)
	}
	// Fisher–Yates, so the guaranteed characters are not always first.
	for i := len(pw) - 1; i > 0; i-- {
		j, err := randInt(rnd, i+1)
		if err != nil {
			return "", err
		}
		pw[i], pw[j] = pw[j], pw[i]
	}
	return string(pw), nil
}

func pick(rnd io.Reader, set string) (byte, error) {
	i, err := randInt(rnd, len(set))
	if err != nil {
		return 0, err
	}
	return set[i], nil
}

func randInt(rnd io.Reader, n int) (int, error) {
	v, err := rand.Int(rnd, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("reading randomness for a password: %w", err)
	}
	return int(v.Int64()), nil
}

// ErrPasswordPolicy is wrapped by CheckPassword's errors.
var ErrPasswordPolicy = errors.New("password does not satisfy the password policy")

// CheckPassword reports whether pw satisfies policy, or IAM's default policy
// (8 characters and three of upper case, lower case, digits and symbols) when
// policy is nil. It is what the generator is tested against.
func CheckPassword(policy *types.PasswordPolicy, pw string) error {
	var upper, lower, digit, symbol bool
	for _, r := range pw {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(IAMSymbols, r):
			symbol = true
		default:
			return fmt.Errorf("iamuser: %w: character %q is not allowed", ErrPasswordPolicy, r)
		}
	}
	if len(pw) > MaxPasswordLength {
		return fmt.Errorf("iamuser: %w: longer than %d characters", ErrPasswordPolicy, MaxPasswordLength)
	}
	if policy == nil {
		n := 0
		for _, b := range []bool{upper, lower, digit, symbol} {
			if b {
				n++
			}
		}
		if len(pw) < 8 || n < 3 {
			return fmt.Errorf("iamuser: %w: IAM's default policy needs 8 characters and three character classes", ErrPasswordPolicy)
		}
		return nil
	}
	if min := int(aws.ToInt32(policy.MinimumPasswordLength)); len(pw) < min {
		return fmt.Errorf("iamuser: %w: %d characters, the policy needs %d", ErrPasswordPolicy, len(pw), min)
	}
	for _, c := range []struct {
		required, present bool
		what              string
	}{
		{policy.RequireUppercaseCharacters, upper, "an upper case letter"},
		{policy.RequireLowercaseCharacters, lower, "a lower case letter"},
		{policy.RequireNumbers, digit, "a digit"},
		{policy.RequireSymbols, symbol, "a symbol"},
	} {
		if c.required && !c.present {
			return fmt.Errorf("iamuser: %w: needs %s", ErrPasswordPolicy, c.what)
		}
	}
	return nil
}
