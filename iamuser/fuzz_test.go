package iamuser_test

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/iamuser"
)

// IAM's own rule for user names, written independently of ValidateUserName.
var iamNameRule = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func FuzzValidateUserName(f *testing.F) {
	for _, s := range []string{"alice", "bob@corp.com", "a+b=c,d.e@f-g_h", "", "bad name", strings.Repeat("x", 64), strings.Repeat("x", 65), "ü", "-rf", "..", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := iamuser.ValidateUserName(name)
		if want := iamNameRule.MatchString(name); want != (err == nil) {
			t.Fatalf("ValidateUserName(%q) = %v, IAM's rule says valid=%v", name, err, want)
		}
	})
}

func FuzzGeneratePassword(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(0), false)
	f.Add(uint64(2), uint8(14), uint8(0x0f), true)
	f.Add(uint64(3), uint8(128), uint8(0x01), true)
	f.Add(uint64(4), uint8(6), uint8(0x0a), true)
	f.Fuzz(func(t *testing.T, seed uint64, minLen uint8, flags uint8, hasPolicy bool) {
		var policy *types.PasswordPolicy
		if hasPolicy {
			if minLen < 6 || minLen > 128 {
				minLen = 6 + minLen%123 // IAM's range: 6–128
			}
			policy = &types.PasswordPolicy{
				MinimumPasswordLength:      aws.Int32(int32(minLen)),
				RequireUppercaseCharacters: flags&1 != 0,
				RequireLowercaseCharacters: flags&2 != 0,
				RequireNumbers:             flags&4 != 0,
				RequireSymbols:             flags&8 != 0,
			}
		}
		rnd := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), byte(seed >> 32)})
		pw, err := iamuser.GeneratePassword(policy, rnd)
		if err != nil {
			t.Fatalf("GeneratePassword: %v", err)
		}
		if err := iamuser.CheckPassword(policy, pw); err != nil {
			t.Fatalf("generated %q violates %+v: %v", pw, policy, err)
		}
		if err := iamuser.CheckPassword(nil, pw); err != nil {
			t.Fatalf("generated %q violates IAM's default policy: %v", pw, err)
		}
		if len(pw) < iamuser.DefaultPasswordLength {
			t.Fatalf("password of %d characters", len(pw))
		}
		if strings.ContainsAny(pw, "0O1lI|'o") {
			t.Fatalf("password %q contains an ambiguous character", pw)
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add("user_name,groups\nalice,dev;ops\n")
	f.Add("user_name,tags,access_key\nbob,a=b,true\n")
	f.Add("\ufeffuser_name\n\"quoted\"\n")
	f.Add("user_name\n\"x\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := iamuser.ParseCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if err := r.Spec.Validate(); err != nil {
				t.Fatalf("row %d accepted but invalid: %v", r.Line, err)
			}
			k := strings.ToLower(r.Spec.UserName)
			if seen[k] {
				t.Fatalf("duplicate user %q accepted", r.Spec.UserName)
			}
			seen[k] = true
		}
	})
}

func TestGeneratePasswordDefaults(t *testing.T) {
	pw, err := iamuser.GeneratePassword(nil, nil)
	if err != nil || len(pw) != iamuser.DefaultPasswordLength {
		t.Fatalf("GeneratePassword(nil, nil) = %q, %v", pw, err)
	}
	if _, err := iamuser.GeneratePassword(&types.PasswordPolicy{MinimumPasswordLength: aws.Int32(129)}, nil); err == nil {
		t.Fatal("a policy beyond IAM's maximum must be refused")
	}
	if err := iamuser.CheckPassword(&types.PasswordPolicy{MinimumPasswordLength: aws.Int32(10), RequireSymbols: true}, "Abcdefghij1"); err == nil {
		t.Fatal("a password without a symbol must violate RequireSymbols")
	}
}
