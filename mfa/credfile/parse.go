package credfile

import (
	"bytes"
	"fmt"
	"strings"
)

// ParseError reports input that is not part of the AWS INI dialect. A file
// that fails to parse must not be rewritten: [Update] returns the error and
// leaves the file alone.
type ParseError struct {
	// Line is the 1-based number of the offending line.
	Line int
	// Msg says what is wrong with the line. It never quotes the line, which
	// may hold a secret.
	Msg string
}

// Error implements the error interface: "parse error on line N: Msg".
// Parse returns it after the package's prefix, ReadFile and Update after
// the prefix and the file's path.
func (e *ParseError) Error() string {
	return fmt.Sprintf("parse error on line %d: %s", e.Line, e.Msg)
}

type lineKind uint8

const (
	lineBlank lineKind = iota
	lineComment
	lineHeader
	lineKey
	lineCont
)

// line is one line of the file. Offsets are absolute positions in File.data.
type line struct {
	start      int // first byte of the line
	contentEnd int // first byte of the line terminator
	end        int // first byte after the line terminator
	kind       lineKind
	indent     int    // bytes of leading spaces and tabs
	name       string // normalised section name (header) or key name as written (key)
	delim      int    // offset of '=' or ':' (key)
	valStart   int    // offset of the trimmed value (key)
	valEnd     int    // offset just after the trimmed value (key)
}

// block is one run of lines belonging to a section header, or the preamble
// before the first header.
type block struct {
	name        string // normalised name; "" for the preamble
	header      int    // index of the header line; -1 for the preamble
	first, end  int    // line range [first, end)
	lastContent int    // index of the last header, key or continuation line; -1 if none
}

// entry is one key: its key line and its continuation lines.
type entry struct {
	block int
	line  int // index of the key line
	last  int // index of the last continuation line, or line when there is none
}

// File is a parsed credentials or config file. The zero value is an empty
// file, ready to use. A File is not safe for concurrent use.
type File struct {
	// data is never modified in place: an edit builds a new slice.
	data    []byte
	lines   []line
	blocks  []block
	entries []entry
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Parse parses the contents of a credentials or config file. The result keeps
// every byte: File.Bytes returns data unchanged until the File is edited. Input
// that is not in the dialect gives a *ParseError.
func Parse(data []byte) (*File, error) {
	f, err := parseOwned(bytes.Clone(data))
	if err != nil {
		return nil, fmt.Errorf("credfile: %w", err)
	}
	return f, nil
}

// parseOwned is Parse for data the File may keep.
func parseOwned(data []byte) (*File, error) {
	f := &File{data: data}
	if err := f.index(); err != nil {
		return nil, err
	}
	return f, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimSpace(b []byte) []byte {
	return bytes.TrimFunc(b, func(r rune) bool { return r == ' ' || r == '\t' })
}

// normName is how section names are compared: trimmed, inner whitespace
// collapsed to one space.
func normName(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
}

// ready indexes a zero File.
func (f *File) ready() {
	if f.blocks == nil {
		_ = f.index() // empty input always parses
	}
}

// index (re)builds lines, blocks and entries from f.data.
func (f *File) index() error {
	data := f.data
	f.lines = make([]line, 0, bytes.Count(data, []byte{'\n'})+1)
	f.blocks = append(f.blocks[:0], block{header: -1, first: 0, lastContent: -1})
	f.entries = make([]entry, 0, cap(f.lines)/2)

	pos := 0
	if bytes.HasPrefix(data, bom) {
		pos = len(bom)
	}
	curKey := -1 // index into f.entries of the key that continuation lines extend
	keyIndent := 0
	for lineNo := 1; pos < len(data); lineNo++ {
		ln := line{start: pos}
		if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
			ln.end = pos + i + 1
			ln.contentEnd = pos + i
			if ln.contentEnd > pos && data[ln.contentEnd-1] == '\r' {
				ln.contentEnd--
			}
		} else {
			ln.end = len(data)
			ln.contentEnd = len(data)
		}
		pos = ln.end
		content := data[ln.start:ln.contentEnd]
		if bytes.IndexByte(content, '\r') >= 0 {
			return &ParseError{Line: lineNo, Msg: "carriage return not followed by a line feed"}
		}
		for ln.indent < len(content) && isSpace(content[ln.indent]) {
			ln.indent++
		}
		rest := content[ln.indent:]
		idx := len(f.lines)
		bi := len(f.blocks) - 1

		switch {
		case len(rest) == 0:
			ln.kind = lineBlank
		case rest[0] == '#' || rest[0] == ';':
			ln.kind = lineComment
		case curKey >= 0 && ln.indent > keyIndent:
			if rest[0] == '[' {
				// The CLI reads this as part of the value above, the Go
				// SDK as a section header: refuse rather than guess.
				return &ParseError{Line: lineNo, Msg: "indented section header below a key: the AWS CLI reads it as a continuation line, the AWS SDKs as a header; remove the indentation"}
			}
			ln.kind = lineCont
			f.entries[curKey].last = idx
			f.blocks[bi].lastContent = idx
		case rest[0] == '[':
			closing := bytes.IndexByte(rest, ']')
			if closing < 0 {
				return &ParseError{Line: lineNo, Msg: "section header has no closing ']'"}
			}
			name := normName(string(rest[1:closing]))
			if name == "" {
				return &ParseError{Line: lineNo, Msg: "section header has an empty name"}
			}
			if after := trimSpace(rest[closing+1:]); len(after) > 0 && after[0] != '#' && after[0] != ';' {
				return &ParseError{Line: lineNo, Msg: "unexpected text after section header"}
			}
			ln.kind = lineHeader
			ln.name = name
			f.blocks[bi].end = idx
			f.blocks = append(f.blocks, block{name: name, header: idx, first: idx, lastContent: idx})
			curKey = -1
		default:
			d := bytes.IndexAny(rest, "=:")
			if d < 0 {
				return &ParseError{Line: lineNo, Msg: "expected \"key = value\", a [section] header, a comment or an indented continuation line"}
			}
			key := trimSpace(rest[:d])
			if len(key) == 0 {
				return &ParseError{Line: lineNo, Msg: "key name is empty"}
			}
			ln.kind = lineKey
			ln.name = string(key)
			ln.delim = ln.start + ln.indent + d
			ln.valStart = ln.delim + 1
			for ln.valStart < ln.contentEnd && isSpace(data[ln.valStart]) {
				ln.valStart++
			}
			ln.valEnd = ln.contentEnd
			for ln.valEnd > ln.valStart && isSpace(data[ln.valEnd-1]) {
				ln.valEnd--
			}
			curKey = len(f.entries)
			keyIndent = ln.indent
			f.entries = append(f.entries, entry{block: bi, line: idx, last: idx})
			f.blocks[bi].lastContent = idx
		}
		f.lines = append(f.lines, ln)
	}
	f.blocks[len(f.blocks)-1].end = len(f.lines)
	return nil
}

// Bytes returns the file's contents: the parsed input with the edits made
// since. The caller may modify the returned slice.
func (f *File) Bytes() []byte {
	return bytes.Clone(f.data)
}

// Key is one key of a section as read from the file.
type Key struct {
	// Name is the key name as written in the file.
	Name string
	// Value is the value as the AWS CLI reads it: trimmed, with continuation
	// lines trimmed and joined by "\n".
	Value string
	// Line is the 1-based line number of the key.
	Line int
}

// Section is a read-only snapshot of one section. When a section appears more
// than once in a file, Section holds the keys of every occurrence in file
// order; a later key shadows an earlier one of the same name.
type Section struct {
	// Name is the normalised section name, e.g. "default" or "profile dev".
	Name string
	// Line is the 1-based line number of the section's first header; 0 for
	// the keys before the first header.
	Line int
	// Keys are the section's keys in file order, duplicates included.
	Keys []Key
}

// Get returns the value of key, which is matched case-insensitively. When the
// key appears more than once, the last one wins.
func (s Section) Get(key string) (string, bool) {
	for i := len(s.Keys) - 1; i >= 0; i-- {
		if strings.EqualFold(s.Keys[i].Name, key) {
			return s.Keys[i].Value, true
		}
	}
	return "", false
}

// value returns the value of entry e as the CLI reads it.
func (f *File) value(e entry) string {
	ln := f.lines[e.line]
	v := string(f.data[ln.valStart:ln.valEnd])
	if e.last == e.line {
		return v
	}
	var b strings.Builder
	b.WriteString(v)
	for i := e.line + 1; i <= e.last; i++ {
		if c := f.lines[i]; c.kind == lineCont {
			b.WriteByte('\n')
			b.Write(trimSpace(f.data[c.start:c.contentEnd]))
		}
	}
	return strings.Trim(b.String(), " \t\n")
}

func (f *File) section(name string) Section {
	s := Section{Name: name}
	for _, e := range f.entries {
		if f.blocks[e.block].name != name {
			continue
		}
		ln := f.lines[e.line]
		s.Keys = append(s.Keys, Key{Name: ln.name, Value: f.value(e), Line: e.line + 1})
	}
	for _, b := range f.blocks[1:] {
		if b.name == name {
			s.Line = b.header + 1
			break
		}
	}
	return s
}

// Sections returns every section in the order of first appearance, duplicate
// headers merged. Keys outside any section are not included; see Section("").
func (f *File) Sections() []Section {
	f.ready()
	seen := make(map[string]bool)
	var out []Section
	for _, b := range f.blocks[1:] {
		if seen[b.name] {
			continue
		}
		seen[b.name] = true
		out = append(out, f.section(b.name))
	}
	return out
}

// Section returns the named section and whether the file has it. The name is
// normalised like a header ("profile  dev" finds "[profile dev]"). Section("")
// returns the keys before the first header, if there are any.
func (f *File) Section(name string) (Section, bool) {
	f.ready()
	name = normName(name)
	if name == "" {
		s := f.section("")
		return s, len(s.Keys) > 0
	}
	if f.findBlock(name) < 0 {
		return Section{}, false
	}
	return f.section(name), true
}

// Get returns the value of key in section, as the AWS CLI reads it, and
// whether it is set. Keys are matched case-insensitively; when a key appears
// more than once (also across duplicate section headers) the last one wins.
func (f *File) Get(section, key string) (string, bool) {
	f.ready()
	if i := f.findEntry(normName(section), key); i >= 0 {
		return f.value(f.entries[i]), true
	}
	return "", false
}

// findBlock returns the index of the last block named name, or -1.
func (f *File) findBlock(name string) int {
	for i := len(f.blocks) - 1; i >= 1; i-- {
		if f.blocks[i].name == name {
			return i
		}
	}
	return -1
}

// findEntry returns the index of the last entry for key in section name, or -1.
func (f *File) findEntry(name, key string) int {
	for i := len(f.entries) - 1; i >= 0; i-- {
		e := f.entries[i]
		if f.blocks[e.block].name == name && strings.EqualFold(f.lines[e.line].name, key) {
			return i
		}
	}
	return -1
}

// StripInlineComment cuts an inline comment off a value the way the AWS SDK
// for Go does: at the first " #", " ;", "\t#" or "\t;", then trims. The AWS
// CLI keeps such text as part of the value; File.Get does the same.
func StripInlineComment(value string) string {
	for i := 1; i < len(value); i++ {
		if (value[i] == '#' || value[i] == ';') && isSpace(value[i-1]) {
			value = value[:i]
			break
		}
	}
	return strings.Trim(value, " \t")
}
