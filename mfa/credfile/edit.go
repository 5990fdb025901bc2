package credfile

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Errors returned by the editing methods when an argument could not be
// written without changing the meaning of the file. Test with errors.Is.
var (
	// ErrInvalidSection: the section name is empty or holds a character
	// that cannot appear in a header (']', '#', ';', a line break).
	ErrInvalidSection = errors.New("invalid section name")
	// ErrInvalidKey: the key name is empty, has surrounding whitespace,
	// holds '=', ':' or a line break, starts with '[', '#' or ';', or appears
	// twice in one ReplaceSection call.
	ErrInvalidKey = errors.New("invalid key")
	// ErrInvalidValue: the value holds a line break (which could inject keys
	// or sections) or has surrounding whitespace (which would not survive a
	// re-read).
	ErrInvalidValue = errors.New("invalid value")
	// ErrUnsafeEdit: the edit would change how another section reads (this
	// can happen only in unusual files, e.g. with indented section headers).
	// The File is left unchanged; the file needs fixing by hand.
	ErrUnsafeEdit = errors.New("unsafe edit")
)

// KeyValue is one key and its value, for ReplaceSection.
type KeyValue struct {
	Key   string // key name; matched case-insensitively
	Value string // value, without line breaks or surrounding whitespace
}

// Pairs turns a map into KeyValues sorted by key, for ReplaceSection.
func Pairs(m map[string]string) []KeyValue {
	out := make([]KeyValue, 0, len(m))
	for k, v := range m {
		out = append(out, KeyValue{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func checkSection(section string) (string, error) {
	name := normName(section)
	if name == "" {
		return "", fmt.Errorf("credfile: %w: empty", ErrInvalidSection)
	}
	if strings.ContainsAny(name, "]#;\r\n") {
		return "", fmt.Errorf("credfile: %w %q: contains ']', '#', ';' or a line break", ErrInvalidSection, section)
	}
	return name, nil
}

func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("credfile: %w: empty", ErrInvalidKey)
	case strings.Trim(key, " \t") != key:
		return fmt.Errorf("credfile: %w %q: surrounding whitespace", ErrInvalidKey, key)
	case strings.ContainsAny(key, "=:\r\n"):
		return fmt.Errorf("credfile: %w %q: contains '=', ':' or a line break", ErrInvalidKey, key)
	case strings.ContainsAny(key[:1], "[#;"):
		return fmt.Errorf("credfile: %w %q: starts with '[', '#' or ';'", ErrInvalidKey, key)
	}
	return nil
}

// checkValue never quotes the value: it may be a secret.
func checkValue(key, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("credfile: %w for key %q: contains a line break", ErrInvalidValue, key)
	}
	if strings.Trim(value, " \t") != value {
		return fmt.Errorf("credfile: %w for key %q: surrounding whitespace", ErrInvalidValue, key)
	}
	return nil
}

// cut replaces data[start:end] with text.
type cut struct {
	start, end int
	text       string
}

// apply makes the cuts (sorted, non-overlapping) for an edit of section name
// and re-indexes. It then checks that every other section reads exactly as
// before, so a bug or an unforeseen corner of the dialect can never silently
// change another profile. On failure f is unchanged.
func (f *File) apply(name string, cuts ...cut) error {
	if len(cuts) == 0 {
		return nil
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].start < cuts[j].start })
	size := len(f.data)
	for _, c := range cuts {
		size += len(c.text) - (c.end - c.start)
	}
	data := make([]byte, 0, size)
	pos := 0
	for _, c := range cuts {
		data = append(data, f.data[pos:c.start]...)
		data = append(data, c.text...)
		pos = c.end
	}
	data = append(data, f.data[pos:]...)
	g := &File{data: data}
	if err := g.index(); err != nil {
		return fmt.Errorf("credfile: %w: section %q: the result would not parse: %w", ErrUnsafeEdit, name, err)
	}
	if !sameOutside(f, g, name) {
		return fmt.Errorf("credfile: %w: section %q: the result would change another section", ErrUnsafeEdit, name)
	}
	*f = *g
	return nil
}

// cursor walks the section headers and keys of a File outside one section.
type cursor struct {
	f       *File
	skip    string // the edited section
	b, e    int    // current block and entry
	started bool   // whether block b's header was visited
}

// item is a section header (header true) or a key and its value.
type item struct {
	header bool
	name   string
	value  []byte
}

func (c *cursor) next() (item, bool) {
	for c.b < len(c.f.blocks) {
		blk := c.f.blocks[c.b]
		skip := c.b > 0 && blk.name == c.skip
		if !c.started {
			c.started = true
			if !skip {
				return item{header: true, name: blk.name}, true
			}
		}
		if c.e < len(c.f.entries) && c.f.entries[c.e].block == c.b {
			e := c.f.entries[c.e]
			c.e++
			if skip {
				continue
			}
			ln := c.f.lines[e.line]
			v := c.f.data[ln.valStart:ln.valEnd]
			if e.last != e.line {
				v = []byte(c.f.value(e))
			}
			return item{name: ln.name, value: v}, true
		}
		c.b++
		c.started = false
	}
	return item{}, false
}

// sameOutside reports whether f and g have the same headers, keys and values,
// in the same order, outside section name.
func sameOutside(f, g *File, name string) bool {
	a, b := cursor{f: f, skip: name}, cursor{f: g, skip: name}
	for {
		x, okx := a.next()
		y, oky := b.next()
		if okx != oky {
			return false
		}
		if !okx {
			return true
		}
		if x.header != y.header || x.name != y.name || !bytes.Equal(x.value, y.value) {
			return false
		}
	}
}

// eol returns the line terminator to use for a line written next to line i:
// the nearest terminator before it, else after it, else "\n".
func (f *File) eol(i int) string {
	term := func(ln line) string { return string(f.data[ln.contentEnd:ln.end]) }
	for j := min(i, len(f.lines)-1); j >= 0; j-- {
		if t := term(f.lines[j]); t != "" {
			return t
		}
	}
	for j := i + 1; j < len(f.lines); j++ {
		if t := term(f.lines[j]); t != "" {
			return t
		}
	}
	return "\n"
}

// setValueCut returns the cut that gives entry e the value v, keeping the key
// line's spacing. Continuation lines are dropped.
func (f *File) setValueCut(e entry, v string) cut {
	ln := f.lines[e.line]
	if e.last > e.line {
		sep := ""
		if isSpace(f.data[ln.delim-1]) || ln.valStart > ln.delim+1 {
			sep = " "
		}
		if v == "" {
			sep = ""
		}
		return cut{start: ln.delim + 1, end: f.lines[e.last].contentEnd, text: sep + v}
	}
	if ln.valStart == ln.valEnd { // empty value: "key =" or "key=" or "key = "
		sep := ""
		if v != "" && (isSpace(f.data[ln.delim-1]) || ln.valStart > ln.delim+1) {
			sep = " "
		}
		return cut{start: ln.delim + 1, end: ln.contentEnd, text: sep + v}
	}
	if v == "" {
		return cut{start: ln.delim + 1, end: ln.valEnd}
	}
	return cut{start: ln.valStart, end: ln.valEnd, text: v}
}

// indentOf returns the leading whitespace of line i.
func (f *File) indentOf(i int) string {
	ln := f.lines[i]
	return string(f.data[ln.start : ln.start+ln.indent])
}

// appendKeyCut returns the cut that adds "key = value" at the end of block bi,
// after its last key (or its header) and before any trailing blank lines and
// comments, which belong with whatever follows. The new line takes the
// indentation of the key above it, so that it neither continues that key nor
// turns an indented header below it into a continuation line.
func (f *File) appendKeyCut(bi int, key, value string) cut {
	last := f.blocks[bi].lastContent
	indent := ""
	if f.lines[last].kind == lineHeader {
		for j := last + 1; j < len(f.lines); j++ {
			if k := f.lines[j].kind; k != lineBlank && k != lineComment {
				indent = f.indentOf(j)
				break
			}
		}
	} else {
		j := last
		for f.lines[j].kind != lineKey {
			j--
		}
		indent = f.indentOf(j)
	}
	kv := indent + key + " = " + value
	ln := f.lines[last]
	if ln.end == ln.contentEnd { // last line of the file, no terminator
		return cut{start: ln.end, end: ln.end, text: f.eol(last) + kv}
	}
	return cut{start: ln.end, end: ln.end, text: kv + f.eol(last)}
}

// newSectionCut returns the cut that appends a new section at the end of the
// file, separated from what comes before by a blank line.
func (f *File) newSectionCut(name string, kvs []KeyValue) cut {
	eol := f.eol(len(f.lines) - 1)
	var b strings.Builder
	if n := len(f.lines); n > 0 {
		last := f.lines[n-1]
		if last.end == last.contentEnd {
			b.WriteString(eol)
		}
		if last.kind != lineBlank {
			b.WriteString(eol)
		}
	}
	b.WriteString("[" + name + "]" + eol)
	for _, kv := range kvs {
		b.WriteString(kv.Key + " = " + kv.Value + eol)
	}
	return cut{start: len(f.data), end: len(f.data), text: b.String()}
}

// Set sets key to value in section. An existing key keeps its place, its
// spelling and the spacing around its separator; only its value bytes change
// (an indented continuation block under it is replaced by the single value).
// When the key appears more than once, the last one, the one the SDKs use, is
// changed. A new key is added as "key = value" after the section's last key.
// A missing section is created at the end of the file, after a blank line.
// Every byte outside the edited section stays as it was.
//
// Keys are matched case-insensitively. A value with a line break is refused
// with ErrInvalidValue; see also ErrInvalidSection, ErrInvalidKey and
// ErrUnsafeEdit. On error f is unchanged.
//
// For the config file, name profiles with ConfigSectionName.
func (f *File) Set(section, key, value string) error {
	f.ready()
	name, err := checkSection(section)
	if err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(key, value); err != nil {
		return err
	}
	if i := f.findEntry(name, key); i >= 0 {
		e := f.entries[i]
		if e.last == e.line && f.value(e) == value {
			return nil
		}
		return f.apply(name, f.setValueCut(e, value))
	}
	if bi := f.findBlock(name); bi >= 0 {
		return f.apply(name, f.appendKeyCut(bi, key, value))
	}
	return f.apply(name, f.newSectionCut(name, []KeyValue{{Key: key, Value: value}}))
}

// entryCut returns the cut that removes entry e's lines.
func (f *File) entryCut(e entry) cut {
	return cut{start: f.lines[e.line].start, end: f.lines[e.last].end}
}

// Delete removes every occurrence of key (matched case-insensitively, with its
// continuation lines) from section and reports whether there was one. Comment
// lines are left alone. On error f is unchanged.
func (f *File) Delete(section, key string) (bool, error) {
	f.ready()
	name := normName(section)
	if name == "" {
		return false, fmt.Errorf("credfile: %w: empty", ErrInvalidSection)
	}
	var cuts []cut
	for _, e := range f.entries {
		if f.blocks[e.block].name == name && strings.EqualFold(f.lines[e.line].name, key) {
			cuts = append(cuts, f.entryCut(e))
		}
	}
	if len(cuts) == 0 {
		return false, nil
	}
	return true, f.apply(name, cuts...)
}

// ReplaceSection makes kvs the exact set of keys of section. Keys that stay
// keep their place and spacing and have their value set in place; keys not in
// kvs are removed, as are shadowed duplicates; new keys are appended in the
// order given. The section's header and comment lines are kept. A missing
// section is created at the end of the file. On error (the same as Set's) f
// is unchanged.
func (f *File) ReplaceSection(section string, kvs []KeyValue) error {
	f.ready()
	name, err := checkSection(section)
	if err != nil {
		return err
	}
	want := make(map[string]int, len(kvs))
	for i, kv := range kvs {
		if err := checkKey(kv.Key); err != nil {
			return err
		}
		if err := checkValue(kv.Key, kv.Value); err != nil {
			return err
		}
		lk := strings.ToLower(kv.Key)
		if _, dup := want[lk]; dup {
			return fmt.Errorf("credfile: %w %q: given twice", ErrInvalidKey, kv.Key)
		}
		want[lk] = i
	}
	if f.findBlock(name) < 0 {
		return f.apply(name, f.newSectionCut(name, kvs))
	}

	// Work on a copy so that f is untouched if either step fails.
	g := &File{data: f.data, lines: f.lines, blocks: f.blocks, entries: f.entries}

	// First drop unwanted and shadowed keys and set the kept ones, in one go.
	kept := make(map[string]bool, len(kvs))
	var cuts []cut
	for i := len(g.entries) - 1; i >= 0; i-- {
		e := g.entries[i]
		if g.blocks[e.block].name != name {
			continue
		}
		lk := strings.ToLower(g.lines[e.line].name)
		j, ok := want[lk]
		if !ok || kept[lk] {
			cuts = append(cuts, g.entryCut(e))
			continue
		}
		kept[lk] = true
		if e.last != e.line || g.value(e) != kvs[j].Value {
			cuts = append(cuts, g.setValueCut(e, kvs[j].Value))
		}
	}
	if err := g.apply(name, cuts...); err != nil {
		return err
	}

	// Then append the new keys, in the order given, to the last occurrence.
	bi := g.findBlock(name)
	var add cut
	for _, kv := range kvs {
		if kept[strings.ToLower(kv.Key)] {
			continue
		}
		c := g.appendKeyCut(bi, kv.Key, kv.Value)
		add.start, add.end = c.start, c.end
		add.text += c.text
	}
	if add.text != "" {
		if err := g.apply(name, add); err != nil {
			return err
		}
	}
	*f = *g
	return nil
}

// DeleteSection removes every occurrence of section and reports whether there
// was one. With each header go its keys, the comment lines directly above the
// header (no blank line between) and the blank lines after the section; when
// the section ends the file, the blank lines before it go too. On error f is
// unchanged.
func (f *File) DeleteSection(section string) (bool, error) {
	f.ready()
	name := normName(section)
	if name == "" {
		return false, fmt.Errorf("credfile: %w: empty", ErrInvalidSection)
	}
	var cuts []cut
	for _, b := range f.blocks[1:] {
		if b.name != name {
			continue
		}
		first := b.header
		for first > 0 && f.lines[first-1].kind == lineComment {
			first--
		}
		last := b.lastContent
		for last+1 < len(f.lines) && f.lines[last+1].kind == lineBlank {
			last++
		}
		if last == len(f.lines)-1 {
			for first > 0 && f.lines[first-1].kind == lineBlank {
				first--
			}
		}
		c := cut{start: f.lines[first].start, end: f.lines[last].end}
		if n := len(cuts); n > 0 && cuts[n-1].end > c.start {
			c.start = cuts[n-1].end
		}
		cuts = append(cuts, c)
	}
	if len(cuts) == 0 {
		return false, nil
	}
	return true, f.apply(name, cuts...)
}
