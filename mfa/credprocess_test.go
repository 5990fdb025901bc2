package mfa_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/mfa"
)

func TestMarshalProcessCredentials(t *testing.T) {
	exp := time.Date(2026, 1, 15, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		name string
		c    aws.Credentials
		want string
	}{
		{"session", aws.Credentials{AccessKeyID: "ASIAX", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: exp},
			`{"Version":1,"AccessKeyId":"ASIAX","SecretAccessKey":"s","SessionToken":"t","Expiration":"2026-01-15T09:00:00Z"}` + "\n"},
		{"long-term", aws.Credentials{AccessKeyID: "AKIAX", SecretAccessKey: "s"},
			`{"Version":1,"AccessKeyId":"AKIAX","SecretAccessKey":"s"}` + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := mfa.MarshalProcessCredentials(c.c)
			require.NoError(t, err)
			assert.Equal(t, c.want, string(b))
		})
	}
	_, err := mfa.MarshalProcessCredentials(aws.Credentials{AccessKeyID: "AKIAX"})
	assert.ErrorContains(t, err, "incomplete credentials")
}

// The document the SDK's processcreds provider reads back: the SDK's own
// decoder agrees on every field (checked through a real process in
// examples/e2e).
func TestProcessCredentialsShape(t *testing.T) {
	b, err := mfa.MarshalProcessCredentials(aws.Credentials{AccessKeyID: "ASIAX", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: time.Unix(0, 0)})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, map[string]any{"Version": 1.0, "AccessKeyId": "ASIAX", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "1970-01-01T00:00:00Z"}, m)
}
