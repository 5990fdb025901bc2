package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fillSample sets every wire member of v to a sample value derived from path:
// strings, enums, numbers, booleans, timestamps, blobs, two-element lists
// and maps, nested structs. Unions (interfaces) stay nil.
func fillSample(v reflect.Value, path string, depth int) {
	t := v.Type()
	switch {
	case t == queryTimeType:
		v.Set(reflect.ValueOf(time.Date(2026, 1, 15, 9, 30, 45, 0, time.UTC)))
		return
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		v.SetBytes([]byte("blob:" + path))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if depth > 6 {
			return
		}
		e := reflect.New(t.Elem())
		fillSample(e.Elem(), path, depth+1)
		v.Set(e)
	case reflect.String:
		v.SetString("v<&>" + path + " é+%/=")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(len(path)%100 + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Anonymous || f.Name == "ResultMetadata" {
				continue
			}
			fillSample(v.Field(i), path+"."+f.Name, depth+1)
		}
	case reflect.Slice:
		if depth > 6 || t.Elem().Kind() == reflect.Interface {
			return
		}
		s := reflect.MakeSlice(t, 2, 2)
		for i := range 2 {
			fillSample(s.Index(i), fmt.Sprintf("%s.%d", path, i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(t)
		for i := range 2 {
			k := reflect.New(t.Key()).Elem()
			k.SetString(fmt.Sprintf("k%d %s", i, path))
			e := reflect.New(t.Elem()).Elem()
			fillSample(e, fmt.Sprintf("%s.%d", path, i), depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	}
}

// capture is an HTTP client that records the request body and answers
// with a prepared response.
type capture struct {
	body   []byte
	status int
	reply  []byte
}

func (c *capture) Do(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.body = b
	return &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(bytes.NewReader(c.reply)), Request: r}, nil
}

// clearMetadata zeroes an output's ResultMetadata so outputs compare.
func clearMetadata(v reflect.Value) {
	if f := v.Elem().FieldByName("ResultMetadata"); f.IsValid() {
		f.Set(reflect.Zero(f.Type()))
	}
}

// TestCodecRoundTripEveryOperation runs every operation of the IAM and STS
// clients through the real SDK client: the request it serializes must decode
// (decodeQuery) into the input it was given, and the response the codec
// encodes for a fully populated output must deserialize into that output.
// It covers the operations the fakes do not implement too, so the codec is
// ready for them.
func TestCodecRoundTripEveryOperation(t *testing.T) {
	clients := []struct {
		service string
		client  any
		q       *queryService
		cap     *capture
	}{}
	iamCap, stsCap := &capture{status: 200}, &capture{status: 200}
	clients = append(clients,
		struct {
			service string
			client  any
			q       *queryService
			cap     *capture
		}{"iam", iam.New(iam.Options{Region: "us-east-1", HTTPClient: iamCap, BaseEndpoint: aws.String("http://127.0.0.1:1"),
			Credentials: aws.AnonymousCredentials{}, Retryer: aws.NopRetryer{}}), queryServices["iam"], iamCap},
		struct {
			service string
			client  any
			q       *queryService
			cap     *capture
		}{"sts", sts.New(sts.Options{Region: "us-east-1", HTTPClient: stsCap, BaseEndpoint: aws.String("http://127.0.0.1:1"),
			Credentials: aws.AnonymousCredentials{}, Retryer: aws.NopRetryer{}}), queryServices["sts"], stsCap},
	)
	total := 0
	for _, c := range clients {
		cv := reflect.ValueOf(c.client)
		ct := cv.Type()
		for i := range ct.NumMethod() {
			m := ct.Method(i)
			if !isSDKMethod(m.Name, m.Type, 1) {
				continue
			}
			total++
			t.Run(c.service+"/"+m.Name, func(t *testing.T) {
				in := reflect.New(m.Type.In(2).Elem())
				fillSample(in.Elem(), m.Name, 0)
				out := reflect.New(m.Type.Out(0).Elem())
				fillSample(out.Elem(), m.Name, 0)

				var buf bytes.Buffer
				c.q.dialect.encodeQueryResponse(&buf, m.Name, c.q.xmlns, "req-1", out.Interface())
				c.cap.reply = buf.Bytes()

				res := cv.Method(i).Call([]reflect.Value{reflect.ValueOf(context.Background()), in})
				require.Nil(t, res[1].Interface(), "call: %v", res[1].Interface())

				form, err := parseQueryForm(&http.Request{URL: mustURL("/")}, c.cap.body)
				require.NoError(t, err)
				assert.Equal(t, m.Name, form.Get("Action"))
				assert.Equal(t, c.q.version, form.Get("Version"))
				delete(form, "Action")
				delete(form, "Version")
				decoded := reflect.New(in.Elem().Type())
				require.NoError(t, decodeQuery(c.q.dialect, form, decoded.Interface()))
				assert.Equal(t, in.Interface(), decoded.Interface(), "request %s", c.cap.body)

				got := res[0]
				clearMetadata(got)
				assert.Equal(t, out.Interface(), got.Interface(), "response %s", buf.String())
			})
		}
	}
	require.Greater(t, total, 150, "every IAM and STS operation")
	t.Logf("%d operations round-tripped", total)
}

func TestEncodeEmptyOutput(t *testing.T) {
	var buf bytes.Buffer
	awsQuery.encodeQueryResponse(&buf, "DeleteUser", "ns", "rid", &iam.DeleteUserOutput{})
	assert.Equal(t, `<DeleteUserResponse xmlns="ns"><DeleteUserResult></DeleteUserResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteUserResponse>`, buf.String())
	buf.Reset()
	awsQuery.encodeQueryResponse(&buf, "ListUsers", "ns", "rid", &iam.ListUsersOutput{})
	assert.True(t, strings.HasPrefix(buf.String(), `<ListUsersResponse xmlns="ns"><ListUsersResult><Users/><IsTruncated>false</IsTruncated></ListUsersResult>`), buf.String())
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
