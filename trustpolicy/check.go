package trustpolicy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
)

// Validator is the part of IAM Access Analyzer that the checks before an
// apply call, with the SDK's signatures: *accessanalyzer.Client satisfies
// it, and so does the fake account of iamkittest. ValidatePolicy is free;
// CheckNoNewAccess is a custom policy check, charged per call.
type Validator interface {
	ValidatePolicy(ctx context.Context, in *accessanalyzer.ValidatePolicyInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.ValidatePolicyOutput, error)
	CheckNoNewAccess(ctx context.Context, in *accessanalyzer.CheckNoNewAccessInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.CheckNoNewAccessOutput, error)
}

var _ Validator = (*accessanalyzer.Client)(nil)

// ErrFindings is matched (errors.Is) when Access Analyzer's ValidatePolicy
// reports an ERROR or SECURITY_WARNING finding for the edited document and
// the findings were not allowed (WithAllowFindings).
var ErrFindings = errors.New("blocking findings of Access Analyzer")

// ErrNewAccess is matched (errors.Is) when an edit meant to remove access
// (RemovePrincipals, PruneUniqueIDs, RemoveStatement) grants new access
// according to Access Analyzer's CheckNoNewAccess: such a "removal" is
// refused.
var ErrNewAccess = errors.New("the removal grants new access")

// Finding is one finding of Access Analyzer's ValidatePolicy.
type Finding struct {
	Type      string `json:"type"`       // ERROR, SECURITY_WARNING, WARNING or SUGGESTION
	IssueCode string `json:"issue_code"` // e.g. MISSING_VERSION
	Details   string `json:"details"`
	Path      string `json:"path,omitempty"` // e.g. Statement[1].Principal
}

// Blocking reports whether the finding blocks an apply: ERROR and
// SECURITY_WARNING do.
func (f Finding) Blocking() bool {
	return f.Type == string(aatypes.ValidatePolicyFindingTypeError) || f.Type == string(aatypes.ValidatePolicyFindingTypeSecurityWarning)
}

func (f Finding) String() string {
	s := f.Type + " " + f.IssueCode
	if f.Path != "" {
		s += " at " + f.Path
	}
	return s + ": " + f.Details
}

// Check is what was proven about one changed document before it was sent.
type Check struct {
	// Findings are ValidatePolicy's findings on the edited document.
	Findings []Finding `json:"findings"`
	// NoNewAccess is CheckNoNewAccess's result, PASS or FAIL, comparing
	// the edited document with the current one; Reasons are its reasons.
	NoNewAccess string   `json:"no_new_access"`
	Reasons     []string `json:"reasons,omitempty"`
	// NewAccess is iamkit's own statement, from the diff, of the access the
	// edit grants: added principals, loosened or dropped conditions, Deny
	// statements removed. Empty when the edit only narrows.
	NewAccess []string `json:"new_access,omitempty"`
	// ExpectNoNewAccess reports whether the edit is a removal, so that a
	// FAIL refuses it.
	ExpectNoNewAccess bool `json:"expect_no_new_access"`
	// CustomChecks counts the CheckNoNewAccess calls made (charged per
	// call); ValidateCalls the ValidatePolicy calls (pages).
	CustomChecks  int `json:"custom_checks"`
	ValidateCalls int `json:"validate_calls"`
}

// Blocking returns the findings that block an apply.
func (c *Check) Blocking() []Finding {
	var out []Finding
	for _, f := range c.Findings {
		if f.Blocking() {
			out = append(out, f)
		}
	}
	return out
}

// CheckChange proves an edit before it is applied: the edited document
// goes through ValidatePolicy (as a RESOURCE_POLICY of resource type
// AWS::IAM::AssumeRolePolicyDocument, every page of findings), then
// CheckNoNewAccess compares it with the current document. iamkit's own
// statement of the new access (NewAccess) is computed from the two
// documents. expectNoNewAccess marks a removal. It makes ValidateCalls +
// 1 calls and returns an error only when a call fails; deciding what
// blocks is the caller's (Apply: WithAllowFindings, ErrNewAccess).
func CheckChange(ctx context.Context, v Validator, before, after *Document, expectNoNewAccess bool) (*Check, error) {
	c := &Check{ExpectNoNewAccess: expectNoNewAccess, NewAccess: DescribeNewAccess(before, after)}
	in := &accessanalyzer.ValidatePolicyInput{
		PolicyDocument:             aws.String(after.String()),
		PolicyType:                 aatypes.PolicyTypeResourcePolicy,
		ValidatePolicyResourceType: aatypes.ValidatePolicyResourceTypeRoleTrust,
	}
	p := accessanalyzer.NewValidatePolicyPaginator(v, in)
	for p.HasMorePages() {
		c.ValidateCalls++
		out, err := p.NextPage(ctx)
		if err != nil {
			return c, fmt.Errorf("trustpolicy: Access Analyzer ValidatePolicy: %w", err)
		}
		for _, f := range out.Findings {
			c.Findings = append(c.Findings, Finding{
				Type: string(f.FindingType), IssueCode: aws.ToString(f.IssueCode),
				Details: aws.ToString(f.FindingDetails), Path: findingPath(f.Locations),
			})
		}
	}
	c.CustomChecks++
	out, err := v.CheckNoNewAccess(ctx, &accessanalyzer.CheckNoNewAccessInput{
		ExistingPolicyDocument: aws.String(before.String()),
		NewPolicyDocument:      aws.String(after.String()),
		PolicyType:             aatypes.AccessCheckPolicyTypeResourcePolicy,
	})
	if err != nil {
		return c, fmt.Errorf("trustpolicy: Access Analyzer CheckNoNewAccess: %w", err)
	}
	c.NoNewAccess = string(out.Result)
	for _, r := range out.Reasons {
		s := aws.ToString(r.Description)
		switch {
		case r.StatementId != nil:
			s = fmt.Sprintf("statement %q: %s", aws.ToString(r.StatementId), s)
		case r.StatementIndex != nil:
			s = fmt.Sprintf("statement %d: %s", aws.ToInt32(r.StatementIndex), s)
		}
		c.Reasons = append(c.Reasons, s)
	}
	return c, nil
}

// findingPath renders the first location of a finding as
// Statement[1].Principal.
func findingPath(locs []aatypes.Location) string {
	if len(locs) == 0 {
		return ""
	}
	var sb strings.Builder
	for _, e := range locs[0].Path {
		switch x := e.(type) {
		case *aatypes.PathElementMemberKey:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(x.Value)
		case *aatypes.PathElementMemberIndex:
			fmt.Fprintf(&sb, "[%d]", x.Value)
		case *aatypes.PathElementMemberValue:
			fmt.Fprintf(&sb, "=%q", x.Value)
		}
	}
	return sb.String()
}

// DescribeNewAccess states, from the two documents, the access after grants
// that before does not: principals newly trusted, conditions dropped or
// loosened for a principal trusted before, and Deny statements removed. It
// is iamkit's own reading, shown beside Access Analyzer's verdict.
func DescribeNewAccess(before, after *Document) []string {
	var out []string
	for _, p := range AddedPrincipals(before, after) {
		out = append(out, fmt.Sprintf("%s may now assume the role (%s)", p, p.action()))
	}
	for _, s := range after.Statements() {
		if s.Effect() != "Allow" {
			continue
		}
		nc := condSet(s.n.get("Condition"))
		for _, p := range s.Principals() {
			if !before.Trusts(p) {
				continue
			}
			var prev []map[string][]string
			for _, b := range before.Statements() {
				if b.Effect() != "Allow" || !actionCovers(b.Actions(), p.action()) {
					continue
				}
				for _, q := range b.Principals() {
					if q.Same(p) {
						prev = append(prev, condSet(b.n.get("Condition")))
						break
					}
				}
			}
			narrowest := true
			var dropped []string
			for _, pc := range prev {
				if missing := notImplied(nc, pc); len(missing) == 0 {
					narrowest = false
					break
				} else if dropped == nil {
					dropped = missing
				}
			}
			if narrowest && len(prev) > 0 {
				out = append(out, fmt.Sprintf("%s: condition %s loosened or dropped", p, strings.Join(dropped, ", ")))
			}
		}
	}
	afterDenies := map[string]bool{}
	for _, s := range after.Statements() {
		if s.Effect() == "Deny" {
			afterDenies[canonStatement(s.n)] = true
		}
	}
	for _, s := range before.Statements() {
		if s.Effect() == "Deny" && !afterDenies[canonStatement(s.n)] {
			name := fmt.Sprintf("%d", s.Index)
			if s.Sid() != "" {
				name = fmt.Sprintf("%q", s.Sid())
			}
			out = append(out, "Deny statement "+name+" removed or changed")
		}
	}
	return out
}

// condSet reads a Condition element as operator + key (lower-cased) → the
// values as JSON texts, strings unquoted.
func condSet(c *node) map[string][]string {
	m := map[string][]string{}
	if c == nil || c.kind != kObject {
		return m
	}
	for i, op := range c.keys {
		block := c.vals[i]
		if block.kind != kObject {
			continue
		}
		for j, k := range block.keys {
			key := op + " " + strings.ToLower(k)
			v := block.vals[j]
			elems := []*node{v}
			if v.kind == kArray {
				elems = v.elems
			}
			for _, e := range elems {
				if e.kind == kString {
					m[key] = append(m[key], e.str)
				} else {
					m[key] = append(m[key], string(e.compact()))
				}
			}
		}
	}
	return m
}

// notImplied returns the conditions of broad that narrow does not keep at
// least as narrowly: missing, or with values added (for a positive
// operator) or removed (for a negated one).
func notImplied(narrow, broad map[string][]string) []string {
	var out []string
	for key, bv := range broad {
		nv, ok := narrow[key]
		op, _, _ := strings.Cut(key, " ")
		neg := strings.Contains(strings.ToLower(op), "not")
		switch {
		case !ok:
		case neg && containsAll(nv, bv):
			continue
		case !neg && containsAll(bv, nv) && (strings.Contains(strings.ToLower(op), "equals") || strings.Contains(strings.ToLower(op), "like") || strings.Contains(strings.ToLower(op), "ipaddress") || containsAll(nv, bv)):
			continue
		}
		out = append(out, key)
	}
	sort.Strings(out)
	return out
}

func containsAll(set, sub []string) bool {
	m := make(map[string]bool, len(set))
	for _, v := range set {
		m[v] = true
	}
	for _, v := range sub {
		if !m[v] {
			return false
		}
	}
	return true
}

// narrowing reports whether e is an edit meant to remove access, whose
// CheckNoNewAccess must PASS.
func narrowing(e Edit) bool {
	switch x := e.(type) {
	case principalEdit:
		return x.remove
	case pruneEdit, removeStatementEdit, removeEquivalentEdit:
		return true
	case edits:
		for _, y := range x {
			if !narrowing(y) {
				return false
			}
		}
		return len(x) > 0
	}
	return false
}
