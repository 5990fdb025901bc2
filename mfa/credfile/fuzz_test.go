package credfile

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzRoundTrip checks, for any input:
//   - Parse either succeeds or returns a *ParseError naming an existing line;
//   - Bytes of a parsed, unedited file equals the input;
//   - Set either refuses with a typed error, leaving the bytes as they were,
//     or changes only bytes inside the edited section (or appends at the end
//     of the file), the result re-parses, Get gives the value back, and
//     every other section reads as before.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(""), "default", "aws_session_token", "tok")
	f.Add([]byte("[default]\naws_access_key_id = A\n"), "default", "aws_access_key_id", "B")
	f.Add([]byte("# c\r\n[p]\r\na=1\r\n\r\n[q]\r\nb : 2"), "q", "c", "3")
	f.Add([]byte("\xEF\xBB\xBFk = v\n[profile dev]\ns3 =\n  x = 1\n"), "profile dev", "s3", "flat")
	f.Add([]byte("[a]\n  x = 1\n  [b]\n"), "a", "y", "2")
	f.Add([]byte("[p]\na = 1\n[q]\n[p]\na = 2\n"), "p", "A", "3")
	f.Add([]byte("[p\n"), "p", "a", "1")
	f.Add([]byte("[p]\na = 1\rb\n"), "p", "a", "1")
	f.Fuzz(func(t *testing.T, data []byte, section, key, value string) {
		file, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error %v is not a *ParseError", err)
			}
			if pe.Line < 1 || pe.Line > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("ParseError line %d out of range", pe.Line)
			}
			return
		}
		if got := file.Bytes(); !bytes.Equal(got, data) {
			t.Fatalf("round trip changed the bytes:\n in: %q\nout: %q", data, got)
		}

		before := file.others(normName(section))
		if err := file.Set(section, key, value); err != nil {
			// Set is always safe on a file that parses: ErrUnsafeEdit
			// from it would be a bug.
			if !errors.Is(err, ErrInvalidSection) && !errors.Is(err, ErrInvalidKey) &&
				!errors.Is(err, ErrInvalidValue) {
				t.Fatalf("Set: unexpected error %v\n in: %q", err, data)
			}
			if !bytes.Equal(file.Bytes(), data) {
				t.Fatalf("failed Set changed the bytes")
			}
			return
		}
		got := file.Bytes()

		// The changed region must lie inside one occurrence of the section,
		// from its header to the next header, or at the end of the file.
		name := normName(section)
		orig, _ := Parse(data)
		inSection := func(lo, hi int) bool {
			if lo == len(data) { // appended at the end
				return true
			}
			for bi, b := range orig.blocks {
				if bi == 0 || b.name != name {
					continue
				}
				start := orig.lines[b.header].start
				end := len(data)
				if bi+1 < len(orig.blocks) {
					end = orig.lines[orig.blocks[bi+1].header].start
				}
				if start <= lo && hi <= end {
					return true
				}
			}
			return false
		}
		// The bytes alone do not say where an insertion went when the
		// inserted text repeats its surroundings: accept either the
		// longest-common-prefix or the longest-common-suffix alignment.
		if !bytes.Equal(got, data) {
			pre, suf := commonPrefix(data, got), commonSuffix(data, got)
			lo1, hi1 := pre, len(data)-min(suf, len(data)-pre, len(got)-pre)
			lo2, hi2 := min(pre, len(data)-suf, len(got)-suf), len(data)-suf
			if !inSection(lo1, hi1) && !inSection(lo2, hi2) {
				t.Fatalf("Set changed bytes outside section %q:\n in: %q\nout: %q", name, data, got)
			}
		}

		g, err := Parse(got)
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n in: %q\nout: %q", err, data, got)
		}
		if v, ok := g.Get(section, key); !ok || v != value {
			t.Fatalf("Get after Set = %q, %v; want %q\n in: %q\nout: %q", v, ok, value, data, got)
		}
		after := g.others(name)
		if len(before) != len(after) {
			t.Fatalf("other sections changed:\n in: %q\nout: %q", data, got)
		}
		for i := range before {
			if before[i] != after[i] {
				t.Fatalf("other sections changed: %q became %q\n in: %q\nout: %q", before[i], after[i], data, got)
			}
		}
	})
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// FuzzEdits runs Delete, DeleteSection and ReplaceSection on any input that
// parses: each either refuses with a typed error, leaving the bytes as they
// were, or gives a file that re-parses, has the intended effect on the edited
// section and reads the same in every other section.
func FuzzEdits(f *testing.F) {
	f.Add([]byte("[p]\na = 1\n\n# q\n[q]\nb = 2\n"), uint8(0), "p", "a", "x", "b")
	f.Add([]byte("[p]\na = 1\n[q]\n[p]\nA = 2\nc = 3"), uint8(1), "p", "a", "x", "c")
	f.Add([]byte("[a]\na = 1\n[x]\n  [b]\nk = v\n"), uint8(2), "x", "k", "v", "w")
	f.Add([]byte("\xEF\xBB\xBF[p]\r\ns3 =\r\n  x = 1\r\n"), uint8(1), "p", "s3", "", "n")
	f.Fuzz(func(t *testing.T, data []byte, op uint8, section, key, value, key2 string) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		name := normName(section)
		before := file.others(name)
		switch op % 3 {
		case 0:
			_, err = file.Delete(section, key)
		case 1:
			_, err = file.DeleteSection(section)
		case 2:
			err = file.ReplaceSection(section, []KeyValue{{key, value}, {key2, "v2"}})
		}
		got := file.Bytes()
		if err != nil {
			// Only removing a whole section can be unsafe (it can expose
			// an indented header to the key above it).
			if !errors.Is(err, ErrInvalidSection) && !errors.Is(err, ErrInvalidKey) &&
				!errors.Is(err, ErrInvalidValue) && (op%3 != 1 || !errors.Is(err, ErrUnsafeEdit)) {
				t.Fatalf("op %d: unexpected error %v\n in: %q", op%3, err, data)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("failed edit changed the bytes")
			}
			return
		}
		g, err := Parse(got)
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n in: %q\nout: %q", err, data, got)
		}
		after := g.others(name)
		if len(before) != len(after) {
			t.Fatalf("other sections changed:\n in: %q\nout: %q", data, got)
		}
		for i := range before {
			if before[i] != after[i] {
				t.Fatalf("other sections changed: %q became %q\n in: %q\nout: %q", before[i], after[i], data, got)
			}
		}
		switch op % 3 {
		case 0:
			if _, ok := g.Get(section, key); ok {
				t.Fatalf("key still there after Delete\n in: %q\nout: %q", data, got)
			}
		case 1:
			if _, ok := g.Section(section); ok {
				t.Fatalf("section still there after DeleteSection\n in: %q\nout: %q", data, got)
			}
		case 2:
			s, _ := g.Section(section)
			if len(s.Keys) != 2 {
				t.Fatalf("ReplaceSection left %d keys\n in: %q\nout: %q", len(s.Keys), data, got)
			}
			if v, _ := g.Get(section, key); v != value {
				t.Fatalf("ReplaceSection: %q = %q, want %q\n in: %q\nout: %q", key, v, value, data, got)
			}
			if v, _ := g.Get(section, key2); v != "v2" {
				t.Fatalf("ReplaceSection: %q = %q, want v2\n in: %q\nout: %q", key2, v, data, got)
			}
		}
	})
}

// others lists (for the fuzz targets), in file order, the section names and the keys and values of
// every section but name, with the keys outside any section.
func (f *File) others(name string) []string {
	out := make([]string, 0, len(f.blocks)+len(f.entries))
	e := 0
	for bi, b := range f.blocks {
		if b.name == name && bi > 0 {
			for e < len(f.entries) && f.entries[e].block == bi {
				e++
			}
			continue
		}
		out = append(out, "["+b.name+"]")
		for ; e < len(f.entries) && f.entries[e].block == bi; e++ {
			out = append(out, f.lines[f.entries[e].line].name+"="+f.value(f.entries[e]))
		}
	}
	return out
}
