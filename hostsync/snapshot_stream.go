package hostsync

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"golang.org/x/crypto/ssh"
)

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// IsGzipSnapshot reports whether data is a gzip-compressed snapshot
// document (it starts with gzip's magic bytes; a JSON document never
// does).
func IsGzipSnapshot(data []byte) bool { return bytes.HasPrefix(data, gzipMagic) }

// GzipSnapshot returns doc (a MarshalSnapshot document) compressed with
// gzip at the best compression, deterministically: the same document
// always gives the same bytes (no name, no modification time), so an
// unchanged snapshot keeps its ETag.
func GzipSnapshot(doc []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, errorf("compressing snapshot: %w", err)
	}
	if _, err := zw.Write(doc); err != nil {
		return nil, errorf("compressing snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, errorf("compressing snapshot: %w", err)
	}
	return b.Bytes(), nil
}

// limitedReader counts what it reads and fails past n bytes.
type limitedReader struct {
	r    io.Reader
	n    int64 // bytes left
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One more byte tells a document of exactly the limit from a
		// larger one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.over = true
			return 0, errors.New("snapshot too large")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// DecodeSnapshot reads a snapshot document from r — JSON, or JSON
// compressed with gzip (GzipSnapshot; told by its magic bytes, whatever
// the object's name or headers) — and checks it exactly as ParseSnapshot
// does, every error wrapping ErrSnapshotMalformed. It decodes as it reads,
// one user at a time, and never holds the whole document in memory: for
// the 10,000-user corpus of BenchmarkSnapshotWire (6.6 MB of JSON) it
// allocates a fraction of what the document weighs beyond the Snapshot
// itself. More than MaxSnapshotSize bytes of JSON (after decompression) is
// malformed.
func DecodeSnapshot(r io.Reader) (*Snapshot, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	var src io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, malformed("gzip: %v", err)
		}
		defer zr.Close()
		src = bufio.NewReaderSize(zr, 64<<10)
	}
	lr := &limitedReader{r: src, n: MaxSnapshotSize}
	s, err := decodeSnapshotJSON(lr)
	if lr.over {
		return nil, malformed("more than %d bytes", MaxSnapshotSize)
	}
	if err != nil {
		return nil, err
	}
	s.normalize()
	if err := s.validate(); err != nil {
		return nil, err
	}
	if got := s.Digest(); got != s.ContentSHA256 {
		return nil, malformed("content_sha256 %q does not match the content (%s): the document was altered or corrupted", s.ContentSHA256, got)
	}
	return s, nil
}

// decodeSnapshotJSON decodes the document token by token, the users one at
// a time. Keys match fields as encoding/json does (ignoring case; the last
// of duplicate keys wins); an unknown key is an error, as is anything
// after the document.
func decodeSnapshotJSON(r io.Reader) (*Snapshot, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	bad := func(err error) error { return malformed("%v", err) }
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var s Snapshot
	fields := []struct {
		name string
		dst  any
	}{
		{"format", &s.Format}, {"version", &s.Version}, {"generated_at", &s.GeneratedAt}, {"generation", &s.Generation},
		{"account", &s.Account}, {"all_users", &s.AllUsers}, {"authorized_groups", &s.AuthorizedGroups},
		{"sudoers_groups", &s.SudoersGroups}, {"content_sha256", &s.ContentSHA256},
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		key, _ := tok.(string)
		if strings.EqualFold(key, "users") {
			if err := decodeUsers(dec, &s); err != nil {
				return nil, err
			}
			continue
		}
		found := false
		for _, f := range fields {
			if strings.EqualFold(key, f.name) {
				found = true
				if err := dec.Decode(f.dst); err != nil {
					return nil, malformed("%s: %v", f.name, err)
				}
				break
			}
		}
		if !found {
			return nil, malformed("json: unknown field %q", key)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, malformed("trailing data after the document")
	}
	return &s, nil
}

// decodeUsers decodes the "users" value: null, or an array decoded one
// user at a time.
func decodeUsers(dec *json.Decoder, s *Snapshot) error {
	tok, err := dec.Token()
	if err != nil {
		return malformed("%v", err)
	}
	s.Users = nil
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return malformed("users: want an array, got %v", tok)
	}
	for dec.More() {
		s.Users = append(s.Users, SnapshotUser{})
		if err := dec.Decode(&s.Users[len(s.Users)-1]); err != nil {
			return malformed("users: %v", err)
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return malformed("%v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return malformed("want %q, got %v", want, tok)
	}
	return nil
}

// digestWriter hashes the compact JSON of the snapshot's content without
// building it: the header, then each user encoded into one reused buffer.
type digestWriter struct {
	h   hash.Hash
	buf bytes.Buffer
	enc *json.Encoder
}

func newDigestWriter() *digestWriter {
	d := &digestWriter{h: sha256.New()}
	d.enc = json.NewEncoder(&d.buf)
	return d
}

// value writes v's compact JSON (as json.Marshal encodes it) to the hash.
func (d *digestWriter) value(v any) error {
	d.buf.Reset()
	if err := d.enc.Encode(v); err != nil {
		return err
	}
	_, err := d.h.Write(bytes.TrimSuffix(d.buf.Bytes(), []byte("\n")))
	return err
}

func (d *digestWriter) raw(s string) { io.WriteString(d.h, s) }

// checkSnapshotKey checks a snapshot key as ParseKey would — one line, no
// options, no comment, no certificate, an accepted type, RSA of at least
// MinRSABits — and that body is in canonical form (what ParseKey's Body
// is) with fingerprint its SHA256 fingerprint, without ParseKey's
// allocations: the blob is decoded into scratch, and the fingerprint
// compared in place.
func checkSnapshotKey(body, fingerprint string, scratch *[]byte) error {
	switch {
	case body == "":
		return keyErr("empty key")
	case len(body) > MaxKeyLen:
		return keyErr("key is %d bytes long, more than %d", len(body), MaxKeyLen)
	case strings.ContainsAny(body, "\r\n\x00\t"):
		return errNotCanonical
	}
	typ, b64, ok := strings.Cut(body, " ")
	if !ok || typ == "" || strings.Contains(b64, " ") {
		return errNotCanonical
	}
	n := base64.StdEncoding.DecodedLen(len(b64))
	if cap(*scratch) < n {
		*scratch = make([]byte, n)
	}
	blob := (*scratch)[:n]
	n, err := base64.StdEncoding.Strict().Decode(blob, []byte(b64))
	if err != nil {
		return errNotCanonical
	}
	blob = blob[:n]
	if typ == ssh.KeyAlgoED25519 {
		// The common case without the ssh package's reflection: the wire
		// form is exactly string("ssh-ed25519") string(32-byte key), what
		// ParsePublicKey accepts and Marshal gives back.
		if !isED25519Blob(blob) {
			return keyErr("not a valid ed25519 key")
		}
		if !allowedKeyType(typ) {
			return keyErr("key type %q is not accepted", typ)
		}
		return checkFingerprint(blob, fingerprint)
	}
	pub, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if _, ok := pub.(*ssh.Certificate); ok {
		return keyErr("certificates are not accepted")
	}
	if pub.Type() != typ {
		return errNotCanonical
	}
	if !allowedKeyType(typ) {
		return keyErr("key type %q is not accepted", typ)
	}
	if typ == ssh.KeyAlgoRSA {
		cpk, ok := pub.(ssh.CryptoPublicKey)
		if !ok {
			return keyErr("RSA key without a modulus")
		}
		rk, ok := cpk.CryptoPublicKey().(*rsa.PublicKey)
		if !ok || rk.N == nil {
			return keyErr("RSA key without a modulus")
		}
		if bits := rk.N.BitLen(); bits < MinRSABits {
			return keyErr("RSA key of %d bits, fewer than %d", bits, MinRSABits)
		}
	}
	if !bytes.Equal(pub.Marshal(), blob) {
		return errNotCanonical
	}
	return checkFingerprint(blob, fingerprint)
}

// isED25519Blob reports whether blob is the SSH wire form of an ed25519
// public key: uint32 11, "ssh-ed25519", uint32 32, 32 bytes.
func isED25519Blob(blob []byte) bool {
	const name = ssh.KeyAlgoED25519
	if len(blob) != 4+len(name)+4+32 {
		return false
	}
	return binary.BigEndian.Uint32(blob) == uint32(len(name)) && string(blob[4:4+len(name)]) == name &&
		binary.BigEndian.Uint32(blob[4+len(name):]) == 32
}

// checkFingerprint checks that fingerprint is blob's SHA256 fingerprint,
// computed in place.
func checkFingerprint(blob []byte, fingerprint string) error {
	sum := sha256.Sum256(blob)
	var fp [43]byte // base64.RawStdEncoding.EncodedLen(32)
	base64.RawStdEncoding.Encode(fp[:], sum[:])
	if rest, ok := strings.CutPrefix(fingerprint, "SHA256:"); !ok || rest != string(fp[:]) {
		return &fingerprintError{want: "SHA256:" + string(fp[:])}
	}
	return nil
}

// errNotCanonical: the body is not in canonical form.
var errNotCanonical = errors.New("body is not in canonical form")

// fingerprintError: the fingerprint does not match the body.
type fingerprintError struct{ want string }

func (e *fingerprintError) Error() string {
	return "fingerprint does not match the body (" + e.want + ")"
}
