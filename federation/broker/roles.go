package broker

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/iamkit/iamkit/federation"

	"github.com/iamkit/iamkit/internal/awsname"
)

// Role is a role a person may use, by the short name the broker's URLs use.
type Role struct {
	Name string // "readonly": letters, digits, dots, dashes, underscores; 1 to 64
	ARN  string // an IAM role ARN; "" for a federated entry
	// Federated marks an entry signed in with GetFederationToken rather
	// than a role (FederationTokenSource): its permissions are its session
	// policies only (within the broker's IAM user's).
	Federated bool
	// Policy (an inline JSON document) and PolicyARNs are session
	// policies passed with the call that obtains the credentials
	// (AssumeRole, AssumeRoleWithWebIdentity, GetFederationToken): the
	// session may do what they and the role allow.
	Policy     string
	PolicyARNs []string
}

// Federated is the role-ARN field of a role-map line for a federated
// user instead of a role (see ParseRoleMap).
const Federated = "federated"

// RoleMap says which roles each person may use. "*" stands for every
// authenticated person. Build it with ParseRoleMap or LoadRoleMap; it is
// immutable and safe for concurrent use.
type RoleMap struct {
	byPerson  map[string][]Role
	partition string
}

// Everyone is the person field of a role-map line that gives the role to
// every authenticated person.
const Everyone = "*"

var roleNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w.-]{1,64}$`) })

// LoadRoleMap reads a role map file (see ParseRoleMap); errors name the
// file, and policy=FILE paths are relative to its directory.
func LoadRoleMap(path string) (*RoleMap, error) {
	dir := filepath.Dir(path)
	return loadFile(path, func(r io.Reader) (*RoleMap, error) { return parseRoleMap(r, dir) })
}

// ParseRoleMap reads "person role-name role-ARN [policy=FILE]
// [policy-arn=ARN]..." lines (blank lines and # comments skipped):
//
//	alice@example.com  admin     arn:aws:iam::123456789012:role/Admin
//	*                  readonly  arn:aws:iam::123456789012:role/ReadOnly  policy=no-secrets.json
//	*                  s3-read   federated  policy-arn=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
//
// Every role must be an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME,
// a 12-digit account, an optional path), every role in the same partition
// (which is the sign-in endpoint's), and a person has at most one role of a
// given name. The optional fields are session policies passed to the call
// that obtains the credentials: policy=FILE a JSON document (read now;
// relative to the working directory here, to the file's directory with
// LoadRoleMap; 2048 characters at most), policy-arn=ARN a managed policy
// (10 at most). "federated" in place of the ARN is a GetFederationToken
// entry for FederationTokenSource, which needs a session policy. A broken
// rule, or a file without roles, is an error wrapping ErrInvalidConfig
// that names the line.
func ParseRoleMap(r io.Reader) (*RoleMap, error) { return parseRoleMap(r, "") }

func parseRoleMap(r io.Reader, dir string) (*RoleMap, error) {
	m := &RoleMap{byPerson: map[string][]Role{}}
	err := eachLine(r, -3, "person role-name role-ARN [policy=FILE] [policy-arn=ARN]...", func(n int, f []string) error {
		person, name, roleARN := f[0], f[1], f[2]
		if !roleNameRE().MatchString(name) {
			return invalid("line %d: role name %q: letters, digits, dots, dashes and underscores only", n, name)
		}
		role := Role{Name: name, ARN: roleARN}
		if roleARN == Federated {
			role.ARN, role.Federated = "", true
		} else {
			a, err := awsname.RoleARN(roleARN)
			if err != nil {
				return invalid("line %d: %q is not a role ARN (or %q)", n, roleARN, Federated)
			}
			if m.partition != "" && a.Partition != m.partition {
				return invalid("line %d: role in partition %s, others in %s", n, a.Partition, m.partition)
			}
			m.partition = a.Partition
		}
		for _, opt := range f[3:] {
			k, v, _ := strings.Cut(opt, "=")
			switch {
			case k == "policy" && v != "" && role.Policy == "":
				doc, err := readPolicy(dir, v)
				if err != nil {
					return invalid("line %d: policy=%s: %v", n, v, err)
				}
				role.Policy = doc
			case k == "policy-arn" && len(role.PolicyARNs) < 10:
				a, err := awsname.IAMARN(v, "policy")
				if err != nil {
					return invalid("line %d: %q is not a managed policy ARN", n, v)
				}
				if m.partition != "" && a.Partition != m.partition && a.Partition != "" {
					return invalid("line %d: policy in partition %s, roles in %s", n, a.Partition, m.partition)
				}
				role.PolicyARNs = append(role.PolicyARNs, v)
			default:
				return invalid("line %d: %q: want policy=FILE (once) or policy-arn=ARN (10 at most)", n, opt)
			}
		}
		if role.Federated && role.Policy == "" && len(role.PolicyARNs) == 0 {
			return invalid("line %d: a federated entry needs policy=FILE or policy-arn=ARN: without a session policy it may do nothing", n)
		}
		if slices.ContainsFunc(m.byPerson[person], func(r Role) bool { return r.Name == name }) {
			return invalid("line %d: %s has a role named %s already", n, person, name)
		}
		m.byPerson[person] = append(m.byPerson[person], role)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(m.byPerson) == 0 {
		return nil, invalid("no roles")
	}
	return m, nil
}

// Partition returns the roles' partition ("aws", "aws-cn", ...); "" when
// every entry is federated (the broker's credentials then tell it).
func (m *RoleMap) Partition() string { return m.partition }

// Roles returns every entry of the map, people's in file order then
// everyone's.
func (m *RoleMap) Roles() []Role {
	var out []Role
	people := make([]string, 0, len(m.byPerson))
	for p := range m.byPerson {
		people = append(people, p)
	}
	slices.Sort(people)
	for _, p := range people {
		out = append(out, m.byPerson[p]...)
	}
	return out
}

// readPolicy reads a session policy document: a JSON object of 2048
// characters at most (STS's limit), returned compact.
func readPolicy(dir, name string) (string, error) {
	if dir != "" && !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("not a JSON object: %w", err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return "", err
	}
	if out.Len() > federation.MaxSessionPolicy {
		return "", fmt.Errorf("%d characters; STS allows %d", out.Len(), federation.MaxSessionPolicy)
	}
	return out.String(), nil
}

// For returns the roles person may use: their own, in file order, then
// those of Everyone not shadowed by a name of their own.
func (m *RoleMap) For(person string) []Role {
	out := slices.Clone(m.byPerson[person])
	for _, r := range m.byPerson[Everyone] {
		if !slices.ContainsFunc(out, func(o Role) bool { return o.Name == r.Name }) {
			out = append(out, r)
		}
	}
	return out
}

// eachLine calls fn with the fields of every line of r that is neither
// empty nor a comment (#); a line without exactly want fields (at least
// -want when want is negative) is an error wrapping ErrInvalidConfig that
// shows the expected shape.
func eachLine(r io.Reader, want int, shape string, fn func(n int, fields []string) error) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if (want > 0 && len(f) != want) || (want < 0 && len(f) < -want) {
			return invalid("line %d: want %q", n, shape)
		}
		if err := fn(n, f); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	return nil
}
