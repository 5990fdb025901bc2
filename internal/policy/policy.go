// Package policy derives the least-privilege IAM identity policy of each
// iamkit frontend — every command of examples/iamkit, each Lambda function,
// hostsyncd and the console broker — from the narrow interfaces it calls
// AWS through, and writes them to examples/policies (go generate).
//
// The interfaces are the source of truth (ARCHITECTURE: each operation
// declares the SDK methods it calls). The package reads them from the Go
// source with go/parser, so that the interfaces of package main frontends
// count too: each method is an action, its service the SDK package of its
// input type (*iam.CreateUserInput: iam), its name the method's, except for
// the few operations whose IAM action differs (Renames: s3 HeadObject is
// s3:GetObject). Embedded interfaces are followed, within the module and
// into the SDK's credential providers (stscreds.AssumeRoleAPIClient).
//
// A frontend that starts calling through a new interface must be added to
// Principals; a method added to an interface it already lists shows up on
// the next `go generate ./internal/policy`, and the test in this package
// fails until the files are regenerated.
package policy

//go:generate go run ./gen -root ../..

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Module is the module path the references are resolved in.
const Module = "github.com/iamkit/iamkit"

// Dir is where the policy files live, relative to the module root.
const Dir = "examples/policies"

// Ref names an interface (or a struct whose interface-typed fields are the
// clients it holds) by module-relative package directory and type name.
type Ref struct {
	Pkg  string // "iamuser", "examples/iamkit"
	Type string // "OnboardAPI"
}

func (r Ref) String() string { return r.Pkg + "." + r.Type }

// Principal is one frontend (or one mode of it) and the interfaces it calls
// AWS through.
type Principal struct {
	Name string // the file name without .json
	Who  string // what runs with the policy
	Uses []Ref
	// Note says what the policy leaves to the deployer (resources to
	// narrow, optional parts).
	Note string
}

// Principals are the frontends whose policies are generated. hostsync-keys
// and `iamkit fake serve`/`demo` call no AWS API and have none.
var Principals = []Principal{
	{Name: "iamkit-user-create", Who: "iamkit user create, iamkit user import", Uses: []Ref{{"iamuser", "OnboardAPI"}}},
	{Name: "iamkit-user-delete", Who: "iamkit user delete", Uses: []Ref{{"iamuser", "OffboardAPI"}},
		Note: "With --bucket (republish the fleet snapshot at once) the caller also needs iamkit-hostsync-publish.json."},
	{Name: "iamkit-mfa-session", Who: "iamkit mfa session, iamkit mfa credential-process (the person's own long-term keys)", Uses: []Ref{{"mfa", "STSAPI"}},
		Note: "Any IAM user may call GetSessionToken; AssumeRole is needed only with --role-arn, and the role's trust policy must allow it."},
	{Name: "iamkit-mfa-audit", Who: "iamkit mfa audit", Uses: []Ref{{"mfa", "AuditAPI"}}},
	{Name: "iamkit-console", Who: "iamkit console", Uses: []Ref{{"examples/iamkit", "consoleSTS"}, {"federation", "CognitoBasicAPI"}},
		Note: "Cognito actions only with --cognito-pool; narrow sts:AssumeRole to the roles people may open."},
	{Name: "iamkit-trust", Who: "iamkit trust show/add/remove/prune/rollback", Uses: []Ref{{"trustpolicy", "Target"}, {"trustpolicy", "ListRolesAPI"}, {"trustpolicy", "GetRoleAPI"}, {"trustpolicy", "OrganizationsAPI"}},
		Note: "In each target account (Access Analyzer checks every change there, before it is applied); with --role-arns or --organization the caller also needs sts:AssumeRole on those roles, and organizations:ListAccounts only with --organization, in the management account or a delegated administrator. Narrow the IAM Resource to the roles edited."},
	{Name: "iamkit-hostsync", Who: "iamkit hostsync plan/apply/keys from live IAM", Uses: []Ref{{"examples/iamkit", "hostsyncIAM"}},
		Note: "With ASSUMEROLE the host's own role needs only sts:AssumeRole on that role, which holds this policy. " + describeTagsNote},
	{Name: "iamkit-hostsync-snapshot", Who: "iamkit hostsync plan/apply --snapshot s3://…", Uses: []Ref{{"hostsync/s3snapshot", "SnapshotGetAPI"}},
		Note: "Narrow Resource to the snapshot object's ARN. " + describeTagsNote},
	{Name: "iamkit-hostsync-publish", Who: "iamkit hostsync publish", Uses: []Ref{{"hostsync/iamsource", "IAMAPI"}, {"hostsync/s3snapshot", "SnapshotPublishAPI"}},
		Note: "Narrow the S3 Resource to the snapshot object's ARN. sts:GetCallerIdentity (who publishes) needs no permission."},
	{Name: "iamkit-hostsync-revoke", Who: "iamkit hostsync revoke", Uses: []Ref{{"hostsync/iamsource", "RevokeAPI"}, {"hostsync/iamsource", "IAMAPI"}, {"hostsync/s3snapshot", "SnapshotPublishAPI"}},
		Note: "Deactivates keys and removes group memberships, then republishes: narrow the S3 Resource to the snapshot object's ARN, and iam:UpdateSSHPublicKey and iam:RemoveUserFromGroup to the users and groups it may cut off."},
	{Name: "hostsyncd", Who: "examples/hostsyncd reading live IAM", Uses: []Ref{{"hostsync/iamsource", "IAMAPI"}},
		Note: "With ASSUMEROLE the instance role needs only sts:AssumeRole on that role, which holds this policy. " + describeTagsNote},
	{Name: "hostsyncd-snapshot", Who: "examples/hostsyncd with HOSTSYNC_SNAPSHOT=s3://…", Uses: []Ref{{"hostsync/s3snapshot", "SnapshotGetAPI"}},
		Note: "Narrow Resource to the snapshot object's ARN. " + describeTagsNote},
	{Name: "lambda-mfaaudit", Who: "examples/lambda/mfaaudit", Uses: []Ref{{"mfa", "AuditAPI"}, {"examples/lambda/mfaaudit", "Publisher"}},
		Note: "Narrow sns:Publish to the topic's ARN."},
	{Name: "lambda-snapshotpublisher", Who: "examples/lambda/snapshotpublisher", Uses: []Ref{{"hostsync/iamsource", "IAMAPI"}, {"hostsync/s3snapshot", "SnapshotPublishAPI"}},
		Note: "Narrow the S3 Resource to the snapshot object's ARN. iam:GetUser and iam:ListGroupsForUser confirm that a user the new snapshot drops is really gone (WithAbsenceConfirmer); examples/cloudformation/hostsync-fleet.yaml grants them (a test checks that the template grants nothing beyond this file)."},
	{Name: "consolebroker", Who: "examples/consolebroker", Uses: []Ref{{"examples/consolebroker", "Clients"}},
		Note: "Cognito actions only for BROKER_SOURCE=cognito; narrow sts:AssumeRole and the pool to those of the role map."},
}

// describeTagsNote is the permission hostsync's *_TAG keys may need: its
// EC2 client (hostsync/ec2tags) has no SDK signatures to generate it from.
const describeTagsNote = "With IAM_AUTHORIZED_GROUPS_TAG or SUDOERS_GROUPS_TAG on an instance whose metadata tags are off, the instance role also needs ec2:DescribeTags (as aws-ec2-ssh did)."

// Renames are the operations whose IAM action is not service:Method.
var Renames = map[string]string{
	"s3:HeadObject":    "s3:GetObject",
	"s3:ListObjectsV2": "s3:ListBucket",
	"s3:ListObjects":   "s3:ListBucket",
}

// NoPermission are the operations AWS authorizes without any policy
// (GetCallerIdentity answers whoever signs): they are left out.
var NoPermission = map[string]bool{
	"sts:GetCallerIdentity": true,
}

// Prefixes maps an SDK service package to its IAM action prefix where they
// differ.
var Prefixes = map[string]string{
	"cognitoidentity": "cognito-identity",
	"accessanalyzer":  "access-analyzer",
}

// external are interfaces outside the module a frontend's interface embeds,
// with the SDK operations they declare.
var external = map[string][]string{
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds.AssumeRoleAPIClient": {"sts:AssumeRole"},
}

const sdkService = "github.com/aws/aws-sdk-go-v2/service/"

// Op is one SDK operation an interface declares, and where.
type Op struct {
	Operation string // "iam:CreateUser": SDK service package and method
	Action    string // the IAM action it needs ("" when none)
	From      string // the interface that declares it
}

// Loader reads interfaces from the module's source.
type Loader struct {
	root string
	mu   sync.Mutex
	pkgs map[string]*pkgSource
}

type pkgSource struct {
	types map[string]typeDecl
}

type typeDecl struct {
	expr    ast.Expr
	imports map[string]string // file's import name -> path
}

// NewLoader reads the module rooted at root (the directory of go.mod).
func NewLoader(root string) *Loader { return &Loader{root: root, pkgs: map[string]*pkgSource{}} }

func (l *Loader) pkg(dir string) (*pkgSource, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.pkgs[dir]; ok {
		return p, nil
	}
	fset := token.NewFileSet()
	ents, err := os.ReadDir(filepath.Join(l.root, dir))
	if err != nil {
		return nil, fmt.Errorf("policy: package %s: %w", dir, err)
	}
	p := &pkgSource{types: map[string]typeDecl{}}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(l.root, dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		imports := map[string]string{}
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			n := filepath.Base(path)
			if im.Name != nil {
				n = im.Name.Name
			}
			imports[n] = path
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				p.types[ts.Name.Name] = typeDecl{expr: ts.Type, imports: imports}
			}
		}
	}
	l.pkgs[dir] = p
	return p, nil
}

// Ops returns the SDK operations ref declares, followed through embedded
// interfaces and (for a struct) its interface-typed fields.
func (l *Loader) Ops(ref Ref) ([]Op, error) {
	p, err := l.pkg(ref.Pkg)
	if err != nil {
		return nil, err
	}
	d, ok := p.types[ref.Type]
	if !ok {
		return nil, fmt.Errorf("policy: %s: no such type", ref)
	}
	return l.opsOf(ref.Pkg, ref.String(), d.expr, d.imports)
}

func (l *Loader) opsOf(dir, from string, e ast.Expr, imports map[string]string) ([]Op, error) {
	switch t := e.(type) {
	case *ast.InterfaceType:
		var ops []Op
		for _, m := range t.Methods.List {
			if ft, ok := m.Type.(*ast.FuncType); ok {
				op, err := sdkOperation(m.Names[0].Name, ft, imports)
				if err != nil {
					return nil, fmt.Errorf("policy: %s.%s: %w", from, m.Names[0].Name, err)
				}
				ops = append(ops, Op{Operation: op, Action: action(op), From: from})
				continue
			}
			sub, err := l.embedded(dir, from, m.Type, imports)
			if err != nil {
				return nil, err
			}
			ops = append(ops, sub...)
		}
		return ops, nil
	case *ast.StructType:
		var ops []Op
		for _, f := range t.Fields.List {
			sub, err := l.embedded(dir, from, f.Type, imports)
			if errors.Is(err, errNotInterface) {
				continue
			}
			if err != nil {
				return nil, err
			}
			ops = append(ops, sub...)
		}
		return ops, nil
	}
	return nil, fmt.Errorf("policy: %s: %w", from, errNotInterface)
}

var errNotInterface = errors.New("not an interface or a struct of interfaces")

// embedded resolves a type expression naming an interface: an identifier
// of the same package, pkg.Name of the module or of the SDK, or an inline
// interface.
func (l *Loader) embedded(dir, from string, e ast.Expr, imports map[string]string) ([]Op, error) {
	switch t := e.(type) {
	case *ast.InterfaceType:
		return l.opsOf(dir, from, t, imports)
	case *ast.Ident:
		p, err := l.pkg(dir)
		if err != nil {
			return nil, err
		}
		d, ok := p.types[t.Name]
		if !ok {
			return nil, errNotInterface
		}
		if _, ok := d.expr.(*ast.InterfaceType); !ok {
			return nil, errNotInterface
		}
		return l.opsOf(dir, dir+"."+t.Name, d.expr, d.imports)
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		if !ok {
			return nil, errNotInterface
		}
		path := imports[x.Name]
		if ops, ok := external[path+"."+t.Sel.Name]; ok {
			var out []Op
			for _, op := range ops {
				out = append(out, Op{Operation: op, Action: action(op), From: path + "." + t.Sel.Name})
			}
			return out, nil
		}
		rel, ok := strings.CutPrefix(path, Module+"/")
		if !ok {
			return nil, errNotInterface
		}
		p, err := l.pkg(rel)
		if err != nil {
			return nil, err
		}
		d, ok := p.types[t.Sel.Name]
		if !ok {
			return nil, fmt.Errorf("policy: %s: %s.%s not found", from, rel, t.Sel.Name)
		}
		if _, ok := d.expr.(*ast.InterfaceType); !ok {
			return nil, errNotInterface
		}
		return l.opsOf(rel, rel+"."+t.Sel.Name, d.expr, d.imports)
	}
	return nil, errNotInterface
}

// sdkOperation returns "service:Method" for a method whose second
// parameter is *svc.MethodInput of an SDK service package.
func sdkOperation(name string, ft *ast.FuncType, imports map[string]string) (string, error) {
	var params []ast.Expr
	for _, f := range ft.Params.List {
		n := max(len(f.Names), 1)
		for range n {
			params = append(params, f.Type)
		}
	}
	if len(params) < 2 {
		return "", errors.New("not an SDK method (ctx, *svc.XInput, ...)")
	}
	star, ok := params[1].(*ast.StarExpr)
	if !ok {
		return "", errors.New("not an SDK method: second parameter is not *svc.XInput")
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return "", errors.New("not an SDK method: second parameter is not *svc.XInput")
	}
	x, _ := sel.X.(*ast.Ident)
	if x == nil {
		return "", errors.New("not an SDK method")
	}
	svc, ok := strings.CutPrefix(imports[x.Name], sdkService)
	if !ok || strings.Contains(svc, "/") {
		return "", fmt.Errorf("not an SDK service method (input from %q)", imports[x.Name])
	}
	if sel.Sel.Name != name+"Input" {
		return "", fmt.Errorf("input %s does not match the method", sel.Sel.Name)
	}
	return svc + ":" + name, nil
}

// action is the IAM action an operation needs ("" for none).
func action(op string) string {
	svc, name, _ := strings.Cut(op, ":")
	if p, ok := Prefixes[svc]; ok {
		svc = p
	}
	a := svc + ":" + name
	if r, ok := Renames[a]; ok {
		a = r
	}
	if NoPermission[a] {
		return ""
	}
	return a
}

// Actions returns the sorted, distinct actions p needs, and the operations
// they come from.
func (l *Loader) Actions(p Principal) (actions []string, ops []Op, err error) {
	seen := map[string]bool{}
	for _, ref := range p.Uses {
		o, err := l.Ops(ref)
		if err != nil {
			return nil, nil, err
		}
		ops = append(ops, o...)
		for _, op := range o {
			if op.Action != "" && !seen[op.Action] {
				seen[op.Action] = true
				actions = append(actions, op.Action)
			}
		}
	}
	sort.Strings(actions)
	return actions, ops, nil
}

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of an identity policy.
type Statement struct {
	Sid      string   `json:"Sid,omitempty"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// NewDocument groups actions into one Allow statement per service.
func NewDocument(actions []string) Document {
	by := map[string][]string{}
	var services []string
	for _, a := range actions {
		svc, _, _ := strings.Cut(a, ":")
		if by[svc] == nil {
			services = append(services, svc)
		}
		by[svc] = append(by[svc], a)
	}
	sort.Strings(services)
	doc := Document{Version: "2012-10-17"}
	for _, svc := range services {
		doc.Statement = append(doc.Statement, Statement{Sid: sid(svc), Effect: "Allow", Action: by[svc], Resource: "*"})
	}
	return doc
}

func sid(svc string) string {
	var b strings.Builder
	for _, part := range strings.Split(svc, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// Marshal renders doc as the files hold it (indented, newline-terminated).
func Marshal(doc Document) []byte {
	b, _ := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n')
}

var (
	actionRE = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9]+$`)
	sidRE    = regexp.MustCompile(`^[A-Za-z0-9]*$`)
)

// MaxManagedPolicySize is IAM's limit on a managed policy, in characters
// not counting white space.
const MaxManagedPolicySize = 6144

// Validate checks data as an IAM identity policy document: JSON with only
// the grammar's keys, Version 2012-10-17, statements with Effect, Action
// and Resource and no Principal (identity policies have none), action names
// service:Action without wildcards, unique Sids, and the managed-policy
// size limit.
func Validate(data []byte) error {
	var raw struct {
		Version   string            `json:"Version"`
		Id        string            `json:"Id,omitempty"`
		Statement []json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("policy: not a policy document: %w", err)
	}
	if raw.Version != "2012-10-17" {
		return fmt.Errorf("policy: Version %q, want 2012-10-17", raw.Version)
	}
	if len(raw.Statement) == 0 {
		return errors.New("policy: no Statement")
	}
	sids := map[string]bool{}
	for i, rs := range raw.Statement {
		var s struct {
			Sid       string          `json:"Sid"`
			Effect    string          `json:"Effect"`
			Action    json.RawMessage `json:"Action"`
			Resource  json.RawMessage `json:"Resource"`
			Condition json.RawMessage `json:"Condition"`
		}
		d := json.NewDecoder(bytes.NewReader(rs))
		d.DisallowUnknownFields()
		if err := d.Decode(&s); err != nil {
			return fmt.Errorf("policy: statement %d: %w (an identity policy has no Principal)", i, err)
		}
		if !sidRE.MatchString(s.Sid) || (s.Sid != "" && sids[s.Sid]) {
			return fmt.Errorf("policy: statement %d: Sid %q must be alphanumeric and unique", i, s.Sid)
		}
		sids[s.Sid] = true
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return fmt.Errorf("policy: statement %d: Effect %q", i, s.Effect)
		}
		actions, err := stringOrList(s.Action)
		if err != nil || len(actions) == 0 {
			return fmt.Errorf("policy: statement %d: Action must be a string or a non-empty list", i)
		}
		for _, a := range actions {
			if !actionRE.MatchString(a) {
				return fmt.Errorf("policy: statement %d: action %q is not service:Action", i, a)
			}
		}
		if res, err := stringOrList(s.Resource); err != nil || len(res) == 0 {
			return fmt.Errorf("policy: statement %d: Resource must be a string or a non-empty list", i)
		}
	}
	if n := len(strings.Join(strings.Fields(string(data)), "")); n > MaxManagedPolicySize {
		return fmt.Errorf("policy: %d characters, more than IAM's %d", n, MaxManagedPolicySize)
	}
	return nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	err := json.Unmarshal(raw, &list)
	return list, err
}

// File is one generated file: its path relative to the module root, and
// content.
type File struct {
	Path string
	Data []byte
}

// Generate returns the files of Dir: one NAME.json per principal and the
// README.md index.
func (l *Loader) Generate() ([]File, error) {
	var files []File
	var idx bytes.Buffer
	idx.WriteString(readmeHead)
	for _, p := range Principals {
		actions, _, err := l.Actions(p)
		if err != nil {
			return nil, err
		}
		data := Marshal(NewDocument(actions))
		if err := Validate(data); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		files = append(files, File{Path: filepath.Join(Dir, p.Name+".json"), Data: data})
		var from []string
		for _, r := range p.Uses {
			from = append(from, "`"+r.String()+"`")
		}
		fmt.Fprintf(&idx, "| [%s.json](%s.json) | %s | %d | %s |\n", p.Name, p.Name, p.Who, len(actions), strings.Join(from, ", "))
	}
	idx.WriteString(readmeTail)
	for _, p := range Principals {
		if p.Note != "" {
			fmt.Fprintf(&idx, "- **%s**: %s\n", p.Name, p.Note)
		}
	}
	files = append(files, File{Path: filepath.Join(Dir, "README.md"), Data: idx.Bytes()})
	return files, nil
}

const readmeHead = `# Least-privilege IAM policies

Generated by ` + "`go generate ./internal/policy`" + ` — do not edit. Each file is the
identity policy one frontend needs: every action comes from a method of the
narrow interfaces it calls AWS through (method → action, service from the SDK
package of its input), so a method added to an interface shows up here, and
` + "`go test ./internal/policy`" + ` fails until the files are regenerated. Every
action is checked to be a method of the SDK's service client.

Resource is ` + "`*`" + ` everywhere: narrow it where you deploy (the notes below
say where it matters). ` + "`hostsync-keys`" + `, ` + "`iamkit fake serve`" + ` and
` + "`iamkit demo`" + ` call no AWS API and need no policy.

| policy | who | actions | from |
|---|---|---|---|
`

const readmeTail = `
Notes:

`
