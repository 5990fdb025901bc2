package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDurationFlag: console's -d/--duration and --margin take Go's syntax
// and whole seconds, as mfa session's --duration, and refuse trailing junk.
func TestDurationFlag(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"1h", time.Hour}, {"3600", time.Hour}, {"90m", 90 * time.Minute}, {" 900 ", 15 * time.Minute}, {"0", 0}} {
		var d time.Duration
		require.NoError(t, duration{&d}.Set(tt.in), tt.in)
		assert.Equal(t, tt.want, d, tt.in)
	}
	for _, in := range []string{"3600junk", "1h junk", "-1h", "-3600", "soon", ""} {
		var d time.Duration
		assert.Error(t, duration{&d}.Set(in), in)
	}

}
