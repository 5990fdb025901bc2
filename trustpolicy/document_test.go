package trustpolicy_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/trustpolicy"
)

// Every fixture serializes back to exactly its own compact form: key order,
// single values and lists, "*", single statement objects, unknown fields and
// condition values of every JSON type.
func TestParseRoundTripFixtures(t *testing.T) {
	for _, name := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			raw := fixture(t, name)
			d, err := trustpolicy.Parse(raw)
			require.NoError(t, err)
			assert.Equal(t, compact(t, raw), d.String())
			again := parse(t, d.Indent())
			assert.True(t, trustpolicy.Equal(d, again), "Indent parses back to the same document")
			assert.Equal(t, d.String(), d.Clone().String())
		})
	}
}

func TestParseKeepsForms(t *testing.T) {
	d := parse(t, string(fixture(t, "every-json-type.json")))
	s := d.String()
	for _, want := range []string{
		`"Version":"2008-10-17"`, `"Id":"kitchen-sink"`, `"x-extension":[1,2.50,-0,{"k":"v"}]`,
		`"aws:MultiFactorAuthAge":3600.0`, `"x:big":1e3`, `"aws:SecureTransport":true`, `"aws:TokenIssueTime":false`,
		`"100%"`, `"a+b"`, `"<html>&"`, `"ünïcødé"`, `"tab\tquote\"back\\slash"`, `"aws:TagKeys":[]`,
		`"x:nothing":null`, `"x:nested":{"deep":[1,"two",false]}`, `"Comment":{"owner":"platform","ticket":4711,"reviewed":true,"expires":null}`,
	} {
		assert.Contains(t, s, want)
	}
	assert.True(t, strings.HasPrefix(s, `{"Id":"kitchen-sink","Version":`), "key order kept")

	star := parse(t, string(fixture(t, "star-org.json")))
	assert.Contains(t, star.String(), `"Principal":"*"`)
	assert.Equal(t, []trustpolicy.Principal{trustpolicy.AWS("*")}, star.Statements()[0].Principals())

	ec2 := parse(t, string(fixture(t, "ec2-service.json")))
	assert.Contains(t, ec2.String(), `"Statement":{"Effect"`, "a single statement stays an object")
	// Escapes are normalized, the value is not.
	assert.Equal(t, `{"a":"A/é"}`, parse(t, `{"a":"\u0041\/\u00e9"}`).String())
}

func TestParseRejects(t *testing.T) {
	tests := map[string]string{
		"not json":            `{"Version":`,
		"array":               `[{"Statement":[]}]`,
		"string":              `"policy"`,
		"trailing data":       `{} {}`,
		"duplicate key":       `{"Version":"2012-10-17","Version":"2008-10-17"}`,
		"duplicate deep":      `{"Statement":[{"Effect":"Allow","Effect":"Deny"}]}`,
		"statement string":    `{"Statement":"Allow"}`,
		"statement element":   `{"Statement":[1]}`,
		"principal string":    `{"Statement":[{"Principal":"arn:aws:iam::123456789012:root"}]}`,
		"principal number":    `{"Statement":[{"Principal":{"AWS":123456789012}}]}`,
		"principal nested":    `{"Statement":[{"Principal":{"AWS":[["a"]]}}]}`,
		"action object":       `{"Statement":[{"Action":{"a":1}}]}`,
		"effect list":         `{"Statement":[{"Effect":["Allow"]}]}`,
		"condition list":      `{"Statement":[{"Condition":[]}]}`,
		"condition op string": `{"Statement":[{"Condition":{"Bool":"true"}}]}`,
		"too deep":            `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := trustpolicy.Parse([]byte(doc))
			require.Error(t, err)
			assert.ErrorIs(t, err, trustpolicy.ErrMalformed)
		})
	}
	assert.Panics(t, func() { trustpolicy.MustParse("nope") })
}

func TestDecodeRoleDocument(t *testing.T) {
	doc := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"x":"100% a+b %41"}}}]}`
	enc := url.QueryEscape(doc)
	require.Contains(t, enc, "%25", "a literal %% is sent as %%25")
	got, err := trustpolicy.DecodeRoleDocument(enc)
	require.NoError(t, err)
	assert.Equal(t, doc, got, "decoded exactly once: %%41 stays %%41, + stays +")

	same, err := trustpolicy.DecodeRoleDocument("  " + doc)
	require.NoError(t, err)
	assert.Equal(t, "  "+doc, same, "an already decoded document is left alone")

	_, err = trustpolicy.DecodeRoleDocument("%7B%ZZ")
	assert.ErrorIs(t, err, trustpolicy.ErrMalformed)

	d, err := trustpolicy.ParseRoleDocument(enc)
	require.NoError(t, err)
	assert.Equal(t, doc, d.String())
}

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		in   string
		want trustpolicy.Principal
		err  string
	}{
		{in: "123456789012", want: trustpolicy.AWS("123456789012")},
		{in: "arn:aws:iam::123456789012:root", want: trustpolicy.AWS("arn:aws:iam::123456789012:root")},
		{in: "arn:aws:iam::123456789012:user/eng/alice", want: trustpolicy.AWS("arn:aws:iam::123456789012:user/eng/alice")},
		{in: "arn:aws-cn:iam::123456789012:role/deploy", want: trustpolicy.AWS("arn:aws-cn:iam::123456789012:role/deploy")},
		{in: "arn:aws:sts::123456789012:assumed-role/deploy/alice", want: trustpolicy.AWS("arn:aws:sts::123456789012:assumed-role/deploy/alice")},
		{in: "*", want: trustpolicy.AWS("*")},
		{in: "AIDAJQABLZS4A3QDU576Q", want: trustpolicy.AWS("AIDAJQABLZS4A3QDU576Q")},
		{in: " ec2.amazonaws.com ", want: trustpolicy.Service("ec2.amazonaws.com")},
		{in: "Service:states.us-east-1.amazonaws.com", want: trustpolicy.Service("states.us-east-1.amazonaws.com")},
		{in: "cognito-identity.amazonaws.com", want: trustpolicy.Federated("cognito-identity.amazonaws.com")},
		{in: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", want: trustpolicy.Federated("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")},
		{in: "arn:aws:iam::123456789012:saml-provider/OktaSSO", want: trustpolicy.Federated("arn:aws:iam::123456789012:saml-provider/OktaSSO")},
		{in: "federated:accounts.google.com", want: trustpolicy.Federated("accounts.google.com")},
		{in: "AWS:111122223333", want: trustpolicy.AWS("111122223333")},
		{in: "arn:aws:iam::*:root", err: "partial wildcards"},
		{in: "arn:aws:iam::123456789012:user/*", err: "partial wildcards"},
		{in: "*.amazonaws.com", err: "partial wildcards"},
		{in: "alice", err: "want an account ID"},
		{in: "arn:aws:s3:::bucket", err: "want an account ID"},
		{in: "12345678901", err: "want an account ID"},
		{in: "Service:EC2", err: "want a service principal"},
		{in: "Federated:example.com", err: "oidc-provider"},
		{in: "CanonicalUser:abc", err: "unknown kind"},
		{in: "", err: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := trustpolicy.ParsePrincipal(tt.in)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			back, err := trustpolicy.ParsePrincipal(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, back, "String reads back")
		})
	}
}

func TestPrincipalSame(t *testing.T) {
	assert.True(t, trustpolicy.AWS("123456789012").Same(trustpolicy.AWS("arn:aws:iam::123456789012:root")))
	assert.True(t, trustpolicy.AWS("arn:aws-us-gov:iam::123456789012:root").Same(trustpolicy.AWS("123456789012")))
	assert.False(t, trustpolicy.AWS("123456789012").Same(trustpolicy.AWS("arn:aws:iam::123456789012:user/root")))
	assert.False(t, trustpolicy.AWS("123456789012").Same(trustpolicy.AWS("111122223333")))
	assert.False(t, trustpolicy.AWS("x.amazonaws.com").Same(trustpolicy.Service("x.amazonaws.com")))
	assert.True(t, trustpolicy.IsUniqueID("AROAXYKJQWERTYUIOPASD"))
	assert.False(t, trustpolicy.IsUniqueID("AKIAXYKJQWERTYUIOPASD"), "access key IDs are not principals")
}

func TestDocumentAccessors(t *testing.T) {
	d := parse(t, string(fixture(t, "cross-account-mfa.json")))
	st := d.Statements()
	require.Len(t, st, 2)
	assert.Equal(t, "LoginAccountUsers", st[0].Sid())
	assert.Equal(t, "Allow", st[0].Effect())
	assert.Equal(t, []string{"sts:AssumeRole"}, st[0].Actions())
	assert.True(t, st[0].RequiresMFA())
	assert.False(t, st[1].RequiresMFA())
	assert.JSONEq(t, `{"StringEquals":{"sts:ExternalId":"Unique-ID-Assigned-By-Vendor"}}`, string(st[1].Condition()))
	assert.Nil(t, parse(t, rootTrust).Statements()[0].Condition())
	assert.Equal(t, "2012-10-17", d.Version())
	assert.Equal(t, []trustpolicy.Principal{
		trustpolicy.AWS("arn:aws:iam::111122223333:user/user1"),
		trustpolicy.AWS("arn:aws:iam::111122223333:user/user2"),
		trustpolicy.AWS("444455556666"),
	}, d.Principals())
	assert.True(t, d.Trusts(trustpolicy.AWS("arn:aws:iam::444455556666:root")), "bare ID and root ARN are one principal")
	assert.False(t, d.Trusts(trustpolicy.AWS("arn:aws:iam::111122223333:user/user3")))

	saml := parse(t, string(fixture(t, "saml.json")))
	assert.True(t, saml.Trusts(trustpolicy.Federated("arn:aws:iam::123456789012:saml-provider/OktaSSO")))
	oidc := parse(t, string(fixture(t, "github-actions-oidc.json")))
	assert.True(t, oidc.Trusts(trustpolicy.Federated("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")))
	deny := parse(t, `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`)
	assert.Equal(t, []trustpolicy.Principal{trustpolicy.AWS("111122223333")}, deny.Statements()[0].NotPrincipals())
	assert.Empty(t, deny.Principals(), "Deny statements grant nothing")
	b, err := d.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, d.String(), string(b))
}

func TestValidate(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	tests := []struct {
		name, doc string
		quota     int
		want      []string // problem substrings; none: valid
	}{
		{name: "root trust", doc: rootTrust},
		{name: "every fixture but the stale one is valid", doc: string(fixture(t, "github-actions-oidc.json"))},
		{name: "version", doc: `{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, want: []string{"Version must be"}},
		{name: "no statement", doc: `{"Version":"2012-10-17","Statement":[]}`, want: []string{"no statement"}},
		{name: "no statement element", doc: `{"Version":"2012-10-17"}`, want: []string{"no statement"}},
		{name: "effect", doc: stmt(`{"Effect":"allow","Principal":"*","Action":"sts:AssumeRole"}`), want: []string{`Effect must be Allow or Deny, not "allow"`}},
		{name: "no principal", doc: stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), want: []string{"no Principal"}},
		{name: "empty principal", doc: stmt(`{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}`), want: []string{"empty Principal"}},
		{name: "empty principal list", doc: stmt(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}`), want: []string{"empty Principal"}},
		{name: "empty not principal", doc: stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":[]},"Action":"sts:AssumeRole"}`), want: []string{"empty NotPrincipal"}},
		{name: "both", doc: stmt(`{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`), want: []string{"both Principal and NotPrincipal"}},
		{name: "partial wildcard", doc: stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"sts:AssumeRole"}`), want: []string{"partial wildcards"}},
		{name: "unique id", doc: string(fixture(t, "stale-unique-ids.json")), want: []string{"AIDAJQABLZS4A3QDU576Q: the unique ID", "AROAXYKJQWERTYUIOPASD", "statement 1 (OnlyGhosts)", "statement 2 (ServiceToo)"}},
		{name: "bad service", doc: stmt(`{"Effect":"Allow","Principal":{"Service":"EC2"},"Action":"sts:AssumeRole"}`), want: []string{"want a service principal"}},
		{name: "unknown kind", doc: stmt(`{"Effect":"Allow","Principal":{"CanonicalUser":"x"},"Action":"sts:AssumeRole"}`), want: []string{"only AWS, Service and Federated"}},
		{name: "resource", doc: stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}`), want: []string{"no Resource element"}},
		{name: "no action", doc: stmt(`{"Effect":"Allow","Principal":"*"}`), want: []string{"no Action"}},
		{name: "empty action", doc: stmt(`{"Effect":"Allow","Principal":"*","Action":[]}`), want: []string{"empty Action"}},
		{name: "non-sts action", doc: stmt(`{"Effect":"Allow","Principal":"*","NotAction":"s3:*"}`), want: []string{`action "s3:*"`}},
		{name: "duplicate sid", doc: stmt(`{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sts:TagSession"}`), want: []string{"statement 1 (A): duplicate Sid"}},
		{name: "over quota", doc: rootTrust, quota: 100, want: []string{"over the size quota of 100"}},
		{name: "at quota", doc: rootTrust, quota: len(rootTrust)},
		{name: "whitespace is free", doc: string(fixture(t, "cross-account-mfa.json")), quota: len(compact(t, fixture(t, "cross-account-mfa.json")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parse(t, tt.doc).Validate(tt.quota)
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, trustpolicy.ErrInvalid)
			var ve *trustpolicy.ValidationError
			require.True(t, errors.As(err, &ve))
			assert.NotEmpty(t, ve.Problems)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestValidateFixtures(t *testing.T) {
	for _, name := range fixtures(t) {
		err := parse(t, string(fixture(t, name))).Validate(0)
		if name == "stale-unique-ids.json" {
			assert.Error(t, err, name)
		} else {
			assert.NoError(t, err, name)
		}
	}
}

func TestSizeQuotaDefault(t *testing.T) {
	// A document of exactly DefaultSizeQuota characters without whitespace passes;
	// one more fails. Whitespace in the original does not count.
	pad := func(n int) string {
		return `{"Statement":[{"Sid":"` + strings.Repeat("x", n) + `","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`
	}
	base := len(pad(0))
	d := parse(t, pad(trustpolicy.DefaultSizeQuota-base))
	assert.Equal(t, trustpolicy.DefaultSizeQuota, d.Size())
	assert.NoError(t, d.Validate(0))
	assert.NoError(t, parse(t, d.Indent()).Validate(0))
	assert.Error(t, parse(t, pad(trustpolicy.DefaultSizeQuota-base+1)).Validate(0))
	assert.NoError(t, parse(t, pad(trustpolicy.DefaultSizeQuota-base+1)).Validate(4096), "a raised quota")
}

func TestDiff(t *testing.T) {
	before := parse(t, rootTrust)
	after, err := before.With(trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::123456789012:user/alice")))
	require.NoError(t, err)
	assert.Equal(t, `@@ -4,7 +4,10 @@
     {
       "Effect": "Allow",
       "Principal": {
-        "AWS": "arn:aws:iam::123456789012:root"
+        "AWS": [
+          "arn:aws:iam::123456789012:root",
+          "arn:aws:iam::123456789012:user/alice"
+        ]
       },
       "Action": "sts:AssumeRole"
     }
`, trustpolicy.Diff(before, after))
	assert.Empty(t, trustpolicy.Diff(before, before.Clone()))

	// Two changes far apart make two hunks; a removal shows as "-" lines.
	many := parse(t, string(fixture(t, "cross-account-mfa.json")))
	edited, err := many.With(trustpolicy.Edits(
		trustpolicy.RemovePrincipals(trustpolicy.AWS("arn:aws:iam::111122223333:user/user1")),
		trustpolicy.RemovePrincipals(trustpolicy.AWS("444455556666")),
	))
	require.NoError(t, err)
	d := trustpolicy.Diff(many, edited)
	assert.Equal(t, 2, strings.Count(d, "@@ -"), d)
	assert.Contains(t, d, "\n-          \"arn:aws:iam::111122223333:user/user1\",\n")
	assert.Contains(t, d, "\n-      \"Sid\": \"Vendor\",\n")
	assert.NotContains(t, d, "\n+")
}

func TestEquivalent(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"key order", `{"Version":"2012-10-17","Statement":[]}`, `{"Statement":[],"Version":"2012-10-17"}`, true},
		{"single vs list", `{"Statement":[{"Principal":{"AWS":"a"}}]}`, `{"Statement":[{"Principal":{"AWS":["a"]}}]}`, true},
		{"list order", `{"Statement":[{"Principal":{"AWS":["a","b"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, `{"Statement":[{"Action":["sts:tagsession","sts:AssumeRole"],"Principal":{"AWS":["b","a","a"]}}]}`, true},
		{"single statement", `{"Statement":{"Effect":"Allow"}}`, `{"Statement":[{"Effect":"Allow"}]}`, true},
		{"statement order", `{"Statement":[{"Sid":"A"},{"Sid":"B"}]}`, `{"Statement":[{"Sid":"B"},{"Sid":"A"}]}`, true},
		{"star", `{"Statement":[{"Principal":"*"}]}`, `{"Statement":[{"Principal":{"AWS":"*"}}]}`, true},
		{"account root", `{"Statement":[{"Principal":{"AWS":"123456789012"}}]}`, `{"Statement":[{"Principal":{"AWS":"arn:aws:iam::123456789012:root"}}]}`, true},
		{"empty condition", `{"Statement":[{"Condition":{}}]}`, `{"Statement":[{}]}`, true},
		{"condition key case", `{"Statement":[{"Condition":{"Bool":{"AWS:MultiFactorAuthPresent":"true"}}}]}`, `{"Statement":[{"Condition":{"Bool":{"aws:multifactorauthpresent":["true"]}}}]}`, true},
		{"condition type", `{"Statement":[{"Condition":{"Bool":{"k":"true"}}}]}`, `{"Statement":[{"Condition":{"Bool":{"k":true}}}]}`, false},
		{"principal kind", `{"Statement":[{"Principal":{"AWS":"a"}}]}`, `{"Statement":[{"Principal":{"Service":"a"}}]}`, false},
		{"extra principal", `{"Statement":[{"Principal":{"AWS":"a"}}]}`, `{"Statement":[{"Principal":{"AWS":["a","b"]}}]}`, false},
		{"unknown field", `{"Statement":[],"Id":"x"}`, `{"Statement":[],"Id":"y"}`, false},
		{"number literal", `{"Statement":[],"x":1.0}`, `{"Statement":[],"x":1}`, false},
		{"no statement vs empty", `{}`, `{"Statement":[]}`, true},
		{"statement vs none", `{}`, `{"Statement":[{}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, trustpolicy.Equivalent(parse(t, tt.a), parse(t, tt.b)))
			assert.Equal(t, tt.want, trustpolicy.Equivalent(parse(t, tt.b), parse(t, tt.a)))
		})
	}
}
