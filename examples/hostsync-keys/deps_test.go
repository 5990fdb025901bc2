package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoAWSSDK keeps hostsync-keys, run on every SSH login, free of the AWS
// SDK and of the heavy packages whose size and initialisers made it 1.4-1.5×
// as slow as a static hello-world: it links hostsync/authkeys, not the
// hostsync package.
func TestNoAWSSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	var aws []string
	for _, p := range deps {
		if strings.HasPrefix(p, "github.com/aws/") {
			aws = append(aws, p)
		}
	}
	require.Empty(t, aws, "hostsync-keys links AWS packages")
	for _, heavy := range []string{
		"github.com/iamkit/iamkit/hostsync", "golang.org/x/crypto/ssh", "crypto/x509", "crypto/rsa", "math/big",
		"net", "net/http", "log/slog", "encoding/json", "os/exec", "regexp",
	} {
		assert.NotContains(t, deps, heavy, "hostsync-keys links %s", heavy)
	}
}
