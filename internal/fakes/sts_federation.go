package fakes

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// More kinds of credentials the fake STS (and Cognito) issue.
const (
	// KindWebIdentity: AssumeRoleWithWebIdentity, or Cognito's
	// GetCredentialsForIdentity (which assumes the role for the caller).
	KindWebIdentity CredentialKind = "web-identity"
	// KindFederationToken: GetFederationToken.
	KindFederationToken CredentialKind = "federation-token"
)

// STS limits for the calls of this file.
const (
	maxFederationDuration = 129600 // s, GetFederationToken for an IAM user
	maxSessionPolicy      = 2048   // characters of an inline session policy
	maxPolicyARNs         = 10
)

var federatedNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{2,32}$`) })

// checkSessionPolicy validates an inline session policy and managed policy
// ARNs the way STS does, before anything else of the call.
func checkSessionPolicy(policy *string, arns []ststypes.PolicyDescriptorType) error {
	if len(arns) > maxPolicyARNs {
		return stsValidation("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", maxPolicyARNs)
	}
	for _, p := range arns {
		if !policyArnRE().MatchString(aws.ToString(p.Arn)) {
			return stsValidation("ARN %s is not valid.", aws.ToString(p.Arn))
		}
	}
	if policy == nil {
		return nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(*policy), &doc); err != nil || doc["Statement"] == nil {
		return &ststypes.MalformedPolicyDocumentException{Message: aws.String("The policy is not in the valid JSON format.")}
	}
	if len(*policy) > maxSessionPolicy {
		return &ststypes.PackedPolicyTooLargeException{Message: aws.String("Packed size of consumed session policies exceeds the allowed limit.")}
	}
	return nil
}

// AssumeRoleWithWebIdentity implements sts.Client.AssumeRoleWithWebIdentity
// for OpenID tokens the account's Cognito Identity handed out (basic flow):
// an unknown or altered token is InvalidIdentityToken, an expired one
// ExpiredTokenException. The role must exist and its trust policy must
// allow the token: an Allow statement for the federated principal
// cognito-identity.amazonaws.com and sts:AssumeRoleWithWebIdentity whose
// conditions on cognito-identity.amazonaws.com:aud, :amr and :sub
// (StringEquals, StringLike, ForAnyValue:StringEquals, ForAnyValue:StringLike)
// hold — see CognitoTrustPolicy. DurationSeconds is 900 s to the role's
// maximum session duration (default 3600). Anyone may call it; the caller's
// identity plays no part.
func (s *STS) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, _ ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	a := s.a
	st := cognitoOf(a)
	return call(ctx, a, "sts:AssumeRoleWithWebIdentity", in, func() (*sts.AssumeRoleWithWebIdentityOutput, error) {
		if !roleARNRE().MatchString(aws.ToString(in.RoleArn)) {
			return nil, stsValidation("%s is invalid", aws.ToString(in.RoleArn))
		}
		if !sessionNameRE().MatchString(aws.ToString(in.RoleSessionName)) {
			return nil, stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint", aws.ToString(in.RoleSessionName))
		}
		if n := len(aws.ToString(in.WebIdentityToken)); n < 4 || n > 20000 {
			return nil, stsValidation("1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000")
		}
		if err := checkSessionPolicy(in.Policy, in.PolicyArns); err != nil {
			return nil, err
		}
		tok, ok := st.tokens[*in.WebIdentityToken]
		if !ok {
			return nil, &ststypes.InvalidIdentityTokenException{Message: aws.String("Couldn't verify the token: it was not issued by a trusted identity provider.")}
		}
		if !a.clock.Now().Before(tok.expires) {
			return nil, &ststypes.ExpiredTokenException{Message: aws.String("Token is expired.")}
		}
		r, ok := a.roleByARN(*in.RoleArn)
		if !ok || !trusts(r.trust, webClaims{aud: tok.pool, sub: tok.identityID, amr: tok.amr}) {
			return nil, accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
		}
		d := int32(3600)
		if in.DurationSeconds != nil {
			d = *in.DurationSeconds
		}
		if d < 900 || d > r.maxSession {
			return nil, stsValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		sessionARN := fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", a.partition, a.id, r.name, *in.RoleSessionName)
		return &sts.AssumeRoleWithWebIdentityOutput{
			Credentials:                 s.issue(KindWebIdentity, sessionARN, time.Duration(d)*time.Second, false),
			AssumedRoleUser:             &ststypes.AssumedRoleUser{Arn: aws.String(sessionARN), AssumedRoleId: aws.String(r.id + ":" + *in.RoleSessionName)},
			Audience:                    aws.String(tok.pool),
			Provider:                    aws.String(CognitoIssuer),
			SubjectFromWebIdentityToken: aws.String(tok.identityID),
		}, nil
	})
}

// GetFederationToken implements sts.Client.GetFederationToken for an IAM
// user (Account.STSAs): Name of 2 to 32 characters, DurationSeconds 900 s
// to 36 h (default 12 h); called as the root, the session lasts at most one
// hour (a longer request is cut to one hour, as STS does). Session policies
// (Policy, PolicyArns) are validated; without any, the federated user has no
// permissions — STS does not refuse that, and neither does the fake.
func (s *STS) GetFederationToken(ctx context.Context, in *sts.GetFederationTokenInput, _ ...func(*sts.Options)) (*sts.GetFederationTokenOutput, error) {
	if err := s.refuseCredentials(); err != nil {
		return nil, err
	}
	a := s.a
	return call(ctx, a, "sts:GetFederationToken", in, func() (*sts.GetFederationTokenOutput, error) {
		if err := s.refuseSession("GetFederationToken"); err != nil {
			return nil, err
		}
		name := aws.ToString(in.Name)
		if !federatedNameRE().MatchString(name) {
			return nil, stsValidation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name)
		}
		if err := checkSessionPolicy(in.Policy, in.PolicyArns); err != nil {
			return nil, err
		}
		d := int32(43200)
		if in.DurationSeconds != nil {
			d = *in.DurationSeconds
		}
		if d < 900 || d > maxFederationDuration {
			return nil, stsValidation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and %d", d, maxFederationDuration)
		}
		if s.caller == "" {
			d = min(d, 3600)
		} else if _, ok := a.iam.users[s.caller]; !ok {
			return nil, &ststypes.ExpiredTokenException{Message: aws.String("The security token included in the request is invalid.")}
		}
		arn := fmt.Sprintf("arn:%s:sts::%s:federated-user/%s", a.partition, a.id, name)
		creds := s.issue(KindFederationToken, arn, time.Duration(d)*time.Second, false)
		issued := a.sts.issued[*creds.AccessKeyId]
		issued.SessionPolicy, issued.SessionPolicyARNs = aws.ToString(in.Policy), policyARNs(in.PolicyArns)
		return &sts.GetFederationTokenOutput{
			Credentials:   creds,
			FederatedUser: &ststypes.FederatedUser{Arn: aws.String(arn), FederatedUserId: aws.String(a.id + ":" + name)},
		}, nil
	})
}

// ---- trust policy evaluation, for web identities ----

// webClaims are the claims of an OpenID token that a role trust policy's
// conditions can test.
type webClaims struct {
	aud, sub string
	amr      []string
}

// values returns the values of condition key k for these claims, and
// whether the key is one the fake knows.
func (c webClaims) values(k string) ([]string, bool) {
	switch strings.ToLower(k) {
	case CognitoIssuer + ":aud":
		return []string{c.aud}, true
	case CognitoIssuer + ":sub":
		return []string{c.sub}, true
	case CognitoIssuer + ":amr":
		return c.amr, true
	}
	return nil, false
}

type trustStatement struct {
	Effect    string
	Principal json.RawMessage
	Action    json.RawMessage
	Condition map[string]map[string]json.RawMessage
}

// stringOrList decodes a policy element that is a string or a list of them.
func stringOrList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// trusts reports whether trust policy doc lets a Cognito web identity with
// claims c call sts:AssumeRoleWithWebIdentity. A Deny that applies wins; a
// condition the fake cannot evaluate does not hold.
func trusts(doc string, c webClaims) bool {
	var d struct{ Statement json.RawMessage }
	if json.Unmarshal([]byte(doc), &d) != nil {
		return false
	}
	var stmts []trustStatement
	if json.Unmarshal(d.Statement, &stmts) != nil {
		var one trustStatement
		if json.Unmarshal(d.Statement, &one) != nil {
			return false
		}
		stmts = []trustStatement{one}
	}
	allowed := false
	for _, s := range stmts {
		if !s.appliesTo(c) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

func (s trustStatement) appliesTo(c webClaims) bool {
	principal := false
	var star string
	if json.Unmarshal(s.Principal, &star) == nil {
		principal = star == "*"
	} else {
		var p map[string]json.RawMessage
		if json.Unmarshal(s.Principal, &p) == nil {
			principal = slices.Contains(stringOrList(p["Federated"]), CognitoIssuer)
		}
	}
	if !principal {
		return false
	}
	action := false
	for _, act := range stringOrList(s.Action) {
		action = action || globMatch(strings.ToLower(act), "sts:assumerolewithwebidentity")
	}
	if !action {
		return false
	}
	for op, kv := range s.Condition {
		for key, raw := range kv {
			have, known := c.values(key)
			if !known || !conditionHolds(op, have, stringOrList(raw)) {
				return false
			}
		}
	}
	return true
}

// conditionHolds evaluates one condition operator on a key's values.
func conditionHolds(op string, have, want []string) bool {
	match := func(pattern, v string, like bool) bool {
		if !like {
			return pattern == v
		}
		return globMatch(pattern, v)
	}
	anyOf := func(v string, like bool) bool {
		for _, w := range want {
			if match(w, v, like) {
				return true
			}
		}
		return false
	}
	switch op {
	case "StringEquals", "StringLike":
		like := op == "StringLike"
		if len(have) != 1 {
			return false
		}
		return anyOf(have[0], like)
	case "ForAnyValue:StringEquals", "ForAnyValue:StringLike":
		like := op == "ForAnyValue:StringLike"
		for _, v := range have {
			if anyOf(v, like) {
				return true
			}
		}
		return false
	}
	return false
}

// globMatch matches v against an IAM wildcard pattern: * is any run of
// characters (slashes included), ? any one character, nothing else special.
func globMatch(pattern, v string) bool {
	p, s := []rune(pattern), []rune(v)
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == s[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case star >= 0:
			i = star + 1
			mark++
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}
