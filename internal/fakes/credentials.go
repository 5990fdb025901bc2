package fakes

import (
	"crypto/sha256"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// credState holds the account root's long-term access key, created on first
// use by RootAccessKey.
type credState struct {
	rootID, rootSecret string
}

// Key is what the account knows of an access key ID a request was signed
// with: an IAM user's long-term key, the root's key, or STS session
// credentials. A server authenticating requests (SigV4) checks the signature
// with SecretAccessKey, and SessionToken and Expiration for sessions.
type Key struct {
	// AccessKeyID and SecretAccessKey are the key pair.
	AccessKeyID, SecretAccessKey string
	// UserName is the IAM user owning a long-term key ("" for the root's key
	// and for session credentials).
	UserName string
	// Root is set for the account root's key (RootAccessKey).
	Root bool
	// Active is false for an IAM user's key whose status is Inactive.
	Active bool
	// Temporary is set for temporary credentials the account's STS (or
	// Cognito) issued, and Session then holds them: the request must carry
	// its SessionToken, and is refused once the account's clock reaches its
	// Expiration.
	Temporary bool
	// Session is what the account's STS issued, when Temporary is set.
	Session Issued
}

// RootAccessKey returns the account root's long-term access key, creating it
// on first use: a request signed with it acts as the root, as the in-process
// fakes do by default (Account.STS answers as the root).
func (a *Account) RootAccessKey() (accessKeyID, secretAccessKey string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.creds.rootID == "" {
		// Derived from the account ID alone, not from the ID sequence, so
		// that taking the root key does not shift the IDs of what the
		// account creates next (a test comparing an account served over
		// the wire with one used in process gets the same IDs).
		a.creds.rootID = "AKIA" + derivedID(a.id+"/root-key-id", 16)
		a.creds.rootSecret = derivedID(a.id+"/root-secret", 40)
	}
	return a.creds.rootID, a.creds.rootSecret
}

// LookupKey returns what the account knows of accessKeyID: the root's key, an
// IAM user's access key (Active or Inactive), or STS session credentials
// (expired ones included: the caller compares Session.Expiration with the
// account's clock). ok is false for a key the account never issued or has
// deleted.
func (a *Account) LookupKey(accessKeyID string) (k Key, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if accessKeyID == "" {
		return Key{}, false
	}
	if accessKeyID == a.creds.rootID {
		return Key{AccessKeyID: accessKeyID, SecretAccessKey: a.creds.rootSecret, Root: true, Active: true}, true
	}
	if owner, found := a.iam.accessKeyOwner[accessKeyID]; found {
		u, exists := a.iam.users[owner]
		if !exists {
			return Key{}, false
		}
		for _, ak := range u.accessKeys {
			if aws.ToString(ak.AccessKeyId) == accessKeyID {
				return Key{
					AccessKeyID: accessKeyID, SecretAccessKey: aws.ToString(ak.SecretAccessKey),
					UserName: u.name, Active: ak.Status == types.StatusTypeActive,
				}, true
			}
		}
		return Key{}, false
	}
	if c, found := a.sts.issued[accessKeyID]; found {
		cp := *c
		return Key{AccessKeyID: accessKeyID, SecretAccessKey: c.SecretAccessKey, Active: true, Temporary: true, Session: cp}, true
	}
	return Key{}, false
}

// STSAsSession returns the account's STS service called with the temporary
// credentials accessKeyID that the account's STS issued: GetCallerIdentity
// answers with the session's ARN (assumed-role, federated-user, or the IAM
// user or root that called GetSessionToken), and GetSessionToken and
// GetFederationToken are refused, as STS refuses them to session
// credentials. Once the session has expired on the account's clock, its
// calls answer ExpiredToken (uncounted), as STS and the server do. It
// panics if the account never issued the key: that is a bug in the test.
func (a *Account) STSAsSession(accessKeyID string) *STS {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.sts.issued[accessKeyID]
	if !ok {
		panic("fakes: the account's STS never issued " + accessKeyID)
	}
	s := &STS{a: a, session: c}
	if c.Kind == KindSessionToken {
		// A user's GetSessionToken session acts as that user (MFA checks).
		if _, name, found := strings.Cut(c.ARN, ":user/"); found {
			name = name[strings.LastIndex(name, "/")+1:]
			if _, exists := a.iam.users[strings.ToLower(name)]; exists {
				s.caller = strings.ToLower(name)
			}
		}
	}
	return s
}

// sessionIdentity answers GetCallerIdentity for session credentials. Callers
// hold a.mu.
func (s *STS) sessionIdentity() *sts.GetCallerIdentityOutput {
	a, c := s.a, s.session
	out := &sts.GetCallerIdentityOutput{Account: aws.String(a.id), Arn: aws.String(c.ARN)}
	_, resource, _ := strings.Cut(c.ARN, ":"+a.id+":")
	switch {
	case strings.HasPrefix(resource, "assumed-role/"):
		parts := strings.Split(resource, "/") // assumed-role/ROLE/SESSION
		id := "AROA"
		if r, ok := a.iam.roles[strings.ToLower(parts[1])]; ok {
			id = r.id
		}
		out.UserId = aws.String(id + ":" + parts[len(parts)-1])
	case strings.HasPrefix(resource, "federated-user/"):
		out.UserId = aws.String(a.id + ":" + strings.TrimPrefix(resource, "federated-user/"))
	case s.caller != "":
		if u, ok := a.iam.users[s.caller]; ok {
			out.UserId = aws.String(u.id)
		}
	default:
		out.UserId = aws.String(a.id)
	}
	return out
}

// refuseSession is the error STS returns when session credentials call
// GetSessionToken or GetFederationToken.
func (s *STS) refuseSession(op string) error {
	if s.session == nil {
		return nil
	}
	return accessDenied("Cannot call %s with session credentials", op)
}

// refuseCredentials is STS's answer to credentials it no longer accepts,
// given before the call is counted, as the server's SigV4 check refuses
// them: ExpiredToken for session credentials past their expiration on the
// account's clock, InvalidClientTokenId for an access key (Account.STSAs)
// made Inactive or deleted since.
func (s *STS) refuseCredentials() error {
	switch {
	case s.session != nil:
		if !s.a.clock.Now().Before(s.session.Expiration) {
			return &smithy.GenericAPIError{Code: "ExpiredToken", Message: "The security token included in the request is expired", Fault: smithy.FaultClient}
		}
	case s.key != "":
		if k, ok := s.a.LookupKey(s.key); !ok || !k.Active {
			return &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Fault: smithy.FaultClient}
		}
	}
	return nil
}

// derivedID returns n characters of IAM's ID alphabet derived from seed.
func derivedID(seed string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		h := sha256.Sum256([]byte(seed + "/" + strconv.Itoa(i)))
		for _, c := range h {
			if b.Len() == n {
				break
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
		}
	}
	return b.String()
}
