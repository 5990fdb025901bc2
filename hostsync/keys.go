package hostsync

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Key statuses, as IAM reports them in SSHPublicKey.Status.
const (
	// KeyActive is the status of a key sshd may accept.
	KeyActive = "Active"
	// KeyInactive is the status of a deactivated key; it is never authorized.
	KeyInactive = "Inactive"
)

// MaxKeyLen bounds the length of a public key line ParseKey accepts, the
// limit sshd puts on a public key (16 KiB).
const MaxKeyLen = 16 * 1024

// MinRSABits is the smallest RSA modulus ParseKey accepts, the minimum IAM
// enforces on upload.
const MinRSABits = 2048

// ErrInvalidKey is wrapped by every error ParseKey returns.
var ErrInvalidKey = errors.New("hostsync: invalid SSH public key")

// Key is one IAM SSH public key of a user.
//
// In Desired, a source sets ID, Body and Status from IAM
// (ListSSHPublicKeys/GetSSHPublicKey with Encoding SSH); Fingerprint may be
// left empty. Plan drops every key whose Status is not exactly KeyActive and
// every key ParseKey rejects, and replaces Body and Fingerprint with their
// canonical forms (PublicKey.Body and PublicKey.SHA256), so keys in a
// SyncPlan, on a host and in the key cache are always canonical and Active.
type Key struct {
	// ID is IAM's SSHPublicKeyId, e.g. "APKAEIBAERJR2EXAMPLE".
	ID string `json:"id"`
	// Body is the public key in authorized_keys format.
	Body string `json:"body"`
	// Fingerprint is the SHA256 fingerprint as sshd's %f prints it,
	// "SHA256:" followed by unpadded base64.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Status is KeyActive or KeyInactive, as IAM reports it. Only Active
	// keys are ever written to a host.
	Status string `json:"status,omitempty"`
}

// PublicKey is a parsed, validated SSH public key.
type PublicKey struct {
	// Type is the key algorithm, e.g. "ssh-ed25519" or "ssh-rsa".
	Type string
	// Body is the canonical authorized_keys form: type, one space, base64
	// blob, with no options, no comment and no newline.
	Body string
	// Comment is the comment that followed the key, if any. It is not part
	// of Body: hostsync writes keys without comments.
	Comment string
	// SHA256 is the fingerprint sshd passes as %f: "SHA256:" and unpadded
	// base64 of the SHA-256 of the key blob.
	SHA256 string
	// MD5 is the legacy fingerprint, colon-separated hex, as IAM reports it
	// in SSHPublicKey.Fingerprint.
	MD5 string
	// Bits is the key size in bits for RSA keys, 0 otherwise.
	Bits int
	// Key is the parsed key.
	Key ssh.PublicKey
}

// allowedKeyType reports whether ParseKey accepts keys of algorithm typ.
func allowedKeyType(typ string) bool {
	switch typ {
	case ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoED25519, ssh.KeyAlgoSKECDSA256, ssh.KeyAlgoSKED25519:
		return true
	}
	return false
}

func keyErr(format string, args ...any) error {
	return errorf("%w: %s", ErrInvalidKey, fmt.Sprintf(format, args...))
}

// ParseKey parses one SSH public key in authorized_keys format ("ssh-ed25519
// AAAA... comment"), as IAM returns it with Encoding SSH. Surrounding white
// space is ignored. It rejects, wrapping ErrInvalidKey: empty input, more
// than one line (a second line could smuggle in another key), authorized_keys
// options such as command="..." or from="..." (IAM never stores them),
// certificates, DSA keys, RSA keys under MinRSABits bits, algorithms sshd
// does not commonly accept, and anything longer than MaxKeyLen.
func ParseKey(body string) (PublicKey, error) {
	s := strings.TrimSpace(body)
	switch {
	case s == "":
		return PublicKey{}, keyErr("empty key")
	case len(s) > MaxKeyLen:
		return PublicKey{}, keyErr("key is %d bytes long, more than %d", len(s), MaxKeyLen)
	case strings.ContainsAny(s, "\r\n\x00"):
		return PublicKey{}, keyErr("key spans more than one line")
	case strings.HasPrefix(s, "#"):
		return PublicKey{}, keyErr("a comment is not a key")
	}
	pub, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return PublicKey{}, errorf("%w: %w", ErrInvalidKey, err)
	}
	if len(options) > 0 {
		return PublicKey{}, keyErr("authorized_keys options are not allowed (%s)", strings.Join(options, ","))
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return PublicKey{}, keyErr("trailing data after the key")
	}
	if _, ok := pub.(*ssh.Certificate); ok {
		return PublicKey{}, keyErr("certificates are not accepted")
	}
	typ := pub.Type()
	if !allowedKeyType(typ) {
		return PublicKey{}, keyErr("key type %q is not accepted", typ)
	}
	bits := 0
	if typ == ssh.KeyAlgoRSA {
		cpk, ok := pub.(ssh.CryptoPublicKey)
		if !ok {
			return PublicKey{}, keyErr("RSA key without a modulus")
		}
		rk, ok := cpk.CryptoPublicKey().(*rsa.PublicKey)
		if !ok || rk.N == nil {
			return PublicKey{}, keyErr("RSA key without a modulus")
		}
		bits = rk.N.BitLen()
		if bits < MinRSABits {
			return PublicKey{}, keyErr("RSA key of %d bits, fewer than %d", bits, MinRSABits)
		}
	}
	canonical := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n")
	return PublicKey{
		Type:    typ,
		Body:    canonical,
		Comment: comment,
		SHA256:  ssh.FingerprintSHA256(pub),
		MD5:     ssh.FingerprintLegacyMD5(pub),
		Bits:    bits,
		Key:     pub,
	}, nil
}

// canonicalKeys returns the Active, valid keys of ks in canonical form,
// sorted by ID, without duplicate IDs or duplicate key material, and a
// reason for each key it dropped (keyed "<ID>").
func canonicalKeys(ks []Key) ([]Key, []string) {
	var out []Key
	var dropped []string
	byID := map[string]bool{}
	byFP := map[string]string{}
	sorted := append([]Key(nil), ks...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for _, k := range sorted {
		switch {
		case k.ID == "":
			dropped = append(dropped, "key without an ID dropped")
			continue
		case k.Status != KeyActive:
			dropped = append(dropped, fmt.Sprintf("key %s dropped: status %q is not %q", k.ID, k.Status, KeyActive))
			continue
		case byID[k.ID]:
			dropped = append(dropped, fmt.Sprintf("key %s dropped: listed twice", k.ID))
			continue
		}
		pk, err := ParseKey(k.Body)
		if err != nil {
			dropped = append(dropped, fmt.Sprintf("key %s dropped: %v", k.ID, err))
			continue
		}
		if other, dup := byFP[pk.SHA256]; dup {
			dropped = append(dropped, fmt.Sprintf("key %s dropped: same key as %s", k.ID, other))
			continue
		}
		byID[k.ID] = true
		byFP[pk.SHA256] = k.ID
		out = append(out, Key{ID: k.ID, Body: pk.Body, Fingerprint: pk.SHA256, Status: KeyActive})
	}
	return out, dropped
}

// sameKeys reports whether two key lists hold the same keys (ID and body),
// in any order.
func sameKeys(a, b []Key) bool {
	if len(a) != len(b) {
		return false
	}
	set := make(map[[2]string]int, len(a))
	for _, k := range a {
		set[[2]string{k.ID, k.Body}]++
	}
	for _, k := range b {
		kk := [2]string{k.ID, k.Body}
		if set[kk] == 0 {
			return false
		}
		set[kk]--
	}
	return true
}
