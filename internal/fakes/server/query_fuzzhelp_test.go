package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

func sortSlice[T any](s []T, less func(a, b int) bool) { sort.Slice(s, less) }

// signTestRequest signs req (whose body is body) as the SDK would.
func signTestRequest(t *testing.T, signer *v4.Signer, req *http.Request, body, id, secret, service string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Length", itoa(len(body)))
	err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), service, "us-east-1", time.Now())
	require.NoError(t, err)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
