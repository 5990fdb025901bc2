package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/smithy-go"

	"github.com/iamkit/iamkit/internal/fakes"
)

// This file is the AWS REST-JSON codec (IAM Access Analyzer) and the
// routing of the JSON 1.1 Organizations service. In restJson1 an operation
// is a method and path; body members are JSON keys in lower camel case (the
// Smithy member name's jsonName), query members are named by the model
// (here maxResults and nextToken); unions encode as an object with one key,
// the member's name; errors carry their code in the X-Amzn-Errortype
// header and a body {"message": …}.

// accessAnalyzerService is Access Analyzer's signing name.
const accessAnalyzerService = "access-analyzer"

// organizationsTargetPrefix is the X-Amz-Target prefix of Organizations.
const organizationsTargetPrefix = "AWSOrganizationsV20161128."

// restJSONRoute maps one method and path to an operation of the fake.
type restJSONRoute struct {
	method, path, op string
	// query maps the query parameters the operation takes to input members.
	query map[string]string
}

// accessAnalyzerRoutes are the Access Analyzer operations served.
var accessAnalyzerRoutes = []restJSONRoute{
	{method: http.MethodPost, path: "/policy/validation", op: "ValidatePolicy", query: map[string]string{"maxResults": "MaxResults", "nextToken": "NextToken"}},
	{method: http.MethodPost, path: "/policy/check-no-new-access", op: "CheckNoNewAccess"},
}

// accessAnalyzerStatus is the HTTP status of each Access Analyzer error code.
var accessAnalyzerStatus = map[string]int{
	"ValidationException":       http.StatusBadRequest,
	"AccessDeniedException":     http.StatusForbidden,
	"ResourceNotFoundException": http.StatusNotFound,
	"ConflictException":         http.StatusConflict,
	"ThrottlingException":       http.StatusTooManyRequests,
	"InternalServerException":   http.StatusInternalServerError,
}

// serveAccessAnalyzer answers one signed Access Analyzer request.
func (s *Server) serveAccessAnalyzer(w http.ResponseWriter, r *http.Request, body []byte) {
	var route *restJSONRoute
	for i := range accessAnalyzerRoutes {
		if rt := &accessAnalyzerRoutes[i]; rt.path == r.URL.Path && rt.method == r.Method {
			route = rt
		}
	}
	if route == nil {
		writeRESTJSONError(w, http.StatusNotFound, "UnknownOperationException", "no Access Analyzer operation at "+r.Method+" "+r.URL.Path, nil)
		return
	}
	o, ok := jsonOpOf(s.acct.AccessAnalyzer(), route.op)
	if !ok {
		writeRESTJSONError(w, http.StatusNotFound, "UnknownOperationException", "operation "+route.op+" is not served", nil)
		return
	}
	in := reflect.New(o.in)
	if err := decodeRESTJSON(body, r.URL.Query(), route.query, in.Interface()); err != nil {
		writeRESTJSONError(w, http.StatusBadRequest, "ValidationException", err.Error(), nil)
		return
	}
	res := o.fn.Call([]reflect.Value{reflect.ValueOf(r.Context()), in})
	if err, _ := res[1].Interface().(error); err != nil {
		writeRESTJSONServiceError(w, err)
		return
	}
	out, err := encodeRESTJSON(res[0].Interface())
	if err != nil {
		writeRESTJSONServiceError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Requestid", wireRequestID())
	_, _ = w.Write(out)
}

// decodeRESTJSON decodes a REST-JSON request into dst, a pointer to an SDK
// input struct: the body's members (matched to fields case-insensitively,
// so lower camel case works), then the query parameters query names.
func decodeRESTJSON(body []byte, q map[string][]string, query map[string]string, dst any) error {
	if err := decodeJSON(body, dst); err != nil {
		return err
	}
	v := reflect.ValueOf(dst).Elem()
	for param, field := range query {
		vals, ok := q[param]
		if !ok || len(vals) == 0 {
			continue
		}
		f := v.FieldByName(field)
		if !f.IsValid() {
			continue
		}
		t := f.Type()
		if t.Kind() != reflect.Pointer {
			return fmt.Errorf("query parameter %s: unsupported member", param)
		}
		p := reflect.New(t.Elem())
		switch t.Elem().Kind() {
		case reflect.String:
			p.Elem().SetString(vals[0])
		case reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(vals[0], 10, 64)
			if err != nil || p.Elem().OverflowInt(n) {
				return fmt.Errorf("query parameter %s: invalid integer %q", param, vals[0])
			}
			p.Elem().SetInt(n)
		default:
			return fmt.Errorf("query parameter %s: unsupported member", param)
		}
		f.Set(p)
	}
	return nil
}

// encodeRESTJSON encodes an SDK output struct (a pointer) as a REST-JSON
// response body.
func encodeRESTJSON(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		return []byte("{}"), nil
	}
	j, err := restJSONValue(rv, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

// lowerFirst turns a Go field name into its restJson1 key ("PolicyType" →
// "policyType").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// restJSONValue is jsonValue for restJson1: lower-camel keys, unions as a
// one-key object, timestamps as RFC 3339.
func restJSONValue(v reflect.Value, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("output nested too deeply")
	}
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, nil
		}
		// A union member: *types.PathElementMemberIndex{Value: 3} → {"index": 3}.
		c := v.Elem()
		for c.Kind() == reflect.Pointer {
			if c.IsNil() {
				return nil, nil
			}
			c = c.Elem()
		}
		_, member, ok := strings.Cut(c.Type().Name(), "Member")
		vf := c.FieldByName("Value")
		if !ok || !vf.IsValid() {
			return nil, fmt.Errorf("cannot encode union %s", c.Type())
		}
		e, err := restJSONValue(vf, depth+1)
		if err != nil {
			return nil, err
		}
		return map[string]any{lowerFirst(member): e}, nil
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	t := v.Type()
	switch {
	case t == timeType:
		return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano), nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		if v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			e, err := restJSONValue(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case t.Kind() == reflect.Struct:
		out := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			if !serialized(f) || isUnset(v.Field(i)) {
				continue
			}
			e, err := restJSONValue(v.Field(i), depth+1)
			if err != nil {
				return nil, err
			}
			out[lowerFirst(f.Name)] = e
		}
		return out, nil
	}
	return jsonValue(v, depth)
}

// writeRESTJSONServiceError answers an error of the fake as Access
// Analyzer sends it.
func writeRESTJSONServiceError(w http.ResponseWriter, err error) {
	var ae smithy.APIError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeRESTJSONError(w, http.StatusServiceUnavailable, "ServiceUnavailableException", "the request was cancelled", nil)
	case errors.As(err, &ae) && isThrottle(ae.ErrorCode()):
		writeRESTJSONError(w, http.StatusTooManyRequests, "ThrottlingException", ae.ErrorMessage(), nil)
	case errors.As(err, &ae):
		status, ok := accessAnalyzerStatus[ae.ErrorCode()]
		if !ok {
			status = http.StatusBadRequest
			if ae.ErrorFault() == smithy.FaultServer {
				status = http.StatusInternalServerError
			}
		}
		writeRESTJSONError(w, status, ae.ErrorCode(), ae.ErrorMessage(), ae)
	default:
		writeRESTJSONError(w, http.StatusInternalServerError, "InternalServerException", err.Error(), nil)
	}
}

// writeRESTJSONError writes a restJson1 error; typed, an SDK exception
// struct, contributes its other members (ValidationException's reason).
func writeRESTJSONError(w http.ResponseWriter, status int, code, message string, typed any) {
	body := map[string]any{}
	if typed != nil && reflect.TypeOf(typed).Kind() == reflect.Pointer && reflect.TypeOf(typed).Elem().Kind() == reflect.Struct {
		if v, err := restJSONValue(reflect.ValueOf(typed), 0); err == nil {
			if m, ok := v.(map[string]any); ok {
				body = m
			}
		}
	}
	delete(body, "errorCodeOverride")
	body["message"] = message
	out, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", code)
	h.Set("X-Amzn-Requestid", wireRequestID())
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// servesAccessAnalyzer reports whether op is an Access Analyzer operation
// the server answers.
func servesAccessAnalyzer(op string) bool {
	for _, r := range accessAnalyzerRoutes {
		if r.op == op {
			return true
		}
	}
	return false
}

func accessAnalyzerOps() []string {
	ops := make([]string, len(accessAnalyzerRoutes))
	for i, r := range accessAnalyzerRoutes {
		ops[i] = r.op
	}
	return ops
}

// ---- Organizations (JSON 1.1) ----

// organizationsStatus is the HTTP status of the Organizations error codes
// (the others: 400).
var organizationsStatus = map[string]int{
	"ServiceException": http.StatusInternalServerError,
}

func (s *Server) organizationsService() *jsonService {
	return &jsonService{
		recv:     s.acct.Organizations(),
		prefix:   organizationsTargetPrefix,
		status:   organizationsStatus,
		throttle: "TooManyRequestsException", throttleStatus: http.StatusBadRequest,
		internal: "ServiceException",
	}
}

func servesOrganizations(op string) bool {
	_, ok := jsonOpOf((*fakes.Organizations)(nil), op)
	return ok
}

func organizationsOps() []string { return jsonOps((*fakes.Organizations)(nil)) }
