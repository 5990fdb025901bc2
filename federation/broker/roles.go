package broker

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/iamkit/iamkit/internal/awsname"
)

// Role is a role a person may use, by the short name the broker's URLs use.
type Role struct {
	Name string // "readonly": letters, digits, dots, dashes, underscores; 1 to 64
	ARN  string // an IAM role ARN
}

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
// file.
func LoadRoleMap(path string) (*RoleMap, error) { return loadFile(path, ParseRoleMap) }

// ParseRoleMap reads "person role-name role-ARN" lines (blank lines and #
// comments skipped):
//
//	alice@example.com  admin     arn:aws:iam::123456789012:role/Admin
//	*                  readonly  arn:aws:iam::123456789012:role/ReadOnly
//
// Every role must be an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME,
// a 12-digit account, an optional path), every role in the same partition
// (which is the sign-in endpoint's), and a person has at most one role of a
// given name. A broken rule, or a file without roles, is an error wrapping
// ErrInvalidConfig that names the line.
func ParseRoleMap(r io.Reader) (*RoleMap, error) {
	m := &RoleMap{byPerson: map[string][]Role{}}
	err := eachLine(r, 3, "person role-name role-ARN", func(n int, f []string) error {
		person, name, roleARN := f[0], f[1], f[2]
		if !roleNameRE().MatchString(name) {
			return invalid("line %d: role name %q: letters, digits, dots, dashes and underscores only", n, name)
		}
		a, err := awsname.RoleARN(roleARN)
		if err != nil {
			return invalid("line %d: %q is not a role ARN", n, roleARN)
		}
		if m.partition != "" && a.Partition != m.partition {
			return invalid("line %d: role in partition %s, others in %s", n, a.Partition, m.partition)
		}
		m.partition = a.Partition
		if slices.ContainsFunc(m.byPerson[person], func(r Role) bool { return r.Name == name }) {
			return invalid("line %d: %s has a role named %s already", n, person, name)
		}
		m.byPerson[person] = append(m.byPerson[person], Role{Name: name, ARN: roleARN})
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

// Partition returns the roles' partition ("aws", "aws-cn", ...).
func (m *RoleMap) Partition() string { return m.partition }

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
// empty nor a comment (#); a line without exactly want fields is an error
// wrapping ErrInvalidConfig that shows the expected shape.
func eachLine(r io.Reader, want int, shape string, fn func(n int, fields []string) error) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != want {
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
