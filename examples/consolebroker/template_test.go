package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The CloudFormation template's environment is one the broker accepts:
// every variable it sets is one LoadConfig reads, and with the values the
// stack gives them (references filled in) the configuration loads and the
// handler builds.
func TestTemplateEnvironment(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "cloudformation", "consolebroker.yaml"))
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	vars := find(t, &doc, "Resources", "BrokerFunction", "Properties", "Environment", "Variables")
	env := files(t)
	delete(env, "BROKER_PROXY_SECRET")
	for i := 0; i+1 < len(vars.Content); i += 2 {
		k, v := vars.Content[i].Value, vars.Content[i+1]
		switch {
		case k == "BROKER_ALB_ARN":
			env[k] = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/broker/50dc6c495c0c9188"
		case k == "BROKER_ALB_ISSUER":
			env[k] = "https://idp.example.com"
		case k == "BROKER_ROLES_FILE":
			// the role file of files()
		case v.Tag == "!Ref":
			env[k] = paramDefault(t, &doc, v.Value)
		case v.Tag == "!Sub":
			env[k] = strings.ReplaceAll(v.Value, "${DomainName}", "broker.example.com")
		default:
			env[k] = v.Value
		}
		assert.Contains(t, readsEnv(t), `"`+k+`"`, "the broker reads %s", k)
	}
	conf, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "alb", conf.Auth)
	assert.Equal(t, "assume-role", conf.Source)
}

func readsEnv(t *testing.T) string {
	b, err := os.ReadFile("main.go")
	require.NoError(t, err)
	return string(b)
}

func paramDefault(t *testing.T, doc *yaml.Node, name string) string {
	return find(t, doc, "Parameters", name, "Default").Value
}

// find walks mapping keys from the document's root.
func find(t *testing.T, n *yaml.Node, path ...string) *yaml.Node {
	t.Helper()
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	for _, key := range path {
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		require.NotNil(t, next, "no %s in %v", key, path)
		n = next
	}
	return n
}
