package authkeys

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Config is what the read path uses of aws-ec2-ssh.conf.
type Config struct {
	// MarkerGroup is LOCAL_MARKER_GROUP (default DefaultMarkerGroup).
	MarkerGroup string
	// LocalGroups is LOCAL_GROUPS.
	LocalGroups []string
	// Reserved is IAMKIT_RESERVED.
	Reserved []string
}

// ReadConfigFile reads the configuration at path as
// hostsync.ReadOptionalConfigFile does (a missing file gives the defaults),
// keeping the keys Config holds; see the package doc for what it checks.
func ReadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{MarkerGroup: DefaultMarkerGroup}, nil
	}
	if err != nil {
		return Config{}, errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return Config{}, errorf("config: %w", err)
	}
	return ParseConfig(data)
}

// ParseConfig parses configuration data; see ReadConfigFile.
func ParseConfig(data []byte) (Config, error) {
	c := Config{MarkerGroup: DefaultMarkerGroup}
	if len(data) > MaxConfigSize {
		return Config{}, errorf("config: syntax error: file larger than %d bytes", MaxConfigSize)
	}
	for i, raw := range strings.Split(string(data), "\n") {
		line := i + 1
		bad := func(key, format string, args ...any) error {
			if key != "" {
				key = ": " + key
			}
			return errorf("config line %d%s: %s", line, key, fmt.Sprintf(format, args...))
		}
		key, value, ok, err := parseAssignment(strings.TrimSuffix(strings.TrimSuffix(raw, "\r"), "\r"))
		if err != nil {
			return Config{}, bad(key, "syntax error: %v", err)
		}
		if !ok {
			continue
		}
		switch key {
		case "LOCAL_MARKER_GROUP":
			if value == "" {
				value = DefaultMarkerGroup
			}
			if err := checkGroup(value); err != nil {
				return Config{}, bad(key, "invalid value: %v", err)
			}
			c.MarkerGroup = value
		case "LOCAL_GROUPS":
			groups, err := parseList(value, checkGroup)
			if err != nil {
				return Config{}, bad(key, "invalid value: %v", err)
			}
			c.LocalGroups = groups
		case "IAMKIT_RESERVED":
			c.Reserved, _ = parseList(value, func(string) error { return nil })
		}
	}
	for _, g := range c.LocalGroups {
		if g == c.MarkerGroup {
			return Config{}, errorf("config: LOCAL_GROUPS: invalid value: %q is the marker group", g)
		}
	}
	return c, nil
}

func checkGroup(g string) error {
	if err := ValidLinuxName(g); err != nil {
		return fmt.Errorf("local group %q: %w", g, err)
	}
	return nil
}

// parseAssignment parses one line as hostsync's ParseConfig does: ok is
// false for blank and comment lines; key is set in errors about a value.
func parseAssignment(line string) (key, value string, ok bool, err error) {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return "", "", false, nil
	}
	if !utf8.ValidString(s) {
		return "", "", false, errors.New("line is not valid UTF-8")
	}
	if rest, found := strings.CutPrefix(s, "export"); found && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = strings.TrimLeft(rest, " \t")
	}
	i := 0
	for i < len(s) && (s[i] == '_' || 'A' <= s[i] && s[i] <= 'Z' || 'a' <= s[i] && s[i] <= 'z' || i > 0 && '0' <= s[i] && s[i] <= '9') {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '=' {
		return "", "", false, errors.New("expected KEY=value")
	}
	key = s[:i]
	value, rest, err := parseWord(s[i+1:])
	if err != nil {
		return key, "", false, err
	}
	if rest = strings.TrimLeft(rest, " \t"); rest != "" && rest[0] != '#' {
		return key, "", false, errors.New("unexpected text after the value")
	}
	return key, value, true, nil
}

// parseWord reads one shell word (hostsync's grammar: quotes and
// backslashes; no expansion, no second word).
func parseWord(s string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case ' ', '\t':
			return b.String(), s[i:], nil
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", "", errors.New("single quote not closed on this line")
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case '"':
			i++
			for {
				if i >= len(s) {
					return "", "", errors.New("double quote not closed on this line")
				}
				c := s[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '$' || c == '`' {
					return "", "", fmt.Errorf("shell expansion (%c) is not supported", c)
				}
				b.WriteByte(c)
				i++
			}
		case '\\':
			if i+1 >= len(s) {
				return "", "", errors.New("line continuation (trailing backslash) is not supported")
			}
			b.WriteByte(s[i+1])
			i += 2
		case '$', '`', ';', '&', '|', '<', '>', '(', ')', '~':
			return "", "", fmt.Errorf("unquoted %q is not supported (quote the value)", c)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), "", nil
}

// parseList splits at commas and blanks, drops empty items and duplicates,
// and checks each item.
func parseList(v string, check func(string) error) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, item := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if err := check(item); err != nil {
			return nil, err
		}
		if !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return out, nil
}
