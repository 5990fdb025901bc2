package main

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUsageNamesEverySetting: --help names every flag ParseFlags defines
// and every BROKER_ variable LoadConfig reads.
func TestUsageNamesEverySetting(t *testing.T) {
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	vars := regexp.MustCompile(`getenv\("(BROKER_[A-Z_]+)"\)|flag\("(BROKER_[A-Z_]+)"\)`).FindAllStringSubmatch(string(src), -1)
	require.NotEmpty(t, vars)
	for _, m := range vars {
		assert.Contains(t, usage, m[1]+m[2])
	}
	flags := regexp.MustCompile(`fs\.(?:String|Bool)Var\([^,]+, "([a-z-]+)"`).FindAllStringSubmatch(string(src), -1)
	require.Len(t, flags, 4)
	for _, m := range flags {
		assert.Contains(t, usage, "--"+m[1]+" ")
	}
}

func TestExitCodes(t *testing.T) {
	assert.Equal(t, exitUsage, exitCode(configError{errors.New("BROKER_ROLES_FILE is required")}))
	assert.Equal(t, exitFailed, exitCode(errors.New("listen tcp: address in use")))
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--addr", "x", "-help"}} {
		assert.True(t, helpRequested(args), strings.Join(args, " "))
	}
	assert.False(t, helpRequested([]string{"--addr", "127.0.0.1:0"}))
}
