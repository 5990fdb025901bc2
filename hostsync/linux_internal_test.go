package hostsync

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseEtcFiles(t *testing.T) {
	pw, bad := parseEtcPasswd([]byte("root:x:0:0:root:/root:/bin/bash\n\n# c\n+::::::\n-bob::::::\nx:x:1\nneg:x:-1:0:::\nbig:x:4294967296:0:::\nok:x:4294967295:5:G,e:/h:/s\r\n"))
	if bad != 3 || len(pw) != 2 {
		t.Fatalf("got %d entries, %d bad: %+v", len(pw), bad, pw)
	}
	if pw[1] != (passwdEntry{Name: "ok", Password: "x", UID: 4294967295, GID: 5, Gecos: "G,e", Home: "/h", Sh: "/s\r"}) {
		t.Errorf("got %+v", pw[1])
	}
	gr, bad := parseEtcGroup([]byte("adm:x:4:a,,b,\nempty:x:5:\nbad:x:y:\nshort:x:1\n"))
	if bad != 2 || len(gr) != 2 || !reflect.DeepEqual(gr[0].Members, []string{"a", "b"}) || gr[1].Members != nil {
		t.Errorf("got %+v, %d bad", gr, bad)
	}
	sh := parseEtcShadow([]byte("a:!:1:0:99999:7:::\nb:*:1:0:99999:7::1:\nc:*:1:0:99999:7::x:\nd:short\n"))
	if len(sh) != 3 || sh["a"].Expire != -1 || sh["b"].Expire != 1 || sh["c"].Expire != -1 || sh["a"].Password != "!" {
		t.Errorf("got %+v", sh)
	}
}

func TestUseraddArgs(t *testing.T) {
	rest, groups := useraddArgs([]string{"--create-home", "-G", "a,b", "--groups=c", "-Gd", "--shell", "/bin/zsh", "--groups", ",e,"})
	if !reflect.DeepEqual(rest, []string{"--create-home", "--shell", "/bin/zsh"}) || !reflect.DeepEqual(groups, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("got %q %q", rest, groups)
	}
	for args, want := range map[string]string{
		"":                                  DefaultShell,
		"--user-group --shell /bin/zsh":     "/bin/zsh",
		"-s /bin/fish":                      "/bin/fish",
		"-s/bin/ksh":                        "/bin/ksh",
		"--shell=/bin/dash":                 "/bin/dash",
		"--shell /usr/sbin/nologin":         DefaultShell,
		"--create-home --shell /bin/sh -m ": "/bin/sh",
	} {
		l := &Linux{Config: Config{UseraddArgs: strings.Fields(args)}}
		if got := l.shell(); got != want {
			t.Errorf("USERADD_ARGS %q: shell %q, want %q", args, got, want)
		}
	}
}

// FuzzParseEtcPasswd checks that the /etc/passwd parser never panics, that
// every entry it returns has fields a passwd line can hold, and that
// formatting the entries and parsing them again gives them back.
func FuzzParseEtcPasswd(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\nalice:x:1900000000:1900000000::/home/alice:/bin/bash\n"))
	f.Add([]byte("+@ng::::::\n# c\n\nbad\n:x:1:1:::\n"))
	f.Add([]byte("a:x:4294967295:0:::\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, bad := parseEtcPasswd(data)
		if bad < 0 {
			t.Fatal("negative bad count")
		}
		for _, e := range es {
			for _, s := range []string{e.Name, e.Password, e.Gecos, e.Home, e.Sh} {
				if strings.ContainsAny(s, ":\n") {
					t.Fatalf("field %q holds a separator", s)
				}
			}
			if e.Name == "" || strings.ContainsAny(e.Name[:1], "#+-") || e.UID < 0 || e.GID < 0 {
				t.Fatalf("accepted %+v", e)
			}
		}
		again, bad := parseEtcPasswd(formatEtcPasswd(es))
		if bad != 0 || !reflect.DeepEqual(again, es) {
			t.Fatalf("round trip: %+v != %+v (%d bad)", again, es, bad)
		}
	})
}

// FuzzParseEtcGroup is FuzzParseEtcPasswd for /etc/group.
func FuzzParseEtcGroup(f *testing.F) {
	f.Add([]byte("adm:x:4:syslog,alice\niam-synced-users:x:2000:alice,bob\n"))
	f.Add([]byte("a:x:1:,,\nb::2:\n#c\n+x:::\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, _ := parseEtcGroup(data)
		for _, e := range es {
			for _, m := range e.Members {
				if m == "" || strings.ContainsAny(m, ":,\n") {
					t.Fatalf("member %q", m)
				}
			}
		}
		again, bad := parseEtcGroup(formatEtcGroup(es))
		if bad != 0 || !reflect.DeepEqual(again, es) {
			t.Fatalf("round trip: %+v != %+v (%d bad)", again, es, bad)
		}
		parseEtcShadow(data) // must not panic
	})
}

// formatEtcPasswd and formatEtcGroup render entries back for the fuzz round trips.
func formatEtcPasswd(es []passwdEntry) []byte {
	var b bytes.Buffer
	for _, e := range es {
		fmt.Fprintf(&b, "%s:%s:%d:%d:%s:%s:%s\n", e.Name, e.Password, e.UID, e.GID, e.Gecos, e.Home, e.Sh)
	}
	return b.Bytes()
}

func formatEtcGroup(es []groupEntry) []byte {
	var b bytes.Buffer
	for _, e := range es {
		fmt.Fprintf(&b, "%s:%s:%d:%s\n", e.Name, e.Password, e.GID, strings.Join(e.Members, ","))
	}
	return b.Bytes()
}
