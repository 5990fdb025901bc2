package policy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/policy"
)

const root = "../.."

// The committed files are what the interfaces make today.
func TestFilesMatchTheInterfaces(t *testing.T) {
	files, err := policy.NewLoader(root).Generate()
	require.NoError(t, err)
	want := map[string]bool{}
	for _, f := range files {
		want[filepath.Base(f.Path)] = true
		got, err := os.ReadFile(filepath.Join(root, f.Path))
		require.NoError(t, err, "missing: run go generate ./internal/policy")
		assert.Equal(t, string(f.Data), string(got), "%s is stale: run go generate ./internal/policy", f.Path)
	}
	ents, err := os.ReadDir(filepath.Join(root, policy.Dir))
	require.NoError(t, err)
	for _, e := range ents {
		assert.True(t, want[e.Name()], "%s/%s is not generated: remove it or add its frontend to policy.Principals", policy.Dir, e.Name())
	}
}

// Every operation an interface declares is a method of the SDK's client,
// and every action is one IAM knows (the SDK's operation name, or a rename).
func TestActionsAreSDKOperations(t *testing.T) {
	clients := map[string]reflect.Type{
		"iam":             reflect.TypeFor[*iam.Client](),
		"sts":             reflect.TypeFor[*sts.Client](),
		"s3":              reflect.TypeFor[*s3.Client](),
		"sns":             reflect.TypeFor[*sns.Client](),
		"cognitoidentity": reflect.TypeFor[*cognitoidentity.Client](),
		"accessanalyzer":  reflect.TypeFor[*accessanalyzer.Client](),
		"organizations":   reflect.TypeFor[*organizations.Client](),
	}
	renamed := map[string]bool{}
	for _, a := range policy.Renames {
		renamed[a] = true
	}
	l := policy.NewLoader(root)
	for _, p := range policy.Principals {
		t.Run(p.Name, func(t *testing.T) {
			actions, ops, err := l.Actions(p)
			require.NoError(t, err)
			require.NotEmpty(t, actions)
			for _, op := range ops {
				svc, name, _ := strings.Cut(op.Operation, ":")
				c, ok := clients[svc]
				require.True(t, ok, "%s: service %s has no client in this test", op.From, svc)
				_, ok = c.MethodByName(name)
				assert.True(t, ok, "%s: %s is not a method of the %s client", op.From, name, svc)
			}
			for _, a := range actions {
				if renamed[a] {
					continue
				}
				svc, name, _ := strings.Cut(a, ":")
				svc = strings.ReplaceAll(svc, "-", "")
				c, ok := clients[svc]
				require.True(t, ok, a)
				_, ok = c.MethodByName(name)
				assert.True(t, ok, "%s is not an operation of the SDK", a)
			}
		})
	}
}

// The parts of the derivation: embedded interfaces (same package, another
// package of the module, the SDK's stscreds), struct fields, renames and
// operations that need no permission.
func TestLoader(t *testing.T) {
	dir := t.TempDir()
	write := func(path, src string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, path), []byte(src), 0o644))
	}
	write("lib/lib.go", `package lib
import (
	"context"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)
type Get interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}
`)
	write("cmd/main.go", `package main
import (
	"context"
	"net/http"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/iamkit/iamkit/lib"
)
type who interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}
type Clients struct {
	S3   lib.Get
	IAM  interface {
		who
		GetUser(ctx context.Context, in *iamsdk.GetUserInput, optFns ...func(*iamsdk.Options)) (*iamsdk.GetUserOutput, error)
	}
	Role stscreds.AssumeRoleAPIClient
	Cog  interface {
		GetId(ctx context.Context, in *cognitoidentity.GetIdInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdOutput, error)
	}
	HTTP *http.Client
	Name string
}
type notSDK interface {
	Do(ctx context.Context, s string) error
}
`)
	l := policy.NewLoader(dir)
	actions, ops, err := l.Actions(policy.Principal{Uses: []policy.Ref{{Pkg: "cmd", Type: "Clients"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"cognito-identity:GetId", "iam:GetUser", "s3:GetObject", "sts:AssumeRole"}, actions)
	assert.Len(t, ops, 6, "HeadObject and GetObject both, GetCallerIdentity without an action")

	_, err = l.Ops(policy.Ref{Pkg: "cmd", Type: "notSDK"})
	assert.ErrorContains(t, err, "not an SDK method")
	_, err = l.Ops(policy.Ref{Pkg: "cmd", Type: "missing"})
	assert.ErrorContains(t, err, "no such type")
}

func TestValidate(t *testing.T) {
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + strings.Repeat(`"iam:GetUserPolicyWithALongName",`, 200) + `"iam:GetUser"],"Resource":"*"}]}`
	tests := []struct {
		name, doc, err string
	}{
		{"generated", string(policy.Marshal(policy.NewDocument([]string{"iam:GetUser", "s3:GetObject"}))), ""},
		{"string action and resource list", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":["arn:aws:s3:::b/k"]}]}`, ""},
		{"a principal: a resource policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, "no Principal"},
		{"old version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, "Version"},
		{"no statement", `{"Version":"2012-10-17","Statement":[]}`, "no Statement"},
		{"bad effect", `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}]}`, "Effect"},
		{"bad action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, "service:Action"},
		{"wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "service:Action"},
		{"no resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`, "Resource"},
		{"duplicate sid", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`, "Sid"},
		{"unknown key", `{"Version":"2012-10-17","Statment":[]}`, "not a policy document"},
		{"too big", big, "more than IAM's 6144"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.Validate([]byte(tt.doc))
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.err)
		})
	}
}

func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`))
	f.Add(policy.Marshal(policy.NewDocument([]string{"iam:GetUser", "cognito-identity:GetId"})))
	f.Fuzz(func(t *testing.T, data []byte) {
		if policy.Validate(data) == nil {
			// A valid document names only service:Action actions.
			assert.True(t, bytes.Contains(data, []byte("2012-10-17")))
		}
	})
}

// iamkit trust calls through trustpolicy.Target (IAM, Access Analyzer's
// checks before every apply, STS for the journal) and, with
// --organization, Organizations: its policy has what each needs.
func TestTrustPolicyHasTheChecks(t *testing.T) {
	got := generated(t, "iamkit-trust")
	for _, a := range []string{
		"iam:GetRole", "iam:UpdateAssumeRolePolicy", "iam:ListRoles",
		"access-analyzer:ValidatePolicy", "access-analyzer:CheckNoNewAccess",
		"organizations:ListAccounts",
	} {
		assert.True(t, got[a], "iamkit-trust.json lacks %s", a)
	}
}
