package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fill sets every serialized member of the struct v points to: strings
// to "<name>-v", numbers to 7, booleans to true, timestamps to a whole
// second, lists and maps to one element. skip names fields to leave unset.
func fill(v reflect.Value, name string, depth int, skip map[string]bool) {
	if depth > 12 {
		return
	}
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(time.Date(2026, 1, 15, 9, 30, 45, 0, time.UTC)))
		return
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		v.SetBytes([]byte(name))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), name, depth+1, skip)
		v.Set(p)
	case reflect.String:
		v.SetString(strings.ToLower(name) + "-v")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(7.5)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), name, depth+1, skip)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, name, depth+1, skip)
		m.SetMapIndex(reflect.ValueOf(strings.ToLower(name)+"-k").Convert(v.Type().Key()), e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !serialized(f) || skip[f.Name] || f.Type.Kind() == reflect.Interface {
				continue
			}
			fill(v.Field(i), f.Name, depth+1, skip)
		}
	}
}

// clearFields zeroes the named fields of the struct v points to.
func clearFields(v reflect.Value, names ...string) {
	for _, n := range names {
		if f := v.Elem().FieldByName(n); f.IsValid() {
			f.Set(reflect.Zero(f.Type()))
		}
	}
}

// Every Cognito operation served: the SDK's serializer → decodeJSON gives
// back the input; encodeJSON → the SDK's deserializer gives back the
// output. Every member is set, so a member the codec names or types
// differently from the SDK fails here.
func TestCognitoCodecRoundTrip(t *testing.T) {
	ops := cognitoOps()
	require.NotEmpty(t, ops)
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			o, ok := jsonOpOf(wireCognitoClientProbe, op)
			require.True(t, ok, "the SDK client has %s", op)
			in := reflect.New(o.in)
			fill(in.Elem(), op, 0, nil)
			outType := o.fn.Type().Out(0).Elem()
			want := reflect.New(outType)
			fill(want.Elem(), op, 0, nil)

			var decoded reflect.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				assert.Equal(t, cognitoTargetPrefix+op, r.Header.Get("X-Amz-Target"))
				decoded = reflect.New(o.in)
				if err := decodeJSON(body, decoded.Interface()); err != nil {
					t.Errorf("decode %s: %v", body, err)
				}
				out, err := encodeJSON(want.Interface())
				if err != nil {
					t.Errorf("encode: %v", err)
				}
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				_, _ = w.Write(out)
			}))
			defer srv.Close()
			c := cognitoidentity.New(cognitoidentity.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}})
			m := reflect.ValueOf(c).MethodByName(op)
			res := m.Call([]reflect.Value{reflect.ValueOf(context.Background()), in})
			require.Nil(t, res[1].Interface())
			require.True(t, decoded.IsValid())
			assert.Equal(t, in.Interface(), decoded.Interface())
			got := res[0]
			clearFields(got, "ResultMetadata")
			assert.Equal(t, want.Interface(), got.Interface())
		})
	}
}

var wireCognitoClientProbe = &cognitoidentity.Client{}

// s3Skip are input members the SDK rewrites on its way out (it computes
// ContentLength and checksums itself; the SSE-C key's MD5 goes with the
// key), compared apart or not at all.
var s3Skip = map[string]bool{
	"ContentLength": true, "ChecksumAlgorithm": true, "ContentMD5": true,
	"ChecksumCRC32": true, "ChecksumCRC32C": true, "ChecksumCRC64NVME": true, "ChecksumMD5": true,
	"ChecksumSHA1": true, "ChecksumSHA256": true, "ChecksumSHA512": true,
	"ChecksumXXHASH128": true, "ChecksumXXHASH3": true, "ChecksumXXHASH64": true,
	"Body": true,
}

// Every S3 operation served, the same way: every input member crosses the
// SDK's serializer and decodeS3's bindings; every output header member
// crosses encodeS3Headers and the SDK's deserializer.
func TestS3CodecRoundTrip(t *testing.T) {
	ops := s3Ops()
	require.ElementsMatch(t, []string{"CreateBucket", "PutObject", "GetObject", "HeadObject", "DeleteObject"}, ops)
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			o, ok := jsonOpOf(&s3.Client{}, op)
			require.True(t, ok)
			in := reflect.New(o.in)
			fill(in.Elem(), op, 0, s3Skip)
			setStringField(in, "Bucket", "fleet")
			setStringField(in, "Key", "dir/a b+c%d.json")
			setStringField(in, "ChecksumMode", "")
			if f := in.Elem().FieldByName("Body"); f.IsValid() {
				f.Set(reflect.ValueOf(io.Reader(strings.NewReader("payload"))))
			}
			if f := in.Elem().FieldByName("Expires"); f.IsValid() {
				// An HTTP date has whole seconds.
				f.Set(reflect.ValueOf(aws.Time(time.Date(2026, 1, 15, 9, 30, 45, 0, time.UTC))))
			}
			outType := o.fn.Type().Out(0).Elem()
			want := reflect.New(outType)
			fill(want.Elem(), op, 0, map[string]bool{"Body": true, "Expires": true, "ContentLength": true})
			setStringField(want, "ExpiresString", "Thu, 15 Jan 2026 09:30:45 GMT")
			if f := want.Elem().FieldByName("Expires"); f.IsValid() {
				f.Set(reflect.ValueOf(aws.Time(time.Date(2026, 1, 15, 9, 30, 45, 0, time.UTC))))
			}
			if m := want.Elem().FieldByName("Metadata"); m.IsValid() {
				m.Set(reflect.ValueOf(map[string]string{"digest": "abc"}))
			}
			payload := []byte("object body")
			if f := want.Elem().FieldByName("ContentLength"); f.IsValid() && op == "GetObject" {
				f.Set(reflect.ValueOf(aws.Int64(int64(len(payload)))))
			} else if f.IsValid() {
				f.Set(reflect.ValueOf(aws.Int64(42)))
			}

			var decoded *s3Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				req, err := decodeS3(r, body)
				if err != nil {
					t.Errorf("decode %s %s: %v", r.Method, r.URL, err)
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				decoded = req
				encodeS3Headers(w.Header(), want.Elem())
				if op == "GetObject" {
					_, _ = w.Write(payload)
				}
			}))
			defer srv.Close()
			c := s3.New(s3.Options{
				Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: aws.AnonymousCredentials{},
				ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
				RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
			})
			res := reflect.ValueOf(c).MethodByName(op).Call([]reflect.Value{reflect.ValueOf(context.Background()), in})
			require.Nil(t, res[1].Interface(), "%v", res[1].Interface())
			require.NotNil(t, decoded)
			assert.Equal(t, op, decoded.op)

			// Inputs: compare everything but the members the SDK rewrites.
			gotIn := decoded.in
			if b := gotIn.Elem().FieldByName("Body"); b.IsValid() {
				data, _ := io.ReadAll(b.Interface().(io.Reader))
				assert.Equal(t, "payload", string(data))
				if l := gotIn.Elem().FieldByName("ContentLength"); l.IsValid() {
					assert.Equal(t, int64(len("payload")), aws.ToInt64(l.Interface().(*int64)))
				}
			}
			wantIn := reflect.New(o.in)
			wantIn.Elem().Set(in.Elem())
			for name := range s3Skip {
				clearFields(wantIn, name)
				clearFields(gotIn, name)
			}
			assert.Equal(t, wantIn.Interface(), gotIn.Interface())

			// Outputs.
			got := res[0]
			if b := got.Elem().FieldByName("Body"); b.IsValid() {
				data, _ := io.ReadAll(b.Interface().(io.Reader))
				assert.Equal(t, payload, data)
				clearFields(got, "Body")
			}
			clearFields(got, "ResultMetadata")
			assert.Equal(t, want.Interface(), got.Interface())
		})
	}
}
