package trustpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode"
)

// ErrMalformed is returned (wrapped) by Parse for text that is not JSON or
// not shaped like a policy. Test for it with errors.Is.
var ErrMalformed = errors.New("malformed trust policy")

// Document is a role trust policy, parsed losslessly: serializing it gives
// back the same key order, unknown fields, single values vs lists, "*" vs
// {"AWS": …}, a single statement vs an array, and condition values of every
// JSON type, wherever an edit did not touch them. Whitespace is not kept (IAM
// ignores it), and string escapes are normalized (a "\u0041" comes back "A").
//
// Edits change a Document in place; Document.With returns an edited copy.
// A Document is not safe for concurrent mutation.
type Document struct {
	root *node
}

// Parse parses a trust policy. The top level must be an object; when present,
// Statement must be an object or an array of objects, Principal and
// NotPrincipal "*" or an object of strings or string lists, Action and
// NotAction a string or a list of strings, Condition an object of objects.
// Duplicate keys are refused. Anything else, including unknown fields and
// values, is kept as it is.
func Parse(data []byte) (*Document, error) {
	root, err := parseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trustpolicy: %w: %v", ErrMalformed, err)
	}
	if root.kind != kObject {
		return nil, fmt.Errorf("trustpolicy: %w: the policy is not a JSON object", ErrMalformed)
	}
	d := &Document{root: root}
	if err := d.checkShape(); err != nil {
		return nil, fmt.Errorf("trustpolicy: %w: %v", ErrMalformed, err)
	}
	return d, nil
}

// MustParse is Parse for documents known to be valid, such as literals in
// tests and examples; it panics on error.
func MustParse(s string) *Document {
	d, err := Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return d
}

// DecodeRoleDocument decodes the AssumeRolePolicyDocument that GetRole and
// ListRoles return: IAM sends it URL-encoded, and it is decoded exactly once
// with url.QueryUnescape, so a literal "%" or "+" in a condition value (sent
// by IAM as %25 and %2B) survives. A document that already starts with "{" was
// decoded by someone else and is returned unchanged.
func DecodeRoleDocument(s string) (string, error) {
	if strings.HasPrefix(strings.TrimLeftFunc(s, unicode.IsSpace), "{") {
		return s, nil
	}
	out, err := url.QueryUnescape(s)
	if err != nil {
		return "", fmt.Errorf("trustpolicy: %w: URL-decoding the role's document: %v", ErrMalformed, err)
	}
	return out, nil
}

// ParseRoleDocument decodes (DecodeRoleDocument) and parses the document as
// GetRole returns it.
func ParseRoleDocument(s string) (*Document, error) {
	text, err := DecodeRoleDocument(s)
	if err != nil {
		return nil, err
	}
	return Parse([]byte(text))
}

func (d *Document) checkShape() error {
	st := d.root.get("Statement")
	if st == nil {
		return nil
	}
	switch st.kind {
	case kObject:
	case kArray:
		for i, e := range st.elems {
			if e.kind != kObject {
				return fmt.Errorf("statement %d is not an object", i)
			}
		}
	default:
		return errors.New("Statement must be an object or an array of objects")
	}
	for i, s := range d.statementNodes() {
		for _, k := range []string{"Principal", "NotPrincipal"} {
			p := s.get(k)
			if p == nil {
				continue
			}
			if p.kind == kString && p.str == "*" {
				continue
			}
			if p.kind != kObject {
				return fmt.Errorf("statement %d: %s must be \"*\" or an object", i, k)
			}
			for j, v := range p.vals {
				if _, ok := v.strings(); !ok {
					return fmt.Errorf("statement %d: %s.%s must be a string or a list of strings", i, k, p.keys[j])
				}
			}
		}
		for _, k := range []string{"Action", "NotAction", "Sid", "Effect"} {
			v := s.get(k)
			if v == nil {
				continue
			}
			if _, ok := v.strings(); !ok || ((k == "Sid" || k == "Effect") && v.kind != kString) {
				return fmt.Errorf("statement %d: %s has the wrong type", i, k)
			}
		}
		if c := s.get("Condition"); c != nil {
			if c.kind != kObject {
				return fmt.Errorf("statement %d: Condition must be an object", i)
			}
			for j, v := range c.vals {
				if v.kind != kObject {
					return fmt.Errorf("statement %d: Condition.%s must be an object", i, c.keys[j])
				}
			}
		}
	}
	return nil
}

// Bytes returns the document as compact JSON, the form sent to IAM.
func (d *Document) Bytes() []byte { return d.root.compact() }

// String returns the document as compact JSON.
func (d *Document) String() string { return string(d.Bytes()) }

// Indent returns the document as JSON indented by two spaces, for people.
func (d *Document) Indent() string {
	var b bytes.Buffer
	_ = json.Indent(&b, d.Bytes(), "", "  ") // Bytes is valid JSON
	return b.String()
}

// MarshalJSON implements json.Marshaler with the compact form.
func (d *Document) MarshalJSON() ([]byte, error) { return d.Bytes(), nil }

// Clone returns a deep copy.
func (d *Document) Clone() *Document { return &Document{root: d.root.clone()} }

// Equal reports whether a and b serialize to the same bytes: same structure,
// same order, same forms.
func Equal(a, b *Document) bool { return bytes.Equal(a.Bytes(), b.Bytes()) }

// With returns a copy of d with e applied; d itself is never modified, even
// when e fails.
func (d *Document) With(e Edit) (*Document, error) {
	c := d.Clone()
	if err := e.Apply(c); err != nil {
		return nil, err
	}
	return c, nil
}

// Size is the document's length as IAM counts it against the trust-policy
// quota: characters, whitespace excluded.
func (d *Document) Size() int {
	n := 0
	for _, r := range string(d.Bytes()) {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// Version returns the policy's Version, or "" when it has none.
func (d *Document) Version() string {
	if v := d.root.get("Version"); v != nil && v.kind == kString {
		return v.str
	}
	return ""
}

// statementNodes returns the statements, whether written as one object or as
// an array.
func (d *Document) statementNodes() []*node {
	st := d.root.get("Statement")
	switch {
	case st == nil:
		return nil
	case st.kind == kObject:
		return []*node{st}
	case st.kind == kArray:
		return st.elems
	}
	return nil
}

// appendStatement adds s, turning a single statement into an array.
func (d *Document) appendStatement(s *node) {
	st := d.root.get("Statement")
	switch {
	case st == nil:
		d.root.set("Statement", arrNode(s))
	case st.kind == kObject:
		d.root.set("Statement", arrNode(st, s))
	default:
		st.elems = append(st.elems, s)
	}
}

// removeStatements drops the statements for which drop returns true. A
// single-statement document whose statement goes becomes "Statement": [].
func (d *Document) removeStatements(drop func(*node) bool) {
	st := d.root.get("Statement")
	switch {
	case st == nil:
	case st.kind == kObject:
		if drop(st) {
			d.root.set("Statement", arrNode())
		}
	default:
		kept := st.elems[:0:0]
		for _, e := range st.elems {
			if !drop(e) {
				kept = append(kept, e)
			}
		}
		if len(kept) != len(st.elems) {
			st.elems = kept
		}
	}
}

// Statements returns read-only views of the statements, in document order.
func (d *Document) Statements() []Statement {
	nodes := d.statementNodes()
	out := make([]Statement, len(nodes))
	for i, n := range nodes {
		out[i] = Statement{Index: i, n: n}
	}
	return out
}

// Statement is a read-only view of one statement of a Document.
type Statement struct {
	Index int // position in the document
	n     *node
}

func (s Statement) str(key string) string {
	if v := s.n.get(key); v != nil && v.kind == kString {
		return v.str
	}
	return ""
}

// Sid returns the statement ID, or "".
func (s Statement) Sid() string { return s.str("Sid") }

// Effect returns "Allow", "Deny" or whatever else is written.
func (s Statement) Effect() string { return s.str("Effect") }

// Actions returns the Action element as a list.
func (s Statement) Actions() []string {
	l, _ := s.n.get("Action").strings()
	return l
}

// Principals returns the Principal element as a list; "Principal": "*" is
// reported as AWS("*"), which IAM treats the same.
func (s Statement) Principals() []Principal { return principalsOf(s.n.get("Principal")) }

// NotPrincipals returns the NotPrincipal element as a list.
func (s Statement) NotPrincipals() []Principal { return principalsOf(s.n.get("NotPrincipal")) }

// Condition returns the Condition element as JSON, or nil.
func (s Statement) Condition() json.RawMessage {
	if c := s.n.get("Condition"); c != nil {
		return c.compact()
	}
	return nil
}

// RequiresMFA reports whether the statement has the condition
// "Bool": {"aws:MultiFactorAuthPresent": "true"}.
func (s Statement) RequiresMFA() bool { return requiresMFA(s.n) }

func principalsOf(p *node) []Principal {
	if p == nil {
		return nil
	}
	if p.kind == kString {
		return []Principal{AWS(p.str)}
	}
	var out []Principal
	for i, k := range p.keys {
		l, _ := p.vals[i].strings()
		for _, v := range l {
			out = append(out, Principal{Kind: Kind(k), ID: v})
		}
	}
	return out
}

// Principals returns every distinct principal named in a Principal element
// of an Allow statement, in document order.
func (d *Document) Principals() []Principal {
	var out []Principal
	seen := map[string]bool{}
	for _, s := range d.Statements() {
		if s.Effect() != "Allow" {
			continue
		}
		for _, p := range s.Principals() {
			if !seen[p.key()] {
				seen[p.key()] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Trusts reports whether an Allow statement whose actions cover the action
// for p's kind (sts:AssumeRole for AWS and Service principals) names p in its
// Principal element. It does not evaluate conditions, nor does it treat "*"
// as naming every principal.
func (d *Document) Trusts(p Principal) bool {
	action := p.action()
	for _, s := range d.Statements() {
		if s.Effect() != "Allow" || !actionCovers(s.Actions(), action) {
			continue
		}
		for _, q := range s.Principals() {
			if q.Same(p) {
				return true
			}
		}
	}
	return false
}

// mentions reports whether any statement names p in Principal or NotPrincipal.
func (d *Document) mentions(p Principal) bool {
	for _, s := range d.Statements() {
		for _, q := range append(s.Principals(), s.NotPrincipals()...) {
			if q.Same(p) {
				return true
			}
		}
	}
	return false
}

// UniqueIDs returns the unique IDs (AIDA…, AROA…) named as AWS principals
// anywhere in the document: IAM writes them in place of the ARN of a user or
// role that was deleted. PruneUniqueIDs removes them.
func (d *Document) UniqueIDs() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range d.Statements() {
		for _, p := range append(s.Principals(), s.NotPrincipals()...) {
			if p.Kind == KindAWS && IsUniqueID(p.ID) && !seen[p.ID] {
				seen[p.ID] = true
				out = append(out, p.ID)
			}
		}
	}
	return out
}

// Equivalent reports whether a and b mean the same policy, whatever their
// form: statement order, key order, a single value vs a one-element list, the
// order of values in a list, "*" vs {"AWS": "*"}, a bare account ID vs its
// :root ARN, the case of condition keys, an empty Condition vs none and an
// empty Statement list vs none make no difference. Anything else (including the JSON type of a condition
// value) must match.
func Equivalent(a, b *Document) bool { return canonical(a) == canonical(b) }

func canonical(d *Document) string {
	root := map[string]any{}
	for i, k := range d.root.keys {
		if k == "Statement" {
			continue
		}
		root[k] = canonValue(d.root.vals[i])
	}
	stmts := []string{}
	for _, s := range d.statementNodes() {
		stmts = append(stmts, canonStatement(s))
	}
	sort.Strings(stmts)
	root["Statement"] = stmts
	b, _ := json.Marshal(root)
	return string(b)
}

func canonStatement(s *node) string {
	m := map[string]any{}
	for i, k := range s.keys {
		v := s.vals[i]
		switch k {
		case "Principal", "NotPrincipal":
			set := map[string][]string{}
			for _, p := range principalsOf(v) {
				set[string(p.Kind)] = append(set[string(p.Kind)], p.key())
			}
			for kk := range set {
				set[kk] = sortedUnique(set[kk])
			}
			m[k] = set
		case "Action", "NotAction":
			l, _ := v.strings()
			for j := range l {
				l[j] = strings.ToLower(l[j])
			}
			m[k] = sortedUnique(l)
		case "Condition":
			c := map[string]map[string][]string{}
			for j, op := range v.keys {
				block := v.vals[j]
				for bi, ck := range block.keys {
					vals := canonList(block.vals[bi])
					if c[op] == nil {
						c[op] = map[string][]string{}
					}
					key := strings.ToLower(ck)
					c[op][key] = sortedUnique(append(c[op][key], vals...))
				}
			}
			if len(c) > 0 {
				m[k] = c
			}
		default:
			m[k] = canonValue(v)
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// canonList renders a condition value (a value or a list of values) as the
// sorted JSON texts of its elements.
func canonList(n *node) []string {
	if n.kind != kArray {
		return []string{string(n.compact())}
	}
	out := make([]string, 0, len(n.elems))
	for _, e := range n.elems {
		out = append(out, string(e.compact()))
	}
	return out
}

// canonValue turns a node into a value whose json.Marshal output ignores key
// order (maps marshal sorted) and keeps number literals.
func canonValue(n *node) any {
	switch n.kind {
	case kObject:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = canonValue(n.vals[i])
		}
		return m
	case kArray:
		l := make([]any, len(n.elems))
		for i, e := range n.elems {
			l[i] = canonValue(e)
		}
		return l
	case kString:
		return n.str
	case kNumber:
		return json.Number(n.str)
	case kBool:
		return n.b
	}
	return nil
}

func sortedUnique(l []string) []string {
	sort.Strings(l)
	out := l[:0]
	for i, s := range l {
		if i == 0 || s != l[i-1] {
			out = append(out, s)
		}
	}
	return out
}
