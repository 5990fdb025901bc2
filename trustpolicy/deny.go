package trustpolicy

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDenied is matched (errors.Is) by a *DenyError: an edit would allow a
// principal that an explicit Deny statement of the same document names, so
// the new Allow would grant nothing (an explicit Deny always wins) and the
// edit is most likely a mistake.
var ErrDenied = errors.New("an explicit Deny names the principal")

// DenyConflict is one principal an edit allows that a Deny statement names.
type DenyConflict struct {
	Principal Principal
	// Statement and Sid identify the Deny statement ("" when it has none).
	Statement int
	Sid       string
	// Conditional reports whether the Deny has a Condition: it then denies
	// only the requests its condition matches.
	Conditional bool
}

func (c DenyConflict) String() string {
	where := fmt.Sprintf("Deny statement %d", c.Statement)
	if c.Sid != "" {
		where = fmt.Sprintf("Deny statement %q", c.Sid)
	}
	s := fmt.Sprintf("%s names %s explicitly", where, c.Principal)
	if c.Conditional {
		s += " (under a condition)"
	}
	return s
}

// DenyError is returned (wrapped) by Apply when the edit allows a principal
// that an explicit Deny of the document names (see WithForce).
type DenyError struct {
	Conflicts []DenyConflict
}

func (e *DenyError) Error() string {
	parts := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		parts[i] = c.String()
	}
	return "trustpolicy: refusing to add an Allow that an explicit Deny overrides: " + strings.Join(parts, "; ") +
		" (the Deny wins; remove it first, or force the edit)"
}

// Is makes errors.Is(err, ErrDenied) true.
func (e *DenyError) Is(target error) bool { return target == ErrDenied }

// DeniedBy returns the Deny statements that name p explicitly in their
// Principal element (a bare account ID and its :root ARN alike) with
// actions covering p's action, and those whose Principal is "*" without a
// condition (they deny everyone). A Deny with NotPrincipal is not counted:
// it names who is spared, not who is denied.
func (d *Document) DeniedBy(p Principal) []DenyConflict {
	var out []DenyConflict
	action := p.action()
	for _, s := range d.Statements() {
		if s.Effect() != "Deny" || !actionCovers(s.Actions(), action) {
			continue
		}
		conditional := len(s.Condition()) > 0 && string(s.Condition()) != "{}"
		pr := s.n.get("Principal")
		if pr == nil {
			continue
		}
		named := false
		if pr.kind == kString {
			named = pr.str == "*" && !conditional
		} else {
			for _, q := range principalsOf(pr) {
				if q.Same(p) || (q.Kind == KindAWS && q.ID == "*" && !conditional) {
					named = true
					break
				}
			}
		}
		if named {
			out = append(out, DenyConflict{Principal: p, Statement: s.Index, Sid: s.Sid(), Conditional: conditional})
		}
	}
	return out
}

// AddedPrincipals returns the principals that after trusts (Document.Trusts)
// and before does not, in after's order: whom an edit newly lets assume the
// role.
func AddedPrincipals(before, after *Document) []Principal {
	var out []Principal
	for _, p := range after.Principals() {
		if after.Trusts(p) && !before.Trusts(p) {
			out = append(out, p)
		}
	}
	return out
}

// denyConflicts returns the conflicts of the principals the edit adds.
func denyConflicts(before, after *Document) []DenyConflict {
	var out []DenyConflict
	for _, p := range AddedPrincipals(before, after) {
		out = append(out, after.DeniedBy(p)...)
	}
	return out
}
