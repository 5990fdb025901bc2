package mfa

import (
	"fmt"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// DefaultIssuer is the issuer URI uses when URIOptions.Issuer is empty; it is
// what the AWS console shows in authenticator apps.
const DefaultIssuer = "Amazon Web Services"

// DefaultAccountName is the account name URI uses when URIOptions.AccountName
// is empty. Callers usually set it to "user@account-id", as the AWS console
// does, so that a person with several accounts can tell the entries apart.
const DefaultAccountName = "user@account"

// DefaultQRSize is the width and height in pixels of the PNG QRCodePNG renders
// when asked for a size of zero or less.
const DefaultQRSize = 256

// URIOptions labels the key in the authenticator app.
type URIOptions struct {
	// Issuer is the organisation shown with the code; DefaultIssuer if empty.
	Issuer string
	// AccountName tells keys of the same issuer apart, e.g. "alice@123456789012";
	// DefaultAccountName if empty.
	AccountName string
}

// URI returns the otpauth:// key URI of seed in the Key URI Format that
// authenticator apps import (the content of the QR code):
//
//	otpauth://totp/Issuer:AccountName?secret=SEED&issuer=Issuer&algorithm=SHA1&digits=6&period=30
//
// Issuer and account name are percent-encoded (a space as %20, a colon as %3A
// so that the single literal colon separates the two; "@" stays literal). The
// secret is seed upper-cased without whitespace or padding. URI does not
// validate seed; Code does.
func URI(seed string, o URIOptions) string {
	issuer := o.Issuer
	if issuer == "" {
		issuer = DefaultIssuer
	}
	account := o.AccountName
	if account == "" {
		account = DefaultAccountName
	}
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(escape(issuer))
	b.WriteByte(':')
	b.WriteString(escape(account))
	b.WriteString("?secret=")
	b.WriteString(escape(normalizeSeed(seed)))
	b.WriteString("&issuer=")
	b.WriteString(escape(issuer))
	b.WriteString("&algorithm=SHA1&digits=6&period=")
	b.WriteString(strconv.Itoa(int(Period.Seconds())))
	return b.String()
}

// escape percent-encodes every byte of s except RFC 3986's unreserved
// characters and "@", so the result is safe both in the label and as a query
// value (a space becomes %20, never "+", which some apps show literally).
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '@':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0x0f])
		}
	}
	return b.String()
}

// QRCodePNG renders uri (usually from URI) as a size×size PNG QR code with
// medium error correction; a size of zero or less means DefaultQRSize. A size
// too small for the code yields the smallest image that holds it.
func QRCodePNG(uri string, size int) ([]byte, error) {
	if size <= 0 {
		size = DefaultQRSize
	}
	q, err := qrcode.New(uri, qrcode.Medium)
	if err != nil {
		// The content is a secret: the error does not repeat it.
		return nil, fmt.Errorf("mfa: encode QR code (%d bytes): %w", len(uri), err)
	}
	png, err := q.PNG(size)
	if err != nil {
		return nil, fmt.Errorf("mfa: render QR code PNG: %w", err)
	}
	return png, nil
}

// QRCodeTerminal renders uri (usually from URI) as text that a phone scans
// from a terminal: Unicode half blocks (▀ ▄ █ and space), each character two
// modules high and one wide, so the code looks square in a typical terminal
// font. The 4-module quiet zone is included. Light modules are drawn as
// blocks in the terminal's foreground colour and dark modules are left as the
// background, which gives a correct code on the usual light-on-dark terminal
// (as qrencode -t UTF8 does). Every line ends with a newline.
func QRCodeTerminal(uri string) (string, error) {
	q, err := qrcode.New(uri, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("mfa: encode QR code (%d bytes): %w", len(uri), err)
	}
	bits := q.Bitmap() // true is a dark module
	var b strings.Builder
	for y := 0; y < len(bits); y += 2 {
		for x := range bits[y] {
			topLight := !bits[y][x]
			// Below an odd last row is the terminal background (dark).
			bottomLight := y+1 < len(bits) && !bits[y+1][x]
			switch {
			case topLight && bottomLight:
				b.WriteString("█")
			case topLight:
				b.WriteString("▀")
			case bottomLight:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
