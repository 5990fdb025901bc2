package iamkittest

import (
	"context"
	"errors"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/iamkittest/internal/gen"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/fakes/kitlink"
	"github.com/iamkit/iamkit/mfa"
	"github.com/iamkit/iamkit/trustpolicy"
)

// The handles satisfy the packages' interfaces, as the fakes do.
var (
	_ iamuser.API                   = (*IAM)(nil)
	_ iamuser.OnboardAPI            = (*IAM)(nil)
	_ iamuser.OffboardAPI           = (*IAM)(nil)
	_ iamsource.IAMAPI              = (*IAM)(nil)
	_ hostsync.System               = (*Host)(nil)
	_ s3snapshot.SnapshotPublishAPI = (*S3)(nil)
	_ s3snapshot.SnapshotGetAPI     = (*S3)(nil)
	_ mfa.EnableAPI                 = (*IAM)(nil)
	_ mfa.AuditAPI                  = (*IAM)(nil)
	_ mfa.STSAPI                    = (*STS)(nil)
	_ trustpolicy.RoleAPI           = (*IAM)(nil)
	_ federation.AssumeRoleAPI      = (*STS)(nil)
	_ federation.FederationTokenAPI = (*STS)(nil)
	_ federation.CognitoBasicAPI    = (*Cognito)(nil)
	_ federation.CognitoEnhancedAPI = (*Cognito)(nil)
	_ iamkit.Clock                  = (*Clock)(nil)
)

func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := gen.Generate(gen.Config{
		SrcDir:        "../internal/fakes",
		SrcImportPath: "github.com/iamkit/iamkit/internal/fakes",
		KitDir:        ".",
		OutFile:       "zz_generated.go",
	})
	require.NoError(t, err)
	have, err := os.ReadFile("zz_generated.go")
	require.NoError(t, err)
	if string(have) != string(want) {
		t.Fatal("zz_generated.go is stale: run go generate ./iamkittest")
	}
}

// Every exported method of a wrapped fakes type is on its handle, with the
// very same signature wherever the signature names no fakes type (the SDK
// methods, the hostsync.System methods), so the handle satisfies whatever
// interface the fake satisfies.
func TestHandlesHaveEveryMethod(t *testing.T) {
	fakesPkg := reflect.TypeFor[fakes.Fault]().PkgPath()
	mentionsFakes := func(ft reflect.Type) bool {
		var walk func(reflect.Type) bool
		walk = func(t reflect.Type) bool {
			if t.PkgPath() == fakesPkg {
				return true
			}
			switch t.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map, reflect.Chan:
				if t.Kind() == reflect.Map && walk(t.Key()) {
					return true
				}
				return walk(t.Elem())
			case reflect.Func:
				for i := range t.NumIn() {
					if walk(t.In(i)) {
						return true
					}
				}
				for i := range t.NumOut() {
					if walk(t.Out(i)) {
						return true
					}
				}
			}
			return false
		}
		return walk(ft)
	}
	require.GreaterOrEqual(t, len(generatedHandles), 9)
	for _, h := range generatedHandles {
		kt, ft := reflect.TypeOf(h.kit), reflect.TypeOf(h.fakes)
		for i := range ft.NumMethod() {
			fm := ft.Method(i)
			km, ok := kt.MethodByName(fm.Name)
			if !assert.True(t, ok, "%v lacks %s", kt, fm.Name) {
				continue
			}
			if !mentionsFakes(fm.Type) {
				assert.Equal(t, fm.Type.String()[len("func("+ft.String()):], km.Type.String()[len("func("+kt.String()):], "%v.%s", kt, fm.Name)
			}
		}
	}
}

// The exported API of iamkittest names no internal type: go doc shows an
// importer only what they can use.
func TestAPINamesNoInternalType(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/iamkit/iamkit/iamkittest")
	require.NoError(t, err)
	show := func(n any) string {
		var b strings.Builder
		require.NoError(t, printer.Fprint(&b, fset, n))
		return b.String()
	}
	check := func(what string, n any) {
		assert.NotContains(t, show(n), "fakes.", what)
	}
	funcs := p.Funcs
	for _, ty := range p.Types {
		assert.NotEmpty(t, ty.Doc, "type %s has no doc", ty.Name)
		check("type "+ty.Name, ty.Decl)
		funcs = append(funcs, ty.Funcs...)
		funcs = append(funcs, ty.Methods...)
		for _, c := range ty.Consts {
			check("const", c.Decl)
		}
	}
	for _, f := range funcs {
		assert.NotEmpty(t, f.Doc, "func %s has no doc", f.Name)
		check("func "+f.Name, f.Decl.Type)
	}
	for _, v := range p.Vars {
		assert.NotEmpty(t, v.Doc, "var %v has no doc", v.Names)
		for _, s := range v.Decl.Specs {
			assert.False(t, s.(*ast.ValueSpec).Type != nil && strings.Contains(show(s.(*ast.ValueSpec).Type), "fakes."), "var %v", v.Names)
		}
	}
	for _, c := range p.Consts {
		assert.NotEmpty(t, c.Doc, "const %v has no doc", c.Names)
	}
	assert.GreaterOrEqual(t, len(funcs), 150, "the wrappers were not generated")
}

func TestNewAccountOptions(t *testing.T) {
	clk := NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	dir := NewDirectory()
	a := NewAccount(WithAccountID("210987654321"), WithRegion("eu-west-1"), WithPartition("aws-cn"), WithClock(clk), WithDirectory(dir), nil)
	assert.Equal(t, "210987654321", a.ID())
	assert.Equal(t, "eu-west-1", a.Region())
	assert.Equal(t, "aws-cn", a.Partition())
	assert.Equal(t, clk.Now(), a.Clock().Now())
	clk.Advance(time.Hour)
	assert.Equal(t, time.Date(2030, 1, 2, 4, 4, 5, 0, time.UTC), a.Clock().Now(), "the account follows the clock it was given")

	d := NewAccount()
	assert.Equal(t, DefaultAccountID, d.ID())
	assert.Equal(t, DefaultStart, d.Clock().Now())
	assert.False(t, d.Clock().Running())
}

func TestAccountInProcess(t *testing.T) {
	ctx := context.Background()
	a := NewAccount()
	out, err := a.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:user/alice", aws.ToString(out.User.Arn))
	assert.Equal(t, 1, a.Calls("iam:CreateUser"))
	assert.Equal(t, a.ID(), a.IAM().Account().ID())

	// Faults go through the Fault conversion, Match and all.
	a.Inject("iam:GetUser", Fault{Times: 1, Err: errors.New("boom"), Match: func(in any) bool {
		return aws.ToString(in.(*iam.GetUserInput).UserName) == "alice"
	}})
	_, err = a.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	require.ErrorContains(t, err, "boom")
	_, err = a.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
}

func TestDisable(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		op, code string
		call     func(a *Account) error
	}{
		{"iam:ListUsers", "InvalidAction", func(a *Account) error {
			_, err := a.IAM().ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}},
		{"sts:GetCallerIdentity", "InvalidAction", func(a *Account) error {
			_, err := a.STS().GetCallerIdentity(ctx, nil)
			return err
		}},
		{"cognito-identity:GetId", "UnknownOperationException", func(a *Account) error {
			return notImplemented("cognito-identity:GetId")
		}},
		{"s3:PutObject", "NotImplemented", func(a *Account) error {
			return notImplemented("s3:PutObject")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			a := NewAccount()
			a.Disable(tt.op)
			err := tt.call(a)
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.code, apiErr.ErrorCode())
			assert.Contains(t, apiErr.ErrorMessage(), "not implemented")
			a.ClearFaults()
			if tt.op == "iam:ListUsers" {
				assert.NoError(t, tt.call(a), "ClearFaults enables it again")
				assert.Equal(t, 2, a.Calls(tt.op), "disabled calls are counted")
			}
		})
	}
}

func TestHTTPErrorReachesTheSignInEndpoint(t *testing.T) {
	e := &HTTPError{Status: 418, Body: "teapot"}
	assert.Equal(t, "HTTP 418: teapot", e.Error())
	f := toFakesFault(Fault{Err: e})
	var fe *fakes.HTTPError
	require.ErrorAs(t, f.Err, &fe)
	assert.Equal(t, 418, fe.Status)
	other := errors.New("x")
	assert.Same(t, other, toFakesError(other))
}

func TestKitlink(t *testing.T) {
	a := NewAccount()
	fa := kitlink.Fakes[*fakes.Account](a)
	assert.Same(t, a.impl, fa)
	back := kitlink.Kit[*Account](fa)
	assert.Same(t, fa, back.impl)
	h := NewHost()
	assert.Same(t, h.impl, kitlink.Fakes[*fakes.Host](h))
	assert.Panics(t, func() { kitlink.Fakes[*fakes.Host](a) })
	assert.Panics(t, func() { kitlink.Kit[*Host](fa) })
}
