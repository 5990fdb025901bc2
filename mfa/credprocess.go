package mfa

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ProcessCredentials is the JSON document a credential_process command
// prints on stdout, as the AWS CLI and SDKs read it (Version 1; see the
// SDK's credentials/processcreds). Expiration is ISO 8601 (RFC 3339, UTC);
// it is left out for credentials that do not expire, which the SDK then
// never refreshes.
type ProcessCredentials struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string `json:",omitempty"`
	Expiration      string `json:",omitempty"`
}

// NewProcessCredentials returns c as a credential_process document.
func NewProcessCredentials(c aws.Credentials) ProcessCredentials {
	p := ProcessCredentials{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if c.CanExpire {
		p.Expiration = c.Expires.UTC().Format(time.RFC3339)
	}
	return p
}

// MarshalProcessCredentials encodes c as credential_process output: one
// JSON object and a newline. Credentials without an access key ID or a
// secret are refused. The result holds the secret: write it to the
// process's stdout and nowhere else.
func MarshalProcessCredentials(c aws.Credentials) ([]byte, error) {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, errors.New("mfa: credential_process: incomplete credentials")
	}
	b, err := json.Marshal(NewProcessCredentials(c))
	if err != nil {
		return nil, fmt.Errorf("mfa: credential_process: %w", err)
	}
	return append(b, '\n'), nil
}
