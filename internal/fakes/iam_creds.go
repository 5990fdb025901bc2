package fakes

import (
	"context"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"
)

// IAM's per-user quotas.
const (
	MaxAccessKeysPerUser   = 2
	MaxSSHKeysPerUser      = 5
	MaxSigningCertsPerUser = 2
)

func validStatus(s types.StatusType) bool {
	return s == types.StatusTypeActive || s == types.StatusTypeInactive
}

// ---- access keys ----

// CreateAccessKey implements iam.Client.CreateAccessKey (at most two per user).
func (f *IAM) CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, _ ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateAccessKey", in, func() (*iam.CreateAccessKeyOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		if len(u.accessKeys) >= MaxAccessKeysPerUser {
			return nil, &types.LimitExceededException{Message: msg("Cannot exceed quota for AccessKeysPerUser: %d", MaxAccessKeysPerUser)}
		}
		k := &types.AccessKey{
			AccessKeyId:     aws.String(a.newID("AKIA", 16)),
			SecretAccessKey: aws.String(a.newID("", 40)),
			Status:          types.StatusTypeActive,
			UserName:        aws.String(u.name),
			CreateDate:      aws.Time(a.clock.Now().UTC()),
		}
		u.accessKeys = append(u.accessKeys, k)
		a.iam.accessKeyOwner[*k.AccessKeyId] = strings.ToLower(u.name)
		out := *k
		return &iam.CreateAccessKeyOutput{AccessKey: &out}, nil
	})
}

// ListAccessKeys implements iam.Client.ListAccessKeys.
func (f *IAM) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, _ ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListAccessKeys", in, func() (*iam.ListAccessKeysOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		var all []types.AccessKeyMetadata
		for _, k := range u.accessKeys {
			all = append(all, types.AccessKeyMetadata{AccessKeyId: k.AccessKeyId, CreateDate: k.CreateDate, Status: k.Status, UserName: k.UserName})
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListAccessKeysOutput{AccessKeyMetadata: page, IsTruncated: trunc, Marker: next}, nil
	})
}

func (u *user) accessKey(id *string) (int, error) {
	for i, k := range u.accessKeys {
		if *k.AccessKeyId == aws.ToString(id) {
			return i, nil
		}
	}
	return -1, &types.NoSuchEntityException{Message: msg("The Access Key with id %s cannot be found.", aws.ToString(id))}
}

// UpdateAccessKey implements iam.Client.UpdateAccessKey.
func (f *IAM) UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, _ ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UpdateAccessKey", in, func() (*iam.UpdateAccessKeyOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		i, err := u.accessKey(in.AccessKeyId)
		if err != nil {
			return nil, err
		}
		if !validStatus(in.Status) {
			return nil, invalidInput("Invalid status %q", in.Status)
		}
		u.accessKeys[i].Status = in.Status
		return &iam.UpdateAccessKeyOutput{}, nil
	})
}

// DeleteAccessKey implements iam.Client.DeleteAccessKey.
func (f *IAM) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteAccessKey", in, func() (*iam.DeleteAccessKeyOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		i, err := u.accessKey(in.AccessKeyId)
		if err != nil {
			return nil, err
		}
		delete(a.iam.accessKeyOwner, *u.accessKeys[i].AccessKeyId)
		u.accessKeys = append(u.accessKeys[:i], u.accessKeys[i+1:]...)
		return &iam.DeleteAccessKeyOutput{}, nil
	})
}

// ---- SSH public keys ----

// parseSSHKey accepts an OpenSSH one-line public key or a PEM-encoded
// PKIX/PKCS#1 RSA public key, as IAM does, and returns the key.
func parseSSHKey(body string) (ssh.PublicKey, error) {
	body = strings.TrimSpace(body)
	if strings.HasPrefix(body, "-----BEGIN") {
		block, _ := pem.Decode([]byte(body))
		if block == nil {
			return nil, &types.InvalidPublicKeyException{Message: msg("The public key is not a valid PEM encoding.")}
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			err = fmt.Errorf("unsupported PEM type %q", block.Type)
		}
		if err != nil {
			return nil, &types.InvalidPublicKeyException{Message: msg("The public key is invalid: %v", err)}
		}
		k, err := ssh.NewPublicKey(pub)
		if err != nil {
			return nil, &types.InvalidPublicKeyException{Message: msg("The public key is invalid: %v", err)}
		}
		return checkRSASize(k)
	}
	k, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(body))
	if err != nil || len(strings.TrimSpace(string(rest))) > 0 {
		return nil, &types.UnrecognizedPublicKeyEncodingException{Message: msg("The SSH public key is not in a recognized encoding.")}
	}
	switch k.Type() {
	case ssh.KeyAlgoRSA, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
	default:
		return nil, &types.InvalidPublicKeyException{Message: msg("Unsupported key type %s.", k.Type())}
	}
	return checkRSASize(k)
}

// checkRSASize refuses RSA keys shorter than the 2048 bits IAM requires.
func checkRSASize(k ssh.PublicKey) (ssh.PublicKey, error) {
	if ck, ok := k.(ssh.CryptoPublicKey); ok {
		if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < 2048 {
			return nil, &types.InvalidPublicKeyException{Message: msg("The public key must be at least 2048 bits; this one has %d.", rk.N.BitLen())}
		}
	}
	return k, nil
}

// md5Fingerprint is the fingerprint IAM reports: MD5 of the wire encoding,
// colon-separated hex.
func md5Fingerprint(k ssh.PublicKey) string {
	sum := md5.Sum(k.Marshal())
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

func pemEncoding(k ssh.PublicKey) (string, error) {
	ck, ok := k.(ssh.CryptoPublicKey)
	if !ok {
		return "", fmt.Errorf("key type %s has no PEM form", k.Type())
	}
	der, err := x509.MarshalPKIXPublicKey(ck.CryptoPublicKey())
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// UploadSSHPublicKey implements iam.Client.UploadSSHPublicKey: the body is
// validated, duplicates are refused and a user may hold at most five keys.
func (f *IAM) UploadSSHPublicKey(ctx context.Context, in *iam.UploadSSHPublicKeyInput, _ ...func(*iam.Options)) (*iam.UploadSSHPublicKeyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UploadSSHPublicKey", in, func() (*iam.UploadSSHPublicKeyOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		k, err := parseSSHKey(aws.ToString(in.SSHPublicKeyBody))
		if err != nil {
			return nil, err
		}
		fp := md5Fingerprint(k)
		for _, existing := range u.sshKeys {
			if *existing.Fingerprint == fp {
				return nil, &types.DuplicateSSHPublicKeyException{Message: msg("The public key is already associated with this user.")}
			}
		}
		if len(u.sshKeys) >= MaxSSHKeysPerUser {
			return nil, &types.LimitExceededException{Message: msg("Cannot exceed quota for SSHPublicKeysPerUser: %d", MaxSSHKeysPerUser)}
		}
		key := &types.SSHPublicKey{
			Fingerprint:      aws.String(fp),
			SSHPublicKeyBody: aws.String(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))),
			SSHPublicKeyId:   aws.String(a.newID("APKA", 16)),
			Status:           types.StatusTypeActive,
			UserName:         aws.String(u.name),
			UploadDate:       aws.Time(a.clock.Now().UTC()),
		}
		u.sshKeys = append(u.sshKeys, key)
		out := *key
		return &iam.UploadSSHPublicKeyOutput{SSHPublicKey: &out}, nil
	})
}

// ListSSHPublicKeys implements iam.Client.ListSSHPublicKeys (metadata only: the
// bodies come from GetSSHPublicKey).
func (f *IAM) ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, _ ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListSSHPublicKeys", in, func() (*iam.ListSSHPublicKeysOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		var all []types.SSHPublicKeyMetadata
		for _, k := range u.sshKeys {
			all = append(all, types.SSHPublicKeyMetadata{SSHPublicKeyId: k.SSHPublicKeyId, Status: k.Status, UploadDate: k.UploadDate, UserName: k.UserName})
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListSSHPublicKeysOutput{SSHPublicKeys: page, IsTruncated: trunc, Marker: next}, nil
	})
}

func (u *user) sshKey(id *string) (int, error) {
	for i, k := range u.sshKeys {
		if *k.SSHPublicKeyId == aws.ToString(id) {
			return i, nil
		}
	}
	return -1, &types.NoSuchEntityException{Message: msg("The Public Key with id %s cannot be found.", aws.ToString(id))}
}

// GetSSHPublicKey implements iam.Client.GetSSHPublicKey in the SSH or PEM encoding.
func (f *IAM) GetSSHPublicKey(ctx context.Context, in *iam.GetSSHPublicKeyInput, _ ...func(*iam.Options)) (*iam.GetSSHPublicKeyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:GetSSHPublicKey", in, func() (*iam.GetSSHPublicKeyOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		i, err := u.sshKey(in.SSHPublicKeyId)
		if err != nil {
			return nil, err
		}
		out := *u.sshKeys[i]
		switch in.Encoding {
		case types.EncodingTypeSsh:
		case types.EncodingTypePem:
			k, err := parseSSHKey(*out.SSHPublicKeyBody)
			if err != nil {
				return nil, err
			}
			p, err := pemEncoding(k)
			if err != nil {
				return nil, &types.UnrecognizedPublicKeyEncodingException{Message: msg("%v", err)}
			}
			out.SSHPublicKeyBody = aws.String(p)
		default:
			return nil, invalidInput("Encoding must be SSH or PEM, not %q", in.Encoding)
		}
		return &iam.GetSSHPublicKeyOutput{SSHPublicKey: &out}, nil
	})
}

// UpdateSSHPublicKey implements iam.Client.UpdateSSHPublicKey (Active/Inactive).
func (f *IAM) UpdateSSHPublicKey(ctx context.Context, in *iam.UpdateSSHPublicKeyInput, _ ...func(*iam.Options)) (*iam.UpdateSSHPublicKeyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UpdateSSHPublicKey", in, func() (*iam.UpdateSSHPublicKeyOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		i, err := u.sshKey(in.SSHPublicKeyId)
		if err != nil {
			return nil, err
		}
		if !validStatus(in.Status) {
			return nil, invalidInput("Invalid status %q", in.Status)
		}
		u.sshKeys[i].Status = in.Status
		return &iam.UpdateSSHPublicKeyOutput{}, nil
	})
}

// DeleteSSHPublicKey implements iam.Client.DeleteSSHPublicKey.
func (f *IAM) DeleteSSHPublicKey(ctx context.Context, in *iam.DeleteSSHPublicKeyInput, _ ...func(*iam.Options)) (*iam.DeleteSSHPublicKeyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteSSHPublicKey", in, func() (*iam.DeleteSSHPublicKeyOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		i, err := u.sshKey(in.SSHPublicKeyId)
		if err != nil {
			return nil, err
		}
		u.sshKeys = append(u.sshKeys[:i], u.sshKeys[i+1:]...)
		return &iam.DeleteSSHPublicKeyOutput{}, nil
	})
}

// ---- signing certificates ----

// UploadSigningCertificate implements iam.Client.UploadSigningCertificate; the
// body must be a PEM certificate.
func (f *IAM) UploadSigningCertificate(ctx context.Context, in *iam.UploadSigningCertificateInput, _ ...func(*iam.Options)) (*iam.UploadSigningCertificateOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UploadSigningCertificate", in, func() (*iam.UploadSigningCertificateOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode([]byte(aws.ToString(in.CertificateBody)))
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, &types.MalformedCertificateException{Message: msg("The certificate is not PEM-encoded.")}
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, &types.MalformedCertificateException{Message: msg("The certificate is malformed: %v", err)}
		}
		if len(u.certs) >= MaxSigningCertsPerUser {
			return nil, &types.LimitExceededException{Message: msg("Cannot exceed quota for SigningCertificatesPerUser: %d", MaxSigningCertsPerUser)}
		}
		c := &types.SigningCertificate{
			CertificateBody: in.CertificateBody,
			CertificateId:   aws.String(a.newID("", 32)),
			Status:          types.StatusTypeActive,
			UserName:        aws.String(u.name),
			UploadDate:      aws.Time(a.clock.Now().UTC()),
		}
		u.certs = append(u.certs, c)
		out := *c
		return &iam.UploadSigningCertificateOutput{Certificate: &out}, nil
	})
}

// ListSigningCertificates implements iam.Client.ListSigningCertificates.
func (f *IAM) ListSigningCertificates(ctx context.Context, in *iam.ListSigningCertificatesInput, _ ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListSigningCertificates", in, func() (*iam.ListSigningCertificatesOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		var all []types.SigningCertificate
		for _, c := range u.certs {
			all = append(all, *c)
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListSigningCertificatesOutput{Certificates: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// DeleteSigningCertificate implements iam.Client.DeleteSigningCertificate.
func (f *IAM) DeleteSigningCertificate(ctx context.Context, in *iam.DeleteSigningCertificateInput, _ ...func(*iam.Options)) (*iam.DeleteSigningCertificateOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteSigningCertificate", in, func() (*iam.DeleteSigningCertificateOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		for i, c := range u.certs {
			if *c.CertificateId == aws.ToString(in.CertificateId) {
				u.certs = append(u.certs[:i], u.certs[i+1:]...)
				return &iam.DeleteSigningCertificateOutput{}, nil
			}
		}
		return nil, &types.NoSuchEntityException{Message: msg("The Certificate with id %s cannot be found.", aws.ToString(in.CertificateId))}
	})
}

// ---- service-specific credentials ----

// CreateServiceSpecificCredential implements iam.Client.CreateServiceSpecificCredential.
func (f *IAM) CreateServiceSpecificCredential(ctx context.Context, in *iam.CreateServiceSpecificCredentialInput, _ ...func(*iam.Options)) (*iam.CreateServiceSpecificCredentialOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateServiceSpecificCredential", in, func() (*iam.CreateServiceSpecificCredentialOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		svc := aws.ToString(in.ServiceName)
		switch svc {
		case "codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com":
		default:
			return nil, &types.ServiceNotSupportedException{Message: msg("Service %s is not supported.", svc)}
		}
		n := 0
		for _, c := range u.serviceCreds {
			if *c.ServiceName == svc {
				n++
			}
		}
		if n >= 2 {
			return nil, &types.LimitExceededException{Message: msg("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")}
		}
		c := &types.ServiceSpecificCredential{
			CreateDate:                  aws.Time(a.clock.Now().UTC()),
			ServiceName:                 aws.String(svc),
			ServiceSpecificCredentialId: aws.String(a.newID("ACCA", 17)),
			Status:                      types.StatusTypeActive,
			UserName:                    aws.String(u.name),
			ServiceUserName:             aws.String(u.name + "-at-" + a.id),
			ServicePassword:             aws.String(a.newID("", 44)),
		}
		u.serviceCreds = append(u.serviceCreds, c)
		out := *c
		return &iam.CreateServiceSpecificCredentialOutput{ServiceSpecificCredential: &out}, nil
	})
}

// ListServiceSpecificCredentials implements iam.Client.ListServiceSpecificCredentials.
func (f *IAM) ListServiceSpecificCredentials(ctx context.Context, in *iam.ListServiceSpecificCredentialsInput, _ ...func(*iam.Options)) (*iam.ListServiceSpecificCredentialsOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListServiceSpecificCredentials", in, func() (*iam.ListServiceSpecificCredentialsOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		var all []types.ServiceSpecificCredentialMetadata
		for _, c := range u.serviceCreds {
			if in.ServiceName != nil && *in.ServiceName != *c.ServiceName {
				continue
			}
			all = append(all, types.ServiceSpecificCredentialMetadata{
				CreateDate: c.CreateDate, ServiceName: c.ServiceName, ServiceSpecificCredentialId: c.ServiceSpecificCredentialId,
				Status: c.Status, UserName: c.UserName, ServiceUserName: c.ServiceUserName,
			})
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListServiceSpecificCredentialsOutput{ServiceSpecificCredentials: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// DeleteServiceSpecificCredential implements iam.Client.DeleteServiceSpecificCredential.
func (f *IAM) DeleteServiceSpecificCredential(ctx context.Context, in *iam.DeleteServiceSpecificCredentialInput, _ ...func(*iam.Options)) (*iam.DeleteServiceSpecificCredentialOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteServiceSpecificCredential", in, func() (*iam.DeleteServiceSpecificCredentialOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		for i, c := range u.serviceCreds {
			if *c.ServiceSpecificCredentialId == aws.ToString(in.ServiceSpecificCredentialId) {
				u.serviceCreds = append(u.serviceCreds[:i], u.serviceCreds[i+1:]...)
				return &iam.DeleteServiceSpecificCredentialOutput{}, nil
			}
		}
		return nil, &types.NoSuchEntityException{Message: msg("No such credential %s.", aws.ToString(in.ServiceSpecificCredentialId))}
	})
}
