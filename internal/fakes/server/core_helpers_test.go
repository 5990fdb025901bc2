package server_test

import (
	"bytes"
	"crypto/ed25519"

	"crypto/sha256"
	"encoding/hex"

	"github.com/aws/smithy-go/middleware"
)

func v4sum(body string) string {
	s := sha256.Sum256([]byte(body))
	return hex.EncodeToString(s[:])
}

func ed25519Key() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	return ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
}

func noMetadata() middleware.Metadata { return middleware.Metadata{} }
