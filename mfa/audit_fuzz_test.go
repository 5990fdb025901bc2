package mfa_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamkit/iamkit/mfa"
)

// FuzzParseCredentialReport checks that the credential report parser never
// panics, fails only with ErrReportFormat, returns one entry per CSV record
// after the header, and is deterministic.
func FuzzParseCredentialReport(f *testing.F) {
	f.Add([]byte(sampleReport))
	f.Add([]byte("user,arn,password_enabled,mfa_active\n"))
	f.Add([]byte("\ufeffmfa_active,arn,user,password_enabled\r\nfalse,a,x,TRUE\r\n"))
	f.Add([]byte("user,arn,password_enabled,mfa_active,user_creation_time\nx,a,true,false,2020-01-01T00:00:00+00:00\n"))
	f.Add([]byte("user,arn,password_enabled,mfa_active\n\"x\ny\",a,N/A,not_supported\n"))
	f.Add([]byte(""))
	f.Add([]byte("\"unterminated"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := mfa.ParseCredentialReport(data)
		if err != nil {
			if !errors.Is(err, mfa.ErrReportFormat) {
				t.Fatalf("error does not wrap ErrReportFormat: %v", err)
			}
			if entries != nil {
				t.Fatalf("entries with an error")
			}
			return
		}
		// An independent count of the records.
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
		records, err := r.ReadAll()
		if err != nil {
			t.Fatalf("parser accepted what encoding/csv refuses: %v", err)
		}
		if len(entries) != len(records)-1 {
			t.Fatalf("%d entries for %d records", len(entries), len(records)-1)
		}
		for _, e := range entries {
			if e.User == "" {
				t.Fatalf("entry without a user")
			}
			if e.Root != (e.User == mfa.RootUser) {
				t.Fatalf("root flag wrong for %q", e.User)
			}
			for _, tm := range []time.Time{e.Created, e.PasswordLastUsed, e.PasswordLastChanged, e.AccessKeys[0].LastUsed} {
				if !tm.IsZero() && tm.Location() != time.UTC {
					t.Fatalf("time not in UTC")
				}
			}
		}
		again, _ := mfa.ParseCredentialReport(data)
		if !slices.EqualFunc(entries, again, func(a, b mfa.CredentialReportEntry) bool { return a == b }) {
			t.Fatalf("not deterministic")
		}
	})
}

// FuzzParseExpiration checks that ParseExpiration never panics, returns UTC,
// and reads back what it would write in either supported form.
func FuzzParseExpiration(f *testing.F) {
	for _, s := range []string{"2018-11-26 03:48:22", "2018-11-26T12:48:22+09:00", "2018-11-26T03:48:22.5Z", "", "x", "2018-11-26 03:48:22+00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := mfa.ParseExpiration(s)
		if err != nil {
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("%q: not UTC", s)
		}
		if tm.Year() < 0 || tm.Year() > 9999 {
			return // formats cannot write it back
		}
		for _, out := range []string{tm.Format(time.RFC3339Nano), tm.Truncate(time.Second).Format(mfa.ExpirationLayout)} {
			back, err := mfa.ParseExpiration(out)
			if err != nil {
				t.Fatalf("%q -> %q does not parse: %v", s, out, err)
			}
			if !back.Equal(tm) && !back.Equal(tm.Truncate(time.Second)) {
				t.Fatalf("%q -> %q -> %v, want %v", s, out, back, tm)
			}
		}
	})
}

// FuzzSplitCommandLine checks that SplitCommandLine never panics and that
// quoting its result back (each argument in single quotes) splits to the same
// arguments.
func FuzzSplitCommandLine(f *testing.F) {
	for _, s := range []string{"op item get aws --otp", `'a b' "c\"d" e\ f`, `x""y'z'`, "'open", `"\\"`, "a\\\nb", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := mfa.SplitCommandLine(s)
		if err != nil {
			return
		}
		var quoted []string
		for _, a := range args {
			quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
		}
		again, err := mfa.SplitCommandLine(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("re-quoted %q does not split: %v", args, err)
		}
		if !slices.Equal(args, again) {
			t.Fatalf("%q -> %q -> %q", s, args, again)
		}
	})
}
