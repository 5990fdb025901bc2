package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/fakes/server"
)

// signingNames maps an SDK service package to the signing name its client
// uses (the service of the SigV4 credential scope).
var signingNames = map[string]string{
	"iam": "iam", "sts": "sts", "cognitoidentity": "cognito-identity", "s3": "s3",
	"ec2": "ec2", "accessanalyzer": "access-analyzer", "organizations": "organizations", "sns": "sns",
}

// sdkOp is one SDK operation an interface of the library declares.
type sdkOp struct{ service, op, where string }

// declaredOps finds, in the Go source under root (tests and internal/
// excluded; the frontends in examples/ included), every method of every interface — named or inline —
// with an SDK client method's shape: Op(ctx, *svc.OpInput, ...func(*svc.Options)).
// Reading the source, not a hand-kept list, means a new interface is
// covered as soon as it is written.
func declaredOps(t *testing.T, root string) []sdkOp {
	t.Helper()
	var ops []sdkOp
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if rel == "internal" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		imports := map[string]string{} // local name -> SDK service package
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			svc, ok := strings.CutPrefix(p, "github.com/aws/aws-sdk-go-v2/service/")
			if !ok || strings.Contains(svc, "/") {
				continue
			}
			name := svc
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = svc
		}
		ast.Inspect(f, func(n ast.Node) bool {
			it, ok := n.(*ast.InterfaceType)
			if !ok {
				return true
			}
			for _, m := range it.Methods.List {
				ft, ok := m.Type.(*ast.FuncType)
				if !ok || len(m.Names) != 1 || ft.Params == nil || len(ft.Params.List) < 2 {
					continue
				}
				// (ctx context.Context, in *svc.OpInput, ...): the input is
				// the second parameter field, or the first's second name
				// never (it has another type).
				star, ok := ft.Params.List[1].Type.(*ast.StarExpr)
				if !ok {
					continue
				}
				sel, ok := star.X.(*ast.SelectorExpr)
				if !ok {
					continue
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok {
					continue
				}
				svc, ok := imports[pkg.Name]
				name := m.Names[0].Name
				if !ok || sel.Sel.Name != name+"Input" {
					continue
				}
				signing, known := signingNames[svc]
				if !known {
					signing = svc
				}
				ops = append(ops, sdkOp{signing, name, rel + ":" + strconv.Itoa(fset.Position(m.Pos()).Line)})
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	return ops
}

func TestEveryDeclaredOperationIsServed(t *testing.T) {
	ops := declaredOps(t, filepath.Join("..", "..", ".."))
	require.NotEmpty(t, ops)
	srv := server.New(fakes.NewAccount())
	seen := map[string]bool{}
	var missing []string
	for _, o := range ops {
		key := o.service + ":" + o.op
		if seen[key] {
			continue
		}
		seen[key] = true
		if srv.Serves(o.service, o.op) {
			continue
		}
		missing = append(missing, key+" ("+o.where+")")
	}
	sort.Strings(missing)
	t.Logf("%d distinct SDK operations declared by the library's interfaces", len(seen))
	assert.Empty(t, missing, "declared by an interface but not served over the wire")
	for _, op := range []string{"CreateUser", "ListUsers", "GetRole", "EnableMFADevice"} {
		assert.True(t, srv.Serves("iam", op), op)
	}
	for _, op := range []string{"GetCallerIdentity", "AssumeRole", "GetSessionToken", "GetFederationToken", "AssumeRoleWithWebIdentity"} {
		assert.True(t, srv.Serves("sts", op), op)
	}
	assert.False(t, srv.Serves("iam", "Account"), "not an SDK operation")
	assert.False(t, srv.Serves("iam", "CreateSAMLProvider"), "not implemented by the fake")
	assert.True(t, srv.Serves("sns", "Publish"), "the MFA-audit Lambda's notification")
	assert.False(t, srv.Serves("nope", "X"))
}

func TestOperations(t *testing.T) {
	srv := server.New(fakes.NewAccount())
	ops := srv.Operations()
	assert.IsNonDecreasing(t, ops)
	assert.Contains(t, ops, "iam:CreateUser")
	assert.Contains(t, ops, "sts:AssumeRoleWithWebIdentity")
	for _, op := range ops {
		service, name, ok := strings.Cut(op, ":")
		require.True(t, ok, op)
		assert.True(t, srv.Serves(service, name), op)
	}
	t.Logf("%d operations served over the wire", len(ops))
}
