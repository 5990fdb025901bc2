package awsname

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotARN is wrapped by ParseARN's errors.
var ErrNotARN = errors.New("not an ARN")

// Parts are the five parts of an ARN, split as the SDK's aws/arn does
// (arn.ARN, here so that a binary that parses ARNs need not link the SDK).
type Parts struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// String returns the ARN the parts make.
func (p Parts) String() string {
	return "arn:" + p.Partition + ":" + p.Service + ":" + p.Region + ":" + p.AccountID + ":" + p.Resource
}

// parseParts splits s as arn.Parse does: the "arn:" prefix, then six
// colon-separated sections, the last one keeping any further colon.
func parseParts(s string) (Parts, error) {
	if !strings.HasPrefix(s, "arn:") {
		return Parts{}, errors.New("arn: invalid prefix")
	}
	sec := strings.SplitN(s, ":", 6)
	if len(sec) != 6 {
		return Parts{}, errors.New("arn: not enough sections")
	}
	return Parts{Partition: sec[1], Service: sec[2], Region: sec[3], AccountID: sec[4], Resource: sec[5]}, nil
}

// ARN is an ARN split into its Parts, its resource split at the first '/':
// "role/path/name" has Type "role" and Rest "path/name"; "root" has Type
// "root" and no Rest.
type ARN struct {
	Parts
	Type string
	Rest string
}

// Name is the last element of Rest: a role's or user's name without its
// path.
func (a ARN) Name() string { return Rest(a.Rest) }

// Rest returns the part of s after its last '/' (s when it has none).
func Rest(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ParseARN parses s as aws/arn does and checks the parts every iamkit ARN
// shares: a partition of the aws family ("aws", "aws-cn", "aws-us-gov",
// "aws-iso", …), a service, an account that is empty, "aws" or 12 digits,
// and a resource. Errors wrap ErrNotARN.
func ParseARN(s string) (ARN, error) {
	a, err := parseParts(s)
	if err != nil {
		return ARN{}, fmt.Errorf("%w: %q: %w", ErrNotARN, s, err)
	}
	switch {
	case !validPartition(a.Partition):
		return ARN{}, fmt.Errorf("%w: %q: unknown partition %q", ErrNotARN, s, a.Partition)
	case a.Service == "":
		return ARN{}, fmt.Errorf("%w: %q: no service", ErrNotARN, s)
	case a.AccountID != "" && a.AccountID != "aws" && !IsAccountID(a.AccountID):
		return ARN{}, fmt.Errorf("%w: %q: account %q is not 12 digits", ErrNotARN, s, a.AccountID)
	case a.Resource == "":
		return ARN{}, fmt.Errorf("%w: %q: no resource", ErrNotARN, s)
	}
	typ, rest, _ := strings.Cut(a.Resource, "/")
	return ARN{Parts: a, Type: typ, Rest: rest}, nil
}

// IAMARN parses s as the ARN of an IAM resource of type typ ("role",
// "user", "policy", "oidc-provider", …) in an account (12 digits, or "aws"
// for AWS managed policies when typ is "policy"): service iam, no region,
// a resource of printable ASCII.
func IAMARN(s, typ string) (ARN, error) {
	a, err := ParseARN(s)
	if err != nil {
		return ARN{}, err
	}
	acctOK := IsAccountID(a.AccountID) || (typ == "policy" && a.AccountID == "aws")
	if a.Service != "iam" || a.Region != "" || !acctOK || a.Type != typ || (typ != "root" && a.Rest == "") || !printable(a.Resource) {
		return ARN{}, fmt.Errorf("%w: %q is not an IAM %s ARN (arn:PARTITION:iam::ACCOUNT:%s)", ErrNotARN, s, typ, typ+"/NAME")
	}
	return a, nil
}

// RoleARN parses s as an IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/NAME,
// with an optional path (role/PATH/NAME), a name of 1 to 64 characters of
// [\w+=,.@-] and path elements of printable ASCII, as IAM allows.
func RoleARN(s string) (ARN, error) { return entityARN(s, "role") }

// UserARN parses s as an IAM user ARN, with the rules of RoleARN.
func UserARN(s string) (ARN, error) { return entityARN(s, "user") }

func entityARN(s, typ string) (ARN, error) {
	a, err := IAMARN(s, typ)
	if err != nil {
		return ARN{}, err
	}
	if !validPath(a.Rest) || !validName(a.Name(), 1, 64) {
		return ARN{}, fmt.Errorf("%w: %q: the %s name must be 1 to 64 characters of letters, digits and +=,.@_- (with an optional path)", ErrNotARN, s, typ)
	}
	return a, nil
}

// IsAccountID reports whether s is an AWS account ID: 12 digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidName reports whether s has min to max characters, each of
// [A-Za-z0-9_+=,.@-]: IAM's rule for role, user and session names.
func ValidName(s string, min, max int) bool { return validName(s, min, max) }

func validName(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !allowed(s[i]) {
			return false
		}
	}
	return true
}

// validPath: printable ASCII other than space, at most 512 bytes before the
// name (IAM's path limit), no empty element.
func validPath(rest string) bool {
	path := strings.TrimSuffix(rest, Rest(rest))
	if len(path) > 512 {
		return false
	}
	return printable(rest) && !strings.Contains(rest, "//") && !strings.HasPrefix(rest, "/")
}

// printable: ASCII from '!' to '~', as IAM resource names and paths are.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// validPartition: "aws" or "aws-" and lower-case letters and '-'.
func validPartition(p string) bool {
	if p == "aws" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "aws-")
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if (rest[i] < 'a' || rest[i] > 'z') && rest[i] != '-' {
			return false
		}
	}
	return true
}
