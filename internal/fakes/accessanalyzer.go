package fakes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
)

// AccessAnalyzer is the account's IAM Access Analyzer, the policy checks a
// trust-policy edit is proven with: ValidatePolicy and CheckNoNewAccess.
// It understands role trust policies (policyType RESOURCE_POLICY, resource
// type AWS::IAM::AssumeRolePolicyDocument) faithfully enough to decide what
// a trust edit changes: principal sets (an account's root covering every
// principal of the account, "*" covering everyone), Allow and Deny (an
// explicit Deny wins), NotPrincipal and NotAction, and conditions as
// narrowing (a condition the new policy drops or loosens is new access).
// Where it cannot tell, it answers FAIL, as a prover that must be sure
// does. Other policy types are checked for JSON and basic grammar only.
type AccessAnalyzer struct{ a *Account }

// AccessAnalyzer returns the account's IAM Access Analyzer.
func (a *Account) AccessAnalyzer() *AccessAnalyzer { return &AccessAnalyzer{a: a} }

// The issue codes of the findings ValidatePolicy reports for trust policies.
const (
	IssueJSONSyntax           = "JSON_SYNTAX_ERROR"
	IssueMissingVersion       = "MISSING_VERSION"
	IssueInvalidVersion       = "INVALID_VERSION"
	IssueMissingStatement     = "MISSING_STATEMENT"
	IssueInvalidEffect        = "INVALID_EFFECT"
	IssueMissingPrincipal     = "MISSING_PRINCIPAL"
	IssueMissingAction        = "MISSING_ACTION"
	IssueUnsupportedResource  = "UNSUPPORTED_RESOURCE_ELEMENT"
	IssueInvalidAction        = "INVALID_ACTION"
	IssueInvalidPrincipal     = "INVALID_PRINCIPAL"
	IssueAllowWithNotPrinc    = "ALLOW_WITH_NOT_PRINCIPAL"
	IssuePublicTrust          = "PUBLIC_ROLE_TRUST"
	IssueDuplicateSid         = "DUPLICATE_SID"
	IssueMissingOIDCCondition = "MISSING_OIDC_AUDIENCE_OR_SUBJECT_CONDITION"
)

// accessAnalyzerLearnMore is the LearnMoreLink of every finding.
const accessAnalyzerLearnMore = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"

// maxAAPolicySize bounds the documents the fake reads (AWS: 1 MB? far more
// than any trust policy).
const maxAAPolicySize = 1 << 20

func aaValidation(format string, args ...any) error {
	return &aatypes.ValidationException{Message: aws.String(fmt.Sprintf(format, args...)), Reason: aatypes.ValidationExceptionReasonOther}
}

// ValidatePolicy implements accessanalyzer.Client.ValidatePolicy: findings
// of type ERROR, SECURITY_WARNING, WARNING and SUGGESTION, each with an
// issue code (the Issue* constants), details and the path of the statement
// it is about. MaxResults and NextToken page the findings.
func (f *AccessAnalyzer) ValidatePolicy(ctx context.Context, in *accessanalyzer.ValidatePolicyInput, _ ...func(*accessanalyzer.Options)) (*accessanalyzer.ValidatePolicyOutput, error) {
	return call(ctx, f.a, "access-analyzer:ValidatePolicy", in, func() (*accessanalyzer.ValidatePolicyOutput, error) {
		if in.PolicyDocument == nil {
			return nil, aaValidation("policyDocument is required")
		}
		if len(*in.PolicyDocument) > maxAAPolicySize {
			return nil, aaValidation("policyDocument is too long")
		}
		switch in.PolicyType {
		case aatypes.PolicyTypeIdentityPolicy, aatypes.PolicyTypeResourcePolicy, aatypes.PolicyTypeServiceControlPolicy, aatypes.PolicyTypeResourceControlPolicy:
		default:
			return nil, aaValidation("invalid policyType %q", in.PolicyType)
		}
		if in.ValidatePolicyResourceType != "" && in.PolicyType != aatypes.PolicyTypeResourcePolicy {
			return nil, aaValidation("validatePolicyResourceType is only valid with policyType RESOURCE_POLICY")
		}
		trust := in.ValidatePolicyResourceType == aatypes.ValidatePolicyResourceTypeRoleTrust
		findings := validatePolicy(*in.PolicyDocument, trust)
		start := 0
		if in.NextToken != nil {
			n, ok := parsePageToken(*in.NextToken)
			if !ok || n > len(findings) {
				return nil, aaValidation("invalid nextToken")
			}
			start = n
		}
		end := len(findings)
		if in.MaxResults != nil {
			if *in.MaxResults < 1 {
				return nil, aaValidation("maxResults must be at least 1")
			}
			end = min(end, start+int(*in.MaxResults))
		}
		out := &accessanalyzer.ValidatePolicyOutput{Findings: findings[start:end]}
		if end < len(findings) {
			out.NextToken = aws.String(pageToken(end))
		}
		if out.Findings == nil {
			out.Findings = []aatypes.ValidatePolicyFinding{}
		}
		return out, nil
	})
}

// CheckNoNewAccess implements accessanalyzer.Client.CheckNoNewAccess: PASS
// when the new policy grants nothing the existing one did not, FAIL with a
// reason per new grant otherwise (the statement of the new policy that
// grants it, or the Deny of the existing policy that no longer applies).
// Both documents must be valid JSON policies of the same type.
func (f *AccessAnalyzer) CheckNoNewAccess(ctx context.Context, in *accessanalyzer.CheckNoNewAccessInput, _ ...func(*accessanalyzer.Options)) (*accessanalyzer.CheckNoNewAccessOutput, error) {
	return call(ctx, f.a, "access-analyzer:CheckNoNewAccess", in, func() (*accessanalyzer.CheckNoNewAccessOutput, error) {
		if in.NewPolicyDocument == nil || in.ExistingPolicyDocument == nil {
			return nil, aaValidation("newPolicyDocument and existingPolicyDocument are required")
		}
		switch in.PolicyType {
		case aatypes.AccessCheckPolicyTypeIdentityPolicy, aatypes.AccessCheckPolicyTypeResourcePolicy:
		default:
			return nil, aaValidation("invalid policyType %q", in.PolicyType)
		}
		if len(*in.NewPolicyDocument) > maxAAPolicySize || len(*in.ExistingPolicyDocument) > maxAAPolicySize {
			return nil, aaValidation("policy document is too long")
		}
		newDoc, err := parseAAPolicy(*in.NewPolicyDocument)
		if err != nil {
			return nil, aaValidation("newPolicyDocument: %v", err)
		}
		oldDoc, err := parseAAPolicy(*in.ExistingPolicyDocument)
		if err != nil {
			return nil, aaValidation("existingPolicyDocument: %v", err)
		}
		reasons := newAccess(oldDoc, newDoc)
		if len(reasons) == 0 {
			return &accessanalyzer.CheckNoNewAccessOutput{
				Result:  aatypes.CheckNoNewAccessResultPass,
				Message: aws.String("The modified permissions do not grant new access compared to your existing policy."),
				Reasons: []aatypes.ReasonSummary{},
			}, nil
		}
		return &accessanalyzer.CheckNoNewAccessOutput{
			Result:  aatypes.CheckNoNewAccessResultFail,
			Message: aws.String("The modified permissions grant new access compared to your existing policy."),
			Reasons: reasons,
		}, nil
	})
}

// ---- the policy model ----

// aaPolicy is a policy as the checks see it.
type aaPolicy struct {
	version string
	hasVer  bool
	stmts   []aaStatement
}

type aaStatement struct {
	index     int
	sid       string
	effect    string
	principal []string // normalized principals; "*" is everyone
	notPrinc  bool     // principal lists NotPrincipal
	noPrinc   bool     // neither Principal nor NotPrincipal
	actions   []string // lower-cased
	notAction bool
	noAction  bool
	resource  bool
	conds     map[string][]string // "operator\x00lower(key)" -> values as JSON texts
}

// parseAAPolicy reads a policy document; the error is for ValidationException.
func parseAAPolicy(text string) (*aaPolicy, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("the policy is not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the policy's JSON object")
	}
	p := &aaPolicy{}
	if v, ok := raw["Version"]; ok {
		p.hasVer = true
		p.version, _ = v.(string)
	}
	var stmts []any
	switch s := raw["Statement"].(type) {
	case nil:
	case map[string]any:
		stmts = []any{s}
	case []any:
		stmts = s
	default:
		return nil, errors.New("the Statement element must be an object or a list")
	}
	for i, e := range stmts {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("statement %d is not an object", i)
		}
		st := aaStatement{index: i, conds: map[string][]string{}}
		st.sid, _ = m["Sid"].(string)
		st.effect, _ = m["Effect"].(string)
		pr, hasP := m["Principal"]
		npr, hasNP := m["NotPrincipal"]
		switch {
		case hasP:
			st.principal = aaPrincipals(pr)
		case hasNP:
			st.principal, st.notPrinc = aaPrincipals(npr), true
		default:
			st.noPrinc = true
		}
		a, hasA := m["Action"]
		na, hasNA := m["NotAction"]
		switch {
		case hasA:
			st.actions = aaStrings(a)
		case hasNA:
			st.actions, st.notAction = aaStrings(na), true
		default:
			st.noAction = true
		}
		for i := range st.actions {
			st.actions[i] = strings.ToLower(st.actions[i])
		}
		_, r := m["Resource"]
		_, nr := m["NotResource"]
		st.resource = r || nr
		if c, ok := m["Condition"].(map[string]any); ok {
			for op, block := range c {
				b, ok := block.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("statement %d: Condition.%s is not an object", i, op)
				}
				for k, v := range b {
					key := strings.ToLower(op) + "\x00" + strings.ToLower(k)
					st.conds[key] = append(st.conds[key], aaValues(v)...)
				}
			}
		}
		p.stmts = append(p.stmts, st)
	}
	return p, nil
}

func aaStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// aaValues renders a condition value (one value or a list) as JSON texts,
// strings unquoted, so that "true" and true compare equal as IAM does.
func aaValues(v any) []string {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
			continue
		}
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}

var aaAccountRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d{12}$`) })
var aaRootRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):root$`) })
var aaEntityRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):(?:user|role|assumed-role|federated-user)/`)
})

// aaPrincipals normalizes a Principal element: "*" (alone or as AWS "*")
// is everyone; an account ID and its :root ARN are both "account:ID"; the
// rest is "Kind:value".
func aaPrincipals(v any) []string {
	if s, ok := v.(string); ok {
		if s == "*" {
			return []string{"*"}
		}
		return []string{"AWS:" + s}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for kind, vals := range m {
		for _, s := range aaStrings(vals) {
			out = append(out, aaPrincipal(kind, s))
		}
	}
	sort.Strings(out)
	return out
}

func aaPrincipal(kind, s string) string {
	if kind == "AWS" {
		switch {
		case s == "*":
			return "*"
		case aaAccountRE().MatchString(s):
			return "account:" + s
		}
		if m := aaRootRE().FindStringSubmatch(s); m != nil {
			return "account:" + m[1]
		}
	}
	return kind + ":" + s
}

// principalCovers reports whether the principal q of a statement covers
// the principal p of a request: the same, everyone, or the account of an
// IAM or STS principal.
func principalCovers(q, p string) bool {
	if q == "*" || q == p {
		return true
	}
	if acct, ok := strings.CutPrefix(q, "account:"); ok {
		if m := aaEntityRE().FindStringSubmatch(strings.TrimPrefix(p, "AWS:")); m != nil && strings.HasPrefix(p, "AWS:") {
			return m[1] == acct
		}
	}
	return false
}

func (s *aaStatement) matchesPrincipal(p string) bool {
	if s.noPrinc {
		return false
	}
	for _, q := range s.principal {
		if principalCovers(q, p) {
			return !s.notPrinc
		}
	}
	return s.notPrinc
}

func (s *aaStatement) matchesAction(a string) bool {
	if s.noAction {
		return false
	}
	for _, q := range s.actions {
		if q == a || aaGlob(q, a) {
			return !s.notAction
		}
	}
	return s.notAction
}

// aaGlob matches IAM's * and ? wildcards (pattern and s lower-cased).
func aaGlob(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	p, i, star, mark := 0, 0, -1, 0
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

// negatedOp reports whether a condition operator matches values NOT in its
// list: a longer list narrows it.
func negatedOp(op string) bool {
	op = strings.TrimPrefix(strings.TrimPrefix(op, "forallvalues:"), "foranyvalue:")
	return strings.Contains(op, "not")
}

// setOp reports whether a condition operator matches a value in its list,
// so that a shorter list narrows it.
func setOp(op string) bool {
	op = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(op, "forallvalues:"), "foranyvalue:"), "ifexists")
	switch op {
	case "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress":
		return true
	}
	return false
}

// implies reports whether every request that satisfies the conditions
// narrow also satisfies the conditions broad: each condition of broad is
// present in narrow, as narrowly or more.
func implies(narrow, broad map[string][]string) bool {
	for key, bvals := range broad {
		nvals, ok := narrow[key]
		if !ok {
			return false
		}
		op, _, _ := strings.Cut(key, "\x00")
		switch {
		case negatedOp(op):
			if !subset(bvals, nvals) {
				return false
			}
		case setOp(op):
			if !subset(nvals, bvals) {
				return false
			}
		default:
			if !subset(nvals, bvals) || !subset(bvals, nvals) {
				return false
			}
		}
	}
	return true
}

func subset(a, b []string) bool {
	set := make(map[string]bool, len(b))
	for _, v := range b {
		set[v] = true
	}
	for _, v := range a {
		if !set[v] {
			return false
		}
	}
	return true
}

// stsActions are the actions a trust policy is about, probed besides the
// ones the documents name.
var stsActions = []string{"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
	"sts:tagsession", "sts:setsourceidentity", "sts:setcontext"}

// newAccess returns why next grants access that prev does not: for every
// principal and action either document names (and "*"), each Allow of next
// that is not covered by an Allow of prev at least as broad, and each Deny
// of prev not kept at least as broad in next while next allows what it
// denied.
func newAccess(prev, next *aaPolicy) []aatypes.ReasonSummary {
	principals := map[string]bool{"*": true}
	actions := map[string]bool{}
	for _, a := range stsActions {
		actions[a] = true
	}
	for _, d := range []*aaPolicy{prev, next} {
		for _, s := range d.stmts {
			for _, p := range s.principal {
				principals[p] = true
			}
			for _, a := range s.actions {
				if !strings.ContainsAny(a, "*?") {
					actions[a] = true
				}
			}
		}
	}
	// Everyone of an account is probed through one of its users.
	for p := range principals {
		if acct, ok := strings.CutPrefix(p, "account:"); ok {
			principals["AWS:arn:aws:iam::"+acct+":user/someone"] = true
		}
	}
	var reasons []aatypes.ReasonSummary
	seen := map[string]bool{}
	add := func(s aaStatement, desc string) {
		key := fmt.Sprintf("%d\x00%s", s.index, desc)
		if seen[key] {
			return
		}
		seen[key] = true
		r := aatypes.ReasonSummary{Description: aws.String(desc), StatementIndex: aws.Int32(int32(s.index))}
		if s.sid != "" {
			r.StatementId = aws.String(s.sid)
		}
		reasons = append(reasons, r)
	}
	for _, p := range sortedKeys(principals) {
		for _, a := range sortedKeys(actions) {
			// An unconditional Deny of next takes the request out.
			if deniedOutright(next, p, a) {
				continue
			}
			for _, ns := range next.stmts {
				if ns.effect != "Allow" || !ns.matchesPrincipal(p) || !ns.matchesAction(a) {
					continue
				}
				covered := false
				for _, ps := range prev.stmts {
					if ps.effect == "Allow" && ps.matchesPrincipal(p) && ps.matchesAction(a) && implies(ns.conds, ps.conds) {
						covered = true
						break
					}
				}
				if !covered {
					add(ns, fmt.Sprintf("The new policy grants %s to %s, which the existing policy does not grant (under the same conditions or narrower).", a, aaShow(p)))
				}
				// A Deny of prev that next no longer applies.
				for _, pd := range prev.stmts {
					if pd.effect != "Deny" || !pd.matchesPrincipal(p) || !pd.matchesAction(a) {
						continue
					}
					kept := false
					for _, nd := range next.stmts {
						if nd.effect == "Deny" && nd.matchesPrincipal(p) && nd.matchesAction(a) && implies(pd.conds, nd.conds) {
							kept = true
							break
						}
					}
					if !kept {
						add(pd, fmt.Sprintf("The existing policy's Deny of %s to %s is removed or narrowed: the new policy allows it.", a, aaShow(p)))
					}
				}
			}
		}
	}
	return reasons
}

func deniedOutright(d *aaPolicy, p, a string) bool {
	for _, s := range d.stmts {
		if s.effect == "Deny" && len(s.conds) == 0 && s.matchesPrincipal(p) && s.matchesAction(a) {
			return true
		}
	}
	return false
}

func aaShow(p string) string {
	switch {
	case p == "*":
		return "everyone (\"*\")"
	case strings.HasPrefix(p, "account:"):
		return "every principal of account " + strings.TrimPrefix(p, "account:")
	}
	return p
}

// ---- validation ----

func validatePolicy(text string, trust bool) []aatypes.ValidatePolicyFinding {
	var out []aatypes.ValidatePolicyFinding
	finding := func(t aatypes.ValidatePolicyFindingType, code string, path []aatypes.PathElement, format string, args ...any) {
		out = append(out, aatypes.ValidatePolicyFinding{
			FindingType:    t,
			IssueCode:      aws.String(code),
			FindingDetails: aws.String(fmt.Sprintf(format, args...)),
			LearnMoreLink:  aws.String(accessAnalyzerLearnMore + "#" + strings.ToLower(strings.ReplaceAll(code, "_", "-"))),
			Locations:      []aatypes.Location{{Path: path}},
		})
	}
	if !json.Valid([]byte(text)) || !bytes.HasPrefix(bytes.TrimSpace([]byte(text)), []byte("{")) {
		finding(aatypes.ValidatePolicyFindingTypeError, IssueJSONSyntax, nil, "The policy is not a valid JSON object.")
		return out
	}
	p, err := parseAAPolicy(text)
	if err != nil {
		finding(aatypes.ValidatePolicyFindingTypeError, IssueJSONSyntax, nil, "The policy does not follow the policy grammar: %v.", err)
		return out
	}
	switch {
	case !p.hasVer:
		finding(aatypes.ValidatePolicyFindingTypeWarning, IssueMissingVersion, []aatypes.PathElement{aaKey("Version")},
			"We recommend that you specify the Version element to help you with debugging permission issues.")
	case p.version != "2012-10-17" && p.version != "2008-10-17":
		finding(aatypes.ValidatePolicyFindingTypeError, IssueInvalidVersion, []aatypes.PathElement{aaKey("Version")},
			"The Version must be 2012-10-17 or 2008-10-17.")
	}
	if len(p.stmts) == 0 {
		finding(aatypes.ValidatePolicyFindingTypeError, IssueMissingStatement, []aatypes.PathElement{aaKey("Statement")}, "The policy has no statement.")
	}
	sids := map[string]bool{}
	for _, s := range p.stmts {
		at := func(k string) []aatypes.PathElement {
			return []aatypes.PathElement{aaKey("Statement"), &aatypes.PathElementMemberIndex{Value: int32(s.index)}, aaKey(k)}
		}
		if s.sid != "" {
			if sids[s.sid] {
				finding(aatypes.ValidatePolicyFindingTypeError, IssueDuplicateSid, at("Sid"), "The Sid %q is used by more than one statement.", s.sid)
			}
			sids[s.sid] = true
		}
		if s.effect != "Allow" && s.effect != "Deny" {
			finding(aatypes.ValidatePolicyFindingTypeError, IssueInvalidEffect, at("Effect"), "The Effect must be Allow or Deny.")
		}
		if s.noAction {
			finding(aatypes.ValidatePolicyFindingTypeError, IssueMissingAction, at("Action"), "Add an Action or NotAction element.")
		}
		if !trust {
			continue
		}
		if s.noPrinc {
			finding(aatypes.ValidatePolicyFindingTypeError, IssueMissingPrincipal, at("Principal"), "A role trust policy statement needs a Principal element.")
		}
		if s.resource {
			finding(aatypes.ValidatePolicyFindingTypeError, IssueUnsupportedResource, at("Resource"), "A role trust policy has no Resource element.")
		}
		for _, a := range s.actions {
			if a != "*" && !strings.HasPrefix(a, "sts:") {
				finding(aatypes.ValidatePolicyFindingTypeError, IssueInvalidAction, at("Action"), "The action %s does not apply to a role trust policy: only sts: actions do.", a)
			}
		}
		for _, q := range s.principal {
			if id, ok := strings.CutPrefix(q, "AWS:"); ok && aaUniqueIDRE().MatchString(id) {
				finding(aatypes.ValidatePolicyFindingTypeError, IssueInvalidPrincipal, at("Principal"), "The principal %s is the unique ID of a deleted user or role.", id)
			}
		}
		if s.effect != "Allow" {
			continue
		}
		if s.notPrinc {
			finding(aatypes.ValidatePolicyFindingTypeSecurityWarning, IssueAllowWithNotPrinc, at("NotPrincipal"),
				"Using Allow with NotPrincipal grants access to every principal not listed, including anonymous users.")
		}
		if len(s.conds) == 0 {
			for _, q := range s.principal {
				if q == "*" {
					finding(aatypes.ValidatePolicyFindingTypeSecurityWarning, IssuePublicTrust, at("Principal"),
						"The role trusts every principal (\"*\") without a condition: anyone with an AWS account can assume it.")
					break
				}
			}
		}
		for _, q := range s.principal {
			if strings.HasPrefix(q, "Federated:") && strings.Contains(q, ":oidc-provider/") && !hasSubOrAud(s.conds) {
				finding(aatypes.ValidatePolicyFindingTypeSecurityWarning, IssueMissingOIDCCondition, at("Condition"),
					"The role trusts the OIDC provider %s without a condition on its audience or subject: any identity it issues can assume the role.",
					strings.TrimPrefix(q, "Federated:"))
			}
		}
	}
	return out
}

var aaUniqueIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(AIDA|AROA)[A-Z0-9]{12,124}$`) })

func hasSubOrAud(conds map[string][]string) bool {
	for k := range conds {
		_, key, _ := strings.Cut(k, "\x00")
		if strings.HasSuffix(key, ":sub") || strings.HasSuffix(key, ":aud") {
			return true
		}
	}
	return false
}

func aaKey(k string) aatypes.PathElement { return &aatypes.PathElementMemberKey{Value: k} }

// pageToken and parsePageToken are the opaque NextToken of the fakes'
// REST-JSON and JSON 1.1 listings: an offset.
func pageToken(n int) string { return "fake-token-" + strconv.Itoa(n) }

func parsePageToken(s string) (int, bool) {
	v, ok := strings.CutPrefix(s, "fake-token-")
	n, err := strconv.Atoi(v)
	return n, ok && err == nil && n >= 0
}
