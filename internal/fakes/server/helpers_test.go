package server_test

import (
	"crypto/sha256"
	"encoding/hex"
)

func v4sum(body string) string {
	s := sha256.Sum256([]byte(body))
	return hex.EncodeToString(s[:])
}
