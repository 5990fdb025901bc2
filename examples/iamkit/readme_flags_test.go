package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMECommandLines: every iamkit command line the READMEs and the
// commands' own --help examples show names a command that exists and flags
// that command has, and gives no value to a flag that takes none (a boolean
// flag followed by a word would end the flags there: "unexpected argument").
func TestREADMECommandLines(t *testing.T) {
	files := []string{filepath.Join("..", "..", "README.md"), "README.md", filepath.Join("..", "hostsync", "fleet.md")}
	checked := 0
	for _, file := range files {
		f, err := os.Open(file)
		require.NoError(t, err)
		inCode := false
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "```") {
				inCode = !inCode
				continue
			}
			if inCode && checkCommandLine(t, file+":"+itoa(n), line) {
				checked++
			}
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	var walk func(c *command)
	walk = func(c *command) {
		for _, ex := range c.examples {
			if checkCommandLine(t, "help of "+c.name, ex) {
				checked++
			}
		}
		for _, s := range c.subs {
			walk(s)
		}
	}
	walk(rootCommand())
	assert.Greater(t, checked, 40, "command lines checked")
}

var flagRe = regexp.MustCompile(`^--?[a-z][a-z0-9-]*$`)

// checkCommandLine checks one shown command line; it reports whether the
// line was an iamkit command line.
func checkCommandLine(t *testing.T, where, line string) bool {
	t.Helper()
	line = strings.TrimPrefix(line, "$ ")
	if !strings.HasPrefix(line, "iamkit ") {
		return false
	}
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	line = strings.NewReplacer("[", " ", "]", " ", "|", " ", "...", " ", "…", " ").Replace(line)
	words := strings.Fields(line)[1:]
	if len(words) == 0 || strings.HasPrefix(words[0], "-") || strings.Contains(line, ">") {
		return false // global flags, redirections: not a command line to check
	}
	e := newEnv(t)
	path := words[:1]
	if len(words) > 1 && !strings.HasPrefix(words[1], "-") && e.run(words[0], words[1], "--help") == exitOK {
		path = words[:2]
	}
	require.Equal(t, exitOK, e.run(append(append([]string{}, path...), "--help")...), "%s: iamkit %s --help: %s", where, strings.Join(path, " "), e.stderr.String())
	help := e.stdout.String() + e.stderr.String()
	for i, w := range words {
		name, _, _ := strings.Cut(w, "=")
		if !flagRe.MatchString(name) || name == "--help" || name == "-h" {
			continue
		}
		// The help lists "  -d, --duration D" or "  --open".
		entry := `(?m)^\s+(-[a-z], )?` + regexp.QuoteMeta("--"+strings.TrimLeft(name, "-")) + `\b`
		if short := strings.TrimPrefix(name, "-"); len(short) == 1 {
			entry = `(?m)^\s+-` + short + `, --[a-z-]+`
		}
		if !assert.Regexp(t, regexp.MustCompile(entry), help, "%s: iamkit %s has no %s", where, strings.Join(path, " "), name) {
			continue
		}
		boolean := regexp.MustCompile(entry + `\s*$`).MatchString(help)
		if boolean && !strings.Contains(w, "=") && i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
			assert.Fail(t, "a boolean flag given a value", "%s: %s takes no value, but %q follows it", where, name, words[i+1])
		}
	}
	return true
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
