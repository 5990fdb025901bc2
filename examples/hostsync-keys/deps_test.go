package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoAWSSDK keeps hostsync-keys, run on every SSH login, free of the AWS
// SDK: it links hostsync's SDK-free core only, never an adapter.
func TestNoAWSSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	var aws []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/aws/") {
			aws = append(aws, p)
		}
	}
	require.Empty(t, aws, "hostsync-keys links AWS packages")
}
