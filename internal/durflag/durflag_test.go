package durflag_test

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/durflag"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "3600", want: time.Hour},
		{in: " 90 ", want: 90 * time.Second},
		{in: "1h", want: time.Hour},
		{in: "1m30s", want: 90 * time.Second},
		{in: "0", want: 0},
		{in: "3600junk", err: "want a number of seconds (3600) or a duration (1h)"},
		{in: "", err: "want a number of seconds"},
		{in: "-5", err: "out of range"},
		{in: "-1h", err: "cannot be negative"},
		{in: "99999999999999999", err: "out of range"},
	} {
		got, err := durflag.Parse(tc.in)
		if tc.err != "" {
			require.Error(t, err, tc.in)
			assert.Contains(t, err.Error(), tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	d := durflag.Duration(fs, "interval", 10*time.Minute, "time between syncs")
	assert.Equal(t, 10*time.Minute, *d, "the default")
	assert.Equal(t, "10m0s", fs.Lookup("interval").DefValue)
	require.NoError(t, fs.Parse([]string{"--interval", "120"}))
	assert.Equal(t, 2*time.Minute, *d)
	err := fs.Parse([]string{"--interval", "2 minutes"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"2 minutes": want a number of seconds (3600) or a duration (1h)`)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"3600", "1h", "1m30s", "-1", "junk", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := durflag.Parse(s)
		if err == nil && d < 0 {
			t.Fatalf("Parse(%q) = %v, a negative duration", s, d)
		}
	})
}
