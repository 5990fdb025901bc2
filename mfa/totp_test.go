package mfa_test

import (
	"context"
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/iamkit/iamkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/mfa"
)

// rfcSeed is RFC 6238's SHA1 test key, the ASCII text "12345678901234567890",
// in base32.
var rfcSeed = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

func TestCodeRFC6238Vectors(t *testing.T) {
	require.Equal(t, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", rfcSeed)
	// RFC 6238 appendix B, SHA1 column; the 6-digit code is the last six
	// digits of the RFC's 8-digit one.
	tests := []struct {
		unix int64
		want string
		rfc8 string
	}{
		{59, "287082", "94287082"},
		{1111111109, "081804", "07081804"},
		{1111111111, "050471", "14050471"},
		{1234567890, "005924", "89005924"},
		{2000000000, "279037", "69279037"},
		{20000000000, "353130", "65353130"},
	}
	for _, tt := range tests {
		t.Run(tt.rfc8, func(t *testing.T) {
			require.Equal(t, tt.rfc8[2:], tt.want)
			got, err := mfa.Code(rfcSeed, time.Unix(tt.unix, 0))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCodeSeedForms(t *testing.T) {
	at := time.Unix(1111111111, 0)
	// "123456" is 6 bytes: base32 needs padding to a multiple of 8 characters.
	padded := base32.StdEncoding.EncodeToString([]byte("123456"))
	require.Equal(t, "GEZDGNBVGY======", padded)
	want, err := mfa.Code(padded, at)
	require.NoError(t, err)
	wantRFC, err := mfa.Code(rfcSeed, at)
	require.NoError(t, err)

	tests := []struct {
		name, seed, want string
	}{
		{"padded", padded, want},
		{"unpadded", "GEZDGNBVGY", want},
		{"lower case", "gezdgnbvgy", want},
		{"surrounding whitespace", "  GEZDGNBVGY\n", want},
		{"grouped by spaces", "GEZD GNBV GY", want},
		{"rfc lower case", strings.ToLower(rfcSeed), wantRFC},
		{"rfc in groups of four", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", wantRFC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mfa.Code(tt.seed, at)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCodeInvalidSeed(t *testing.T) {
	tests := []struct {
		name, seed string
	}{
		{"empty", ""},
		{"whitespace only", " \t\n"},
		{"padding only", "========"},
		{"digit 1 is not base32", "GEZDGNBVGY3TQOJ1"},
		{"digit 0 is not base32", "0EZDGNBVGY3TQOJQ"},
		{"punctuation", "GEZDGNBV-Y3TQOJQ"},
		{"impossible length", "GEZDGNBVG"},
		{"padding inside", "GEZD=GNBVGY3TQOJQ"},
		{"non-ASCII", "GEZDGNBVGY3TQOJÄ"},
		{"base64 not base32", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := mfa.Code(tt.seed, time.Unix(59, 0))
			require.ErrorIs(t, err, mfa.ErrInvalidSeed)
			assert.Empty(t, code)
			assert.Contains(t, err.Error(), "invalid TOTP seed")
			if strings.TrimSpace(tt.seed) != "" {
				assert.NotContains(t, err.Error(), strings.TrimSpace(tt.seed), "an error must not leak the seed")
			}
		})
	}
}

func TestCodeBeforeEpoch(t *testing.T) {
	_, err := mfa.Code(rfcSeed, time.Unix(-1, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "before the Unix epoch")
	assert.NotContains(t, err.Error(), rfcSeed)

	code, err := mfa.Code(rfcSeed, time.Unix(0, 0))
	require.NoError(t, err)
	assert.Len(t, code, 6)
}

func TestCodeIsConstantWithinAStep(t *testing.T) {
	start := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	first, err := mfa.Code(rfcSeed, start)
	require.NoError(t, err)
	for d := time.Duration(0); d < mfa.Period; d += 500 * time.Millisecond {
		got, err := mfa.Code(rfcSeed, start.Add(d))
		require.NoError(t, err)
		require.Equal(t, first, got, "offset %v", d)
	}
	next, err := mfa.Code(rfcSeed, start.Add(mfa.Period))
	require.NoError(t, err)
	assert.NotEqual(t, first, next)
}

func TestPairingCodes(t *testing.T) {
	tests := []struct {
		name         string
		now          time.Time
		code1, code2 string
	}{
		// 1111111111 is in step 37037037, 1111111109 in step 37037036.
		{"rfc vectors", time.Unix(1111111111, 0), "081804", "050471"},
		{"first instant of a step", time.Unix(1111111110, 0), "081804", "050471"},
		{"last instant of a step", time.Unix(1111111139, 999_999_999), "081804", "050471"},
		{"step zero has step -1 before it", time.Unix(59, 0), "755224", "287082"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c1, c2, err := mfa.PairingCodes(rfcSeed, tt.now)
			require.NoError(t, err)
			assert.Equal(t, tt.code1, c1)
			assert.Equal(t, tt.code2, c2)
		})
	}
}

func TestPairingCodesAreConsecutiveSteps(t *testing.T) {
	now := time.Date(2026, 1, 15, 9, 0, 17, 0, time.UTC)
	c1, c2, err := mfa.PairingCodes(rfcSeed, now)
	require.NoError(t, err)
	prev, err := mfa.Code(rfcSeed, now.Add(-mfa.Period))
	require.NoError(t, err)
	cur, err := mfa.Code(rfcSeed, now)
	require.NoError(t, err)
	assert.Equal(t, prev, c1)
	assert.Equal(t, cur, c2)

	// The next step's pair starts with this step's code.
	n1, _, err := mfa.PairingCodes(rfcSeed, mfa.NextStep(now))
	require.NoError(t, err)
	assert.Equal(t, c2, n1)
}

func TestPairingCodesInvalidSeed(t *testing.T) {
	c1, c2, err := mfa.PairingCodes("not base32!", time.Unix(59, 0))
	require.ErrorIs(t, err, mfa.ErrInvalidSeed)
	assert.Empty(t, c1)
	assert.Empty(t, c2)
}

func TestNextStep(t *testing.T) {
	odd := time.FixedZone("odd", 5*3600+45*60+17)
	tests := []struct {
		name string
		t    time.Time
		want time.Time
	}{
		{"start of a step", time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 9, 0, 30, 0, time.UTC)},
		{"inside a step", time.Date(2026, 1, 15, 9, 0, 17, 0, time.UTC), time.Date(2026, 1, 15, 9, 0, 30, 0, time.UTC)},
		{"last nanosecond", time.Date(2026, 1, 15, 9, 0, 29, 999_999_999, time.UTC), time.Date(2026, 1, 15, 9, 0, 30, 0, time.UTC)},
		{"second half-minute", time.Date(2026, 1, 15, 9, 0, 45, 0, time.UTC), time.Date(2026, 1, 15, 9, 1, 0, 0, time.UTC)},
		{"epoch", time.Unix(0, 0).UTC(), time.Unix(30, 0).UTC()},
		{"zone with odd offset keeps the zone", time.Unix(1111111111, 0).In(odd), time.Unix(1111111140, 0).In(odd)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mfa.NextStep(tt.t)
			assert.True(t, tt.want.Equal(got), "got %v, want %v", got, tt.want)
			assert.Equal(t, tt.want.Location(), got.Location())
			assert.Zero(t, got.Unix()%30)
			assert.Zero(t, got.Nanosecond())
		})
	}
}

func TestSystemClock(t *testing.T) {
	var clk iamkit.Clock = iamkit.SystemClock{}
	before := time.Now()
	now := clk.Now()
	assert.False(t, now.Before(before))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	err := clk.Sleep(ctx, time.Hour)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), time.Minute, "Sleep must return as soon as ctx is done")

	require.NoError(t, clk.Sleep(context.Background(), 0))
	require.NoError(t, clk.Sleep(context.Background(), -time.Second))
	require.ErrorIs(t, clk.Sleep(ctx, 0), context.Canceled)
}
