package trustpolicy

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultSizeQuota is IAM's default quota for a role trust policy: 2,048
// characters, whitespace excluded. It can be raised (to 4,096) through
// Service Quotas; pass the raised value to Validate or WithSizeQuota.
const DefaultSizeQuota = 2048

// MaxSizeQuota is the highest the trust-policy size quota can be raised to.
const MaxSizeQuota = 4096

// ErrTooLarge is matched (errors.Is) by a *ValidationError whose problems
// include a document over the size quota.
var ErrTooLarge = errors.New("trust policy over the size quota")

// ErrInvalid is matched (errors.Is) by every *ValidationError.
var ErrInvalid = errors.New("invalid trust policy")

// Problem is one reason a document would be refused.
type Problem struct {
	Statement int    // index of the statement, -1 for the whole document
	Sid       string // the statement's Sid, if any
	Msg       string

	tooLarge bool
}

func (p Problem) String() string {
	switch {
	case p.Statement < 0:
		return p.Msg
	case p.Sid != "":
		return fmt.Sprintf("statement %d (%s): %s", p.Statement, p.Sid, p.Msg)
	}
	return fmt.Sprintf("statement %d: %s", p.Statement, p.Msg)
}

// ValidationError lists every problem Validate found.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "trustpolicy: invalid trust policy: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true, and errors.Is(err, ErrTooLarge)
// when the document is over the size quota.
func (e *ValidationError) Is(target error) bool {
	if target == ErrTooLarge {
		for _, p := range e.Problems {
			if p.tooLarge {
				return true
			}
		}
	}
	return target == ErrInvalid
}

// Validate checks what IAM would refuse, before anything is sent: a size over
// sizeQuota characters without whitespace (DefaultSizeQuota when sizeQuota
// is 0 or less), an unknown Version, no statement, an Effect other than
// Allow or Deny, a statement without Principal (or NotPrincipal) or with an
// empty one, a Resource element, actions other than sts:*, duplicate Sids,
// and principals that are not valid for their kind: partial wildcards
// ("arn:aws:iam::*:root", "*.amazonaws.com") and unique IDs of deleted users
// and roles among them. It returns nil or a *ValidationError.
func (d *Document) Validate(sizeQuota int) error {
	if sizeQuota <= 0 {
		sizeQuota = DefaultSizeQuota
	}
	var probs []Problem
	doc := func(format string, args ...any) {
		probs = append(probs, Problem{Statement: -1, Msg: fmt.Sprintf(format, args...)})
	}
	if n := d.Size(); n > sizeQuota {
		probs = append(probs, Problem{Statement: -1, tooLarge: true, Msg: fmt.Sprintf(
			"%d characters (IAM counts them without whitespace), over the size quota of %d by %d; "+
				"IAM would refuse it (a quota raised through Service Quotas, at most %d, must be passed in)",
			n, sizeQuota, n-sizeQuota, MaxSizeQuota)})
	}
	if v := d.root.get("Version"); v != nil {
		if v.kind != kString || (v.str != "2012-10-17" && v.str != "2008-10-17") {
			doc("Version must be \"2012-10-17\" (or the legacy \"2008-10-17\")")
		}
	}
	stmts := d.Statements()
	if len(stmts) == 0 {
		doc("no statement: a role must trust someone (delete the role instead)")
	}
	sids := map[string]bool{}
	for _, s := range stmts {
		add := func(format string, args ...any) {
			probs = append(probs, Problem{Statement: s.Index, Sid: s.Sid(), Msg: fmt.Sprintf(format, args...)})
		}
		if sid := s.Sid(); sid != "" {
			if sids[sid] {
				add("duplicate Sid")
			}
			sids[sid] = true
		}
		if e := s.Effect(); e != "Allow" && e != "Deny" {
			add("Effect must be Allow or Deny, not %q", e)
		}
		if s.n.get("Resource") != nil || s.n.get("NotResource") != nil {
			add("a trust policy has no Resource element")
		}
		pr, npr := s.n.get("Principal"), s.n.get("NotPrincipal")
		switch {
		case pr == nil && npr == nil:
			add("no Principal")
		case pr != nil && npr != nil:
			add("both Principal and NotPrincipal")
		}
		for _, el := range []struct {
			name string
			n    *node
		}{{"Principal", pr}, {"NotPrincipal", npr}} {
			if el.n == nil {
				continue
			}
			ps := principalsOf(el.n)
			if len(ps) == 0 {
				add("empty %s", el.name)
			}
			for _, p := range ps {
				if err := p.check(false); err != nil {
					add("%s", strings.TrimPrefix(err.Error(), "trustpolicy: "))
				}
			}
		}
		act, nact := s.n.get("Action"), s.n.get("NotAction")
		nactions, _ := nact.strings()
		switch {
		case act == nil && nact == nil:
			add("no Action")
		case (act != nil && len(s.Actions()) == 0) || (nact != nil && len(nactions) == 0):
			add("empty Action")
		}
		for _, a := range append(s.Actions(), nactions...) {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "sts:") {
				add("action %q: a trust policy grants only sts: actions", a)
			}
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: probs}
}
