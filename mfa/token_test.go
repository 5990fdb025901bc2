package mfa_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/mfa"
)

func TestValidToken(t *testing.T) {
	for code, want := range map[string]bool{
		"123456": true, "000000": true, "12345": false, "1234567": false, "12345a": false, " 12345": false, "": false, "１２３４５６": false,
	} {
		assert.Equal(t, want, mfa.ValidToken(code), code)
	}
}

func TestPrompt(t *testing.T) {
	ctx := context.Background()
	req := mfa.TokenRequest{Device: "arn:aws:iam::123456789012:mfa/alice", Duration: time.Hour}
	tests := []struct {
		name, in, want string
		err            error
		prompts        int
	}{
		{"valid", "123456\n", "123456", nil, 1},
		{"spaces and CRLF", "  654321 \r\n", "654321", nil, 1},
		{"no final newline", "111111", "111111", nil, 1},
		{"second try", "12 34 56\n222222\n", "222222", nil, 2},
		{"three wrong", "a\nb\nc\n333333\n", "", mfa.ErrInvalidToken, 3},
		{"empty input", "", "", io.ErrUnexpectedEOF, 1},
		{"wrong then EOF", "abc", "", mfa.ErrInvalidToken, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			p := mfa.NewPrompt(strings.NewReader(tc.in), &out)
			code, err := p.Token(ctx, req)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.want, code)
			assert.Equal(t, tc.prompts, strings.Count(out.String(), "Enter AWS MFA code for device [arn:aws:iam::123456789012:mfa/alice] (renewing for 3600 seconds): "))
		})
	}

	t.Run("reads line by line across calls", func(t *testing.T) {
		p := mfa.NewPrompt(strings.NewReader("111111\n222222\n"), io.Discard)
		a, err := p.Token(ctx, req)
		require.NoError(t, err)
		b, err := p.Token(ctx, mfa.TokenRequest{Retry: true})
		require.NoError(t, err)
		assert.Equal(t, []string{"111111", "222222"}, []string{a, b})
	})
	t.Run("retry says why", func(t *testing.T) {
		var out strings.Builder
		_, err := mfa.NewPrompt(strings.NewReader("111111\n"), &out).Token(ctx, mfa.TokenRequest{Retry: true})
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(out.String(), "That code was just used"))
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := mfa.NewPrompt(strings.NewReader("111111\n"), nil).Token(cctx, req)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("no input", func(t *testing.T) {
		_, err := (&mfa.Prompt{}).Token(ctx, req)
		require.Error(t, err)
	})
}

func TestCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX shell")
	}
	ctx := context.Background()
	req := mfa.TokenRequest{Device: "arn:aws:iam::123456789012:mfa/alice", Profile: "dev"}
	run := func(script string) (string, error) {
		return mfa.Command{Argv: []string{"sh", "-c", script}}.Token(ctx, req)
	}
	code, err := run(`printf '\n 123456 \n'`)
	require.NoError(t, err)
	assert.Equal(t, "123456", code)

	code, err = run(`echo "$AWS_MFA_PROFILE" >&2; [ "$AWS_MFA_DEVICE" = arn:aws:iam::123456789012:mfa/alice ] && echo 654321`)
	require.NoError(t, err)
	assert.Equal(t, "654321", code)

	_, err = run(`echo 999999; echo vault is locked >&2; exit 2`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "vault is locked")
	assert.Contains(t, err.Error(), "exit status 2")
	assert.NotContains(t, err.Error(), "999999", "stdout may be a code; never quoted")

	_, err = run(`echo not-a-code`)
	require.ErrorIs(t, err, mfa.ErrInvalidToken)
	assert.NotContains(t, err.Error(), "not-a-code")

	_, err = mfa.Command{Argv: []string{"sh", "-c", "exec sleep 5"}, Timeout: 50 * time.Millisecond}.Token(ctx, req)
	require.Error(t, err)

	_, err = mfa.Command{}.Token(ctx, req)
	require.Error(t, err)

	_, err = mfa.Command{Argv: []string{filepath.Join(t.TempDir(), "missing")}}.Token(ctx, req)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestSplitCommandLine(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"   ", nil, false},
		{"op item get aws --otp", []string{"op", "item", "get", "aws", "--otp"}, false},
		{"  a\t b\n c  ", []string{"a", "b", "c"}, false},
		{`'/Applications/My Tool' --x`, []string{"/Applications/My Tool", "--x"}, false},
		{`"a b" "c\"d" "e\\f" "g\h" "$x"`, []string{"a b", `c"d`, `e\f`, `g\h`, "$x"}, false},
		{`a\ b c\'d`, []string{"a b", "c'd"}, false},
		{`''`, []string{""}, false},
		{`x""y'z'`, []string{"xyz"}, false},
		{"a\\\nb", []string{"ab"}, false},
		{`'open`, nil, true},
		{`"open`, nil, true},
		{`trailing\`, nil, true},
	}
	for _, tc := range tests {
		got, err := mfa.SplitCommandLine(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestSeedAndStaticTokens(t *testing.T) {
	ctx := context.Background()
	at := time.Unix(59, 0)
	code, err := mfa.SeedToken(rfcSeed).Token(ctx, mfa.TokenRequest{Time: at})
	require.NoError(t, err)
	want, err := mfa.Code(rfcSeed, at)
	require.NoError(t, err)
	assert.Equal(t, want, code)
	_, err = mfa.SeedToken("!!").Token(ctx, mfa.TokenRequest{Time: at})
	require.ErrorIs(t, err, mfa.ErrInvalidSeed)

	code, err = mfa.StaticToken("123456").Token(ctx, mfa.TokenRequest{})
	require.NoError(t, err)
	assert.Equal(t, "123456", code)

	f := mfa.TokenFunc(func(context.Context, mfa.TokenRequest) (string, error) { return "", errors.New("boom") })
	_, err = f.Token(ctx, mfa.TokenRequest{})
	require.EqualError(t, err, "boom")
}

func TestProvenance(t *testing.T) {
	exp := time.Date(2026, 1, 15, 21, 0, 0, 0, time.FixedZone("JST", 9*3600))
	c, ok := mfa.FromSTS(&ststypes.Credentials{
		AccessKeyId: aws.String("ASIAEXAMPLE"), SecretAccessKey: aws.String("secret"),
		SessionToken: aws.String("token"), Expiration: aws.Time(exp),
	}, mfa.Provenance{Kind: mfa.KindAssumedRole, RoleARN: "arn:aws:iam::123456789012:role/Admin", SourceProfile: "dev-long-term",
		MFASerial: "arn:aws:iam::123456789012:mfa/alice", Parent: &mfa.Provenance{Kind: mfa.KindLongTerm, Profile: "dev-long-term"}})
	require.True(t, ok)
	assert.True(t, c.CanExpire)
	assert.Equal(t, time.UTC, c.Expires.Location())
	assert.True(t, exp.Equal(c.Expires))
	assert.Equal(t, c.Expires, c.Expiration)
	assert.Equal(t, mfa.CredentialSource, c.Source)
	assert.True(t, c.MFA())
	assert.True(t, c.Kind.Temporary())
	assert.False(t, mfa.KindLongTerm.Temporary())

	got, err := c.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, c.Credentials, got)
	var _ aws.CredentialsProvider = c

	s := c.String()
	assert.Equal(t, "ASIAEXAMPLE assumed-role role=arn:aws:iam::123456789012:role/Admin from=[dev-long-term] mfa=arn:aws:iam::123456789012:mfa/alice expires=2026-01-15T12:00:00Z (via long-term profile=[dev-long-term])", s)
	assert.NotContains(t, s, "secret")
	assert.NotContains(t, s, "token")
	assert.Equal(t, "unknown", mfa.Provenance{}.String())

	_, ok = mfa.FromSTS(nil, mfa.Provenance{})
	assert.False(t, ok)
	_, ok = mfa.FromSTS(&ststypes.Credentials{AccessKeyId: aws.String("A")}, mfa.Provenance{})
	assert.False(t, ok)
}
