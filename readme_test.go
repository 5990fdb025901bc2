package iamkit_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README stays short, starts with the two commands, shows each chore
// and links only to files that exist; the detail lives in the packages'
// documentation and examples/*/README.md.
func TestREADME(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	text := string(data)
	lines := strings.Count(text, "\n")
	assert.LessOrEqual(t, lines, 320, "README.md has %d lines: move detail to the package docs or examples/*/README.md", lines)

	demo := strings.Index(text, "go run ./examples/iamkit demo")
	test := strings.Index(text, "go test ./...")
	firstSection := strings.Index(text, "\n## ")
	assert.True(t, demo > 0 && test > 0 && demo < firstSection && test < firstSection, "the two commands come first")

	for _, want := range []string{
		"## Use it as a library", "## Onboarding and offboarding", "## MFA", "## credential_process",
		"## Console sign-in", "## Trust policies", "## Host sync", "## Deployment", "## API stability",
		"## Figures", "## Development",
		"iamkit mfa session", "iamkit mfa audit", "examples/lambda/mfaaudit",
		"credential_process = iamkit mfa credential-process --profile",
		"Deprecation rule", "examples/policies",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, strings.ToLower(text), "coming soon", "shipped features are not \"coming\"")

	// Relative links point at files of the repository.
	for _, doc := range []string{"README.md", "examples/iamkit/README.md", "examples/hostsync/fleet.md", "examples/policies/README.md"} {
		data, err := os.ReadFile(doc)
		require.NoError(t, err)
		for _, m := range regexp.MustCompile(`\]\(([^)#]+)(#[^)]*)?\)`).FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			_, err := os.Stat(filepath.Join(filepath.Dir(doc), target))
			assert.NoError(t, err, "%s links to %s", doc, target)
		}
	}
}
