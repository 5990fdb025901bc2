package trustpolicy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// ErrNoStatement is returned (wrapped) by an edit that needs a statement the
// document does not have.
var ErrNoStatement = errors.New("no such statement")

// ErrConflict is returned (wrapped) by AddStatement when a statement with the
// same Sid exists and says something else.
var ErrConflict = errors.New("conflicting statement")

// Edit is a change to a trust policy. Every edit in this package is a set
// operation and idempotent: applying it to its own result changes nothing, so
// re-running an interrupted fan-out is safe.
type Edit interface {
	// Apply changes d in place. On error d may be partly changed; use
	// Document.With to keep the original.
	Apply(d *Document) error
	// String describes the edit for logs and reports.
	String() string
}

// inverter is implemented by edits that can be undone.
type inverter interface{ inverse() Edit }

// Invert returns the edit that undoes e, when there is one: AddPrincipals and
// RemovePrincipals, RequireMFA and DropMFARequirement, AddStatement and
// RemoveStatement (by Sid) pair up, and a sequence (Edits) is undone by its
// inverses in reverse order. PruneUniqueIDs and RemoveStatement have no
// inverse. An adding edit (AddPrincipals, AddPrincipalsTo,
// AddAssumeRoleStatement, AddStatement, RequireMFA) followed by its inverse
// gives back an equivalent document (see Equivalent) whenever what it added
// was not mentioned in the document before. The other way round is weaker:
// a principal removed and added back is trusted again, but a statement the
// removal emptied is gone with its conditions.
func Invert(e Edit) (Edit, bool) {
	if i, ok := e.(inverter); ok {
		if inv := i.inverse(); inv != nil {
			return inv, true
		}
	}
	return nil, false
}

var sidRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9]+$`) })

// findSid returns the statements whose Sid is sid.
func (d *Document) findSid(sid string) []*node {
	var out []*node
	for _, s := range d.statementNodes() {
		if v := s.get("Sid"); v != nil && v.kind == kString && v.str == sid {
			out = append(out, s)
		}
	}
	return out
}

func isAllow(s *node) bool {
	v := s.get("Effect")
	return v != nil && v.kind == kString && v.str == "Allow"
}

func actionsOf(s *node) []string {
	l, _ := s.get("Action").strings()
	return l
}

func describe(verb string, sid string, ps []Principal) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	s := verb + " " + strings.Join(parts, ", ")
	if sid != "" {
		s += " (statement " + sid + ")"
	}
	return s
}

// ---- principals ----

type principalEdit struct {
	remove bool
	sid    string
	ps     []Principal
}

// AddPrincipals makes the role trust each principal, if it does not already:
// a principal already named by an Allow statement that grants its kind's
// action (sts:AssumeRole for AWS and Service, sts:AssumeRoleWithWebIdentity
// or sts:AssumeRoleWithSAML for Federated) is left alone. Otherwise an AWS or
// Service principal joins the first such Allow statement that already names
// principals of its kind (so it inherits that statement's conditions, such
// as an MFA requirement); when there is none, and always for a Federated
// principal (whose statements' conditions are specific to one provider), a
// new statement {"Effect":"Allow","Principal":{Kind:ID},"Action":action} is
// appended (for a SAML provider with the usual SAML:aud condition). A
// principal joining a single value turns it into a list. Unique IDs and
// partial wildcards are refused.
func AddPrincipals(ps ...Principal) Edit { return principalEdit{ps: ps} }

// AddPrincipalsTo adds the principals to the statement whose Sid is sid,
// which must exist and be an Allow statement with a Principal object.
func AddPrincipalsTo(sid string, ps ...Principal) Edit { return principalEdit{sid: sid, ps: ps} }

// RemovePrincipals removes each principal (a bare account ID and its :root
// ARN alike) from the Principal element of every Allow statement. Deny
// statements are never touched: dropping a principal from a Deny would
// widen access. A statement left with no principal is dropped; a list left
// with one value stays a list.
func RemovePrincipals(ps ...Principal) Edit { return principalEdit{remove: true, ps: ps} }

// RemovePrincipalsFrom removes the principals from the Allow statement whose
// Sid is sid only; it is a no-op when there is no such statement.
func RemovePrincipalsFrom(sid string, ps ...Principal) Edit {
	return principalEdit{remove: true, sid: sid, ps: ps}
}

func (e principalEdit) String() string {
	if e.remove {
		return describe("remove", e.sid, e.ps)
	}
	return describe("add", e.sid, e.ps)
}

func (e principalEdit) inverse() Edit {
	e.remove = !e.remove
	return e
}

func (e principalEdit) Apply(d *Document) error {
	for _, p := range e.ps {
		if err := p.check(e.remove); err != nil {
			return err
		}
	}
	if e.remove {
		for _, p := range e.ps {
			d.removePrincipal(p, e.sid)
		}
		return nil
	}
	for _, p := range e.ps {
		if err := d.addPrincipal(p, e.sid); err != nil {
			return err
		}
	}
	return nil
}

func (d *Document) addPrincipal(p Principal, sid string) error {
	var target *node
	if sid != "" {
		found := d.findSid(sid)
		if len(found) == 0 {
			return fmt.Errorf("trustpolicy: add %s: %w with Sid %q", p, ErrNoStatement, sid)
		}
		target = found[0]
		if !isAllow(target) {
			return fmt.Errorf("trustpolicy: add %s: statement %q is not an Allow statement", p, sid)
		}
		switch pr := target.get("Principal"); {
		case pr == nil:
			return fmt.Errorf("trustpolicy: add %s: statement %q has no Principal element", p, sid)
		case pr.kind != kObject:
			return fmt.Errorf("trustpolicy: add %s: statement %q trusts \"*\"; name principals in another statement", p, sid)
		}
		for _, q := range principalsOf(target.get("Principal")) {
			if q.Same(p) {
				return nil
			}
		}
	} else {
		if d.Trusts(p) {
			return nil
		}
		if p.Kind != KindFederated {
			for _, s := range d.statementNodes() {
				pr := s.get("Principal")
				if !isAllow(s) || pr == nil || pr.kind != kObject || !actionCovers(actionsOf(s), p.action()) {
					continue
				}
				// A statement already naming principals of the kind; an
				// empty list does not count (removing the principal again
				// would then drop the statement).
				if same, _ := pr.get(string(p.Kind)).strings(); len(same) > 0 {
					target = s
					break
				}
			}
		}
	}
	if target == nil {
		s := objNode()
		s.set("Effect", strNode("Allow"))
		pr := objNode()
		pr.set(string(p.Kind), strNode(p.ID))
		s.set("Principal", pr)
		s.set("Action", strNode(p.action()))
		if p.action() == ActionAssumeRoleWithSAML {
			c, block := objNode(), objNode()
			block.set("SAML:aud", strNode("https://signin.aws.amazon.com/saml"))
			c.set("StringEquals", block)
			s.set("Condition", c)
		}
		d.appendStatement(s)
		return nil
	}
	pr := target.get("Principal")
	switch cur := pr.get(string(p.Kind)); {
	case cur == nil:
		pr.set(string(p.Kind), strNode(p.ID))
	case cur.kind == kString:
		pr.set(string(p.Kind), arrNode(cur, strNode(p.ID)))
	default:
		cur.elems = append(cur.elems, strNode(p.ID))
	}
	return nil
}

// removeMatching drops the values of the Principal-style object pr for which
// match returns true. It reports whether it removed anything and left pr with
// no principal at all.
func removeMatching(pr *node, match func(Principal) bool) (emptied bool) {
	removed := false
	for i := 0; i < len(pr.keys); i++ {
		k, v := pr.keys[i], pr.vals[i]
		switch v.kind {
		case kString:
			if match(Principal{Kind: Kind(k), ID: v.str}) {
				pr.del(k)
				removed = true
				i--
			}
		case kArray:
			kept := v.elems[:0:0]
			for _, e := range v.elems {
				if !match(Principal{Kind: Kind(k), ID: e.str}) {
					kept = append(kept, e)
				}
			}
			if len(kept) == len(v.elems) {
				continue
			}
			removed = true
			if len(kept) == 0 {
				pr.del(k)
				i--
			} else {
				v.elems = kept
			}
		}
	}
	return removed && len(pr.keys) == 0
}

func (d *Document) removePrincipal(p Principal, sid string) {
	d.removeStatements(func(s *node) bool {
		if !isAllow(s) {
			return false
		}
		if sid != "" {
			if v := s.get("Sid"); v == nil || v.kind != kString || v.str != sid {
				return false
			}
		}
		pr := s.get("Principal")
		switch {
		case pr == nil:
			return false
		case pr.kind == kString: // "*"
			return p.Kind == KindAWS && p.ID == "*"
		}
		return removeMatching(pr, p.Same)
	})
}

// ---- unique IDs ----

type pruneEdit struct{}

// PruneUniqueIDs removes every unique ID (AIDA…, AROA…) named as an AWS
// principal, in Principal and NotPrincipal elements of every statement: IAM
// writes them in place of a user's or role's ARN once it is deleted, they
// grant nothing, and IAM refuses a document that still contains them. A
// statement whose Principal is left empty is dropped; a NotPrincipal left
// empty is kept for validation to report, since dropping a Deny would widen
// access.
func PruneUniqueIDs() Edit { return pruneEdit{} }

func (pruneEdit) String() string { return "prune unique IDs of deleted principals" }

func (pruneEdit) Apply(d *Document) error {
	isID := func(p Principal) bool { return p.Kind == KindAWS && IsUniqueID(p.ID) }
	for _, s := range d.statementNodes() {
		if np := s.get("NotPrincipal"); np != nil && np.kind == kObject {
			removeMatching(np, isID)
		}
	}
	d.removeStatements(func(s *node) bool {
		pr := s.get("Principal")
		if pr == nil || pr.kind != kObject {
			return false
		}
		return removeMatching(pr, isID)
	})
	return nil
}

// ---- MFA ----

const mfaKey = "aws:MultiFactorAuthPresent"

type mfaEdit struct {
	drop bool
	sid  string
}

// RequireMFA adds the condition "Bool": {"aws:MultiFactorAuthPresent":
// "true"} to the statement whose Sid is sid or, when sid is "", to every
// Allow statement that grants sts:AssumeRole to AWS principals. Statements
// that already require MFA are left alone; a "false" value is set to "true".
// It fails with ErrNoStatement when there is no such statement.
func RequireMFA(sid string) Edit { return mfaEdit{sid: sid} }

// DropMFARequirement removes aws:MultiFactorAuthPresent from the Bool
// conditions of the same statements RequireMFA targets, and the Bool block
// and Condition element when they are left empty.
func DropMFARequirement(sid string) Edit { return mfaEdit{drop: true, sid: sid} }

func (e mfaEdit) String() string {
	s := "require MFA"
	if e.drop {
		s = "drop the MFA requirement"
	}
	if e.sid != "" {
		s += " (statement " + e.sid + ")"
	}
	return s
}

func (e mfaEdit) inverse() Edit {
	e.drop = !e.drop
	return e
}

func (d *Document) mfaTargets(sid string) []*node {
	if sid != "" {
		return d.findSid(sid)
	}
	var out []*node
	for _, s := range d.statementNodes() {
		if !isAllow(s) || !actionCovers(actionsOf(s), ActionAssumeRole) {
			continue
		}
		pr := s.get("Principal")
		if pr != nil && (pr.kind == kString || pr.get(string(KindAWS)) != nil) {
			out = append(out, s)
		}
	}
	return out
}

func isTrue(n *node) bool {
	switch n.kind {
	case kBool:
		return n.b
	case kString:
		return strings.EqualFold(n.str, "true")
	case kArray:
		return len(n.elems) == 1 && isTrue(n.elems[0])
	}
	return false
}

func requiresMFA(s *node) bool {
	_, block := s.get("Condition").getFold("Bool")
	_, v := block.getFold(mfaKey)
	return v != nil && isTrue(v)
}

func (e mfaEdit) Apply(d *Document) error {
	targets := d.mfaTargets(e.sid)
	if len(targets) == 0 {
		if e.drop {
			return nil
		}
		if e.sid != "" {
			return fmt.Errorf("trustpolicy: require MFA: %w with Sid %q", ErrNoStatement, e.sid)
		}
		return fmt.Errorf("trustpolicy: require MFA: %w granting sts:AssumeRole to AWS principals", ErrNoStatement)
	}
	for _, s := range targets {
		if e.drop {
			dropMFA(s)
			continue
		}
		if requiresMFA(s) {
			continue
		}
		c := s.get("Condition")
		if c == nil {
			c = objNode()
			s.set("Condition", c)
		}
		_, block := c.getFold("Bool")
		if block == nil {
			block = objNode()
			c.set("Bool", block)
		}
		key, _ := block.getFold(mfaKey)
		if key == "" {
			key = mfaKey
		}
		block.set(key, strNode("true"))
	}
	return nil
}

func dropMFA(s *node) {
	c := s.get("Condition")
	op, block := c.getFold("Bool")
	if block == nil {
		return
	}
	for {
		key, v := block.getFold(mfaKey)
		if v == nil {
			break
		}
		block.del(key)
	}
	if len(block.keys) == 0 {
		c.del(op)
	}
	if len(c.keys) == 0 {
		s.del("Condition")
	}
}

// ---- statements ----

type addStatementEdit struct {
	stmt *node
	err  error
}

// AddStatement adds a statement given as JSON (an object), unless the
// document already has it: with a Sid, a statement with that Sid must not
// exist or must be equivalent to it (otherwise the edit fails with
// ErrConflict); without one, an equivalent statement must not exist. Use it
// for statements that need conditions, such as an OIDC trust for GitHub
// Actions scoped to one repository.
func AddStatement(statementJSON string) Edit {
	n, err := parseJSON([]byte(statementJSON))
	if err == nil && n.kind != kObject {
		err = errors.New("not a JSON object")
	}
	if err == nil {
		d := &Document{root: objNode()}
		d.root.set("Statement", n)
		err = d.checkShape()
	}
	if err != nil {
		return addStatementEdit{err: fmt.Errorf("trustpolicy: add statement: %w: %v", ErrMalformed, err)}
	}
	return addStatementEdit{stmt: n}
}

// AddAssumeRoleStatement adds {"Sid": sid, "Effect": "Allow", "Principal":
// {...}, "Action": "sts:AssumeRole"} for AWS and Service principals (see
// AddStatement for when it is a no-op). sid must be alphanumeric, as IAM
// requires, and is how RemoveStatement finds the statement again.
func AddAssumeRoleStatement(sid string, ps ...Principal) Edit {
	if !sidRE().MatchString(sid) {
		return addStatementEdit{err: fmt.Errorf("trustpolicy: add statement: Sid %q must be letters and digits only", sid)}
	}
	if len(ps) == 0 {
		return addStatementEdit{err: fmt.Errorf("trustpolicy: add statement %s: no principal", sid)}
	}
	pr := objNode()
	for _, p := range ps {
		if err := p.check(false); err != nil {
			return addStatementEdit{err: err}
		}
		if p.Kind == KindFederated {
			return addStatementEdit{err: fmt.Errorf("trustpolicy: add statement %s: %s needs %s and conditions; use AddStatement", sid, p, p.action())}
		}
		switch cur := pr.get(string(p.Kind)); {
		case cur == nil:
			pr.set(string(p.Kind), strNode(p.ID))
		case cur.kind == kString:
			pr.set(string(p.Kind), arrNode(cur, strNode(p.ID)))
		default:
			cur.elems = append(cur.elems, strNode(p.ID))
		}
	}
	s := objNode()
	s.set("Sid", strNode(sid))
	s.set("Effect", strNode("Allow"))
	s.set("Principal", pr)
	s.set("Action", strNode(ActionAssumeRole))
	return addStatementEdit{stmt: s}
}

func (e addStatementEdit) sid() string {
	if v := e.stmt.get("Sid"); v != nil && v.kind == kString {
		return v.str
	}
	return ""
}

func (e addStatementEdit) String() string {
	if e.err != nil {
		return "add statement (invalid)"
	}
	if sid := e.sid(); sid != "" {
		return "add statement " + sid
	}
	return "add statement " + string(e.stmt.compact())
}

func (e addStatementEdit) inverse() Edit {
	if e.err != nil {
		return nil
	}
	if sid := e.sid(); sid != "" {
		return RemoveStatement(sid)
	}
	return removeEquivalentEdit(e)
}

func (e addStatementEdit) Apply(d *Document) error {
	if e.err != nil {
		return e.err
	}
	want := canonStatement(e.stmt)
	if sid := e.sid(); sid != "" {
		if found := d.findSid(sid); len(found) > 0 {
			if canonStatement(found[0]) == want {
				return nil
			}
			return fmt.Errorf("trustpolicy: add statement: %w: a different statement %q exists", ErrConflict, sid)
		}
	} else {
		for _, s := range d.statementNodes() {
			if canonStatement(s) == want {
				return nil
			}
		}
	}
	d.appendStatement(e.stmt.clone())
	return nil
}

// removeEquivalentEdit removes the statements equivalent to one added without a Sid.
type removeEquivalentEdit addStatementEdit

func (e removeEquivalentEdit) String() string {
	return "remove statement " + string(e.stmt.compact())
}

func (e removeEquivalentEdit) inverse() Edit { return addStatementEdit(e) }

func (e removeEquivalentEdit) Apply(d *Document) error {
	want := canonStatement(e.stmt)
	d.removeStatements(func(s *node) bool { return canonStatement(s) == want })
	return nil
}

type removeStatementEdit struct{ sid string }

// RemoveStatement removes the statements whose Sid is sid; it is a no-op when
// there is none.
func RemoveStatement(sid string) Edit { return removeStatementEdit{sid: sid} }

func (e removeStatementEdit) String() string { return "remove statement " + e.sid }

func (e removeStatementEdit) Apply(d *Document) error {
	d.removeStatements(func(s *node) bool {
		v := s.get("Sid")
		return v != nil && v.kind == kString && v.str == e.sid
	})
	return nil
}

// ---- sequences ----

type edits []Edit

// Edits applies several edits in order, as one.
func Edits(es ...Edit) Edit { return edits(es) }

func (es edits) String() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, "; ")
}

func (es edits) Apply(d *Document) error {
	for _, e := range es {
		if err := e.Apply(d); err != nil {
			return err
		}
	}
	return nil
}

func (es edits) inverse() Edit {
	inv := make(edits, len(es))
	for i, e := range es {
		ie, ok := Invert(e)
		if !ok {
			return nil
		}
		inv[len(es)-1-i] = ie
	}
	return inv
}
