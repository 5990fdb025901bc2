package authkeys

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// IsManaged is hostsync.Linux.IsManaged with Root root: the user is in
// root's /etc/passwd with a UID of at least MinManagedUID, not reserved
// (IsReserved with c.Reserved, c.LocalGroups and the marker group), and a
// member of c.MarkerGroup (as its primary group or listed in /etc/group).
// Malformed lines are skipped, as glibc skips them.
func IsManaged(root string, c Config, name string) (bool, error) {
	if ValidLinuxName(name) != nil {
		return false, nil
	}
	if c.MarkerGroup == "" {
		c.MarkerGroup = DefaultMarkerGroup
	}
	read := func(p string) ([]string, error) {
		if root != "" {
			p = filepath.Join(root, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, errorf("%w", err)
		}
		var lines []string
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" && l[0] != '#' && l[0] != '+' && l[0] != '-' {
				lines = append(lines, l)
			}
		}
		return lines, nil
	}
	passwd, err := read("/etc/passwd")
	if err != nil {
		return false, err
	}
	group, err := read("/etc/group")
	if err != nil {
		return false, err
	}
	gid := -1
	found := false
	for _, l := range passwd {
		f := strings.Split(l, ":")
		if len(f) != 7 || f[0] == "" {
			continue
		}
		u, ok1 := parseID(f[2])
		g, ok2 := parseID(f[3])
		if !ok1 || !ok2 || f[0] != name {
			continue
		}
		if u < MinManagedUID {
			return false, nil
		}
		gid, found = g, true
		break
	}
	if !found || IsReserved(name, slices.Concat(c.Reserved, c.LocalGroups, []string{c.MarkerGroup})...) {
		return false, nil
	}
	primary := ""
	member := false
	for _, l := range group {
		f := strings.Split(l, ":")
		if len(f) != 4 || f[0] == "" {
			continue
		}
		g, ok := parseID(f[2])
		if !ok {
			continue
		}
		if g == gid && primary == "" {
			primary = f[0]
		}
		if f[0] == c.MarkerGroup && slices.Contains(strings.Split(f[3], ","), name) {
			member = true
		}
	}
	return member || primary == c.MarkerGroup, nil
}

func parseID(s string) (int, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}
