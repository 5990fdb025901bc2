package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfSigned writes a certificate for 127.0.0.1 and its key in dir and
// returns their paths and the pool that trusts it.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

// consolebroker refuses plain HTTP on a non-loopback address before
// serving anything, and serves HTTPS with --tls-cert/--tls-key.
func TestConsoleBrokerListening(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	env := map[string]string{"BROKER_AUTH": "header", "BROKER_PROXY_SECRET": "a-secret-only-the-proxy-knows", "BROKER_SOURCE": "assume-role",
		"BROKER_ROLES_FILE": w.rolesFile("arn:aws:iam::" + w.srv.Account().ID() + ":role/Admin")}

	r := w.run(consolebrokerBin, env, "", "--addr", "0.0.0.0:0")
	assert.Equal(t, 2, r.code, r) // an invalid configuration: nothing started
	assert.Contains(t, r.stderr, "not a loopback address and there is no TLS", r)
	assert.Contains(t, r.stderr, "--insecure-http")

	cert, key, pool := selfSigned(t, w.home)
	addr := freeAddr(t)
	cb := w.start(consolebrokerBin, env, "--addr", addr, "--tls-cert", cert, "--tls-key", key)
	cb.waitListening(addr)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "served over TLS")
	assert.Equal(t, uint16(tls.VersionTLS13), resp.TLS.Version)
	_, err = (&http.Client{Timeout: 30 * time.Second}).Get("http://" + addr + "/")
	if err == nil {
		// Go's TLS server answers a plain request with 400; either way no
		// plain-HTTP broker is there.
		t.Log("plain HTTP got an answer from the TLS port (Go's 400 for HTTP on an HTTPS port)")
	}
	code, logs := cb.stop(syscall.SIGTERM)
	assert.Equal(t, 0, code, logs)
	assert.Contains(t, logs, `"tls":true`)
}
