package hostsync_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/iamkit/iamkit/hostsync"
)

// FuzzParseConfig checks that ParseConfig never panics, that every error is
// a *ConfigError wrapping ErrInvalidConfig with a line number within the
// input, and that whatever it accepts is valid and survives Format and
// ParseConfig unchanged. Seeds: testdata/fuzz/FuzzParseConfig.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("IAM_AUTHORIZED_GROUPS=\"linux-member\" #comment\nSUDOERS_GROUPS=\"##ALL##\"\nDONOTSYNC=0\n"))
	f.Add([]byte("export LOCAL_GROUPS='docker',adm\nUSERADD_ARGS=\"--comment \\\"x\\\"\"\n"))
	f.Add([]byte("ASSUMEROLE=$(curl x)\n"))
	f.Add([]byte("X=1\r\nY"))
	f.Add([]byte("IAM_AUTHORIZED_GROUPS=devs\nSUDOER_GROUPS=admins\nFOO=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := hostsync.ParseConfig(data)
		if err != nil {
			var ce *hostsync.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, hostsync.ErrInvalidConfig) {
				t.Fatalf("error %v is not a ConfigError wrapping ErrInvalidConfig", err)
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; ce.Line < 0 || ce.Line > lines {
				t.Fatalf("error on line %d of a %d-line input", ce.Line, lines)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid config: %v", err)
		}
		// Unknown keys: warnings that name the line and the key, and exactly
		// what StrictConfig refuses, at the first of them.
		for _, w := range c.Warnings {
			if !errors.Is(w, hostsync.ErrUnknownKey) || w.Key == "" || w.Line < 1 || w.Line > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("bad warning %#v", w)
			}
		}
		_, serr := hostsync.ParseConfig(data, hostsync.StrictConfig())
		var sce *hostsync.ConfigError
		switch {
		case len(c.Warnings) == 0 && serr != nil:
			t.Fatalf("StrictConfig refuses what has no warning: %v", serr)
		case len(c.Warnings) > 0 && (!errors.As(serr, &sce) || !errors.Is(serr, hostsync.ErrUnknownKey) || sce.Line != c.Warnings[0].Line):
			t.Fatalf("StrictConfig error %v, want the first warning %v", serr, c.Warnings[0])
		}
		again, err := hostsync.ParseConfig([]byte(c.Format()))
		if err != nil {
			t.Fatalf("Format output does not parse: %v\n%s", err, c.Format())
		}
		if len(again.Warnings) > 0 {
			t.Fatalf("Format wrote unknown keys: %v", again.Warnings)
		}
		if again.Format() != c.Format() {
			t.Fatalf("round trip changed the config:\n%s\n---\n%s", c.Format(), again.Format())
		}
	})
}

// FuzzLinuxName checks the name mapping: LinuxName and IAMName never panic,
// what LinuxName accepts is a valid Linux name that IAMName maps back, and
// what IAMName accepts LinuxName maps back. Seeds:
// testdata/fuzz/FuzzLinuxName.
func FuzzLinuxName(f *testing.F) {
	for _, s := range []string{"alice", "bob@corp.com", "bob.at.corp.com", "..", "-rf", "a+b=c,d@e", strings.Repeat("x", 40), "Bob.AT.x", ".plus."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		linux, err := hostsync.LinuxName(name)
		if err != nil {
			if !errors.Is(err, hostsync.ErrInvalidName) {
				t.Fatalf("LinuxName(%q): %v does not wrap ErrInvalidName", name, err)
			}
		} else {
			if verr := hostsync.ValidLinuxName(linux); verr != nil {
				t.Fatalf("LinuxName(%q) = %q, invalid: %v", name, linux, verr)
			}
			back, err := hostsync.IAMName(linux)
			if err != nil || back != name {
				t.Fatalf("IAMName(LinuxName(%q)=%q) = %q, %v", name, linux, back, err)
			}
		}
		iam, err := hostsync.IAMName(name)
		if err != nil {
			if !errors.Is(err, hostsync.ErrInvalidName) {
				t.Fatalf("IAMName(%q): %v does not wrap ErrInvalidName", name, err)
			}
			return
		}
		if again, err := hostsync.LinuxName(iam); err != nil || again != name {
			t.Fatalf("LinuxName(IAMName(%q)=%q) = %q, %v", name, iam, again, err)
		}
	})
}

// FuzzMapNames checks injectivity on pairs: two distinct IAM names never get
// Linux names equal up to case, every name is either mapped or refused, and
// order does not matter. Seeds: testdata/fuzz/FuzzMapNames.
func FuzzMapNames(f *testing.F) {
	f.Add("bob@corp.com", "bob.at.corp.com")
	f.Add("Bob", "bob")
	f.Add("a+b", "a.plus.b")
	f.Add("x.AT.y", "x@y")
	f.Add("same", "same")
	f.Fuzz(func(t *testing.T, a, b string) {
		mapped, refused := hostsync.MapNames([]string{a, b})
		mapped2, refused2 := hostsync.MapNames([]string{b, a})
		for _, n := range []string{a, b} {
			_, m := mapped[n]
			_, r := refused[n]
			if m == r {
				t.Fatalf("%q mapped=%v refused=%v", n, m, r)
			}
			if mapped[n] != mapped2[n] || (refused[n] == nil) != (refused2[n] == nil) {
				t.Fatalf("order changed the result for %q", n)
			}
		}
		if a != b {
			la, oka := mapped[a]
			lb, okb := mapped[b]
			if oka && okb && strings.EqualFold(la, lb) {
				t.Fatalf("%q and %q both map to %q/%q", a, b, la, lb)
			}
		}
		for n, l := range mapped {
			if back, err := hostsync.IAMName(l); err != nil || back != n {
				t.Fatalf("IAMName(%q) = %q, %v; want %q", l, back, err, n)
			}
		}
	})
}

// FuzzParseKey checks that ParseKey never panics, rejects with
// ErrInvalidKey, and returns for every accepted key a canonical one-line body
// that parses to the same fingerprint. Seeds: testdata/fuzz/FuzzParseKey.
func FuzzParseKey(f *testing.F) {
	f.Add(pubKey("seed"))
	f.Add("command=\"/bin/sh\" " + pubKey("opt"))
	f.Add("ssh-rsa AAAA")
	f.Add(pubKey("a") + "\n" + pubKey("b"))
	f.Fuzz(func(t *testing.T, body string) {
		pk, err := hostsync.ParseKey(body)
		if err != nil {
			if !errors.Is(err, hostsync.ErrInvalidKey) {
				t.Fatalf("ParseKey: %v does not wrap ErrInvalidKey", err)
			}
			return
		}
		if strings.ContainsAny(pk.Body, "\r\n\x00") || len(strings.Fields(pk.Body)) != 2 {
			t.Fatalf("body %q is not one canonical line", pk.Body)
		}
		if !strings.HasPrefix(pk.SHA256, "SHA256:") || strings.Count(pk.MD5, ":") != 15 {
			t.Fatalf("fingerprints %q %q", pk.SHA256, pk.MD5)
		}
		again, err := hostsync.ParseKey(pk.Body)
		if err != nil || again.SHA256 != pk.SHA256 || again.Body != pk.Body {
			t.Fatalf("canonical body %q does not parse back: %v", pk.Body, err)
		}
	})
}

// FuzzParseState checks that ParseState never panics, rejects with
// ErrCorruptState, and that what it accepts marshals back to a state that
// parses equal. Seeds: testdata/fuzz/FuzzParseState.
func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"version":1,"missing":{"bob":1},"locked":["bob"],"uids":[{"user_id":"AIDA1","name":"alice","uid":1900000001}]}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"version":1,"uids":[{"user_id":"A","name":"a","uid":5000},{"user_id":"B","name":"b","uid":5000}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := hostsync.ParseState(data)
		if err != nil {
			if !errors.Is(err, hostsync.ErrCorruptState) {
				t.Fatalf("ParseState: %v does not wrap ErrCorruptState", err)
			}
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := hostsync.ParseState(out)
		if err != nil || !back.Equal(s) {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
	})
}

// FuzzPlanSafety plans arbitrary IAM names against a host holding reserved,
// system and unmanaged accounts, and checks that no action ever targets one
// of them, that every action's user is a valid Linux name, and that what Plan
// creates maps back to the IAM user. Seeds: testdata/fuzz/FuzzPlanSafety.
func FuzzPlanSafety(f *testing.F) {
	f.Add("root,ubuntu,alice,bob@corp.com,bob.at.corp.com,-rf,..,admin", "mine")
	f.Add("ec2-user,Root,svc,mine,iam-synced-users", "svc")
	f.Fuzz(func(t *testing.T, names, unmanaged string) {
		host := hostsync.HostState{Users: []hostsync.HostUser{
			{Name: "root", UID: 0, Groups: []string{"root", hostsync.DefaultMarkerGroup}},
			{Name: "svc", UID: 300, Groups: []string{hostsync.DefaultMarkerGroup}},
			{Name: "ubuntu", UID: 1000, Groups: []string{"sudo"}},
			{Name: "mine", UID: 5000, Groups: []string{hostsync.DefaultMarkerGroup}},
		}}
		protected := map[string]bool{"root": true, "svc": true, "ubuntu": true}
		if hostsync.ValidLinuxName(unmanaged) == nil && unmanaged != "mine" && !protected[unmanaged] {
			host.Users = append(host.Users, hostsync.HostUser{Name: unmanaged, UID: 6000})
			protected[unmanaged] = true
		}
		var d hostsync.Desired
		d.Complete = true
		for i, n := range strings.Split(names, ",") {
			d.Users = append(d.Users, hostsync.DesiredUser{IAMUserID: "AIDA" + strings.Repeat("X", i), IAMName: n})
		}
		p := hostsync.Plan(d, host, hostsync.Config{})
		for _, a := range p.Actions {
			if a.User == "" {
				continue
			}
			if protected[a.User] || hostsync.IsReserved(a.User) {
				t.Fatalf("action on protected user: %s", a)
			}
			if err := hostsync.ValidLinuxName(a.User); err != nil {
				t.Fatalf("action on invalid name: %s: %v", a, err)
			}
			if a.Kind == hostsync.ActCreateUser {
				if back, err := hostsync.IAMName(a.User); err != nil || back != a.IAMName {
					t.Fatalf("created %q for IAM %q, which maps back to %q (%v)", a.User, a.IAMName, back, err)
				}
				if a.UID < hostsync.DefaultUIDMin || a.UID > hostsync.DefaultUIDMax {
					t.Fatalf("UID %d outside the range", a.UID)
				}
			}
		}
	})
}

// FuzzRoleAccount: RoleAccount never panics, and an account it returns is
// twelve digits, which the ARN holds in its account field.
func FuzzRoleAccount(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/hostsync")
	f.Add("arn:aws:iam::123456789012:user/bob")
	f.Fuzz(func(t *testing.T, s string) {
		acct, err := hostsync.RoleAccount(s)
		if err != nil {
			if !errors.Is(err, hostsync.ErrInvalidValue) {
				t.Fatalf("%q: error %v does not wrap ErrInvalidValue", s, err)
			}
			return
		}
		if len(acct) != 12 || strings.Trim(acct, "0123456789") != "" || !strings.Contains(s, ":"+acct+":role/") {
			t.Fatalf("%q: account %q", s, acct)
		}
	})
}
