package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestConsoleBrokerCLI: --help explains the configuration and exits 0; an
// invalid configuration or flag exits 2 without starting.
func TestConsoleBrokerCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the built binaries")
	}
	w := newWorldless(t)
	r := w.run(consolebrokerBin, nil, "", "--help")
	assert.Equal(t, 0, r.code, r)
	for _, want := range []string{"Usage: consolebroker", "--tls-cert", "--insecure-http", "BROKER_ROLES_FILE", "BROKER_RATE_LIMIT"} {
		assert.Contains(t, r.stdout, want)
	}

	r = w.run(consolebrokerBin, nil, "")
	assert.Equal(t, 2, r.code, r)
	assert.Contains(t, r.stderr, "BROKER_ROLES_FILE is required")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, r)

	r = w.run(consolebrokerBin, map[string]string{
		"BROKER_ROLES_FILE": "/nonexistent", "BROKER_AUTH": "token-file", "BROKER_TOKEN_FILE": "/nonexistent",
		"BROKER_SOURCE": "assume-role",
	}, "", "--addr", "0.0.0.0:0")
	assert.Equal(t, 2, r.code, r)
	assert.Contains(t, r.stderr, "not a loopback address")
}
