package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoFleetChapter(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("demo"), e.stderr.String())
	out := e.stdout.String()
	i := strings.Index(out, ". A fleet: one snapshot in S3, two hosts sync from it ==")
	require.Positive(t, i, "the fleet chapter is played")
	end := strings.Index(out[i:], "\n== ")
	require.Positive(t, end)
	ch := out[i : i+end]
	for _, want := range []string{
		"$ iamkit hostsync publish --bucket iamkit-fleet --key hostsync/snapshot.json --groups developers --sudoers-groups developers\n",
		"s3://iamkit-fleet/hostsync/snapshot.json written (no object yet): 1 users, 1 keys",
		"The calls it made: iam:GetGroup=1 iam:GetSSHPublicKey=1 iam:ListSSHPublicKeys=1 s3:GetObject=1 s3:PutObject=1 sts:GetCallerIdentity=1",
		"on host 1: 4 actions; alice: uid ",
		"on host 2: 4 actions; alice: uid ",
		"calls: s3:GetObject=2 (no IAM call from the hosts)",
		"unchanged: nothing written (1 users, 1 keys",
		"The calls of the whole cycle:\n  iam:GetGroup=1 iam:GetSSHPublicKey=1 iam:ListSSHPublicKeys=1 s3:GetObject=3 sts:GetCallerIdentity=1\n",
		"malformed snapshot: content_sha256",
		"written (the object in place is not a valid snapshot",
		"The publisher finds the object invalid and rewrites it",
	} {
		assert.Contains(t, ch, want)
	}
	assert.Zero(t, e.iamBuilt, "the demo does not use the test's IAM seam")
}
