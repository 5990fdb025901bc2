package credfile

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFixture(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/credentials-50")
	require.NoError(t, err)
	return data
}

func TestParseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"bom only", "\xEF\xBB\xBF"},
		{"bom", "\xEF\xBB\xBF[default]\naws_access_key_id = A\n"},
		{"simple", "[default]\naws_access_key_id = A\naws_secret_access_key = B\n"},
		{"crlf", "[default]\r\naws_access_key_id = A\r\n\r\n[p]\r\nk=v\r\n"},
		{"mixed line endings", "[default]\r\na = 1\nb = 2\r\n[p]\nc=3"},
		{"no final newline", "[default]\na = 1"},
		{"comments", "# hash\n; semicolon\n  # indented\n[default] ; after header\na = 1 ; inline\nb = 2 # inline\n#c=3\n"},
		{"odd spacing", "[default]\na=1\nb   =   2   \nc\t=\t3\nd =\ne=\nf : 6\ng:7\n[ spaced ]  \n"},
		{"keys outside any section", "region = us-east-1\n\n[default]\na = 1\n"},
		{"duplicate sections", "[p]\na = 1\n[q]\nb = 2\n[p]\na = 3\n"},
		{"unknown keys", "[p]\nfoo_bar = baz\nFoo Bar = baz qux\n"},
		{"nested values", "[profile dev]\ns3 =\n    max_concurrent_requests = 20\n    # note\n\n    addressing_style = path\nregion = eu-west-1\n"},
		{"continuation of a non-empty value", "[p]\na = line one\n  line two\n\tline three\n"},
		{"whitespace-only lines", "[p]\n  \t \na = 1\n   \n"},
		{"blank lines only", "\n\n\r\n"},
		{"indented keys", "[p]\n  a = 1\n  b = 2\n"},
		{"indented headers", "  [a]\n\t[b]\n  x = 1\n  [c]\n"},
		{"value with separators", "[p]\nurl = https://example.com:443/a=b\n"},
		{"unicode", "[профиль]\nключ = значение ✓\n"},
		{"header with brackets in name", "[a[b]\nk=v\n"},
		{"empty value then nothing", "[p]\ns3 =\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.in, string(f.Bytes()))
		})
	}
	t.Run("fixture", func(t *testing.T) {
		data := readFixture(t)
		f, err := Parse(data)
		require.NoError(t, err)
		assert.Equal(t, data, f.Bytes())
		assert.Len(t, f.Sections(), 51)
	})
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"unterminated header", "[default]\na = 1\n[dev\nb = 2\n", 3, "no closing ']'"},
		{"unterminated header crlf", "[default]\r\n[dev\r\n", 2, "no closing ']'"},
		{"empty header", "[]\n", 1, "empty name"},
		{"blank header", "[  ]\n", 1, "empty name"},
		{"text after header", "[default] extra\n", 1, "unexpected text after section header"},
		{"bare word", "[default]\naws_access_key_id\n", 2, "expected"},
		{"bare word in preamble", "hello\n", 1, "expected"},
		{"indented word without a key", "[default]\n  orphan\n", 2, "expected"},
		{"empty key", "[default]\n= value\n", 2, "key name is empty"},
		{"empty key colon", "[default]\n  : value\n", 2, "key name is empty"},
		{"lone carriage return", "[default]\na = 1\rb = 2\n", 2, "carriage return"},
		{"error after bom", "\xEF\xBB\xBFjunk\n", 1, "expected"},
		{"indented header below a key", "[a]\nx = 1\n\n  [b]\ny = 2\n", 4, "indented section header"},
		{"late error", "[a]\nx=1\n\n# c\n[b]\ny=2\nz\n", 7, "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, f)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "error %v is not a *ParseError", err)
			assert.Equal(t, tt.line, pe.Line)
			assert.Contains(t, pe.Msg, tt.msg)
			assert.Contains(t, err.Error(), "line ")
		})
	}
}

func TestParseErrorDoesNotLeakLine(t *testing.T) {
	_, err := Parse([]byte("[default]\nAKIASECRETVALUE\n"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "AKIASECRETVALUE")
}

func TestGet(t *testing.T) {
	const in = "top = level\n" +
		"[default]\n" +
		"aws_access_key_id =  AKIA1  \n" +
		"AWS_Secret_Access_Key=s3cr3t\n" +
		"region = eu-west-1 # inline\n" +
		"empty =\n" +
		"colon: yes\n" +
		"url = https://x:1/?a=b\n" +
		"[profile  dev]\n" +
		"s3 =\n" +
		"    max_concurrent_requests = 20\n" +
		"    # comment\n" +
		"\n" +
		"    addressing_style = path\n" +
		"multi = one\n" +
		"  two\n" +
		"[dup]\n" +
		"a = first\n" +
		"a = second\n" +
		"[other]\n" +
		"[dup]\n" +
		"a = third\n" +
		"b = only\n"
	f, err := Parse([]byte(in))
	require.NoError(t, err)
	tests := []struct {
		section, key string
		want         string
		ok           bool
	}{
		{"default", "aws_access_key_id", "AKIA1", true},
		{"default", "AWS_ACCESS_KEY_ID", "AKIA1", true},
		{"default", "aws_secret_access_key", "s3cr3t", true},
		{"default", "region", "eu-west-1 # inline", true},
		{"default", "empty", "", true},
		{"default", "colon", "yes", true},
		{"default", "url", "https://x:1/?a=b", true},
		{"default", "missing", "", false},
		{"Default", "aws_access_key_id", "", false},
		{"profile dev", "s3", "max_concurrent_requests = 20\naddressing_style = path", true},
		{"profile   dev", "multi", "one\ntwo", true},
		{" profile dev ", "multi", "one\ntwo", true},
		{"dup", "a", "third", true},
		{"dup", "b", "only", true},
		{"other", "a", "", false},
		{"", "top", "level", true},
		{"nosuch", "a", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.section+"/"+tt.key, func(t *testing.T) {
			got, ok := f.Get(tt.section, tt.key)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSections(t *testing.T) {
	f, err := Parse([]byte("x = 0\n[a]\nk = 1\n[profile  b]\n[a]\nK = 2\nj = 3\n"))
	require.NoError(t, err)
	secs := f.Sections()
	require.Len(t, secs, 2)
	assert.Equal(t, "a", secs[0].Name)
	assert.Equal(t, 2, secs[0].Line)
	assert.Equal(t, []Key{{"k", "1", 3}, {"K", "2", 6}, {"j", "3", 7}}, secs[0].Keys)
	v, ok := secs[0].Get("k")
	assert.True(t, ok)
	assert.Equal(t, "2", v)
	assert.Equal(t, "profile b", secs[1].Name)
	assert.Empty(t, secs[1].Keys)

	s, ok := f.Section("profile b")
	assert.True(t, ok)
	assert.Equal(t, 4, s.Line)
	_, ok = f.Section("c")
	assert.False(t, ok)
	s, ok = f.Section("")
	assert.True(t, ok)
	assert.Equal(t, []Key{{"x", "0", 1}}, s.Keys)

	var zero File
	assert.Empty(t, zero.Sections())
	assert.Empty(t, zero.Bytes())
	_, ok = zero.Get("a", "b")
	assert.False(t, ok)
}

func TestStripInlineComment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"value", "value"},
		{"value # comment", "value"},
		{"value\t; comment", "value"},
		{"value;not-a-comment", "value;not-a-comment"},
		{"a#b", "a#b"},
		{"#start", "#start"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, StripInlineComment(tt.in), tt.in)
	}
}
