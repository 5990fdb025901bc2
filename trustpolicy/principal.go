package trustpolicy

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/iamkit/iamkit/internal/awsname"
)

// Kind is the key of a principal in a policy's Principal element.
type Kind string

// The principal kinds a role trust policy uses.
const (
	KindAWS       Kind = "AWS"       // accounts, IAM users and roles, STS sessions, "*"
	KindService   Kind = "Service"   // AWS service principals, e.g. ec2.amazonaws.com
	KindFederated Kind = "Federated" // OIDC and SAML providers, Cognito and web identity IdPs
)

// The actions a trust statement grants to each kind of principal.
const (
	ActionAssumeRole                = "sts:AssumeRole"
	ActionAssumeRoleWithWebIdentity = "sts:AssumeRoleWithWebIdentity"
	ActionAssumeRoleWithSAML        = "sts:AssumeRoleWithSAML"
)

// Principal is one principal of a trust policy: a kind and the value written
// under it.
type Principal struct {
	Kind Kind
	ID   string
}

// AWS returns the AWS principal id: an account ID, an IAM user or role ARN,
// an STS session ARN or "*".
func AWS(id string) Principal { return Principal{Kind: KindAWS, ID: id} }

// Service returns the service principal name, e.g. "lambda.amazonaws.com".
func Service(name string) Principal { return Principal{Kind: KindService, ID: name} }

// Federated returns the federated principal id: an OIDC or SAML provider ARN,
// or a web identity provider such as "cognito-identity.amazonaws.com".
func Federated(id string) Principal { return Principal{Kind: KindFederated, ID: id} }

// String renders the principal as Kind:ID, the form ParsePrincipal reads back.
func (p Principal) String() string { return string(p.Kind) + ":" + p.ID }

var (
	uniqueIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(AIDA|AROA)[A-Z0-9]{12,124}$`) })
	serviceRE  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	})
)

// The ARN checks parse with aws/arn (through internal/awsname), then check
// the resource.

// rootAccount returns the account of arn:PARTITION:iam::ACCOUNT:root.
func rootAccount(s string) (string, bool) {
	a, err := awsname.IAMARN(s, "root")
	if err != nil || a.Resource != "root" {
		return "", false
	}
	return a.AccountID, true
}

func isRoot(s string) bool { _, ok := rootAccount(s); return ok }

// isIAMEntity: a user or role ARN, with an optional path.
func isIAMEntity(s string) bool {
	_, uerr := awsname.UserARN(s)
	_, rerr := awsname.RoleARN(s)
	return uerr == nil || rerr == nil
}

// isSTSSession: an assumed-role session or a federated user.
func isSTSSession(s string) bool {
	a, err := awsname.ParseARN(s)
	if err != nil || a.Service != "sts" || a.Region != "" || !awsname.IsAccountID(a.AccountID) {
		return false
	}
	switch a.Type {
	case "assumed-role":
		role, session, ok := strings.Cut(a.Rest, "/")
		return ok && awsname.ValidName(role, 1, 64) && awsname.ValidRoleSessionName(session)
	case "federated-user":
		return awsname.ValidName(a.Rest, 2, 32)
	}
	return false
}

// isOIDCProvider: arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST[/PATH].
func isOIDCProvider(s string) bool {
	a, err := awsname.IAMARN(s, "oidc-provider")
	if err != nil {
		return false
	}
	for i := 0; i < len(a.Rest); i++ {
		if a.Rest[i] < 0x21 || a.Rest[i] > 0x7e {
			return false
		}
	}
	return true
}

// isSAMLProvider: arn:PARTITION:iam::ACCOUNT:saml-provider/NAME, NAME of 1
// to 128 characters of [\w.-].
func isSAMLProvider(s string) bool {
	a, err := awsname.IAMARN(s, "saml-provider")
	if err != nil || len(a.Rest) > 128 {
		return false
	}
	return !strings.ContainsFunc(a.Rest, func(r rune) bool {
		return !(r == '_' || r == '.' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
}

// webIdentityProviders are the federated principals written as a host name.
var webIdentityProviders = map[string]bool{
	"cognito-identity.amazonaws.com":    true,
	"cognito-identity.amazonaws.com.cn": true,
	"accounts.google.com":               true,
	"graph.facebook.com":                true,
	"www.amazon.com":                    true,
}

// IsUniqueID reports whether s is the unique ID of an IAM user (AIDA…) or role
// (AROA…): what IAM shows in a trust policy in place of a principal's ARN once
// that user or role has been deleted.
func IsUniqueID(s string) bool { return uniqueIDRE().MatchString(s) }

// ParsePrincipal reads a principal from the command line. "Kind:ID" names the
// kind explicitly ("Service:ec2.amazonaws.com"); otherwise the kind is
// inferred: an account ID, "*", an IAM or STS ARN or a unique ID is AWS; an
// OIDC or SAML provider ARN or a web identity provider host is Federated; any
// other host name is Service. The value must be syntactically valid for its
// kind (unique IDs are accepted so that they can be removed).
func ParsePrincipal(s string) (Principal, error) {
	s = strings.TrimSpace(s)
	var p Principal
	if k, v, ok := strings.Cut(s, ":"); ok && !strings.EqualFold(k, "arn") {
		switch strings.ToLower(k) {
		case "aws":
			p = AWS(v)
		case "service":
			p = Service(v)
		case "federated":
			p = Federated(v)
		default:
			return Principal{}, fmt.Errorf("trustpolicy: principal %q: unknown kind %q (want AWS, Service or Federated)", s, k)
		}
	} else {
		p = Principal{Kind: inferKind(s), ID: s}
	}
	if err := p.check(true); err != nil {
		return Principal{}, err
	}
	return p, nil
}

func inferKind(s string) Kind {
	switch {
	case isOIDCProvider(s) || isSAMLProvider(s) || webIdentityProviders[strings.ToLower(s)]:
		return KindFederated
	case strings.HasPrefix(s, "arn:") || s == "*" || awsname.IsAccountID(s) || IsUniqueID(s):
		return KindAWS
	case strings.Contains(s, "."):
		return KindService
	}
	return KindAWS
}

// check validates the principal's syntax. allowUniqueID admits the unique ID
// of a deleted user or role, which can be removed but never sent to IAM.
func (p Principal) check(allowUniqueID bool) error {
	bad := func(why string) error {
		return fmt.Errorf("trustpolicy: invalid principal %s: %s", p, why)
	}
	v := p.ID
	if v == "" {
		return bad("empty")
	}
	if v != "*" && strings.ContainsAny(v, "*?") {
		return bad("partial wildcards are not allowed in a principal; use \"*\" alone, with a condition")
	}
	switch p.Kind {
	case KindAWS:
		switch {
		case v == "*", awsname.IsAccountID(v), isRoot(v), isIAMEntity(v), isSTSSession(v):
			return nil
		case IsUniqueID(v):
			if allowUniqueID {
				return nil
			}
			return bad("the unique ID of a deleted user or role; IAM refuses it (prune it)")
		}
		return bad("want an account ID, arn:PARTITION:iam::ACCOUNT:root|user/NAME|role/NAME, an STS session ARN or \"*\"")
	case KindService:
		if serviceRE().MatchString(v) {
			return nil
		}
		return bad("want a service principal such as ec2.amazonaws.com")
	case KindFederated:
		if isOIDCProvider(v) || isSAMLProvider(v) || webIdentityProviders[v] {
			return nil
		}
		return bad("want an oidc-provider or saml-provider ARN, or a web identity provider (cognito-identity.amazonaws.com, accounts.google.com, graph.facebook.com, www.amazon.com)")
	case "":
		return bad("no kind")
	}
	return bad("a trust policy accepts only AWS, Service and Federated principals")
}

// key identifies the principal for set operations: a bare account ID and
// arn:aws:iam::ID:root are the same principal.
func (p Principal) key() string {
	if p.Kind == KindAWS {
		if awsname.IsAccountID(p.ID) {
			return "AWS\x00account:" + p.ID
		}
		if acct, ok := rootAccount(p.ID); ok {
			return "AWS\x00account:" + acct
		}
	}
	return string(p.Kind) + "\x00" + p.ID
}

// Same reports whether p and q are the same principal (a bare account ID
// equals arn:PARTITION:iam::ID:root).
func (p Principal) Same(q Principal) bool { return p.key() == q.key() }

// action is the sts action a principal of this kind assumes a role with.
func (p Principal) action() string {
	if p.Kind == KindFederated {
		if isSAMLProvider(p.ID) {
			return ActionAssumeRoleWithSAML
		}
		return ActionAssumeRoleWithWebIdentity
	}
	return ActionAssumeRole
}

// actionCovers reports whether one of the statement's actions grants want:
// the same name (case-insensitively) or a wildcard pattern matching it.
func actionCovers(actions []string, want string) bool {
	for _, a := range actions {
		if strings.EqualFold(a, want) || (strings.ContainsAny(a, "*?") && globMatch(strings.ToLower(a), strings.ToLower(want))) {
			return true
		}
	}
	return false
}

// globMatch matches IAM's * and ? wildcards, in linear time per star
// (the classic backtrack-to-last-star algorithm).
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
