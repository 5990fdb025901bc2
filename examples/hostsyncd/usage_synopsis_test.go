package main

import (
	"bytes"
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The usage synopsis names every flag --help lists.
func TestUsageSynopsisNamesEveryFlag(t *testing.T) {
	var out bytes.Buffer
	_, err := parseFlags([]string{"--help"}, &out)
	require.True(t, errors.Is(err, flag.ErrHelp), "%v", err)
	synopsis, flags, ok := strings.Cut(out.String(), "\nFlags:\n")
	require.True(t, ok, "a Flags section")
	synopsis, _, _ = strings.Cut(synopsis, "\n\n")
	names := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(flags, -1)
	require.NotEmpty(t, names)
	for _, m := range names {
		assert.Contains(t, synopsis, "--"+m[1], "the synopsis names --%s", m[1])
	}
}
