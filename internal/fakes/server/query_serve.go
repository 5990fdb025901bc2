package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/iamkit/iamkit/internal/fakes"
)

// queryService is one service of the query protocol: the fake type whose
// methods answer its actions, and how to obtain the fake for a caller.
type queryService struct {
	name    string // signing name: "iam"
	version string // API version: "2010-05-08"
	xmlns   string
	dialect queryDialect
	// unsigned lists the actions AWS serves without a signature.
	unsigned map[string]bool
	// fakeType is the fake's type (*fakes.IAM); its SDK-shaped methods are
	// the actions served.
	fakeType reflect.Type
	// fake returns the fake answering for who (nil: unsigned).
	fake func(a *fakes.Account, who *caller) any
}

// queryServices are the query-protocol services the server answers, by
// signing name.
var queryServices = map[string]*queryService{
	"iam": {
		name: "iam", version: "2010-05-08", xmlns: "https://iam.amazonaws.com/doc/2010-05-08/",
		dialect:  awsQuery,
		fakeType: reflect.TypeFor[*fakes.IAM](),
		fake:     func(a *fakes.Account, _ *caller) any { return a.IAM() },
	},
	"sts": {
		name: "sts", version: "2011-06-15", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
		dialect:  awsQuery,
		unsigned: map[string]bool{"AssumeRoleWithWebIdentity": true, "AssumeRoleWithSAML": true},
		fakeType: reflect.TypeFor[*fakes.STS](),
		fake: func(a *fakes.Account, who *caller) any {
			switch {
			case who == nil || who.Root:
				return a.STS()
			case who.Session != nil:
				return a.STSAsSession(who.AccessKeyID)
			default:
				return a.STSAs(who.AccessKeyID)
			}
		},
	},
	"sns": {
		name: "sns", version: "2010-03-31", xmlns: "http://sns.amazonaws.com/doc/2010-03-31/",
		dialect:  awsQuery,
		fakeType: reflect.TypeFor[*fakes.SNS](),
		fake:     func(a *fakes.Account, _ *caller) any { return a.SNS() },
	},
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// sdkMethods returns the methods of a fake type that have an SDK client
// method's shape — Op(ctx, *OpInput, ...func(*Options)) (*OpOutput, error)
// with the input and output from an SDK service package — by name.
func sdkMethods(t reflect.Type) map[string]reflect.Method {
	out := map[string]reflect.Method{}
	for i := range t.NumMethod() {
		m := t.Method(i)
		if isSDKMethod(m.Name, m.Type, 1) {
			out[m.Name] = m
		}
	}
	return out
}

// isSDKMethod reports whether ft, with skip leading receiver parameters, is
// an SDK client method named name.
func isSDKMethod(name string, ft reflect.Type, skip int) bool {
	if ft.NumIn() != skip+3 || !ft.IsVariadic() || ft.NumOut() != 2 {
		return false
	}
	in, out := ft.In(skip+1), ft.Out(0)
	return ft.In(skip) == contextType && ft.Out(1) == errorType &&
		in.Kind() == reflect.Pointer && in.Elem().Name() == name+"Input" &&
		out.Kind() == reflect.Pointer && out.Elem().Name() == name+"Output" &&
		strings.Contains(in.Elem().PkgPath(), "aws-sdk-go-v2/service/") &&
		in.Elem().PkgPath() == out.Elem().PkgPath()
}

var methodTables sync.Map // reflect.Type -> map[string]reflect.Method

func (q *queryService) methods() map[string]reflect.Method {
	if m, ok := methodTables.Load(q.fakeType); ok {
		return m.(map[string]reflect.Method)
	}
	m, _ := methodTables.LoadOrStore(q.fakeType, sdkMethods(q.fakeType))
	return m.(map[string]reflect.Method)
}

// parseQueryForm reads the form of a query request: the URL's query string
// and, for a form POST, the body.
func parseQueryForm(r *http.Request, body []byte) (url.Values, error) {
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		b, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range b {
			form[k] = append(form[k], v...)
		}
	}
	return form, nil
}

// serveQuery answers one request of a query-protocol service: decode the
// form into the SDK input struct of its Action, call the fake's method of
// that name, encode the output struct or the error.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, q *queryService, form url.Values, who *caller) {
	requestID := newRequestID()
	fail := func(err error) {
		if q.dialect.EC2Errors {
			writeEC2Error(w, err, requestID)
			return
		}
		writeQueryError(w, err, q.xmlns, requestID)
	}

	action := form.Get("Action")
	if action == "" {
		fail(badRequest("MissingAction", "Missing Action"))
		return
	}
	m, ok := q.methods()[action]
	if version := form.Get("Version"); ok && version != "" && version != q.version {
		ok = false
	}
	if !ok {
		fail(badRequest("InvalidAction", "Could not find operation "+action+" for version "+form.Get("Version")))
		return
	}
	if who == nil && !q.unsigned[action] {
		fail(missingAuth())
		return
	}
	fields := make(url.Values, len(form))
	for k, v := range form {
		if k != "Action" && k != "Version" {
			fields[k] = v
		}
	}
	in := reflect.New(m.Type.In(2).Elem())
	if err := decodeQuery(q.dialect, fields, in.Interface()); err != nil {
		fail(err)
		return
	}
	if q.name == "iam" && callerDefaulted[action] {
		defaultUserName(in, who)
	}
	res := m.Func.Call([]reflect.Value{reflect.ValueOf(q.fake(s.acct, who)), reflect.ValueOf(r.Context()), in})
	if errV := res[1]; !errV.IsNil() {
		err := errV.Interface().(error)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			fail(&apiError{Status: http.StatusServiceUnavailable, Code: "RequestTimeout", Message: err.Error()})
			return
		}
		fail(err)
		return
	}
	var buf bytes.Buffer
	q.dialect.encodeQueryResponse(&buf, action, q.xmlns, requestID, res[0].Interface())
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// queryServiceForUnsigned finds the query service that serves action
// without a signature (STS's AssumeRoleWithWebIdentity).
func queryServiceForUnsigned(action string) *queryService {
	for _, q := range queryServices {
		if q.unsigned[action] {
			return q
		}
	}
	return nil
}

// callerDefaulted are the IAM actions whose UserName, when omitted, is the
// IAM user that signed the request ("IAM determines the user name
// implicitly based on the access key ID used to sign the request").
var callerDefaulted = map[string]bool{
	"GetUser": true, "ListAccessKeys": true, "CreateAccessKey": true, "UpdateAccessKey": true, "DeleteAccessKey": true,
	"ListMFADevices": true, "ListSigningCertificates": true, "UploadSigningCertificate": true,
	"UpdateSigningCertificate": true, "DeleteSigningCertificate": true, "ListServiceSpecificCredentials": true,
	"ListSSHPublicKeys": true,
}

// defaultUserName sets in's UserName, when it is omitted, to the IAM user
// who signed the request: the owner of a long-term key, or the user whose
// GetSessionToken session signed it.
func defaultUserName(in reflect.Value, who *caller) {
	f := in.Elem().FieldByName("UserName")
	if !f.IsValid() || f.Kind() != reflect.Pointer || !f.IsNil() || who == nil {
		return
	}
	name := who.UserName
	if name == "" && who.Session != nil && who.Session.Kind == fakes.KindSessionToken {
		if _, rest, ok := strings.Cut(who.Session.ARN, ":user/"); ok {
			name = rest[strings.LastIndex(rest, "/")+1:]
		}
	}
	if name != "" {
		f.Set(reflect.ValueOf(&name))
	}
}
