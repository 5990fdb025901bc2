package hostsync_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

func TestParseKey(t *testing.T) {
	ed := testdataKey(t, "ed25519.pub")
	edBody := strings.Join(strings.Fields(ed)[:2], " ")
	tests := []struct {
		name     string
		in       string
		wantType string
		wantBody string
		sha256   string // as ssh-keygen -lf -E sha256 prints it
		md5      string // as ssh-keygen -lf -E md5 prints it, without "MD5:"
		bits     int
		comment  string
		wantErr  string
	}{
		{
			name: "ed25519 with comment", in: ed, wantType: "ssh-ed25519", wantBody: edBody, comment: "alice@laptop",
			sha256: "SHA256:4AOVUV3rcNNy2tvuRvcQsVPTvcjvxuTmoambZhVN+Yg", md5: "00:75:e9:09:8e:f6:4f:40:78:0d:69:65:04:75:2f:64",
		},
		{
			name: "surrounding white space and CRLF", in: "  " + ed + "\r\n", wantType: "ssh-ed25519", wantBody: edBody, comment: "alice@laptop",
			sha256: "SHA256:4AOVUV3rcNNy2tvuRvcQsVPTvcjvxuTmoambZhVN+Yg",
		},
		{
			name: "ecdsa", in: testdataKey(t, "ecdsa.pub"), wantType: "ecdsa-sha2-nistp256", comment: "bob",
			sha256: "SHA256:WlEwsrKj/wgwrgVuluwTH3pFApttt2cbg2zVEQLehdk", md5: "79:e8:38:88:c7:a2:3c:7e:73:95:db:ed:ae:1b:a4:6a",
		},
		{
			name: "rsa 2048", in: testdataKey(t, "rsa2048.pub"), wantType: "ssh-rsa", bits: 2048, comment: "carol@corp",
			sha256: "SHA256:kwjY3Aie7jpjOkApzX6e05yFrjO1ahM7PrlRPLwxE9c", md5: "5e:e8:59:53:7d:9e:be:3c:ff:76:39:10:cb:64:51:f5",
		},
		{name: "rsa 1024 too weak", in: testdataKey(t, "rsa1024.pub"), wantErr: "RSA key of 1024 bits"},
		{name: "dsa", in: testdataKey(t, "dsa.pub"), wantErr: "ssh-dss"},
		{name: "certificate", in: testdataKey(t, "ed25519-cert.pub"), wantErr: "certificates"},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "blank", in: " \n\t", wantErr: "empty"},
		{name: "garbage", in: "not a key", wantErr: "invalid SSH public key"},
		{name: "bad base64", in: "ssh-ed25519 AAAA!!!!", wantErr: "invalid SSH public key"},
		{name: "truncated blob", in: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBhR5LQk", wantErr: "invalid SSH public key"},
		{name: "two keys", in: ed + "\n" + testdataKey(t, "ecdsa.pub"), wantErr: "more than one line"},
		{name: "smuggled second line", in: edBody + " x\ncommand=\"/bin/sh\" " + edBody, wantErr: "more than one line"},
		{name: "options", in: `command="/bin/sh" ` + ed, wantErr: "options are not allowed"},
		{name: "from option", in: `from="10.0.0.1" ` + ed, wantErr: "options are not allowed"},
		{name: "comment line", in: "# " + ed, wantErr: "comment"},
		{name: "NUL", in: ed + "\x00", wantErr: "more than one line"},
		{name: "too long", in: edBody + " " + strings.Repeat("c", hostsync.MaxKeyLen), wantErr: "bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pk, err := hostsync.ParseKey(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, hostsync.ErrInvalidKey)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantType, pk.Type)
			if tt.wantBody != "" {
				assert.Equal(t, tt.wantBody, pk.Body)
			}
			assert.Equal(t, tt.sha256, pk.SHA256)
			if tt.md5 != "" {
				assert.Equal(t, tt.md5, pk.MD5)
			}
			assert.Equal(t, tt.bits, pk.Bits)
			assert.Equal(t, tt.comment, pk.Comment)
			assert.NotContains(t, pk.Body, "\n")
			assert.Len(t, strings.Fields(pk.Body), 2, "type and blob only, no comment")
			// The canonical body parses to the same key.
			again, err := hostsync.ParseKey(pk.Body)
			require.NoError(t, err)
			assert.Equal(t, pk.SHA256, again.SHA256)
			assert.Equal(t, pk.Body, again.Body)
		})
	}
}
