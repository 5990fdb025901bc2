package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The exported API is the one recorded in api/iamkit.txt: a change fails
// here with what changed and how to accept it.
func TestAPIMatchesTheSnapshot(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	cur, err := API(root)
	require.NoError(t, err)
	require.NotEmpty(t, cur)
	old, err := ReadSnapshot(filepath.Join(root, SnapshotFile))
	require.NoError(t, err, "run go generate ./internal/apicheck")
	removed, added := Diff(old, cur)
	if len(removed)+len(added) > 0 {
		t.Fatal(Report(removed, added))
	}
	for _, l := range cur {
		assert.NotContains(t, l, "/internal/", "an internal package is not API")
		assert.NotContains(t, l, "pkg github.com/iamkit/iamkit/examples", "the examples are not API")
	}
}

func check(t *testing.T, src string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	require.NoError(t, err)
	p, err := (&types.Config{}).Check("example.com/p", fset, []*ast.File{f}, nil)
	require.NoError(t, err)
	return packageAPI(p)
}

const v1 = `package p
type Clock interface { Now() int; Sleep(d int) error }
type Spec struct { Name string; Tags map[string]string; hidden int }
type Status string
type Alias = Spec
type List[T any] []T
func New(c Clock, opts ...Option) *Spec { return nil }
func Map[K comparable, V any](m map[K]V) []K { return nil }
type Option func(*Spec)
func (s *Spec) Run(n int) (int, error) { return 0, nil }
func (s Spec) String() string { return "" }
func (s *Spec) hidden2() {}
const Max = 3
var Default = Spec{}
func unexported() {}
`

func TestPackageAPI(t *testing.T) {
	got := check(t, v1)
	want := []string{
		"pkg example.com/p, const Max untyped int",
		"pkg example.com/p, func Map[K comparable, V any](map[K]V) []K",
		"pkg example.com/p, func New(Clock, ...Option) *Spec",
		"pkg example.com/p, method (*Spec) Run(int) (int, error)",
		"pkg example.com/p, method (Spec) String() string",
		"pkg example.com/p, type Alias = Spec",
		"pkg example.com/p, type Clock interface { Now() int; Sleep(int) error }",
		"pkg example.com/p, type List[T any] []T",
		"pkg example.com/p, type Option func(*Spec)",
		"pkg example.com/p, type Spec struct",
		"pkg example.com/p, type Spec struct, Name string",
		"pkg example.com/p, type Spec struct, Tags map[string]string",
		"pkg example.com/p, type Status string",
		"pkg example.com/p, var Default Spec",
	}
	assert.ElementsMatch(t, want, got)
}

// What breaks importers is reported as removed; what only adds is not.
func TestDiff(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(string) string
		wantRemoved []string
		wantAdded   int
	}{
		{"nothing changed", func(s string) string { return s }, nil, 0},
		{"a parameter renamed: not a change", func(s string) string { return strings.Replace(s, "Run(n int)", "Run(count int)", 1) }, nil, 0},
		{"a new function and field: additions only", func(s string) string {
			return strings.Replace(s, "hidden int }", "hidden int; Path string }\nfunc Extra() {}", 1)
		}, nil, 2},
		{"a method added to an interface breaks its implementers", func(s string) string {
			return strings.Replace(s, "Sleep(d int) error }", "Sleep(d int) error; Zone() string }", 1)
		}, []string{"pkg example.com/p, type Clock interface { Now() int; Sleep(int) error }"}, 1},
		{"a parameter's type changed", func(s string) string { return strings.Replace(s, "Run(n int)", "Run(n int64)", 1) },
			[]string{"pkg example.com/p, method (*Spec) Run(int) (int, error)"}, 1},
		{"a field removed", func(s string) string { return strings.Replace(s, "Tags map[string]string; ", "", 1) },
			[]string{"pkg example.com/p, type Spec struct, Tags map[string]string"}, 0},
		{"a receiver made a pointer", func(s string) string {
			return strings.Replace(s, "func (s Spec) String()", "func (s *Spec) String()", 1)
		},
			[]string{"pkg example.com/p, method (Spec) String() string"}, 1},
	}
	old := check(t, v1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			removed, added := Diff(old, check(t, tt.edit(v1)))
			assert.Equal(t, tt.wantRemoved, removed)
			assert.Len(t, added, tt.wantAdded)
			report := Report(removed, added)
			if len(removed) > 0 {
				assert.Contains(t, report, "INCOMPATIBLE API CHANGE")
				assert.Contains(t, report, "go generate ./internal/apicheck")
				assert.Contains(t, report, "CHANGELOG")
			}
		})
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api", "x.txt")
	lines := check(t, v1)
	require.NoError(t, WriteSnapshot(path, lines))
	got, err := ReadSnapshot(path)
	require.NoError(t, err)
	assert.Equal(t, lines, got)
}
