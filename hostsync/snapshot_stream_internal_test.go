package hostsync

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// refKeyOK is what snapshot validation accepted before checkSnapshotKey:
// ParseKey, a canonical body, the matching fingerprint.
func refKeyOK(body, fp string) bool {
	pk, err := ParseKey(body)
	return err == nil && pk.Body == body && pk.SHA256 == fp
}

// checkSnapshotKey accepts exactly what ParseKey-based validation did.
func FuzzCheckSnapshotKey(f *testing.F) {
	seed := sha256.Sum256([]byte("fuzz"))
	pub, _ := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed[:]).Public())
	body := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	fp := ssh.FingerprintSHA256(pub)
	f.Add(body, fp)
	f.Add(body+" comment", fp)
	f.Add(" "+body, fp)
	f.Add(body, "SHA256:x")
	f.Add(strings.Replace(body, "AAAA", "AAA=", 1), fp)
	f.Add("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, body, fp string) {
		var scratch []byte
		got := checkSnapshotKey(body, fp, &scratch) == nil
		if want := refKeyOK(body, fp); got != want {
			t.Fatalf("checkSnapshotKey(%q, %q) accepts %v, ParseKey-based check %v", body, fp, got, want)
		}
	})
}
