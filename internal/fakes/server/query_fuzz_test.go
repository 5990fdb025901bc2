package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// fuzzInputs are input structs of varied shapes: lists of structs, nested
// lists, maps, numbers, booleans, timestamps.
var fuzzInputs = []func() any{
	func() any { return &iam.CreateUserInput{} },
	func() any { return &iam.SimulatePrincipalPolicyInput{} },
	func() any { return &iam.UpdateAccountPasswordPolicyInput{} },
	func() any { return &sts.AssumeRoleInput{} },
	func() any { return &iam.GetAccountAuthorizationDetailsInput{} },
	func() any { return &iam.CreateOpenIDConnectProviderInput{} },
}

// FuzzDecodeQuery feeds arbitrary form bodies to the query decoder: it must
// return an error or a value, never panic, and what it accepts must encode.
func FuzzDecodeQuery(f *testing.F) {
	f.Add(uint8(0), "UserName=alice&Path=%2Fstaff%2F&Tags.member.1.Key=team&Tags.member.1.Value=infra")
	f.Add(uint8(1), "ActionNames.member.1=s3%3AGetObject&ContextEntries.member.2.ContextKeyValues.member.1=x&MaxItems=5")
	f.Add(uint8(2), "MinimumPasswordLength=14&RequireSymbols=true&MaxPasswordAge=90")
	f.Add(uint8(3), "RoleArn=arn&PolicyArns.member.1.arn=arn%3Aaws&Tags.member.1.Key=k&DurationSeconds=900")
	f.Add(uint8(4), "Filter.member.1=User&MaxItems=1000000000000")
	f.Add(uint8(5), "ThumbprintList.member.99999=x&ClientIDList=&Url=u")
	f.Fuzz(func(t *testing.T, kind uint8, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in := fuzzInputs[int(kind)%len(fuzzInputs)]()
		if err := decodeQuery(awsQuery, form, in); err != nil {
			var ae *apiError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, http.StatusBadRequest, ae.Status)
			return
		}
		var buf bytes.Buffer
		awsQuery.encodeQueryResponse(&buf, "Op", "ns", "id", in)
	})
}

// FuzzParseSigV4 feeds arbitrary Authorization headers to the parser: it
// must never panic, and what it accepts must be well formed.
func FuzzParseSigV4(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260115/us-east-1/iam/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date, Signature=" + strings.Repeat("ab", 32))
	f.Add("AWS4-HMAC-SHA256 Credential=AKIA/2026/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=;, Signature=")
	f.Add("AWS AKIA:signature")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseSigV4(h)
		if err != nil {
			require.ErrorIs(t, err, errIncompleteSignature)
			return
		}
		require.NotEmpty(t, a.AccessKeyID)
		require.Len(t, a.Date, 8)
		require.Len(t, a.Signature, 64)
		require.NotEmpty(t, a.SignedHeaders)
	})
}

// FuzzServeHTTP sends arbitrary requests through the router: the server
// answers every one (never a panic, which would be a 500 InternalFailure)
// with an AWS-shaped status.
func FuzzServeHTTP(f *testing.F) {
	f.Add("POST", "/", "application/x-www-form-urlencoded", "", "", "Action=ListUsers&Version=2010-05-08")
	f.Add("POST", "/", "application/x-www-form-urlencoded", "", "", "Action=AssumeRoleWithWebIdentity&RoleArn=x&WebIdentityToken=%zz")
	f.Add("POST", "/", "application/x-www-form-urlencoded", "AWS4-HMAC-SHA256 Credential=AKIA/20260115/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64), "", "Action=GetUser")
	f.Add("POST", "/", "application/x-amz-json-1.1", "", "AWSCognitoIdentityService.Nope", "{}")
	f.Add("GET", "/bucket/key", "", "", "", "")
	acct := fakes.NewAccount()
	s := New(acct)
	f.Fuzz(func(t *testing.T, method, path, contentType, authz, target, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#?") {
			return
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return
		}
		if strings.HasPrefix(path, "/federation") || strings.HasPrefix(path, "/oauth") {
			return // the sign-in endpoint's own tests cover it
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		for k, v := range map[string]string{"Content-Type": contentType, "Authorization": authz, "X-Amz-Target": target} {
			if v != "" && !strings.ContainsAny(v, "\r\n") {
				req.Header.Set(k, v)
			}
		}
		req.Header.Set("X-Amz-Date", "20260115T090000Z")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code == http.StatusNotImplemented {
			return // a protocol stub of another file
		}
		require.NotEqual(t, http.StatusInternalServerError, w.Code, "body: %s", w.Body.String())
		require.True(t, w.Code == 200 || (w.Code >= 400 && w.Code < 500), "status %d", w.Code)
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "HEAD":
		return true
	}
	return false
}

// FuzzSignedQuery sends arbitrary, correctly signed form bodies for every
// served IAM and STS action through the router to the fakes: whatever the
// form holds, the answer is the operation's output or an AWS-shaped client
// error, never a panic (a 500 InternalFailure) — the SDK validates required
// members client-side, the server cannot count on it.
func FuzzSignedQuery(f *testing.F) {
	f.Add(uint16(0), "UserName=alice")
	f.Add(uint16(7), "Tags.member.1.Key=a&Tags.member.2.Value=b&UserName=x")
	f.Add(uint16(42), "MaxItems=0&Marker=fake-marker-99")
	f.Add(uint16(61), "Filter.1.Name=resource-id&Filter.1.Value.1=i-1&Filter.2.Name=key&Filter.2.Value.1=a&MaxResults=5&NextToken=5")
	f.Add(uint16(99), "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s&SerialNumber=x")
	acct := fakes.NewAccount()
	s := New(acct)
	id, secret := acct.RootAccessKey()
	type target struct{ service, action string }
	var targets []target
	for _, name := range []string{"iam", "sts"} {
		for action := range queryServices[name].methods() {
			targets = append(targets, target{name, action})
		}
	}
	sortTargets := func(a, b int) bool {
		return targets[a].service+targets[a].action < targets[b].service+targets[b].action
	}
	sortSlice(targets, sortTargets)
	// SNS after IAM and STS, so that the seeds above keep their targets.
	for action := range queryServices["sns"].methods() {
		targets = append(targets, target{"sns", action})
	}
	signer := v4.NewSigner()
	f.Fuzz(func(t *testing.T, which uint16, form string) {
		if _, err := url.ParseQuery(form); err != nil {
			return
		}
		tg := targets[int(which)%len(targets)]
		body := "Action=" + tg.action + "&" + form
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		signTestRequest(t, signer, req, body, id, secret, tg.service)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		require.NotEqual(t, http.StatusInternalServerError, w.Code, "%s %s: %s", tg.service, body, w.Body.String())
	})
}
