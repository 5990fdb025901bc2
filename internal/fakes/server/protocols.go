package server

// caller is who signed a request, as authenticate found them; nil for the
// operations AWS leaves unsigned.
type caller struct {
	AccessKeyID string
	// UserName is the IAM user that owns a long-term key; "" for the
	// account's root key and for STS session credentials.
	UserName string
	// Session is set for STS session credentials.
	Session *struct{ ARN string }
}
