package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/iamkit/iamkit/internal/fakes"
)

// The CloudFormation template (examples/cloudformation/mfa-audit.yaml)
// sets the variables the function reads, and every source it allows is
// one the function accepts.
func TestTemplateEnvironment(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "cloudformation", "mfa-audit.yaml"))
	require.NoError(t, err)
	var tpl struct {
		Parameters map[string]struct {
			AllowedValues []string `yaml:"AllowedValues"`
		} `yaml:"Parameters"`
		Resources map[string]struct {
			Properties struct {
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &tpl))
	vars := tpl.Resources["AuditFunction"].Properties.Environment.Variables
	assert.ElementsMatch(t, []string{EnvTopicARN, EnvSource}, keys(vars))
	sources := tpl.Parameters["Source"].AllowedValues
	require.NotEmpty(t, sources)
	acct := fakes.NewAccount()
	for _, src := range sources {
		env := map[string]string{EnvSource: src}
		_, err := newHandler(acct.IAM(), nil, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
		assert.NoError(t, err, src)
	}
}

func keys(m map[string]yaml.Node) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
