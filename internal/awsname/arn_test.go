package awsname_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/awsname"
)

func TestRoleARN(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		account string
		name    string
	}{
		{"arn:aws:iam::123456789012:role/Admin", true, "123456789012", "Admin"},
		{"arn:aws-cn:iam::123456789012:role/Admin", true, "123456789012", "Admin"},
		{"arn:aws-us-gov:iam::123456789012:role/ops/team/Deploy", true, "123456789012", "Deploy"},
		{"arn:aws-iso-b:iam::123456789012:role/a+b=c,d.e@f_g-h", true, "123456789012", "a+b=c,d.e@f_g-h"},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("x", 64), true, "123456789012", strings.Repeat("x", 64)},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("x", 65), false, "", ""},
		{"arn:aws:iam::123456789012:role/", false, "", ""},
		{"arn:aws:iam::123456789012:role/a//b", false, "", ""},
		{"arn:aws:iam::123456789012:user/alice", false, "", ""},
		{"arn:aws:iam::123456789012:root", false, "", ""},
		{"arn:aws:sts::123456789012:assumed-role/Admin/s", false, "", ""},
		{"arn:aws:iam:us-east-1:123456789012:role/Admin", false, "", ""},
		{"arn:aws:iam::12345678901:role/Admin", false, "", ""},
		{"arn:aws:iam::aws:role/Admin", false, "", ""},
		{"arn:azure:iam::123456789012:role/Admin", false, "", ""},
		{"arn:AWS:iam::123456789012:role/Admin", false, "", ""},
		{"arn:aws:iam::123456789012:role/Ad min", false, "", ""},
		{"arn:aws:iam::123456789012:role/path/Ad:min", false, "", ""},
		{"Admin", false, "", ""},
		{"", false, "", ""},
	}
	for _, tt := range tests {
		a, err := awsname.RoleARN(tt.in)
		if !tt.ok {
			require.ErrorIs(t, err, awsname.ErrNotARN, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.account, a.AccountID, tt.in)
		assert.Equal(t, tt.name, a.Name(), tt.in)
		assert.Equal(t, "role", a.Type)
		assert.Equal(t, tt.in, a.String(), "the ARN round-trips")
	}
}

func TestIAMARN(t *testing.T) {
	for in, ok := range map[string]bool{
		"arn:aws:iam::aws:policy/ReadOnlyAccess":               true,
		"arn:aws:iam::123456789012:policy/team/Mine":           true,
		"arn:aws:iam::aws:policy/":                             false,
		"arn:aws:iam::aws:user/x":                              false,
		"arn:aws:s3:::bucket/key":                              false,
		"arn:aws-cn:iam::123456789012:policy/job-function/Ops": true,
	} {
		_, err := awsname.IAMARN(in, "policy")
		assert.Equal(t, ok, err == nil, "%s: %v", in, err)
	}
	a, err := awsname.IAMARN("arn:aws:iam::123456789012:root", "root")
	require.NoError(t, err)
	assert.Equal(t, "root", a.Resource)
	_, err = awsname.UserARN("arn:aws:iam::123456789012:user/engineering/alice")
	require.NoError(t, err)
}

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{"123456789012": true, "12345678901": false, "1234567890123": false, "12345678901a": false, "": false} {
		assert.Equal(t, want, awsname.IsAccountID(s), s)
	}
}

// FuzzParseARN: ParseARN accepts only what aws/arn parses, and what it
// accepts re-renders to the same text; RoleARN accepts a subset of it.
func FuzzParseARN(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/Admin")
	f.Add("arn:aws:sts::123456789012:assumed-role/Admin/alice")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := awsname.ParseARN(s)
		if err != nil {
			if _, rerr := awsname.RoleARN(s); rerr == nil {
				t.Fatalf("RoleARN accepts %q that ParseARN refuses", s)
			}
			return
		}
		if _, perr := arn.Parse(s); perr != nil {
			t.Fatalf("ParseARN accepts %q that aws/arn refuses", s)
		}
		if a.String() != s {
			t.Fatalf("%q renders as %q", s, a.String())
		}
		if a.Rest != "" && a.Type+"/"+a.Rest != a.Resource {
			t.Fatalf("%q: type %q rest %q do not make resource %q", s, a.Type, a.Rest, a.Resource)
		}
		if r, err := awsname.RoleARN(s); err == nil {
			if r.Service != "iam" || r.Type != "role" || !awsname.ValidName(r.Name(), 1, 64) || !awsname.IsAccountID(r.AccountID) {
				t.Fatalf("RoleARN accepts %q", s)
			}
		}
	})
}

func TestIAMARNPrintable(t *testing.T) {
	_, err := awsname.IAMARN("arn:aws:iam::aws:policy/a b", "policy")
	require.ErrorIs(t, err, awsname.ErrNotARN)
	_, err = awsname.IAMARN("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "oidc-provider")
	require.NoError(t, err)
}
