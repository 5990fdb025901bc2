package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/iamkit/iamkit/federation"
)

// Role is a role a person may use, by the short name the broker's URLs use.
type Role struct {
	Name string // "readonly"
	ARN  string
}

// RoleMap says which roles each person may use. "*" stands for every
// authenticated person.
type RoleMap struct {
	byPerson  map[string][]Role
	partition string
}

var roleNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w.-]{1,64}$`) })

// LoadRoleMap reads a role map file.
func LoadRoleMap(path string) (*RoleMap, error) { return loadFile(path, ParseRoleMap) }

// ParseRoleMap reads "person role-name role-ARN" lines (blank lines and #
// comments skipped):
//
//	alice@example.com  admin     arn:aws:iam::123456789012:role/Admin
//	*                  readonly  arn:aws:iam::123456789012:role/ReadOnly
//
// Every role must be in the same partition, which is the sign-in
// endpoint's.
func ParseRoleMap(r io.Reader) (*RoleMap, error) {
	m := &RoleMap{byPerson: map[string][]Role{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want \"person role-name role-ARN\"", n)
		}
		person, name, arn := f[0], f[1], f[2]
		if !roleNameRE().MatchString(name) {
			return nil, fmt.Errorf("line %d: role name %q: letters, digits, dots, dashes and underscores only", n, name)
		}
		p, err := federation.PartitionOf(arn)
		if err != nil || !strings.Contains(arn, ":role/") {
			return nil, fmt.Errorf("line %d: %q is not a role ARN", n, arn)
		}
		if m.partition != "" && p != m.partition {
			return nil, fmt.Errorf("line %d: role in partition %s, others in %s", n, p, m.partition)
		}
		m.partition = p
		if slices.ContainsFunc(m.byPerson[person], func(r Role) bool { return r.Name == name }) {
			return nil, fmt.Errorf("line %d: %s has a role named %s already", n, person, name)
		}
		m.byPerson[person] = append(m.byPerson[person], Role{Name: name, ARN: arn})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(m.byPerson) == 0 {
		return nil, errors.New("no roles")
	}
	return m, nil
}

// Partition returns the roles' partition.
func (m *RoleMap) Partition() string { return m.partition }

// For returns the roles person may use: their own, then those of "*" not
// shadowed by a name of their own.
func (m *RoleMap) For(person string) []Role {
	out := slices.Clone(m.byPerson[person])
	for _, r := range m.byPerson["*"] {
		if !slices.ContainsFunc(out, func(o Role) bool { return o.Name == r.Name }) {
			out = append(out, r)
		}
	}
	return out
}
