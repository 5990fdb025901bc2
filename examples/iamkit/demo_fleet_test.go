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
		"written (no object yet): 1 user(s), 1 key(s)",
		"calls: iam:GetGroup=1 iam:GetSSHPublicKey=1 iam:ListSSHPublicKeys=1 s3:GetObject=1 s3:PutObject=1",
		"on host 1: 4 actions; alice: uid ",
		"on host 2: 4 actions; alice: uid ",
		"calls: s3:GetObject=2 (no IAM call from the hosts)",
		"calls of the whole cycle: iam:GetGroup=1 iam:ListSSHPublicKeys=1 s3:GetObject=3",
		"malformed snapshot: content_sha256",
		"The publisher's next run finds the object invalid and rewrites it",
	} {
		assert.Contains(t, ch, want)
	}
	assert.Zero(t, e.iamBuilt, "the demo never builds a real AWS client")
}
