package trustpolicy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iamkit/iamkit/trustpolicy"
)

func addFixtureSeeds(f *testing.F, add func(doc []byte)) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

// FuzzParse: whatever parses serializes to a document that parses back to the
// same bytes, equivalent and with no diff; indenting changes nothing; reading
// and validating never panic.
func FuzzParse(f *testing.F) {
	addFixtureSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := trustpolicy.Parse(data)
		if err != nil {
			return
		}
		b1 := d.Bytes()
		d2, err := trustpolicy.Parse(b1)
		if err != nil {
			t.Fatalf("serialized document does not parse: %v\n%s", err, b1)
		}
		if b2 := d2.Bytes(); string(b1) != string(b2) {
			t.Fatalf("parse→serialize→parse is not stable:\n%s\n%s", b1, b2)
		}
		if !trustpolicy.Equivalent(d, d2) || !trustpolicy.Equivalent(d, d) {
			t.Fatalf("not equivalent to itself: %s", b1)
		}
		if diff := trustpolicy.Diff(d, d2); diff != "" {
			t.Fatalf("diff of equal documents:\n%s", diff)
		}
		d3, err := trustpolicy.Parse([]byte(d.Indent()))
		if err != nil || !trustpolicy.Equal(d, d3) {
			t.Fatalf("Indent does not parse back: %v", err)
		}
		if !json.Valid(b1) {
			t.Fatalf("not valid JSON: %s", b1)
		}
		if d.Size() > len([]rune(string(b1))) {
			t.Fatalf("size %d over length", d.Size())
		}
		_ = d.Validate(0)
		_ = d.UniqueIDs()
		_ = d.Principals()
		for _, s := range d.Statements() {
			_, _, _, _ = s.Sid(), s.Effect(), s.Actions(), s.RequiresMFA()
			_, _, _ = s.Principals(), s.NotPrincipals(), s.Condition()
		}
	})
}

var alnum = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// FuzzEditInverse: every edit is idempotent, and an adding edit followed by
// its inverse gives back an equivalent document whenever what it added was
// not mentioned in the document before.
func FuzzEditInverse(f *testing.F) {
	principals := []string{
		"arn:aws:iam::123456789012:user/fuzz", "111122223333", "arn:aws:iam::444455556666:root", "*",
		"ec2.amazonaws.com", "arn:aws:iam::123456789012:saml-provider/Okta",
		"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "AIDAJQABLZS4A3QDU576Q",
	}
	i := 0
	addFixtureSeeds(f, func(b []byte) {
		for op := range uint8(8) {
			f.Add(b, op, principals[i%len(principals)], "Fuzz")
			i++
		}
	})
	f.Fuzz(func(t *testing.T, doc []byte, op uint8, principal, sid string) {
		d, err := trustpolicy.Parse(doc)
		if err != nil {
			return
		}
		p, err := trustpolicy.ParsePrincipal(principal)
		if err != nil {
			p = trustpolicy.AWS("arn:aws:iam::123456789012:user/fuzz")
		}
		if !alnum.MatchString(sid) {
			sid = "Fuzz"
		}
		var (
			e           trustpolicy.Edit
			precondHold bool // the inverse must restore an equivalent document
		)
		fresh := !mentions(d, p)
		switch op % 8 {
		case 0:
			e, precondHold = trustpolicy.AddPrincipals(p), fresh
		case 1:
			e, precondHold = trustpolicy.AddPrincipalsTo(sid, p), fresh
		case 2:
			e, precondHold = trustpolicy.RequireMFA(""), !mentionsMFA(d)
		case 3:
			e, precondHold = trustpolicy.RequireMFA(sid), !mentionsMFA(d)
		case 4:
			e, precondHold = trustpolicy.AddAssumeRoleStatement(sid, p), fresh && !hasSid(d, sid)
		case 5:
			raw, _ := json.Marshal(map[string]any{"Effect": "Allow", "Principal": map[string]any{string(p.Kind): p.ID}, "Action": "sts:AssumeRole"})
			e, precondHold = trustpolicy.AddStatement(string(raw)), fresh
		case 6:
			e = trustpolicy.RemovePrincipals(p)
		case 7:
			e = trustpolicy.PruneUniqueIDs()
		}
		once, err := d.With(e)
		if err != nil {
			return
		}
		twice, err := once.With(e)
		if err != nil {
			t.Fatalf("%s applied again fails: %v", e, err)
		}
		if !trustpolicy.Equal(once, twice) {
			t.Fatalf("%s is not idempotent:\n%s", e, trustpolicy.Diff(once, twice))
		}
		if trustpolicy.Equal(d, once) || !precondHold {
			return
		}
		inv, ok := trustpolicy.Invert(e)
		if !ok {
			t.Fatalf("%s has no inverse", e)
		}
		back, err := once.With(inv)
		if err != nil {
			t.Fatalf("%s: %v", inv, err)
		}
		if !trustpolicy.Equivalent(d, back) {
			t.Fatalf("%s then %s is not equivalent to the original:\n%s\n%s", e, inv, d, back)
		}
	})
}

func mentions(d *trustpolicy.Document, p trustpolicy.Principal) bool {
	for _, s := range d.Statements() {
		for _, q := range append(s.Principals(), s.NotPrincipals()...) {
			if q.Same(p) {
				return true
			}
		}
	}
	return false
}

func hasSid(d *trustpolicy.Document, sid string) bool {
	for _, s := range d.Statements() {
		if s.Sid() == sid {
			return true
		}
	}
	return false
}

// mentionsMFA reports whether any condition of any statement has a key
// equal, case-insensitively, to aws:MultiFactorAuthPresent.
func mentionsMFA(d *trustpolicy.Document) bool {
	for _, s := range d.Statements() {
		var c map[string]map[string]json.RawMessage
		if raw := s.Condition(); raw != nil {
			_ = json.Unmarshal(raw, &c)
		}
		for _, block := range c {
			for k := range block {
				if strings.EqualFold(k, "aws:MultiFactorAuthPresent") {
					return true
				}
			}
		}
	}
	return false
}
