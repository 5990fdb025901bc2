package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Module is the module whose API is recorded.
const Module = "github.com/iamkit/iamkit"

// SnapshotFile is where the snapshot lives, relative to the module root.
const SnapshotFile = "api/iamkit.txt"

// public reports whether a package of the module is part of its API: not
// internal, not an example frontend.
func public(path string) bool {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, Module), "/")
	for _, part := range strings.Split(rel, "/") {
		if part == "internal" || part == "examples" || part == "testdata" {
			return false
		}
	}
	return true
}

type listed struct {
	ImportPath string
	Name       string
	Export     string
}

// API returns the exported API of the module's public packages at root, one
// line per name (Go's api/*.txt style), sorted. It builds the packages'
// export data with `go list -export` (the build cache makes it cheap) and
// reads their types from it.
func API(root string) ([]string, error) {
	// The public packages first (cheap), then export data for them and
	// their dependencies only: the examples' own dependencies are not built.
	out, err := goList(root, "-f", "{{.ImportPath}} {{.Name}}", "./...")
	if err != nil {
		return nil, err
	}
	args := []string{"-export", "-deps", "-json=ImportPath,Name,Export"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, name, _ := strings.Cut(line, " ")
		if name != "main" && public(path) {
			args = append(args, path)
		}
	}
	out, err = goList(root, args...)
	if err != nil {
		return nil, err
	}
	exports := map[string]string{}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("apicheck: go list output: %w", err)
		}
		exports[p.ImportPath] = p.Export
		if (p.ImportPath == Module || strings.HasPrefix(p.ImportPath, Module+"/")) && p.Name != "main" && public(p.ImportPath) {
			pkgs = append(pkgs, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	var lines []string
	for _, p := range pkgs {
		tp, err := imp.Import(p.ImportPath)
		if err != nil {
			return nil, fmt.Errorf("apicheck: %s: %w", p.ImportPath, err)
		}
		lines = append(lines, packageAPI(tp)...)
	}
	sort.Strings(lines)
	return lines, nil
}

func goList(root string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("apicheck: go list: %w: %s", err, stderr.String())
	}
	return out, nil
}

// packageAPI lists the exported names of p.
func packageAPI(p *types.Package) []string {
	qual := func(other *types.Package) string {
		if other == p {
			return ""
		}
		return other.Name()
	}
	prefix := "pkg " + p.Path() + ", "
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, prefix+fmt.Sprintf(format, args...)) }
	scope := p.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch o := obj.(type) {
		case *types.Const:
			add("const %s %s", name, types.TypeString(o.Type(), qual))
		case *types.Var:
			add("var %s %s", name, types.TypeString(o.Type(), qual))
		case *types.Func:
			add("func %s%s", name, signature(o.Type().(*types.Signature), qual))
		case *types.TypeName:
			typeAPI(o, qual, add)
		}
	}
	return lines
}

// signature renders sig without parameter names (renaming a parameter
// breaks nobody), as Go's api files do.
func signature(sig *types.Signature, qual types.Qualifier) string {
	var b strings.Builder
	if tp := sig.TypeParams(); tp != nil && tp.Len() > 0 {
		b.WriteString(typeParams(tp, qual))
	}
	b.WriteString("(")
	params := sig.Params()
	for i := range params.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		t := params.At(i).Type()
		if sig.Variadic() && i == params.Len()-1 {
			b.WriteString("..." + types.TypeString(t.(*types.Slice).Elem(), qual))
			continue
		}
		b.WriteString(types.TypeString(t, qual))
	}
	b.WriteString(")")
	res := sig.Results()
	switch {
	case res.Len() == 1:
		b.WriteString(" " + types.TypeString(res.At(0).Type(), qual))
	case res.Len() > 1:
		var rs []string
		for i := range res.Len() {
			rs = append(rs, types.TypeString(res.At(i).Type(), qual))
		}
		b.WriteString(" (" + strings.Join(rs, ", ") + ")")
	}
	return b.String()
}

func typeParams(tp *types.TypeParamList, qual types.Qualifier) string {
	var parts []string
	for i := range tp.Len() {
		t := tp.At(i)
		parts = append(parts, t.Obj().Name()+" "+types.TypeString(t.Constraint(), qual))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func typeAPI(o *types.TypeName, qual types.Qualifier, add func(string, ...any)) {
	name := o.Name()
	if o.IsAlias() {
		add("type %s = %s", name, types.TypeString(types.Unalias(o.Type()), qual))
		return
	}
	named, ok := o.Type().(*types.Named)
	if !ok {
		return
	}
	if tp := named.TypeParams(); tp != nil && tp.Len() > 0 {
		name += typeParams(tp, qual)
	}
	switch u := named.Underlying().(type) {
	case *types.Struct:
		add("type %s struct", name)
		for i := range u.NumFields() {
			f := u.Field(i)
			if !f.Exported() {
				continue
			}
			if f.Embedded() {
				add("type %s struct, embedded %s", name, types.TypeString(f.Type(), qual))
			} else {
				add("type %s struct, %s %s", name, f.Name(), types.TypeString(f.Type(), qual))
			}
		}
	case *types.Interface:
		// One line for the whole method set: adding a method breaks the
		// types outside the module that implement the interface.
		var methods []string
		for i := range u.NumMethods() {
			m := u.Method(i)
			mname := m.Name()
			if !m.Exported() {
				mname = "unexported " + mname
			}
			methods = append(methods, mname+signature(m.Type().(*types.Signature), qual))
		}
		sort.Strings(methods)
		if u.IsComparable() || !u.IsMethodSet() {
			add("type %s %s", name, types.TypeString(u, qual))
		} else {
			add("type %s interface { %s }", name, strings.Join(methods, "; "))
		}
	default:
		add("type %s %s", name, types.TypeString(u, qual))
	}
	for i := range named.NumMethods() {
		m := named.Method(i)
		if !m.Exported() {
			continue
		}
		sig := m.Type().(*types.Signature)
		recv := o.Name()
		if _, ptr := sig.Recv().Type().(*types.Pointer); ptr {
			recv = "*" + recv
		}
		add("method (%s) %s%s", recv, m.Name(), signature(sig, qual))
	}
}

// ReadSnapshot reads the recorded API: its lines, without comments and
// blank lines.
func ReadSnapshot(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, line)
	}
	return lines, sc.Err()
}

const snapshotHeader = `# The exported API of github.com/iamkit/iamkit (every package but internal/
# and examples/), one line per name. Generated: go generate ./internal/apicheck
# (or go run ./internal/apicheck -update). go test ./internal/apicheck fails
# when the code's API differs from this file: a removed or changed line is a
# breaking change — accept it only on purpose, with a CHANGELOG entry under
# "Unreleased" saying what breaks (see README, "API stability").
`

// WriteSnapshot records lines at path.
func WriteSnapshot(path string, lines []string) error {
	var b bytes.Buffer
	b.WriteString(snapshotHeader)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// Diff returns the lines of old missing from cur (removed or changed: a
// break) and those of cur missing from old (additions).
func Diff(old, cur []string) (removed, added []string) {
	in := func(lines []string) map[string]bool {
		m := make(map[string]bool, len(lines))
		for _, l := range lines {
			m[l] = true
		}
		return m
	}
	o, c := in(old), in(cur)
	for _, l := range old {
		if !c[l] {
			removed = append(removed, l)
		}
	}
	for _, l := range cur {
		if !o[l] {
			added = append(added, l)
		}
	}
	return removed, added
}

// Report explains a difference and how to accept it.
func Report(removed, added []string) string {
	var b strings.Builder
	if len(removed) > 0 {
		fmt.Fprintf(&b, "INCOMPATIBLE API CHANGE: %d name(s) of %s removed or changed:\n", len(removed), SnapshotFile)
		for _, l := range removed {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
		b.WriteString("Importers that use them stop compiling. If this is on purpose (v0.x allows it in a minor\n" +
			"release): run `go generate ./internal/apicheck`, add a CHANGELOG entry under Unreleased\n" +
			"saying what breaks and what to use instead, and prefer deprecating first (README, API stability).\n")
	}
	if len(added) > 0 {
		fmt.Fprintf(&b, "%d new name(s), not yet in %s:\n", len(added), SnapshotFile)
		for _, l := range added {
			fmt.Fprintf(&b, "  + %s\n", l)
		}
		b.WriteString("Record them: run `go generate ./internal/apicheck` and commit the file.\n")
	}
	return b.String()
}
