package mfa

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/iamkit/iamkit/mfa/credfile"
)

// Errors Setup returns (wrapped). Test with errors.Is. In every case the
// credentials file is left untouched.
var (
	// ErrSectionExists: the long-term section already holds keys and the
	// request does not allow replacing them (SetupRequest.Overwrite).
	ErrSectionExists = errors.New("long-term section already exists")
	// ErrInvalidAccessKey: the access key ID or secret is missing or
	// malformed, or the key is a temporary one (ASIA...), which has no place
	// in a long-term section.
	ErrInvalidAccessKey = errors.New("invalid access key")
)

// SetupRequest is what Setup writes: aws-mfa's --setup, as a value. Only
// the two keys are required.
type SetupRequest struct {
	// Profile whose long-term section is written; default $AWS_PROFILE,
	// else "default".
	Profile string
	// LongTermSuffix and ShortTermSuffix name the sections as for Session
	// (default: [PROFILE-long-term] and [PROFILE]); they must differ.
	LongTermSuffix, ShortTermSuffix string
	// AccessKeyID and SecretAccessKey are the IAM user's long-term access
	// key. The secret is written to the file and nowhere else.
	AccessKeyID, SecretAccessKey string
	// Device, when set, is written as aws_mfa_device: the MFA device's
	// serial number (an ARN for a virtual device).
	Device string
	// CredentialsPath is the credentials file; default
	// $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials.
	CredentialsPath string
	// Overwrite allows replacing the keys of a long-term section that
	// already holds some; its other keys and comments are kept either way.
	Overwrite bool
}

// SetupResult says what Setup wrote.
type SetupResult struct {
	// Section is the long-term section written ("dev-long-term").
	Section string
	// CredentialsPath is the file written.
	CredentialsPath string
	// Replaced is true when the section held keys before.
	Replaced bool
}

var accessKeyIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z0-9]{16,128}$`) })

// Setup writes the long-term section Session reads — aws_access_key_id,
// aws_secret_access_key and, when given, aws_mfa_device — into the
// credentials file, under its lock and atomically (credfile.UpdateContext):
// every other byte of the file is kept, the file ends up with mode 0600. It
// checks the request before touching the file and refuses to replace
// existing keys unless req.Overwrite is set. It reads the option
// WithGetenv.
func Setup(ctx context.Context, req SetupRequest, opts ...Option) (*SetupResult, error) {
	o := newSettings(opts)
	e := o.sessionEnv()
	profile := req.Profile
	if profile == "" {
		profile = e.getenv(EnvProfile)
	}
	if profile == "" {
		profile = "default"
	}
	long, _, err := sectionNames(profile, req.LongTermSuffix, req.ShortTermSuffix)
	if err != nil {
		return nil, err
	}
	id, secret := strings.TrimSpace(req.AccessKeyID), strings.TrimSpace(req.SecretAccessKey)
	switch {
	case id == "":
		return nil, fmt.Errorf("mfa: setup: %w: the access key ID is missing", ErrInvalidAccessKey)
	case strings.HasPrefix(id, "ASIA"):
		return nil, fmt.Errorf("mfa: setup: %w: %s is a temporary key (ASIA...); the long-term section needs the IAM user's access key (AKIA...)", ErrInvalidAccessKey, id)
	case !accessKeyIDRE().MatchString(id):
		return nil, fmt.Errorf("mfa: setup: %w: the access key ID must be 16 to 128 capital letters and digits (AKIA...)", ErrInvalidAccessKey)
	case secret == "":
		return nil, fmt.Errorf("mfa: setup: %w: the secret access key is missing", ErrInvalidAccessKey)
	case strings.ContainsAny(secret, " \t\r\n#;"):
		// Never quoted: it is a secret.
		return nil, fmt.Errorf("mfa: setup: %w: the secret access key holds a space or a comment character", ErrInvalidAccessKey)
	}
	if req.Device != "" && !mfaSerialRE().MatchString(req.Device) {
		return nil, fmt.Errorf("mfa: setup: %w: %q is not an MFA device serial number or ARN", ErrNoDevice, req.Device)
	}
	path := req.CredentialsPath
	if path == "" {
		if path, err = credfile.CredentialsPath(e.getenv); err != nil {
			return nil, fmt.Errorf("mfa: setup: %w", err)
		}
	}
	res := &SetupResult{Section: long, CredentialsPath: path}
	err = credfile.UpdateContext(ctx, path, func(f *credfile.File) error {
		if s, ok := f.Section(long); ok {
			_, hasID := s.Get(keyAccessKeyID)
			_, hasSecret := s.Get(keySecretKey)
			res.Replaced = hasID || hasSecret
		}
		if res.Replaced && !req.Overwrite {
			return fmt.Errorf("mfa: setup: %w: [%s] in %s already holds keys (overwrite to replace them)", ErrSectionExists, long, path)
		}
		kvs := []credfile.KeyValue{{Key: keyAccessKeyID, Value: id}, {Key: keySecretKey, Value: secret}}
		if req.Device != "" {
			kvs = append(kvs, credfile.KeyValue{Key: keyMFADevice, Value: req.Device})
		}
		for _, kv := range kvs {
			if err := f.Set(long, kv.Key, kv.Value); err != nil {
				return fmt.Errorf("mfa: setup: [%s]: %w", long, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.log.Info("mfa: long-term keys written", "section", long, "path", path, "access_key_id", id)
	return res, nil
}
