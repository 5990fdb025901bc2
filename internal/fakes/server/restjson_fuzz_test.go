package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// FuzzDecodeRESTJSON: the REST-JSON decoder never panics on any body and
// query for either Access Analyzer operation; what it decodes encodes back
// (lower camel case) to JSON that decodes to the same input.
func FuzzDecodeRESTJSON(f *testing.F) {
	f.Add([]byte(`{"policyDocument":"{\"Statement\":[]}","policyType":"RESOURCE_POLICY","validatePolicyResourceType":"AWS::IAM::AssumeRolePolicyDocument"}`), "maxResults=2&nextToken=fake-token-1", uint8(0))
	f.Add([]byte(`{"existingPolicyDocument":"{}","newPolicyDocument":"{}","policyType":"RESOURCE_POLICY"}`), "", uint8(1))
	f.Add([]byte(`{"policyDocument":7}`), "maxResults=99999999999", uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, query string, pick uint8) {
		route := accessAnalyzerRoutes[int(pick)%len(accessAnalyzerRoutes)]
		o, ok := jsonOpOf((*fakes.AccessAnalyzer)(nil), route.op)
		require.True(t, ok)
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		in := reflect.New(o.in)
		if err := decodeRESTJSON(body, q, route.query, in.Interface()); err != nil {
			return
		}
		enc, err := encodeRESTJSON(in.Interface())
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(enc, &m))
		again := reflect.New(o.in)
		require.NoError(t, decodeRESTJSON(enc, nil, nil, again.Interface()))
		require.Equal(t, in.Interface(), again.Interface())
	})
}

// FuzzServeAccessAnalyzer: any body at either path gets a JSON answer with
// a status, never a panic.
func FuzzServeAccessAnalyzer(f *testing.F) {
	f.Add([]byte(`{"policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}}","policyType":"RESOURCE_POLICY"}`), uint8(0))
	f.Add([]byte(`{"existingPolicyDocument":"{\"Statement\":[{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"1\"},\"NotAction\":\"x\",\"Condition\":{\"Bool\":{\"k\":[true,1,null]}}}]}","newPolicyDocument":"{}","policyType":"RESOURCE_POLICY"}`), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, pick uint8) {
		s := New(fakes.NewAccount())
		route := accessAnalyzerRoutes[int(pick)%len(accessAnalyzerRoutes)]
		req := httptest.NewRequest(http.MethodPost, route.path, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		s.serveAccessAnalyzer(rec, req, body)
		require.NotZero(t, rec.Code)
		require.True(t, json.Valid(rec.Body.Bytes()), rec.Body.String())
	})
}
