package hostsync_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

func TestLinuxName(t *testing.T) {
	tests := []struct {
		iam     string
		want    string
		wantErr string // substring of the reason; "" means success
	}{
		{iam: "alice", want: "alice"},
		{iam: "bob@corp.com", want: "bob.at.corp.com"},
		{iam: "a+b", want: "a.plus.b"},
		{iam: "a=b", want: "a.equal.b"},
		{iam: "a,b", want: "a.comma.b"},
		{iam: "x+y=z,w@v", want: "x.plus.y.equal.z.comma.w.at.v"},
		{iam: "John.Doe", want: "John.Doe"}, // case kept, as aws-ec2-ssh does
		{iam: "under_score-dash", want: "under_score-dash"},
		{iam: "root", want: "root"}, // reservation is Plan's business
		{iam: strings.Repeat("a", 32), want: strings.Repeat("a", 32)},
		{iam: "+x", want: ".plus.x"},
		{iam: "bob.at.corp.com", wantErr: "would read back as IAM user \"bob@corp.com\""},
		{iam: "a.AT.b", wantErr: "read back"},
		{iam: "x.plus.y", wantErr: "read back"},
		{iam: "x.Comma.y", wantErr: "read back"},
		{iam: "..", wantErr: "\".\" and \"..\""},
		{iam: ".", wantErr: "\".\" and \"..\""},
		{iam: "-rf", wantErr: "must not start with '-'"},
		{iam: "12345", wantErr: "all-digit"},
		{iam: strings.Repeat("n", 40), wantErr: "40 characters long"},
		{iam: strings.Repeat("a", 33), wantErr: "more than 32"},
		{iam: "averyveryverylongname@example.com", wantErr: "more than 32"},
		{iam: "", wantErr: "empty"},
		{iam: strings.Repeat("a", 65), wantErr: "longer than 64"},
		{iam: "bob smith", wantErr: "not allowed in an IAM user name"},
		{iam: "bob/x", wantErr: "not allowed"},
		{iam: "bob$", wantErr: "not allowed"},
		{iam: "zoë", wantErr: "not allowed"},
		{iam: "a\nb", wantErr: "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.iam, func(t *testing.T) {
			got, err := hostsync.LinuxName(tt.iam)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, hostsync.ErrInvalidName)
				var ne *hostsync.NameError
				require.ErrorAs(t, err, &ne)
				assert.Equal(t, tt.iam, ne.Name)
				assert.Contains(t, ne.Reason, tt.wantErr)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.NoError(t, hostsync.ValidLinuxName(got))
			back, err := hostsync.IAMName(got)
			require.NoError(t, err)
			assert.Equal(t, tt.iam, back, "round trip")
		})
	}
}

func TestIAMName(t *testing.T) {
	tests := []struct {
		linux   string
		want    string
		wantErr bool
	}{
		{linux: "alice", want: "alice"},
		{linux: "bob.at.corp.com", want: "bob@corp.com"},
		{linux: "x.plus.y.equal.z.comma.w.at.v", want: "x+y=z,w@v"},
		{linux: ".plus.x", want: "+x"},
		{linux: "John.Doe", want: "John.Doe"},
		{linux: "bob.AT.corp.com", wantErr: true}, // LinuxName spells it .at.
		{linux: "-rf", wantErr: true},
		{linux: "..", wantErr: true},
		{linux: "", wantErr: true},
		{linux: "bob@corp.com", wantErr: true},
		{linux: strings.Repeat("a", 33), wantErr: true},
		{linux: "a.at..at.b", want: "a@@b"},
		{linux: "a.at.at.b", want: "a@at.b"},
	}
	for _, tt := range tests {
		t.Run(tt.linux, func(t *testing.T) {
			got, err := hostsync.IAMName(tt.linux)
			if tt.wantErr {
				assert.ErrorIs(t, err, hostsync.ErrInvalidName)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			again, err := hostsync.LinuxName(got)
			require.NoError(t, err)
			assert.Equal(t, tt.linux, again)
		})
	}
}

func TestMapNames(t *testing.T) {
	tests := []struct {
		name        string
		in          []string
		wantMapped  map[string]string
		wantRefused map[string]string // IAM name → substring of reason
	}{
		{
			name:       "plain",
			in:         []string{"alice", "bob@corp.com"},
			wantMapped: map[string]string{"alice": "alice", "bob@corp.com": "bob.at.corp.com"},
		},
		{
			name:        "bob@corp.com vs bob.at.corp.com: the literal one is refused",
			in:          []string{"bob.at.corp.com", "bob@corp.com"},
			wantMapped:  map[string]string{"bob@corp.com": "bob.at.corp.com"},
			wantRefused: map[string]string{"bob.at.corp.com": "read back as IAM user \"bob@corp.com\""},
		},
		{
			name:        "the literal one is refused even alone",
			in:          []string{"bob.at.corp.com"},
			wantMapped:  map[string]string{},
			wantRefused: map[string]string{"bob.at.corp.com": "read back"},
		},
		{
			name:        "names equal ignoring case: both refused",
			in:          []string{"Bob", "bob", "carol"},
			wantMapped:  map[string]string{"carol": "carol"},
			wantRefused: map[string]string{"Bob": "collides (ignoring case) with that of IAM user \"bob\"", "bob": "collides (ignoring case) with that of IAM user \"Bob\""},
		},
		{
			name:       "duplicates count once",
			in:         []string{"alice", "alice"},
			wantMapped: map[string]string{"alice": "alice"},
		},
		{
			name:        "invalid names refused",
			in:          []string{"-rf", "..", strings.Repeat("x", 40), "ok"},
			wantMapped:  map[string]string{"ok": "ok"},
			wantRefused: map[string]string{"-rf": "'-'", "..": "\"..\"", strings.Repeat("x", 40): "40 characters"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 { // order never matters
				in := append([]string(nil), tt.in...)
				rand.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
				mapped, refused := hostsync.MapNames(in)
				assert.Equal(t, tt.wantMapped, mapped)
				require.Len(t, refused, len(tt.wantRefused))
				for n, sub := range tt.wantRefused {
					require.Contains(t, refused, n)
					assert.ErrorIs(t, refused[n], hostsync.ErrInvalidName)
					assert.Contains(t, refused[n].Error(), sub)
				}
			}
		})
	}
}

func TestValidLinuxName(t *testing.T) {
	for _, ok := range []string{"a", "a.b", "a_b", "a-b", "A1", ".hidden", strings.Repeat("z", 32)} {
		assert.NoError(t, hostsync.ValidLinuxName(ok), ok)
	}
	for _, bad := range []string{"", ".", "..", "-a", "123", "a b", "a:b", "a/b", "a@b", strings.Repeat("z", 33), "é"} {
		err := hostsync.ValidLinuxName(bad)
		assert.ErrorIs(t, err, hostsync.ErrInvalidName, bad)
	}
}

func TestIsReserved(t *testing.T) {
	tests := []struct {
		name  string
		extra []string
		want  bool
	}{
		{name: "root", want: true},
		{name: "ROOT", want: true},
		{name: "ec2-user", want: true},
		{name: "ubuntu", want: true},
		{name: "admin", want: true},
		{name: "Admin", want: true},
		{name: "nobody", want: true},
		{name: "sshd", want: true},
		{name: "systemd-resolve", want: true},
		{name: "_apt", want: true},
		{name: "alice", want: false},
		{name: "alice", extra: []string{"Alice"}, want: true},
		{name: "rooted", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, hostsync.IsReserved(tt.name, tt.extra...))
		})
	}
	// DefaultReserved returns a copy: changing it changes nothing.
	r := hostsync.DefaultReserved()
	r[0] = "changed"
	assert.True(t, hostsync.IsReserved("root"))
}

func TestSudoersFileName(t *testing.T) {
	tests := []struct{ user, want string }{
		{"alice", "iamkit-alice"},
		{"bob.at.corp.com", "iamkit-bob%at%corp%com"},
		{"90-cloud-init-users", "iamkit-90-cloud-init-users"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := hostsync.SudoersFileName(tt.user)
		assert.Equal(t, tt.want, got)
		assert.NotContains(t, got, ".", "sudo skips drop-ins with a '.'")
		assert.NotContains(t, seen, got)
		seen[got] = tt.user
	}
	// bob.smith and bob_smith must not share a file.
	assert.NotEqual(t, hostsync.SudoersFileName("bob.smith"), hostsync.SudoersFileName("bob_smith"))
	assert.Equal(t, "bob.at.corp.com ALL=(ALL) NOPASSWD:ALL", hostsync.SudoersLine("bob.at.corp.com"))
}

func TestNameErrorIs(t *testing.T) {
	_, err := hostsync.LinuxName("-rf")
	assert.True(t, errors.Is(err, hostsync.ErrInvalidName))
	assert.Contains(t, err.Error(), `"-rf"`)
}
