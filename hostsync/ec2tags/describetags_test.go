package ec2tags_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/ec2tags"
	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/internal/fakes"
)

// fakeIMDS is an instance metadata endpoint (IMDSv2) of instance i-0abc in
// us-east-1, whose tags are shown when tags is not nil.
func fakeIMDS(t *testing.T, tags map[string]string) *imds.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			fmt.Fprint(w, "token")
			return
		}
		if r.Header.Get("X-Aws-Ec2-Metadata-Token") != "token" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch p := strings.TrimPrefix(r.URL.Path, "/latest/meta-data/"); {
		case p == "instance-id":
			fmt.Fprint(w, "i-0abc")
		case p == "placement/region":
			fmt.Fprint(w, "us-east-1")
		case tags != nil && p == "tags/instance":
			fmt.Fprint(w, "tag")
		case tags != nil && strings.HasPrefix(p, "tags/instance/"):
			if v, ok := tags[strings.TrimPrefix(p, "tags/instance/")]; ok {
				fmt.Fprint(w, v)
				return
			}
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return imds.New(imds.Options{Endpoint: srv.URL})
}

// ec2Server is iamkittest's wire server with instance tags seeded, and the
// filters of every DescribeTags it served.
func ec2Server(t *testing.T) (*iamkittest.Server, func() [][]fakes.EC2Filter) {
	srv := iamkittest.NewServer(t)
	ec2 := srv.Account().EC2()
	ec2.SetInstanceTags("i-0abc", map[string]string{"ssh-groups": "devs,ops", "ssh-sudo": "ops", "Name": "web-1"})
	ec2.SetInstanceTags("i-0other", map[string]string{"ssh-groups": "everyone"})
	var mu sync.Mutex
	var seen [][]fakes.EC2Filter
	srv.Account().Inject("ec2:DescribeTags", iamkittest.Fault{Match: func(in any) bool {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, in.(*fakes.DescribeTagsRequest).Filters)
		return false
	}})
	return srv, func() [][]fakes.EC2Filter { mu.Lock(); defer mu.Unlock(); return seen }
}

func clientFor(srv *iamkittest.Server, pageSize int) func(context.Context, string) (ec2tags.DescribeTagsAPI, error) {
	return func(_ context.Context, region string) (ec2tags.DescribeTagsAPI, error) {
		cfg := srv.Config()
		cfg.Region = region
		c := ec2tags.NewClient(cfg)
		c.PageSize = pageSize
		return c, nil
	}
}

func TestTagsFromMetadataCallNoEC2(t *testing.T) {
	srv, seen := ec2Server(t)
	tags := ec2tags.Tags(fakeIMDS(t, map[string]string{"ssh-groups": "from-metadata"}), clientFor(srv, 0))
	got, err := tags(context.Background(), []string{"ssh-groups", "ssh-sudo"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ssh-groups": "from-metadata"}, got)
	assert.Zero(t, srv.Account().Calls("ec2:DescribeTags"))
	assert.Empty(t, seen())
}

func TestTagsFallBackToDescribeTags(t *testing.T) {
	srv, seen := ec2Server(t)
	tags := ec2tags.Tags(fakeIMDS(t, nil), clientFor(srv, 0))
	got, err := tags(context.Background(), []string{"ssh-groups", "ssh-sudo", "absent"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ssh-groups": "devs,ops", "ssh-sudo": "ops"}, got)
	assert.Equal(t, 1, srv.Account().Calls("ec2:DescribeTags"))
	assert.Equal(t, [][]fakes.EC2Filter{{
		{Name: "resource-id", Values: []string{"i-0abc"}},
		{Name: "key", Values: []string{"ssh-groups", "ssh-sudo", "absent"}},
	}}, seen())
}

func TestTagsFromConfigThroughWireServer(t *testing.T) {
	srv, _ := ec2Server(t)
	t.Setenv("AWS_ENDPOINT_URL_EC2", "")
	meta := fakeIMDS(t, nil)
	endpoint := ""
	// FromConfig's own IMDS client, pointed at the fake metadata.
	tags := ec2tags.FromConfig(srv.Config(), func(o *imds.Options) {
		o.Endpoint = endpointOf(t, meta)
		endpoint = o.Endpoint
	})
	got, err := tags(context.Background(), []string{"ssh-groups"})
	require.NoError(t, err, endpoint)
	assert.Equal(t, map[string]string{"ssh-groups": "devs,ops"}, got)
	assert.Equal(t, 1, srv.Account().Calls("ec2:DescribeTags"))
}

// endpointOf recovers the fake IMDS endpoint from a client built with one.
func endpointOf(t *testing.T, c *imds.Client) string {
	var got string
	_, err := c.GetMetadata(context.Background(), &imds.GetMetadataInput{Path: "instance-id"}, func(o *imds.Options) {
		got = o.Endpoint
	})
	require.NoError(t, err)
	return got
}

func TestDescribeTagsPaging(t *testing.T) {
	srv, seen := ec2Server(t)
	many := map[string]string{}
	var keys []string
	for i := range 12 {
		k := fmt.Sprintf("k%02d", i)
		many[k], keys = "v"+k, append(keys, k)
	}
	srv.Account().EC2().SetInstanceTags("i-0abc", many)
	tags := ec2tags.Tags(fakeIMDS(t, nil), clientFor(srv, 5))
	got, err := tags(context.Background(), keys)
	require.NoError(t, err)
	assert.Equal(t, many, got)
	assert.Equal(t, 3, srv.Account().Calls("ec2:DescribeTags"))
	assert.Len(t, seen(), 3)
}

func TestDescribeTagsAccessDenied(t *testing.T) {
	srv := iamkittest.NewServer(t)
	srv.Account().Inject("ec2:DescribeTags", iamkittest.Fault{Err: &smithy.GenericAPIError{
		Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation.", Fault: smithy.FaultClient}})
	tags := ec2tags.Tags(fakeIMDS(t, nil), clientFor(srv, 0))
	_, err := tags(context.Background(), []string{"ssh-groups"})
	require.Error(t, err)
	assert.ErrorIs(t, err, hostsync.ErrTagsUnavailable)
	assert.ErrorContains(t, err, "ec2:DescribeTags for i-0abc refused: the instance's role needs ec2:DescribeTags")
	var ae *ec2tags.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "UnauthorizedOperation", ae.Code)
	assert.Equal(t, http.StatusForbidden, ae.StatusCode)
	assert.Equal(t, 1, srv.Account().Calls("ec2:DescribeTags"), "access denied is not retried")
}

func TestDescribeTagsRetriesThrottling(t *testing.T) {
	srv, _ := ec2Server(t)
	srv.Account().Inject("ec2:DescribeTags", iamkittest.Fault{Times: 2})
	tags := ec2tags.Tags(fakeIMDS(t, nil), clientFor(srv, 0))
	got, err := tags(context.Background(), []string{"ssh-sudo"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ssh-sudo": "ops"}, got)
	assert.Equal(t, 3, srv.Account().Calls("ec2:DescribeTags"))
}

// TestClientEndpointAndWire checks the request itself: the endpoint
// resolution order and the form of DescribeTags.
func TestClientEndpointAndWire(t *testing.T) {
	var forms []url.Values
	var scopes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		forms = append(forms, r.PostForm)
		scopes = append(scopes, r.Header.Get("Authorization"))
		if r.PostForm.Get("NextToken") == "" {
			fmt.Fprint(w, `<DescribeTagsResponse><tagSet><item><resourceId>i-1</resourceId><resourceType>instance</resourceType><key>a</key><value>1</value></item></tagSet><nextToken>p2</nextToken></DescribeTagsResponse>`)
			return
		}
		fmt.Fprint(w, `<DescribeTagsResponse><tagSet><item><resourceId>i-1</resourceId><key>b</key><value>2</value></item><item><resourceId>i-2</resourceId><key>b</key><value>x</value></item></tagSet></DescribeTagsResponse>`)
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), BaseEndpoint: aws.String("http://127.0.0.1:1")}
	t.Setenv("AWS_ENDPOINT_URL_EC2", srv.URL)
	got, err := ec2tags.DescribeInstanceTags(context.Background(), ec2tags.NewClient(cfg), "i-1", []string{"a", "b"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, got)
	require.Len(t, forms, 2)
	assert.Equal(t, url.Values{"Action": {"DescribeTags"}, "Version": {"2016-11-15"},
		"Filter.1.Name": {"resource-id"}, "Filter.1.Value.1": {"i-1"},
		"Filter.2.Name": {"key"}, "Filter.2.Value.1": {"a"}, "Filter.2.Value.2": {"b"}}, forms[0])
	assert.Equal(t, "p2", forms[1].Get("NextToken"))
	assert.Contains(t, scopes[0], "/eu-west-1/ec2/aws4_request")
}

func TestClientEndpointResolution(t *testing.T) {
	base := aws.String("http://base")
	tests := []struct {
		name, specific, ignore string
		base                   *string
		region, want           string
	}{
		{name: "default", region: "eu-west-1", want: "https://ec2.eu-west-1.amazonaws.com"},
		{name: "China", region: "cn-north-1", want: "https://ec2.cn-north-1.amazonaws.com.cn"},
		{name: "base endpoint", base: base, region: "eu-west-1", want: "http://base"},
		{name: "service endpoint wins", specific: "http://ec2-only", base: base, region: "eu-west-1", want: "http://ec2-only"},
		{name: "ignored", specific: "http://ec2-only", ignore: "true", base: base, region: "eu-west-1", want: "https://ec2.eu-west-1.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL_EC2", tt.specific)
			t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", tt.ignore)
			var host string
			cfg := aws.Config{Region: tt.region, Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), BaseEndpoint: tt.base,
				HTTPClient: doerFunc(func(r *http.Request) (*http.Response, error) {
					host = r.URL.Scheme + "://" + r.URL.Host
					return nil, errors.New("stop")
				}), RetryMaxAttempts: 1}
			_, err := ec2tags.NewClient(cfg).DescribeTags(context.Background(), nil, "")
			require.Error(t, err)
			assert.Equal(t, tt.want, host)
		})
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestDecodeDescribeTagsErrors(t *testing.T) {
	_, err := ec2tags.DecodeDescribeTags(503, []byte(`<Response><Errors><Error><Code>Unavailable</Code><Message>try later</Message></Error></Errors><RequestID>r1</RequestID></Response>`))
	var ae *ec2tags.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, ec2tags.APIError{StatusCode: 503, Code: "Unavailable", Message: "try later", RequestID: "r1"}, *ae)
	assert.Equal(t, smithy.FaultServer, ae.ErrorFault())

	_, err = ec2tags.DecodeDescribeTags(500, []byte("<html>oops"))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "UnknownError", ae.Code)

	_, err = ec2tags.DecodeDescribeTags(200, []byte("<Other/>"))
	assert.Error(t, err)
}
