package trustpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds the nesting of a parsed document. Trust policies are four
// or five levels deep; the bound keeps a hostile input from exhausting the stack.
const maxDepth = 64

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

// node is one JSON value. Objects keep their members in document order and
// numbers keep their literal text, so serializing a parsed tree gives back
// the same structure: key order, single value vs list and every JSON type.
type node struct {
	kind  kind
	str   string // kString: the value; kNumber: the literal
	b     bool
	elems []*node  // kArray
	keys  []string // kObject, in document order
	vals  []*node  // kObject, parallel to keys
}

func strNode(s string) *node { return &node{kind: kString, str: s} }

func objNode() *node { return &node{kind: kObject} }

func arrNode(elems ...*node) *node { return &node{kind: kArray, elems: elems} }

// get returns the value of key, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// getFold returns the first member whose key equals key case-insensitively.
func (n *node) getFold(key string) (string, *node) {
	if n == nil || n.kind != kObject {
		return "", nil
	}
	for i, k := range n.keys {
		if strings.EqualFold(k, key) {
			return k, n.vals[i]
		}
	}
	return "", nil
}

// set replaces the value of key in place, or appends the member.
func (n *node) set(key string, v *node) {
	for i, k := range n.keys {
		if k == key {
			n.vals[i] = v
			return
		}
	}
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
}

// del removes key; it reports whether it was there.
func (n *node) del(key string) bool {
	for i, k := range n.keys {
		if k == key {
			n.keys = append(n.keys[:i:i], n.keys[i+1:]...)
			n.vals = append(n.vals[:i:i], n.vals[i+1:]...)
			return true
		}
	}
	return false
}

func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := &node{kind: n.kind, str: n.str, b: n.b}
	if n.elems != nil {
		c.elems = make([]*node, len(n.elems))
		for i, e := range n.elems {
			c.elems[i] = e.clone()
		}
	}
	if n.keys != nil {
		c.keys = append([]string(nil), n.keys...)
		c.vals = make([]*node, len(n.vals))
		for i, v := range n.vals {
			c.vals[i] = v.clone()
		}
	}
	return c
}

// strings returns the value as a list of strings when it is a string or an
// array of strings; ok is false otherwise.
func (n *node) strings() (list []string, ok bool) {
	switch {
	case n == nil:
		return nil, false
	case n.kind == kString:
		return []string{n.str}, true
	case n.kind == kArray:
		list = make([]string, 0, len(n.elems))
		for _, e := range n.elems {
			if e.kind != kString {
				return nil, false
			}
			list = append(list, e.str)
		}
		return list, true
	}
	return nil, false
}

// parseJSON parses exactly one JSON value with encoding/json's tokenizer.
// Duplicate object keys are refused: in a policy they make the meaning
// ambiguous, and an edit could silently keep the wrong one.
func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, errors.New("data after the top-level value")
		}
		return nil, err
	}
	return n, nil
}

func parseValue(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kNull}, nil
	case bool:
		return &node{kind: kBool, b: t}, nil
	case json.Number:
		return &node{kind: kNumber, str: t.String()}, nil
	case string:
		return strNode(t), nil
	case json.Delim:
		switch t {
		case '{':
			n := objNode()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %v, not a string", kt)
				}
				if n.get(key) != nil {
					return nil, fmt.Errorf("duplicate key %q", key)
				}
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return n, nil
		case '[':
			n := arrNode()
			for dec.More() {
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// write appends the compact JSON text of n to b.
func (n *node) write(b *bytes.Buffer) {
	switch n.kind {
	case kNull:
		b.WriteString("null")
	case kBool:
		if n.b {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case kNumber:
		b.WriteString(n.str)
	case kString:
		writeString(b, n.str)
	case kArray:
		b.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.write(b)
		}
		b.WriteByte(']')
	case kObject:
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			n.vals[i].write(b)
		}
		b.WriteByte('}')
	}
}

// writeString writes s as a JSON string, escaping only what JSON requires
// (no HTML escaping: a policy's "<" stays "<"). Invalid UTF-8 becomes U+FFFD,
// as encoding/json decodes it.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\ufffd`)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

func (n *node) compact() []byte {
	var b bytes.Buffer
	n.write(&b)
	return b.Bytes()
}
