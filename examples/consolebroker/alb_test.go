package main

import (
	"encoding/base64"
	"io"
	"maps"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The ALB target adapter: the query string still percent-encoded, single-
// or multi-value headers and parameters, a base64 body, the answer in the
// request's form.
func TestALBHandler(t *testing.T) {
	var got *http.Request
	var gotBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Add("Set-Thing", "a")
		w.Header().Add("Set-Thing", "b")
		w.Header().Set("Location", "https://signin.aws.amazon.com/federation?x=1")
		w.WriteHeader(http.StatusFound)
	})
	serve := albHandler(h)
	resp, err := serve(t.Context(), events.ALBTargetGroupRequest{
		HTTPMethod: "GET", Path: "/console",
		QueryStringParameters: map[string]string{"role": "admin", "destination": "https%3A%2F%2Fconsole.aws.amazon.com%2Fec2%2Fhome%3Fregion%3Deu-west-1"},
		Headers:               map[string]string{"x-amzn-oidc-data": "jwt", "host": "broker.example.com", "x-forwarded-for": "203.0.113.66, 192.0.2.7"},
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "302 Found", resp.StatusDescription)
	assert.Equal(t, "https://signin.aws.amazon.com/federation?x=1", resp.Headers["Location"])
	assert.Equal(t, "a, b", resp.Headers["Set-Thing"])
	assert.Nil(t, resp.MultiValueHeaders)
	assert.Equal(t, "/console", got.URL.Path)
	assert.Equal(t, "admin", got.URL.Query().Get("role"))
	assert.Equal(t, "https://console.aws.amazon.com/ec2/home?region=eu-west-1", got.URL.Query().Get("destination"), "decoded once")
	assert.Equal(t, "jwt", got.Header.Get("X-Amzn-Oidc-Data"))
	assert.Equal(t, "broker.example.com", got.Host)
	assert.Equal(t, "192.0.2.7:0", got.RemoteAddr, "the address the ALB appended, not the one the client sent")

	resp, err = serve(t.Context(), events.ALBTargetGroupRequest{
		HTTPMethod: "POST", Path: "/x",
		MultiValueQueryStringParameters: map[string][]string{"a": {"1", "2"}},
		MultiValueHeaders:               map[string][]string{"x-amzn-oidc-data": {"one", "two"}},
		IsBase64Encoded:                 true, Body: base64.StdEncoding.EncodeToString([]byte("hello")),
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, resp.MultiValueHeaders["Set-Thing"])
	assert.Equal(t, []string{"1", "2"}, got.URL.Query()["a"])
	assert.Equal(t, []string{"one", "two"}, got.Header.Values("X-Amzn-Oidc-Data"), "repeated headers stay repeated: the broker refuses them")
	assert.Equal(t, "hello", gotBody)

	resp, err = serve(t.Context(), events.ALBTargetGroupRequest{HTTPMethod: "GET", IsBase64Encoded: true, Body: "%%%"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// BROKER_AUTH=alb builds an ALBAuth: a request without the ALB's JWT is
// refused, without calling anything.
func TestALBAuthWiring(t *testing.T) {
	env := files(t)
	maps.Copy(env, map[string]string{"BROKER_AUTH": "alb", "BROKER_ALB_ARN": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/broker/50dc6c495c0c9188", "BROKER_SOURCE": "assume-role"})
	conf, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "email", conf.ALBClaim)
	assert.Empty(t, conf.ALBIssuer)
	env["BROKER_ALB_ISSUER"] = "https://idp.example.com"
	conf, err = LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "https://idp.example.com", conf.ALBIssuer)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), BaseEndpoint: aws.String("http://127.0.0.1:1")}
	h, err := NewHandler(t.Context(), conf, awsClients(cfg, conf), nil)
	require.NoError(t, err)
	resp, err := albHandler(h)(t.Context(), events.ALBTargetGroupRequest{HTTPMethod: "GET", Path: "/console", Headers: map[string]string{"x-forwarded-email": "alice@example.com"}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	delete(env, "BROKER_ALB_ARN")
	_, err = LoadConfig(func(k string) string { return env[k] })
	assert.ErrorContains(t, err, "BROKER_ALB_ARN")
}
