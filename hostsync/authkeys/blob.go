package authkeys

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Key types hostsync.ParseKey accepts.
const (
	typeRSA       = "ssh-rsa"
	typeED25519   = "ssh-ed25519"
	typeSKED25519 = "sk-ssh-ed25519@openssh.com"
	typeSKECDSA   = "sk-ecdsa-sha2-nistp256@openssh.com"
)

// ecdsaCurves maps each accepted ECDSA key type to its curve name and the
// length of an uncompressed point.
var ecdsaCurves = map[string]struct {
	curve string
	point int
}{
	"ecdsa-sha2-nistp256": {"nistp256", 65},
	"ecdsa-sha2-nistp384": {"nistp384", 97},
	"ecdsa-sha2-nistp521": {"nistp521", 133},
	typeSKECDSA:           {"nistp256", 65},
}

// maxKeyLen is hostsync.MaxKeyLen; minRSABits hostsync.MinRSABits; maxRSABits
// the largest modulus x/crypto/ssh accepts.
const (
	maxKeyLen  = 16 * 1024
	minRSABits = 2048
	maxRSABits = 16384
)

var errShort = errors.New("key blob too short")

// wire reads SSH wire-format fields (RFC 4251) from a key blob.
type wire []byte

func (w *wire) str() ([]byte, error) {
	if len(*w) < 4 {
		return nil, errShort
	}
	n := binary.BigEndian.Uint32(*w)
	if uint64(n) > uint64(len(*w)-4) {
		return nil, errShort
	}
	s := (*w)[4 : 4+n]
	*w = (*w)[4+n:]
	return s, nil
}

// mpint reads a non-negative, minimally encoded mpint and returns its
// magnitude (big-endian, no leading zero) and its size in bits.
func (w *wire) mpint() ([]byte, int, error) {
	b, err := w.str()
	switch {
	case err != nil:
		return nil, 0, err
	case len(b) == 0:
		return nil, 0, nil
	case b[0]&0x80 != 0:
		return nil, 0, errors.New("negative number in the key")
	case b[0] == 0 && (len(b) == 1 || b[1]&0x80 == 0):
		return nil, 0, errors.New("number not in canonical form")
	}
	if b[0] == 0 {
		b = b[1:]
	}
	return b, 8*(len(b)-1) + bits.Len8(b[0]), nil
}

// checkBlob checks that blob is a key of type typ as x/crypto/ssh parses it
// and hostsync.ParseKey accepts it, in canonical form.
func checkBlob(typ string, blob []byte) error {
	if len(typ)+1+base64Len(len(blob)) > maxKeyLen {
		return fmt.Errorf("key longer than %d bytes", maxKeyLen)
	}
	w := wire(blob)
	algo, err := w.str()
	if err != nil {
		return err
	}
	if string(algo) != typ {
		return fmt.Errorf("key of type %q in a line of type %q", algo, typ)
	}
	switch typ {
	case typeRSA:
		e, eBits, err := w.mpint()
		if err != nil {
			return err
		}
		// An exponent of at most 24 bits, odd, at least 3 (x/crypto/ssh).
		var ev uint32
		for _, c := range e {
			ev = ev<<8 | uint32(c)
		}
		if eBits > 24 || ev < 3 || ev&1 == 0 {
			return errors.New("incorrect RSA exponent")
		}
		_, n, err := w.mpint()
		if err != nil {
			return err
		}
		if n < minRSABits {
			return fmt.Errorf("RSA key of %d bits, fewer than %d", n, minRSABits)
		}
		if n > maxRSABits {
			return errors.New("RSA modulus too large")
		}
	case typeED25519, typeSKED25519:
		k, err := w.str()
		if err != nil {
			return err
		}
		if len(k) != 32 {
			return errors.New("ed25519 key of the wrong size")
		}
		if typ == typeSKED25519 {
			if _, err := w.str(); err != nil {
				return err
			}
		}
	default:
		c, ok := ecdsaCurves[typ]
		if !ok {
			return fmt.Errorf("key type %q is not accepted", typ)
		}
		curve, err := w.str()
		if err != nil {
			return err
		}
		if string(curve) != c.curve {
			return fmt.Errorf("curve %q in a key of type %q", curve, typ)
		}
		p, err := w.str()
		if err != nil {
			return err
		}
		if len(p) != c.point || p[0] != 4 {
			return errors.New("ECDSA point not uncompressed or of the wrong size")
		}
		if typ == typeSKECDSA {
			if _, err := w.str(); err != nil {
				return err
			}
		}
	}
	if len(w) != 0 {
		return errors.New("trailing data in the key blob")
	}
	return nil
}

// base64Len is the length of the padded base64 encoding of n bytes.
func base64Len(n int) int { return (n + 2) / 3 * 4 }
