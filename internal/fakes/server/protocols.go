package server

import (
	"github.com/iamkit/iamkit/internal/fakes"
)

// caller is who signed a request, as authenticate found them; nil for the
// operations AWS leaves unsigned.
type caller struct {
	AccessKeyID string
	// UserName is the IAM user that owns a long-term key; "" for the
	// account's root key and for STS session credentials.
	UserName string
	// Root is set for the account root's key.
	Root bool
	// Session is set for STS session credentials (its ARN is the
	// assumed-role, federated-user, or user ARN the session acts as).
	Session *fakes.Issued
}

// ---- Placeholders for the Cognito Identity, S3 and sign-in protocols ----
