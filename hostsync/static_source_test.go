package hostsync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/iamkit/iamkit/hostsync"
)

func TestStaticSource(t *testing.T) {
	d := complete(user("AIDA1", "alice", "ssh"))
	assert.Equal(t, d, hostsync.StaticSource(d).Desired(t.Context()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got := hostsync.StaticSource(d).Desired(ctx)
	assert.False(t, got.Complete)
	assert.ErrorIs(t, got.Err, context.Canceled)
}
