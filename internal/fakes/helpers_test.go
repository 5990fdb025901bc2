package fakes_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/internal/fakes"
)

// newIAM returns a fresh account and its IAM service.
func newIAM(t *testing.T, opts ...fakes.Option) (*fakes.Account, *fakes.IAM) {
	t.Helper()
	acct := fakes.NewAccount(opts...)
	return acct, acct.IAM()
}

// mustCreateUser creates a user at the default path.
func mustCreateUser(t *testing.T, f *fakes.IAM, name string) {
	t.Helper()
	_, err := f.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(t, err)
}

// requireErrAs asserts that err unwraps (errors.As) to T and returns it.
func requireErrAs[T error](t *testing.T, err error, msgAndArgs ...any) T {
	t.Helper()
	var target T
	require.Error(t, err, msgAndArgs...)
	if !errors.As(err, &target) {
		require.Fail(t, fmt.Sprintf("want %T in the chain, got %T: %v", target, err, err), msgAndArgs...)
	}
	return target
}

// requireAPIError asserts that err is wrapped the way the SDK wraps service
// errors (a *smithy.OperationError for op) and that its API error code is code.
func requireAPIError(t *testing.T, err error, op, code string) {
	t.Helper()
	require.Error(t, err)
	var oe *smithy.OperationError
	require.Truef(t, errors.As(err, &oe), "want *smithy.OperationError, got %T: %v", err, err)
	require.Equal(t, iam.ServiceID, oe.Service())
	require.Equal(t, op, oe.Operation())
	var ae smithy.APIError
	require.Truef(t, errors.As(err, &ae), "want smithy.APIError in the chain, got %v", err)
	require.Equal(t, code, ae.ErrorCode())
}

// apiCode returns err's API error code, or "" for nil / non-API errors.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// ---- key material ----

func newEd25519Authorized(t *testing.T) (ed25519.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sk, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return pub, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sk)))
}

var rsaKeys sync.Map // bits -> *rsa.PrivateKey; RSA generation is slow under -race

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	if k, ok := rsaKeys.Load(bits); ok {
		return k.(*rsa.PrivateKey)
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	require.NoError(t, err)
	actual, _ := rsaKeys.LoadOrStore(bits, k)
	return actual.(*rsa.PrivateKey)
}

func authorizedKey(t *testing.T, pub any) string {
	t.Helper()
	sk, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sk)))
}

func pemPKIX(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// selfSignedCert returns a PEM self-signed certificate.
func selfSignedCert(t *testing.T) string {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "iamkit test"},
		NotBefore:    fakes.DefaultStart.Add(-time.Hour),
		NotAfter:     fakes.DefaultStart.Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
