package credfile

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSet(t *testing.T) {
	tests := []struct {
		name                string
		in                  string
		section, key, value string
		want                string
	}{
		{"change value keeps spacing", "[p]\na   =   1   \nb=2\n", "p", "a", "new", "[p]\na   =   new   \nb=2\n"},
		{"change value no spaces", "[p]\na=1\n", "p", "a", "22", "[p]\na=22\n"},
		{"change value colon", "[p]\na : 1\n", "p", "a", "x", "[p]\na : x\n"},
		{"change value tabs", "[p]\na\t=\t1\r\n", "p", "a", "x", "[p]\na\t=\tx\r\n"},
		{"change value key case-insensitive", "[p]\nAWS_Session_Token = old\n", "p", "aws_session_token", "new", "[p]\nAWS_Session_Token = new\n"},
		{"fill empty value spaced", "[p]\na =\n", "p", "a", "v", "[p]\na = v\n"},
		{"fill empty value tight", "[p]\na=\n", "p", "a", "v", "[p]\na=v\n"},
		{"fill empty value trailing space", "[p]\na = \n", "p", "a", "v", "[p]\na = v\n"},
		{"empty the value", "[p]\na = 1\n", "p", "a", "", "[p]\na =\n"},
		{"inline comment is part of the value", "[p]\nregion = us-east-1 # home\n", "p", "region", "eu-west-1", "[p]\nregion = eu-west-1\n"},
		{"replace nested block", "[p]\ns3 =\n    a = 1\n    # c\n    b = 2\nx = 1\n", "p", "s3", "flat", "[p]\ns3 = flat\nx = 1\n"},
		{"replace continued value", "[p]\nk = one\n  two\n", "p", "k", "three", "[p]\nk = three\n"},
		{"same value is a no-op", "[p]\na  =  1\n", "p", "a", "1", "[p]\na  =  1\n"},
		{"append key", "[p]\na = 1\n\n[q]\nb = 2\n", "p", "c", "3", "[p]\na = 1\nc = 3\n\n[q]\nb = 2\n"},
		{"append before next section's comments", "[p]\na = 1\n\n# about q\n[q]\n", "p", "c", "3", "[p]\na = 1\nc = 3\n\n# about q\n[q]\n"},
		{"append after own comments inside", "[p]\n# about a\na = 1\n", "p", "c", "3", "[p]\n# about a\na = 1\nc = 3\n"},
		{"append after nested block", "[p]\ns3 =\n  x = 1\n\n[q]\n", "p", "c", "3", "[p]\ns3 =\n  x = 1\nc = 3\n\n[q]\n"},
		{"append to empty section", "[p]\n[q]\n", "p", "c", "3", "[p]\nc = 3\n[q]\n"},
		{"append crlf", "[p]\r\na = 1\r\n", "p", "c", "3", "[p]\r\na = 1\r\nc = 3\r\n"},
		{"append no final newline", "[p]\na = 1", "p", "c", "3", "[p]\na = 1\nc = 3"},
		{"append no final newline crlf", "[p]\r\na = 1", "p", "c", "3", "[p]\r\na = 1\r\nc = 3"},
		{"append header only no newline", "[p]", "p", "c", "3", "[p]\nc = 3"},
		{"append keeps indentation", "[p]\n  a = 1\n", "p", "c", "3", "[p]\n  a = 1\n  c = 3\n"},
		{"append above indented header", "[p]\n  [q]\n", "p", "c", "3", "[p]\n  c = 3\n  [q]\n"},
		{"append to last duplicate", "[p]\na = 1\n[q]\n[p]\nb = 2\n", "p", "c", "3", "[p]\na = 1\n[q]\n[p]\nb = 2\nc = 3\n"},
		{"edit key in earlier duplicate", "[p]\na = 1\n[p]\nb = 2\n", "p", "a", "9", "[p]\na = 9\n[p]\nb = 2\n"},
		{"edit last of duplicate keys", "[p]\na = 1\na = 2\n", "p", "a", "9", "[p]\na = 1\na = 9\n"},
		{"section names normalised", "[profile   dev]\na = 1\n", "profile dev", "a", "2", "[profile   dev]\na = 2\n"},
		{"new section", "[p]\na = 1\n", "q", "b", "2", "[p]\na = 1\n\n[q]\nb = 2\n"},
		{"new section after blank", "[p]\na = 1\n\n", "q", "b", "2", "[p]\na = 1\n\n[q]\nb = 2\n"},
		{"new section no final newline", "[p]\na = 1", "q", "b", "2", "[p]\na = 1\n\n[q]\nb = 2\n"},
		{"new section crlf", "[p]\r\na = 1\r\n", "q", "b", "2", "[p]\r\na = 1\r\n\r\n[q]\r\nb = 2\r\n"},
		{"new section in empty file", "", "default", "b", "2", "[default]\nb = 2\n"},
		{"new section after bom", "\xEF\xBB\xBF", "default", "b", "2", "\xEF\xBB\xBF[default]\nb = 2\n"},
		{"new section after comment", "# hello", "p", "b", "2", "# hello\n\n[p]\nb = 2\n"},
		{"new section with name normalised", "", " profile  dev ", "b", "2", "[profile dev]\nb = 2\n"},
		{"new section after preamble key", "k = v\n", "p", "b", "2", "k = v\n\n[p]\nb = 2\n"},
		{"value with equals and hash", "[p]\na = 1\n", "p", "a", "x=y #z", "[p]\na = x=y #z\n"},
		{"value that looks like a header", "[p]\na = 1\n", "p", "a", "[q]", "[p]\na = [q]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			require.NoError(t, err)
			require.NoError(t, f.Set(tt.section, tt.key, tt.value))
			assert.Equal(t, tt.want, string(f.Bytes()))
			got, ok := f.Get(tt.section, tt.key)
			assert.True(t, ok)
			assert.Equal(t, tt.value, got)
			_, err = Parse(f.Bytes())
			assert.NoError(t, err)
		})
	}
}

func TestSetRefusesInvalid(t *testing.T) {
	const in = "[p]\na = 1\n"
	tests := []struct {
		name                string
		section, key, value string
		want                error
	}{
		{"newline in value", "p", "a", "x\n[evil]\nk = v", ErrInvalidValue},
		{"carriage return in value", "p", "a", "x\ry", ErrInvalidValue},
		{"leading space in value", "p", "a", " x", ErrInvalidValue},
		{"trailing tab in value", "p", "a", "x\t", ErrInvalidValue},
		{"empty key", "p", "", "x", ErrInvalidKey},
		{"key with equals", "p", "a=b", "x", ErrInvalidKey},
		{"key with colon", "p", "a:b", "x", ErrInvalidKey},
		{"key with newline", "p", "a\nb", "x", ErrInvalidKey},
		{"key with space around", "p", " a", "x", ErrInvalidKey},
		{"key starting with bracket", "p", "[a", "x", ErrInvalidKey},
		{"key starting with hash", "p", "#a", "x", ErrInvalidKey},
		{"key starting with semicolon", "p", ";a", "x", ErrInvalidKey},
		{"empty section", "", "a", "x", ErrInvalidSection},
		{"blank section", "  ", "a", "x", ErrInvalidSection},
		{"section with bracket", "p]x", "a", "x", ErrInvalidSection},
		{"section with newline", "p\nq", "a", "x", ErrInvalidSection},
		{"section with hash", "p#q", "a", "x", ErrInvalidSection},
		{"section with semicolon", "p;q", "a", "x", ErrInvalidSection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(in))
			require.NoError(t, err)
			err = f.Set(tt.section, tt.key, tt.value)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, in, string(f.Bytes()))
			err = f.ReplaceSection(tt.section, []KeyValue{{tt.key, tt.value}})
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, in, string(f.Bytes()))
		})
	}
}

func TestInvalidValueErrorDoesNotLeakValue(t *testing.T) {
	var f File
	err := f.Set("p", "aws_secret_access_key", "TOPSECRET\nx")
	require.ErrorIs(t, err, ErrInvalidValue)
	assert.NotContains(t, err.Error(), "TOPSECRET")
	assert.Contains(t, err.Error(), "aws_secret_access_key")
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		section, key string
		found        bool
		want         string
	}{
		{"middle key", "[p]\na = 1\nb = 2\nc = 3\n", "p", "b", true, "[p]\na = 1\nc = 3\n"},
		{"case-insensitive", "[p]\nA = 1\nb = 2\n", "p", "a", true, "[p]\nb = 2\n"},
		{"with continuation", "[p]\ns3 =\n  x = 1\n  y = 2\nb = 2\n", "p", "s3", true, "[p]\nb = 2\n"},
		{"keeps comments", "[p]\n# about a\na = 1\n", "p", "a", true, "[p]\n# about a\n"},
		{"all duplicates", "[p]\na = 1\n[q]\na = 5\n[p]\na = 2\n", "p", "a", true, "[p]\n[q]\na = 5\n[p]\n"},
		{"last line without newline", "[p]\na = 1\nb = 2", "p", "b", true, "[p]\na = 1\n"},
		{"missing key", "[p]\na = 1\n", "p", "b", false, "[p]\na = 1\n"},
		{"missing section", "[p]\na = 1\n", "q", "a", false, "[p]\na = 1\n"},
		{"crlf", "[p]\r\na = 1\r\nb = 2\r\n", "p", "a", true, "[p]\r\nb = 2\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			require.NoError(t, err)
			found, err := f.Delete(tt.section, tt.key)
			require.NoError(t, err)
			assert.Equal(t, tt.found, found)
			assert.Equal(t, tt.want, string(f.Bytes()))
			_, ok := f.Get(tt.section, tt.key)
			assert.False(t, ok)
		})
	}
	var f File
	_, err := f.Delete("", "a")
	assert.ErrorIs(t, err, ErrInvalidSection)
}

func TestReplaceSection(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		section string
		kvs     []KeyValue
		want    string
	}{
		{
			"rewrite keeps comments and order",
			"[a]\nx = 1\n\n# session for dev\n[dev]\n# expires soon\naws_access_key_id = OLD\naws_secret_access_key=OLD\naws_session_token = OLD\nexpiration = 2020\n\n[z]\ny = 2\n",
			"dev",
			[]KeyValue{{"aws_access_key_id", "NEW"}, {"aws_secret_access_key", "NEW2"}, {"aws_session_token", "TOK"}, {"region", "eu-west-1"}},
			"[a]\nx = 1\n\n# session for dev\n[dev]\n# expires soon\naws_access_key_id = NEW\naws_secret_access_key=NEW2\naws_session_token = TOK\nregion = eu-west-1\n\n[z]\ny = 2\n",
		},
		{
			"missing section is created",
			"[a]\nx = 1\n", "b",
			[]KeyValue{{"k1", "v1"}, {"k2", "v2"}},
			"[a]\nx = 1\n\n[b]\nk1 = v1\nk2 = v2\n",
		},
		{
			"empty pairs clears keys",
			"[a]\n# c\nx = 1\ny = 2\n", "a", nil,
			"[a]\n# c\n",
		},
		{
			"duplicates collapse to the last",
			"[a]\nx = 1\n[b]\n[a]\nx = 2\ny = 3\n", "a",
			[]KeyValue{{"x", "9"}, {"n", "new"}},
			"[a]\n[b]\n[a]\nx = 9\nn = new\n",
		},
		{
			"appends at end of file without newline",
			"[a]\nx = 1", "a",
			[]KeyValue{{"x", "1"}, {"y", "2"}, {"z", "3"}},
			"[a]\nx = 1\ny = 2\nz = 3",
		},
		{
			"unchanged",
			"[a]\nx  =  1\n", "a",
			[]KeyValue{{"X", "1"}},
			"[a]\nx  =  1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			require.NoError(t, err)
			require.NoError(t, f.ReplaceSection(tt.section, tt.kvs))
			assert.Equal(t, tt.want, string(f.Bytes()))
			s, _ := f.Section(tt.section)
			require.Len(t, s.Keys, len(tt.kvs))
			for _, kv := range tt.kvs {
				got, ok := f.Get(tt.section, kv.Key)
				assert.True(t, ok)
				assert.Equal(t, kv.Value, got)
			}
		})
	}
	t.Run("duplicate key in pairs", func(t *testing.T) {
		f, err := Parse([]byte("[a]\n"))
		require.NoError(t, err)
		err = f.ReplaceSection("a", []KeyValue{{"k", "1"}, {"K", "2"}})
		assert.ErrorIs(t, err, ErrInvalidKey)
		assert.Equal(t, "[a]\n", string(f.Bytes()))
	})
}

func TestPairs(t *testing.T) {
	assert.Equal(t, []KeyValue{{"a", "1"}, {"b", "2"}}, Pairs(map[string]string{"b": "2", "a": "1"}))
	assert.Empty(t, Pairs(nil))
}

func TestDeleteSection(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		section string
		found   bool
		want    string
	}{
		{"middle with comment", "[a]\nx = 1\n\n# b is work\n[b]\ny = 2\n\n[c]\nz = 3\n", "b", true, "[a]\nx = 1\n\n[c]\nz = 3\n"},
		{"last", "[a]\nx = 1\n\n[b]\ny = 2\n", "b", true, "[a]\nx = 1\n"},
		{"first", "[a]\nx = 1\n\n[b]\ny = 2\n", "a", true, "[b]\ny = 2\n"},
		{"keeps next section's comments", "[a]\nx = 1\n\n# about b\n\n[b]\n", "a", true, "# about b\n\n[b]\n"},
		{"duplicates", "[a]\nx = 1\n[b]\ny = 2\n[a]\nz = 3\n", "a", true, "[b]\ny = 2\n"},
		{"adjacent duplicates", "[a]\n\n[a]\n", "a", true, ""},
		{"missing", "[a]\n", "b", false, "[a]\n"},
		{"only", "\xEF\xBB\xBF[a]\r\nx = 1", "a", true, "\xEF\xBB\xBF"},
		{"keeps preamble keys", "k = v\n\n[a]\nx = 1\n", "a", true, "k = v\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			require.NoError(t, err)
			found, err := f.DeleteSection(tt.section)
			require.NoError(t, err)
			assert.Equal(t, tt.found, found)
			assert.Equal(t, tt.want, string(f.Bytes()))
			_, ok := f.Section(tt.section)
			assert.False(t, ok)
		})
	}
}

func TestUnsafeEditRefused(t *testing.T) {
	// Deleting [x] would turn the indented [b] header into a continuation
	// of key a.
	const in = "[a]\na = 1\n[x]\n  [b]\nk = v\n"
	f, err := Parse([]byte(in))
	require.NoError(t, err)
	_, err = f.DeleteSection("x")
	require.ErrorIs(t, err, ErrUnsafeEdit)
	assert.Equal(t, in, string(f.Bytes()))
	v, ok := f.Get("b", "k")
	assert.True(t, ok)
	assert.Equal(t, "v", v)
}

// span returns the byte range of the section whose header names name (found
// with a regular expression, independently of the parser): from the header
// line to the next line starting with '[', or the end of the file.
func span(t *testing.T, data []byte, name string) (int, int) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\[[ \t]*` + regexp.QuoteMeta(name) + `[ \t]*\][^\n]*\n`)
	loc := re.FindIndex(data)
	require.NotNil(t, loc, "no header for %s", name)
	start, end := loc[0], len(data)
	if i := bytes.Index(data[loc[1]:], []byte("\n[")); i >= 0 {
		end = loc[1] + i + 1
	}
	return start, end
}

func TestFixtureEditsPreserveOutside(t *testing.T) {
	orig := readFixture(t)
	tests := []struct {
		section, key, value string
	}{
		{"profile-00", "aws_session_token", "TOKEN00"},                    // first, CRLF, appended key
		{"profile-03", "aws_secret_access_key", "NEWSECRET"},              // CRLF, colon separator
		{"profile-12", "s3", "flat"},                                      // nested block
		{"profile-25", "aws_access_key_id", "AKIANEW25"},                  // middle
		{"profile-25", "expiration", "2030-01-01T00:00:00Z"},              // middle, new key
		{"profile-44", "region", "ap-south-1"},                            // comment above header
		{"profile-49", "aws_session_token", "TOKEN49"},                    // before a duplicate section
		{"profile-last", "aws_session_token", "TOKENLAST"},                // CRLF, no final newline
		{"profile-11", "aws_session_token", "changed-existing-mixedcase"}, // AWS_Session_Token
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d/%s/%s", i, tt.section, tt.key), func(t *testing.T) {
			f, err := Parse(orig)
			require.NoError(t, err)
			before := map[string]map[string]string{}
			for _, s := range f.Sections() {
				before[s.Name] = map[string]string{}
				for _, k := range s.Keys {
					before[s.Name][k.Name] = k.Value
				}
			}
			require.NoError(t, f.Set(tt.section, tt.key, tt.value))
			got := f.Bytes()

			start, end := span(t, orig, tt.section)
			require.GreaterOrEqual(t, len(got), start+len(orig)-end)
			assert.Equal(t, orig[:start], got[:start], "bytes before the section changed")
			assert.Equal(t, orig[end:], got[len(got)-(len(orig)-end):], "bytes after the section changed")

			g, err := Parse(got)
			require.NoError(t, err)
			v, ok := g.Get(tt.section, tt.key)
			assert.True(t, ok)
			assert.Equal(t, tt.value, v)
			for _, s := range g.Sections() {
				if s.Name == tt.section {
					continue
				}
				for _, k := range s.Keys {
					assert.Equal(t, before[s.Name][k.Name], k.Value, "%s/%s", s.Name, k.Name)
				}
			}
		})
	}

	t.Run("new section at end", func(t *testing.T) {
		f, err := Parse(orig)
		require.NoError(t, err)
		require.NoError(t, f.Set("profile-new", "aws_session_token", "T"))
		got := f.Bytes()
		assert.Equal(t, orig, got[:len(orig)])
		// The last section uses CRLF, so the new one does too.
		assert.Equal(t, "\r\n\r\n[profile-new]\r\naws_session_token = T\r\n", string(got[len(orig):]))
	})

	t.Run("replace section", func(t *testing.T) {
		f, err := Parse(orig)
		require.NoError(t, err)
		require.NoError(t, f.ReplaceSection("profile-30", Pairs(map[string]string{
			"aws_access_key_id":     "ASIANEW",
			"aws_secret_access_key": "S",
			"aws_session_token":     "T",
		})))
		got := f.Bytes()
		start, end := span(t, orig, "profile-30")
		assert.Equal(t, orig[:start], got[:start])
		assert.Equal(t, orig[end:], got[len(got)-(len(orig)-end):])
	})
}
