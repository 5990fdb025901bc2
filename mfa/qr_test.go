package mfa_test

import (
	"bytes"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/mfa"
)

const testSeed = "JBSWY3DPEHPK3PXP"

func TestURI(t *testing.T) {
	tests := []struct {
		name string
		seed string
		opts mfa.URIOptions
		want string
	}{
		{
			name: "defaults",
			seed: testSeed,
			want: "otpauth://totp/Amazon%20Web%20Services:user@account?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "account like the AWS console",
			seed: testSeed,
			opts: mfa.URIOptions{AccountName: "alice@123456789012"},
			want: "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "spaces are %20, never +",
			seed: testSeed,
			opts: mfa.URIOptions{Issuer: "ACME Co", AccountName: "john doe"},
			want: "otpauth://totp/ACME%20Co:john%20doe?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "colons are escaped so one literal colon separates issuer and account",
			seed: testSeed,
			opts: mfa.URIOptions{Issuer: "a:b", AccountName: "c:d"},
			want: "otpauth://totp/a%3Ab:c%3Ad?secret=JBSWY3DPEHPK3PXP&issuer=a%3Ab&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "query and path delimiters are escaped",
			seed: testSeed,
			opts: mfa.URIOptions{Issuer: "R&D+Ops/EU?#", AccountName: "bob=1%;x"},
			want: "otpauth://totp/R%26D%2BOps%2FEU%3F%23:bob%3D1%25%3Bx?secret=JBSWY3DPEHPK3PXP&issuer=R%26D%2BOps%2FEU%3F%23&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "UTF-8 is percent-encoded",
			seed: testSeed,
			opts: mfa.URIOptions{Issuer: "Zürich", AccountName: "josé"},
			want: "otpauth://totp/Z%C3%BCrich:jos%C3%A9?secret=JBSWY3DPEHPK3PXP&issuer=Z%C3%BCrich&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "seed is normalised: upper case, no whitespace, no padding",
			seed: " gezd gnbv gy======\n",
			want: "otpauth://totp/Amazon%20Web%20Services:user@account?secret=GEZDGNBVGY&issuer=Amazon%20Web%20Services&algorithm=SHA1&digits=6&period=30",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mfa.URI(tt.seed, tt.opts)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestURIRoundTrip parses the URI back the way an authenticator app does.
func TestURIRoundTrip(t *testing.T) {
	names := []mfa.URIOptions{
		{},
		{Issuer: "Amazon Web Services", AccountName: "alice@123456789012"},
		{Issuer: "ACME Co", AccountName: "john.doe@example.com"},
		{Issuer: "a:b", AccountName: "c:d@e f"},
		{Issuer: "R&D+Ops/EU?#", AccountName: "bob=1%;x"},
		{Issuer: "Zürich 東京", AccountName: "josé"},
	}
	for _, o := range names {
		t.Run(o.Issuer+"|"+o.AccountName, func(t *testing.T) {
			wantIssuer, wantAccount := o.Issuer, o.AccountName
			if wantIssuer == "" {
				wantIssuer = mfa.DefaultIssuer
			}
			if wantAccount == "" {
				wantAccount = mfa.DefaultAccountName
			}
			issuer, account, q := parseURI(t, mfa.URI(testSeed, o))
			assert.Equal(t, wantIssuer, issuer)
			assert.Equal(t, wantAccount, account)
			assert.Equal(t, url.Values{
				"secret":    {testSeed},
				"issuer":    {wantIssuer},
				"algorithm": {"SHA1"},
				"digits":    {"6"},
				"period":    {"30"},
			}, q)
		})
	}
}

// parseURI splits an otpauth URI into its label's issuer and account name and
// its query, failing the test if it is not a well-formed TOTP key URI.
func parseURI(t testing.TB, uri string) (issuer, account string, q url.Values) {
	t.Helper()
	u, err := url.Parse(uri)
	require.NoError(t, err)
	require.Equal(t, "otpauth", u.Scheme)
	require.Equal(t, "totp", u.Host)
	label := strings.TrimPrefix(u.EscapedPath(), "/")
	require.Equal(t, 1, strings.Count(label, ":"), "label %q needs exactly one literal colon", label)
	rawIssuer, rawAccount, _ := strings.Cut(label, ":")
	issuer, err = url.PathUnescape(rawIssuer)
	require.NoError(t, err)
	account, err = url.PathUnescape(rawAccount)
	require.NoError(t, err)
	q, err = url.ParseQuery(u.RawQuery)
	require.NoError(t, err)
	return issuer, account, q
}

// TestURIWithOTPLibrary checks that an independent TOTP implementation reads
// the URI as intended and computes the same codes as Code.
func TestURIWithOTPLibrary(t *testing.T) {
	key, err := otp.NewKeyFromURL(mfa.URI(testSeed, mfa.URIOptions{AccountName: "alice@123456789012"}))
	require.NoError(t, err)
	assert.Equal(t, "totp", key.Type())
	assert.Equal(t, "Amazon Web Services", key.Issuer())
	assert.Equal(t, "alice@123456789012", key.AccountName())
	assert.Equal(t, testSeed, key.Secret())
	assert.Equal(t, uint64(30), key.Period())
	assert.Equal(t, otp.DigitsSix, key.Digits())
	assert.Equal(t, otp.AlgorithmSHA1, key.Algorithm())

	at := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	want, err := totp.GenerateCode(key.Secret(), at)
	require.NoError(t, err)
	got, err := mfa.Code(testSeed, at)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestQRCodePNG(t *testing.T) {
	uri := mfa.URI(testSeed, mfa.URIOptions{AccountName: "alice@123456789012"})
	q, err := qrcode.New(uri, qrcode.Medium)
	require.NoError(t, err)
	modules := len(q.Bitmap())

	tests := []struct {
		name string
		size int
		want int
	}{
		{"default for zero", 0, mfa.DefaultQRSize},
		{"default for negative", -5, mfa.DefaultQRSize},
		{"explicit", 512, 512},
		{"too small grows to one pixel per module", 10, modules},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := mfa.QRCodePNG(uri, tt.size)
			require.NoError(t, err)
			img, err := png.Decode(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Equal(t, tt.want, img.Bounds().Dx())
			assert.Equal(t, tt.want, img.Bounds().Dy())
		})
	}
}

// TestQRCodePNGModules checks every module of the PNG against the QR symbol
// the URI encodes to (size is a whole number of pixels per module).
func TestQRCodePNGModules(t *testing.T) {
	uri := mfa.URI(testSeed, mfa.URIOptions{AccountName: "alice@123456789012"})
	q, err := qrcode.New(uri, qrcode.Medium)
	require.NoError(t, err)
	bits := q.Bitmap()
	const scale = 4
	b, err := mfa.QRCodePNG(uri, len(bits)*scale)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	for y := range bits {
		for x := range bits[y] {
			r, g, bl, _ := img.At(x*scale+scale/2, y*scale+scale/2).RGBA()
			dark := r+g+bl < 3*0x8000
			require.Equal(t, bits[y][x], dark, "module (%d,%d)", x, y)
		}
	}
}

func TestQRCodeTooLong(t *testing.T) {
	secret := strings.Repeat("x", 4000) // beyond QR capacity at medium recovery
	_, err := mfa.QRCodePNG(secret, 0)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "xxxxxxxx", "an error must not repeat the (secret) content")

	_, err = mfa.QRCodeTerminal(secret)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "xxxxxxxx")
}

func TestQRCodeTerminal(t *testing.T) {
	for _, uri := range []string{
		mfa.URI(testSeed, mfa.URIOptions{}),
		mfa.URI("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", mfa.URIOptions{AccountName: "a-rather-long-user-name@123456789012"}),
	} {
		t.Run("", func(t *testing.T) {
			s, err := mfa.QRCodeTerminal(uri)
			require.NoError(t, err)
			require.NotEmpty(t, s)
			require.True(t, strings.HasSuffix(s, "\n"))
			lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")

			q, err := qrcode.New(uri, qrcode.Medium)
			require.NoError(t, err)
			bits := q.Bitmap()
			n := len(bits)

			// Square-ish: n characters wide, n/2 lines high; a terminal cell is
			// about twice as high as it is wide.
			require.Len(t, lines, (n+1)/2)
			for i, l := range lines {
				require.Equal(t, n, utf8.RuneCountInString(l), "line %d", i)
			}
			ratio := float64(n) / float64(len(lines))
			assert.InDelta(t, 2.0, ratio, 0.1)

			// Quiet zone: the first two lines (four module rows) are all light.
			assert.Equal(t, strings.Repeat("█", n), lines[0])
			assert.Equal(t, strings.Repeat("█", n), lines[1])

			// Decode the half blocks back into modules; they must be the symbol.
			for y := 0; y < n; y++ {
				line := []rune(lines[y/2])
				for x := 0; x < n; x++ {
					var light bool
					switch line[x] {
					case '█':
						light = true
					case '▀':
						light = y%2 == 0
					case '▄':
						light = y%2 == 1
					case ' ':
						light = false
					default:
						t.Fatalf("unexpected rune %q at line %d column %d", line[x], y/2, x)
					}
					require.Equal(t, bits[y][x], !light, "module (%d,%d)", x, y)
				}
			}
		})
	}
}
