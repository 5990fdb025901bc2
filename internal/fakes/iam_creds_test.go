package fakes_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/internal/fakes"
)

// ---- login profile and password policy ----

func TestLoginProfileDefaultPasswordPolicy(t *testing.T) {
	tests := []struct {
		password string
		ok       bool
	}{
		{"Passw0rd", true},    // upper, lower, digit
		{"passw0rd!", true},   // lower, digit, symbol
		{"PASSWORD1!", true},  // upper, digit, symbol
		{"Password!", true},   // upper, lower, symbol
		{"Pa1!", false},       // four classes but 4 characters
		{"Passw0r", false},    // 7 characters
		{"password", false},   // one class
		{"passw0rd", false},   // two classes
		{"Password", false},   // two classes
		{"password!!", false}, // two classes
		{"12345678!", false},  // two classes
		{"", false},
		{strings.Repeat("Aa1!", 33), false}, // 132 characters: over IAM's 128
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.password), func(t *testing.T) {
			acct, f := newIAM(t)
			mustCreateUser(t, f, "alice")
			out, err := f.CreateLoginProfile(context.Background(), &iam.CreateLoginProfileInput{
				UserName: aws.String("alice"), Password: aws.String(tt.password), PasswordResetRequired: true,
			})
			if !tt.ok {
				requireErrAs[*types.PasswordPolicyViolationException](t, err)
				requireAPIError(t, err, "CreateLoginProfile", "PasswordPolicyViolation")
				_, has := acct.Password("alice")
				assert.False(t, has)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "alice", aws.ToString(out.LoginProfile.UserName))
			assert.True(t, out.LoginProfile.PasswordResetRequired)
			pw, has := acct.Password("alice")
			assert.True(t, has)
			assert.Equal(t, tt.password, pw)
		})
	}
}

func TestLoginProfileExplicitPasswordPolicy(t *testing.T) {
	tests := []struct {
		name     string
		policy   iam.UpdateAccountPasswordPolicyInput
		password string
		ok       bool
	}{
		{"min length 6 only: one class is enough", iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(6)}, "abcdef", true},
		{"min length 6 only: 5 characters", iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(6)}, "abcde", false},
		{"length 14: 13 characters", iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14)}, "Abcdefghijk1!", false},
		{"length 14: 14 characters", iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14)}, "Abcdefghijkl1!", true},
		{"uppercase required: missing", iam.UpdateAccountPasswordPolicyInput{RequireUppercaseCharacters: true}, "lower1234!", false},
		{"uppercase required: present", iam.UpdateAccountPasswordPolicyInput{RequireUppercaseCharacters: true}, "Lower1234!", true},
		{"lowercase required: missing", iam.UpdateAccountPasswordPolicyInput{RequireLowercaseCharacters: true}, "UPPER1234!", false},
		{"lowercase required: present", iam.UpdateAccountPasswordPolicyInput{RequireLowercaseCharacters: true}, "UPPEr1234!", true},
		{"numbers required: missing", iam.UpdateAccountPasswordPolicyInput{RequireNumbers: true}, "NoNumbers!", false},
		{"numbers required: present", iam.UpdateAccountPasswordPolicyInput{RequireNumbers: true}, "N0Numbers!", true},
		{"symbols required: missing", iam.UpdateAccountPasswordPolicyInput{RequireSymbols: true}, "NoSymbols1", false},
		{"symbols required: present", iam.UpdateAccountPasswordPolicyInput{RequireSymbols: true}, "NoSymbols1|", true},
		{"symbols required: '.' is not an IAM symbol", iam.UpdateAccountPasswordPolicyInput{RequireSymbols: true}, "NoSymbols1.", false},
		{"everything required", iam.UpdateAccountPasswordPolicyInput{
			MinimumPasswordLength: aws.Int32(12), RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
			RequireNumbers: true, RequireSymbols: true,
		}, "Correct-Horse-9", true},
		{"no requirements: default length 6", iam.UpdateAccountPasswordPolicyInput{}, "abcdef", true},
		{"no requirements: 5 characters", iam.UpdateAccountPasswordPolicyInput{}, "abcde", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			_, f := newIAM(t)
			mustCreateUser(t, f, "alice")
			_, err := f.UpdateAccountPasswordPolicy(ctx, &tt.policy)
			require.NoError(t, err)
			_, err = f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String(tt.password)})
			if tt.ok {
				require.NoError(t, err)
			} else {
				requireErrAs[*types.PasswordPolicyViolationException](t, err)
			}
		})
	}
}

func TestAccountPasswordPolicyLifecycle(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)

	_, err := f.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	requireErrAs[*types.NoSuchEntityException](t, err)
	requireAPIError(t, err, "GetAccountPasswordPolicy", "NoSuchEntity")
	_, err = f.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	requireErrAs[*types.NoSuchEntityException](t, err)

	_, err = f.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{})
	require.NoError(t, err)
	got, err := f.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	require.NoError(t, err)
	assert.Equal(t, int32(6), aws.ToInt32(got.PasswordPolicy.MinimumPasswordLength),
		"UpdateAccountPasswordPolicy without MinimumPasswordLength uses the documented default of 6")
	assert.False(t, got.PasswordPolicy.ExpirePasswords)

	_, err = f.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(14), RequireSymbols: true, RequireNumbers: true,
		MaxPasswordAge: aws.Int32(90), PasswordReusePrevention: aws.Int32(5), AllowUsersToChangePassword: true,
	})
	require.NoError(t, err)
	got, err = f.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	require.NoError(t, err)
	p := got.PasswordPolicy
	assert.Equal(t, int32(14), aws.ToInt32(p.MinimumPasswordLength))
	assert.True(t, p.RequireSymbols)
	assert.True(t, p.RequireNumbers)
	assert.False(t, p.RequireUppercaseCharacters, "each update replaces the whole policy")
	assert.True(t, p.ExpirePasswords)
	assert.Equal(t, int32(90), aws.ToInt32(p.MaxPasswordAge))
	assert.Equal(t, int32(5), aws.ToInt32(p.PasswordReusePrevention))
	assert.True(t, p.AllowUsersToChangePassword)

	for _, n := range []int32{5, 129} {
		_, err = f.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(n)})
		requireErrAs[*types.InvalidInputException](t, err)
	}

	_, err = f.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	require.NoError(t, err)
	_, err = f.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	requireErrAs[*types.NoSuchEntityException](t, err)

	// Back to IAM's default policy.
	mustCreateUser(t, f, "alice")
	_, err = f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("abcdef")})
	requireErrAs[*types.PasswordPolicyViolationException](t, err)
}

func TestLoginProfileLifecycle(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	user := aws.String("alice")

	_, err := f.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: user})
	requireErrAs[*types.NoSuchEntityException](t, err)
	_, err = f.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: user, Password: aws.String("Passw0rd!")})
	requireErrAs[*types.NoSuchEntityException](t, err)
	_, err = f.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: user})
	requireErrAs[*types.NoSuchEntityException](t, err)
	_, err = f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("ghost"), Password: aws.String("Passw0rd!")})
	requireErrAs[*types.NoSuchEntityException](t, err)

	_, err = f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: user, Password: aws.String("Passw0rd!"), PasswordResetRequired: true})
	require.NoError(t, err)
	_, err = f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: user, Password: aws.String("Passw0rd!")})
	requireErrAs[*types.EntityAlreadyExistsException](t, err)

	lp, err := f.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: user})
	require.NoError(t, err)
	assert.True(t, lp.LoginProfile.PasswordResetRequired)
	assert.Equal(t, acct.Clock().Now(), aws.ToTime(lp.LoginProfile.CreateDate))

	_, err = f.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: user, Password: aws.String("weak")})
	requireErrAs[*types.PasswordPolicyViolationException](t, err)
	pw, _ := acct.Password("alice")
	assert.Equal(t, "Passw0rd!", pw, "a refused update keeps the old password")

	_, err = f.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: user, Password: aws.String("N3w-Passw0rd"), PasswordResetRequired: aws.Bool(false)})
	require.NoError(t, err)
	pw, _ = acct.Password("alice")
	assert.Equal(t, "N3w-Passw0rd", pw)
	lp, err = f.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: user})
	require.NoError(t, err)
	assert.False(t, lp.LoginProfile.PasswordResetRequired)

	_, err = f.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: user})
	require.NoError(t, err)
	_, has := acct.Password("alice")
	assert.False(t, has)
}

// ---- access keys ----

func TestAccessKeys(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	user := aws.String("alice")

	var ids []string
	for range fakes.MaxAccessKeysPerUser {
		out, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
		require.NoError(t, err)
		k := out.AccessKey
		assert.Regexp(t, `^AKIA[A-Z2-7]{16}$`, aws.ToString(k.AccessKeyId))
		assert.Len(t, aws.ToString(k.SecretAccessKey), 40)
		assert.Equal(t, types.StatusTypeActive, k.Status)
		assert.Equal(t, "alice", aws.ToString(k.UserName))
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	assert.NotEqual(t, ids[0], ids[1])

	_, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	requireErrAs[*types.LimitExceededException](t, err)
	requireAPIError(t, err, "CreateAccessKey", "LimitExceeded")

	_, err = f.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: aws.String(ids[0]), Status: types.StatusTypeInactive})
	require.NoError(t, err)
	_, err = f.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: aws.String(ids[0]), Status: "Expired"})
	requireErrAs[*types.InvalidInputException](t, err)
	_, err = f.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: aws.String("AKIANOTAKEY000000000"), Status: types.StatusTypeInactive})
	requireErrAs[*types.NoSuchEntityException](t, err)

	list, err := f.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: user})
	require.NoError(t, err)
	require.Len(t, list.AccessKeyMetadata, 2)
	assert.Equal(t, ids[0], aws.ToString(list.AccessKeyMetadata[0].AccessKeyId))
	assert.Equal(t, types.StatusTypeInactive, list.AccessKeyMetadata[0].Status)
	assert.Equal(t, types.StatusTypeActive, list.AccessKeyMetadata[1].Status)

	_, err = f.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: aws.String(ids[0])})
	require.NoError(t, err)
	_, err = f.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: aws.String(ids[0])})
	requireErrAs[*types.NoSuchEntityException](t, err)
	_, err = f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	require.NoError(t, err, "a deleted key frees its slot")
}

// ---- SSH public keys ----

func TestUploadSSHPublicKey(t *testing.T) {
	ctx := context.Background()
	ecdsaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaPub := &rsaKey(t, 2048).PublicKey

	tests := []struct {
		name string
		pub  any
		body string
	}{
		{"ed25519 authorized_keys line", edPub, authorizedKey(t, edPub)},
		{"ed25519 with a comment", edPub, authorizedKey(t, edPub) + " alice@laptop"},
		{"rsa 2048 authorized_keys line", rsaPub, authorizedKey(t, rsaPub) + "\n"},
		{"rsa 2048 PEM (PKIX)", rsaPub, pemPKIX(t, rsaPub)},
		{"rsa 2048 PEM (PKCS#1)", rsaPub, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rsaPub)}))},
		{"ecdsa p256", &ecdsaKey.PublicKey, authorizedKey(t, &ecdsaKey.PublicKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct, f := newIAM(t)
			mustCreateUser(t, f, "alice")
			out, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(tt.body)})
			require.NoError(t, err)
			k := out.SSHPublicKey

			sk, err := ssh.NewPublicKey(tt.pub)
			require.NoError(t, err)
			sum := md5.Sum(sk.Marshal())
			hexes := make([]string, len(sum))
			for i, b := range sum {
				hexes[i] = fmt.Sprintf("%02x", b)
			}
			assert.Equal(t, strings.Join(hexes, ":"), aws.ToString(k.Fingerprint), "MD5 of the wire key, colon hex")
			assert.Regexp(t, `^([0-9a-f]{2}:){15}[0-9a-f]{2}$`, aws.ToString(k.Fingerprint))
			assert.Regexp(t, `^APKA[A-Z2-7]{16}$`, aws.ToString(k.SSHPublicKeyId))
			assert.Equal(t, types.StatusTypeActive, k.Status)
			assert.Equal(t, "alice", aws.ToString(k.UserName))
			assert.Equal(t, acct.Clock().Now(), aws.ToTime(k.UploadDate))

			got, err := f.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyId: k.SSHPublicKeyId, Encoding: types.EncodingTypeSsh})
			require.NoError(t, err)
			parsed, _, _, _, err := ssh.ParseAuthorizedKey([]byte(aws.ToString(got.SSHPublicKey.SSHPublicKeyBody)))
			require.NoError(t, err)
			assert.Equal(t, sk.Marshal(), parsed.Marshal())
			assert.Equal(t, aws.ToString(k.Fingerprint), aws.ToString(got.SSHPublicKey.Fingerprint))

			pemOut, err := f.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyId: k.SSHPublicKeyId, Encoding: types.EncodingTypePem})
			require.NoError(t, err)
			block, _ := pem.Decode([]byte(aws.ToString(pemOut.SSHPublicKey.SSHPublicKeyBody)))
			require.NotNil(t, block, "PEM encoding")
			assert.Equal(t, "PUBLIC KEY", block.Type)
			pkix, err := x509.ParsePKIXPublicKey(block.Bytes)
			require.NoError(t, err)
			assert.Equal(t, tt.pub, pkix)
		})
	}
}

func TestUploadSSHPublicKeyRefused(t *testing.T) {
	ctx := context.Background()
	small := &rsaKey(t, 1024).PublicKey
	_, edBody := newEd25519Authorized(t)
	tests := []struct {
		name, body string
		code       string
		check      func(t *testing.T, err error)
	}{
		{"garbage", "this is not a key", "UnrecognizedPublicKeyEncoding", func(t *testing.T, err error) {
			requireErrAs[*types.UnrecognizedPublicKeyEncodingException](t, err)
		}},
		{"empty", "", "UnrecognizedPublicKeyEncoding", func(t *testing.T, err error) {
			requireErrAs[*types.UnrecognizedPublicKeyEncodingException](t, err)
		}},
		{"truncated base64", edBody[:len(edBody)-10], "UnrecognizedPublicKeyEncoding", func(t *testing.T, err error) {
			requireErrAs[*types.UnrecognizedPublicKeyEncodingException](t, err)
		}},
		{"two keys", edBody + "\n" + edBody, "UnrecognizedPublicKeyEncoding", func(t *testing.T, err error) {
			requireErrAs[*types.UnrecognizedPublicKeyEncodingException](t, err)
		}},
		{"PEM with garbage inside", "-----BEGIN PUBLIC KEY-----\nZ2FyYmFnZQ==\n-----END PUBLIC KEY-----\n", "InvalidPublicKey", func(t *testing.T, err error) {
			requireErrAs[*types.InvalidPublicKeyException](t, err)
		}},
		{"PEM of another type", "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n", "InvalidPublicKey", func(t *testing.T, err error) {
			requireErrAs[*types.InvalidPublicKeyException](t, err)
		}},
		{"rsa 1024 (under IAM's 2048-bit minimum)", authorizedKey(t, small), "InvalidPublicKey", func(t *testing.T, err error) {
			requireErrAs[*types.InvalidPublicKeyException](t, err)
		}},
		{"rsa 1024 PEM", pemPKIX(t, small), "InvalidPublicKey", func(t *testing.T, err error) {
			requireErrAs[*types.InvalidPublicKeyException](t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, f := newIAM(t)
			mustCreateUser(t, f, "alice")
			_, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(tt.body)})
			requireAPIError(t, err, "UploadSSHPublicKey", tt.code)
			tt.check(t, err)
			list, err := f.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("alice")})
			require.NoError(t, err)
			assert.Empty(t, list.SSHPublicKeys)
		})
	}

	t.Run("unknown user", func(t *testing.T) {
		_, f := newIAM(t)
		_, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("ghost"), SSHPublicKeyBody: aws.String(edBody)})
		requireErrAs[*types.NoSuchEntityException](t, err)
	})
}

func TestSSHPublicKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	mustCreateUser(t, f, "bob")
	user := aws.String("alice")

	var bodies, ids []string
	for range fakes.MaxSSHKeysPerUser {
		_, body := newEd25519Authorized(t)
		out, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: user, SSHPublicKeyBody: aws.String(body)})
		require.NoError(t, err)
		bodies = append(bodies, body)
		ids = append(ids, aws.ToString(out.SSHPublicKey.SSHPublicKeyId))
	}

	t.Run("duplicate refused", func(t *testing.T) {
		_, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: user, SSHPublicKeyBody: aws.String(bodies[0] + " other-comment")})
		requireErrAs[*types.DuplicateSSHPublicKeyException](t, err)
		requireAPIError(t, err, "UploadSSHPublicKey", "DuplicateSSHPublicKey")
	})
	t.Run("the same key may belong to another user", func(t *testing.T) {
		_, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("bob"), SSHPublicKeyBody: aws.String(bodies[0])})
		require.NoError(t, err)
	})
	t.Run("sixth key exceeds the limit", func(t *testing.T) {
		_, body := newEd25519Authorized(t)
		_, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: user, SSHPublicKeyBody: aws.String(body)})
		requireErrAs[*types.LimitExceededException](t, err)
		requireAPIError(t, err, "UploadSSHPublicKey", "LimitExceeded")
	})
	t.Run("Active and Inactive through UpdateSSHPublicKey", func(t *testing.T) {
		status := func(id string) types.StatusType {
			out, err := f.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String(id), Encoding: types.EncodingTypeSsh})
			require.NoError(t, err)
			return out.SSHPublicKey.Status
		}
		_, err := f.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String(ids[1]), Status: types.StatusTypeInactive})
		require.NoError(t, err)
		assert.Equal(t, types.StatusTypeInactive, status(ids[1]))
		assert.Equal(t, types.StatusTypeActive, status(ids[0]))

		list, err := f.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: user})
		require.NoError(t, err)
		require.Len(t, list.SSHPublicKeys, fakes.MaxSSHKeysPerUser)
		assert.Equal(t, types.StatusTypeInactive, list.SSHPublicKeys[1].Status)

		_, err = f.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String(ids[1]), Status: types.StatusTypeActive})
		require.NoError(t, err)
		assert.Equal(t, types.StatusTypeActive, status(ids[1]))

		_, err = f.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String(ids[1]), Status: "Disabled"})
		requireErrAs[*types.InvalidInputException](t, err)
		_, err = f.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String("APKANOPE"), Status: types.StatusTypeInactive})
		requireErrAs[*types.NoSuchEntityException](t, err)
	})
	t.Run("GetSSHPublicKey errors", func(t *testing.T) {
		_, err := f.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String(ids[0])})
		requireErrAs[*types.InvalidInputException](t, err) // Encoding is required
		_, err = f.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String("APKANOPE"), Encoding: types.EncodingTypeSsh})
		requireErrAs[*types.NoSuchEntityException](t, err)
		_, err = f.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("bob"), SSHPublicKeyId: aws.String(ids[0]), Encoding: types.EncodingTypeSsh})
		requireErrAs[*types.NoSuchEntityException](t, err, "a key ID of another user")
	})
	t.Run("delete frees a slot", func(t *testing.T) {
		_, err := f.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String(ids[0])})
		require.NoError(t, err)
		_, err = f.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String(ids[0])})
		requireErrAs[*types.NoSuchEntityException](t, err)
		_, err = f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: user, SSHPublicKeyBody: aws.String(bodies[0])})
		require.NoError(t, err, "a deleted key can be uploaded again")
	})
}

// ---- signing certificates and service-specific credentials ----

func TestSigningCertificates(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	user := aws.String("alice")

	_, err := f.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: user, CertificateBody: aws.String("not a cert")})
	requireErrAs[*types.MalformedCertificateException](t, err)
	_, err = f.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: user, CertificateBody: aws.String("-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n")})
	requireErrAs[*types.MalformedCertificateException](t, err)

	var ids []string
	for range fakes.MaxSigningCertsPerUser {
		body := selfSignedCert(t)
		out, err := f.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: user, CertificateBody: aws.String(body)})
		require.NoError(t, err)
		assert.Equal(t, body, aws.ToString(out.Certificate.CertificateBody))
		assert.Equal(t, types.StatusTypeActive, out.Certificate.Status)
		ids = append(ids, aws.ToString(out.Certificate.CertificateId))
	}
	_, err = f.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: user, CertificateBody: aws.String(selfSignedCert(t))})
	requireErrAs[*types.LimitExceededException](t, err)

	list, err := f.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: user})
	require.NoError(t, err)
	assert.Len(t, list.Certificates, 2)

	_, err = f.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: user, CertificateId: aws.String(ids[0])})
	require.NoError(t, err)
	_, err = f.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: user, CertificateId: aws.String(ids[0])})
	requireErrAs[*types.NoSuchEntityException](t, err)
}

func TestServiceSpecificCredentials(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	user := aws.String("alice")

	_, err := f.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: user, ServiceName: aws.String("s3.amazonaws.com")})
	requireErrAs[*types.ServiceNotSupportedException](t, err)

	var ids []string
	for range 2 {
		out, err := f.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: user, ServiceName: aws.String("codecommit.amazonaws.com")})
		require.NoError(t, err)
		c := out.ServiceSpecificCredential
		assert.Equal(t, "alice-at-"+acct.ID(), aws.ToString(c.ServiceUserName))
		assert.NotEmpty(t, aws.ToString(c.ServicePassword))
		ids = append(ids, aws.ToString(c.ServiceSpecificCredentialId))
	}
	_, err = f.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: user, ServiceName: aws.String("codecommit.amazonaws.com")})
	requireErrAs[*types.LimitExceededException](t, err)
	_, err = f.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: user, ServiceName: aws.String("cassandra.amazonaws.com")})
	require.NoError(t, err, "the quota is per service")

	list, err := f.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: user, ServiceName: aws.String("codecommit.amazonaws.com")})
	require.NoError(t, err)
	assert.Len(t, list.ServiceSpecificCredentials, 2)

	_, err = f.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: user, ServiceSpecificCredentialId: aws.String(ids[0])})
	require.NoError(t, err)
	_, err = f.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: user, ServiceSpecificCredentialId: aws.String(ids[0])})
	requireErrAs[*types.NoSuchEntityException](t, err)
}

// ---- DeleteUser ----

// TestDeleteUserRefusesWhileDependenciesRemain checks each kind of dependency
// IAM makes DeleteUser wait for, one at a time.
func TestDeleteUserRefusesWhileDependenciesRemain(t *testing.T) {
	ctx := context.Background()
	user := aws.String("leaver")

	tests := []struct {
		name   string
		add    func(t *testing.T, acct *fakes.Account, f *fakes.IAM) (remove func() error)
		inText string // what the DeleteConflict message names
	}{
		{"login profile", func(t *testing.T, _ *fakes.Account, f *fakes.IAM) func() error {
			_, err := f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: user, Password: aws.String("Passw0rd!")})
			require.NoError(t, err)
			return func() error {
				_, err := f.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: user})
				return err
			}
		}, "login profile"},
		{"access key", func(t *testing.T, _ *fakes.Account, f *fakes.IAM) func() error {
			out, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
			require.NoError(t, err)
			return func() error {
				_, err := f.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: out.AccessKey.AccessKeyId})
				return err
			}
		}, "access keys"},
		{"signing certificate", func(t *testing.T, _ *fakes.Account, f *fakes.IAM) func() error {
			out, err := f.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: user, CertificateBody: aws.String(selfSignedCert(t))})
			require.NoError(t, err)
			return func() error {
				_, err := f.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: user, CertificateId: out.Certificate.CertificateId})
				return err
			}
		}, "signing certificates"},
		{"SSH public key", func(t *testing.T, _ *fakes.Account, f *fakes.IAM) func() error {
			_, body := newEd25519Authorized(t)
			out, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: user, SSHPublicKeyBody: aws.String(body)})
			require.NoError(t, err)
			return func() error {
				_, err := f.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: user, SSHPublicKeyId: out.SSHPublicKey.SSHPublicKeyId})
				return err
			}
		}, "SSH public keys"},
		{"service-specific credential", func(t *testing.T, _ *fakes.Account, f *fakes.IAM) func() error {
			out, err := f.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: user, ServiceName: aws.String("codecommit.amazonaws.com")})
			require.NoError(t, err)
			return func() error {
				_, err := f.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: user, ServiceSpecificCredentialId: out.ServiceSpecificCredential.ServiceSpecificCredentialId})
				return err
			}
		}, "service-specific credentials"},
		{"assigned MFA device", func(t *testing.T, acct *fakes.Account, f *fakes.IAM) func() error {
			serial := enableVirtualMFA(t, acct, f, "leaver", "leaver-phone")
			// Deactivating leaves an unassigned device behind, which must not block.
			return func() error {
				_, err := f.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: user, SerialNumber: aws.String(serial)})
				return err
			}
		}, "MFA devices"},
		{"inline policy", func(t *testing.T, _ *fakes.Account, f *fakes.IAM) func() error {
			_, err := f.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
			require.NoError(t, err)
			return func() error {
				_, err := f.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: user, PolicyName: aws.String("p")})
				return err
			}
		}, "inline policies"},
		{"attached policy", func(t *testing.T, _ *fakes.Account, f *fakes.IAM) func() error {
			arn := aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")
			_, err := f.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: user, PolicyArn: arn})
			require.NoError(t, err)
			return func() error {
				_, err := f.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: user, PolicyArn: arn})
				return err
			}
		}, "attached policies"},
		{"group membership", func(t *testing.T, _ *fakes.Account, f *fakes.IAM) func() error {
			_, err := f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")})
			require.NoError(t, err)
			_, err = f.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: user, GroupName: aws.String("g")})
			require.NoError(t, err)
			return func() error {
				_, err := f.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: user, GroupName: aws.String("g")})
				return err
			}
		}, "group memberships"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct, f := newIAM(t)
			mustCreateUser(t, f, "leaver")
			remove := tt.add(t, acct, f)

			_, err := f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user})
			conflict := requireErrAs[*types.DeleteConflictException](t, err)
			requireAPIError(t, err, "DeleteUser", "DeleteConflict")
			assert.Contains(t, conflict.ErrorMessage(), tt.inText)
			_, err = f.GetUser(ctx, &iam.GetUserInput{UserName: user})
			require.NoError(t, err, "a refused DeleteUser keeps the user")

			require.NoError(t, remove())
			_, err = f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user})
			require.NoError(t, err)
			_, err = f.GetUser(ctx, &iam.GetUserInput{UserName: user})
			requireErrAs[*types.NoSuchEntityException](t, err)
		})
	}

	t.Run("all at once, then removed one by one", func(t *testing.T) {
		acct, f := newIAM(t)
		mustCreateUser(t, f, "leaver")
		var removers []func() error
		for _, tt := range tests {
			removers = append(removers, tt.add(t, acct, f))
		}
		for i, remove := range removers {
			_, err := f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user})
			requireErrAs[*types.DeleteConflictException](t, err, "with %d dependencies left", len(removers)-i)
			require.NoError(t, remove())
		}
		_, err := f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user})
		require.NoError(t, err)
	})
	t.Run("an unassigned virtual MFA device does not block", func(t *testing.T) {
		_, f := newIAM(t)
		mustCreateUser(t, f, "leaver")
		_, err := f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("leaver")})
		require.NoError(t, err)
		_, err = f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user})
		require.NoError(t, err)
	})
	t.Run("unknown user", func(t *testing.T) {
		_, f := newIAM(t)
		_, err := f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("ghost")})
		requireErrAs[*types.NoSuchEntityException](t, err)
	})
	t.Run("the name can be reused after deletion", func(t *testing.T) {
		_, f := newIAM(t)
		mustCreateUser(t, f, "leaver")
		_, err := f.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user})
		require.NoError(t, err)
		mustCreateUser(t, f, "Leaver")
	})
}
