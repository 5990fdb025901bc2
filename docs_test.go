package iamkit_test

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
)

// The public packages' Example functions are documentation an importer
// copies into another module, so they must work there: every
// *example*_test.go outside internal/ and examples/ imports no internal
// package (iamkittest stands in for internal/fakes) and uses no helper
// declared in the package's other test files.
func TestExamplesStandAlone(t *testing.T) {
	type pkg struct {
		examples []*ast.File
		others   []*ast.File
	}
	pkgs := map[string]*pkg{} // by directory and package name
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "internal" || path == "examples" || d.Name() == "testdata" || (path != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		key := filepath.Dir(path) + " " + f.Name.Name
		if pkgs[key] == nil {
			pkgs[key] = &pkg{}
		}
		if strings.Contains(filepath.Base(path), "example") {
			pkgs[key].examples = append(pkgs[key].examples, f)
		} else {
			pkgs[key].others = append(pkgs[key].others, f)
		}
		return nil
	})
	require.NoError(t, err)

	var checked []string
	for key, p := range pkgs {
		if len(p.examples) == 0 {
			continue
		}
		checked = append(checked, key)
		declared := map[string]bool{}
		for _, f := range p.examples {
			for name := range topLevelNames(f) {
				declared[name] = true
			}
		}
		helpers := map[string]string{} // name → file, declared outside the example files
		for _, f := range p.others {
			for name := range topLevelNames(f) {
				if !declared[name] && name != "_" {
					helpers[name] = fset.Position(f.Package).Filename
				}
			}
		}
		for _, f := range p.examples {
			file := fset.Position(f.Package).Filename
			for _, imp := range f.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				require.NoError(t, err)
				assert.False(t, strings.HasPrefix(path, "github.com/iamkit/iamkit/") && strings.Contains(path+"/", "/internal/"),
					"%s imports %s: an importer cannot; use iamkittest", file, path)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					ast.Inspect(n.X, func(n ast.Node) bool { return inspectIdent(t, fset, n, helpers, file) })
					return false // n.Sel is a field or method, not a package-level name
				case *ast.KeyValueExpr:
					if _, ok := n.Key.(*ast.Ident); ok { // a struct field name
						ast.Inspect(n.Value, func(n ast.Node) bool { return inspectIdent(t, fset, n, helpers, file) })
						return false
					}
				}
				return inspectIdent(t, fset, n, helpers, file)
			})
		}
	}
	sort.Strings(checked)
	t.Logf("checked: %s", strings.Join(checked, ", "))
	assert.GreaterOrEqual(t, len(checked), 7, "the public packages have examples")
}

// inspectIdent reports an identifier that names a helper of the package's
// other test files.
func inspectIdent(t *testing.T, fset *token.FileSet, n ast.Node, helpers map[string]string, file string) bool {
	t.Helper()
	// The parser resolves names declared in the same file (id.Obj); a name
	// it left unresolved is a package-level name of another file, an import
	// or a predeclared one.
	if id, ok := n.(*ast.Ident); ok && id.Obj == nil {
		if other, found := helpers[id.Name]; found {
			t.Errorf("%s: %s is declared in %s, which an importer copying the examples does not have",
				fset.Position(id.Pos()), id.Name, other)
		}
	}
	return true
}

// topLevelNames returns the names a file declares at package level.
func topLevelNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				names[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names[s.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names[n.Name] = true
					}
				}
			}
		}
	}
	return names
}
