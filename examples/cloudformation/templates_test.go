// Package cloudformation_test lints the CloudFormation templates of
// examples/cloudformation and checks what they must say.
package cloudformation_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/testenv"
)

// templates returns the templates in this directory.
func templates(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// Every template lints clean with cfn-lint. Without cfn-lint the test
// skips, except under CI=true, where it fails: CI installs it.
func TestTemplatesLintClean(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		testenv.Skip(t, "cfn-lint is not installed (pip install cfn-lint)")
	}
	files := templates(t)
	assert.Contains(t, files, "hostsync-host.yaml")
	assert.Contains(t, files, "hostsync-fleet.yaml")
	out, err := exec.Command(lint, append([]string{"--"}, files...)...).CombinedOutput()
	require.NoError(t, err, "cfn-lint:\n%s", out)
}

// The host stack installs what examples/hostsync ships: the binaries, the
// daemon following the snapshot, sshd asking hostsync-keys.
func TestHostTemplateInstallsHostsync(t *testing.T) {
	data, err := os.ReadFile("hostsync-host.yaml")
	require.NoError(t, err)
	tpl := string(data)
	for _, want := range []string{
		"AWS::EC2::LaunchTemplate", "AWS::AutoScaling::AutoScalingGroup", "AWS::IAM::InstanceProfile",
		"/usr/local/bin/hostsyncd --config /etc/aws-ec2-ssh.conf --state-dir /var/lib/iamkit --snapshot s3://${SnapshotBucket}/${SnapshotKey} --snapshot-account ${SnapshotAccount} --snapshot-bucket-owner ${SnapshotAccount}",
		// Root runs the binaries: only from a bucket of the expected owner.
		`aws s3 cp --only-show-errors --expected-bucket-owner ${ArtifactsOwner} "s3://${ArtifactsBucket}/`,
		"systemctl enable --now hostsyncd.service",
		"/etc/ssh/sshd_config.d/50-iamkit-hostsync.conf",
		"HttpTokens: required",
	} {
		assert.Contains(t, tpl, want)
	}
	// The sshd directives are the shipped drop-in's.
	shipped, err := os.ReadFile(filepath.Join("..", "hostsync", "sshd", "50-iamkit-hostsync.conf"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(shipped), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		assert.Contains(t, tpl, line, "the shipped drop-in's directive")
	}
}

// The fleet stack republishes on IAM events, says what they need, and
// alarms on failed publishes.
func TestFleetTemplateHasTheEventRule(t *testing.T) {
	data, err := os.ReadFile("hostsync-fleet.yaml")
	require.NoError(t, err)
	tpl := string(data)
	for _, want := range []string{
		"detail-type: [AWS API Call via CloudTrail]", "source: [aws.iam]", "us-east-1",
		"trail logging management events", "best effort", "PublisherFailureAlarm", "MaximumRetryAttempts",
	} {
		assert.Contains(t, tpl, want)
	}
}
