package credfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// profiles500 builds a credentials file with n long-term and n session
// profiles' worth of keys (n sections), with a comment on every tenth.
func profilesFile(n int) []byte {
	var b strings.Builder
	b.WriteString("# generated for BenchmarkUpdateOneProfile500\n\n")
	for i := range n {
		if i%10 == 0 {
			fmt.Fprintf(&b, "# team %d\n", i/10)
		}
		fmt.Fprintf(&b, "[profile-%03d]\naws_access_key_id = AKIAEXAMPLE%05d\naws_secret_access_key = %040d\naws_session_token = %0300d\n\n", i, i, i, i)
	}
	return []byte(b.String())
}

// BenchmarkUpdateOneProfile500 measures one Update (lock, read, parse, edit,
// atomic write with fsyncs) of one profile in a 500-profile file on disk.
func BenchmarkUpdateOneProfile500(b *testing.B) {
	data := profilesFile(500)
	path := filepath.Join(b.TempDir(), "credentials")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		err := Update(path, func(f *File) error {
			return f.Set("profile-250", "aws_session_token", fmt.Sprintf("token-%d", i))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(len(data)), "file-bytes")
}

// BenchmarkParse500 measures parsing alone, for comparison.
func BenchmarkParse500(b *testing.B) {
	data := profilesFile(500)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
