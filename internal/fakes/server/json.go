package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// This file is the AWS JSON 1.1 codec (Cognito Identity today,
// Organizations later): requests decode into the SDK's own input structs,
// outputs and typed errors encode from the SDK's structs, by reflection. In
// awsJson1_1 a member's JSON key is its Smithy member name, which is the Go
// field name of the SDK's struct; timestamps are epoch seconds (numbers),
// blobs base64 strings, enums strings.

// maxJSONDepth bounds nesting when decoding, so a hostile body cannot
// exhaust the stack (encoding/json itself allows 10000 levels).
const maxJSONDepth = 64

// jsonService describes one JSON 1.1 service for serveJSON.
type jsonService struct {
	// recv is the in-process fake whose methods have the SDK client's
	// signatures (*fakes.Cognito).
	recv any
	// prefix is the X-Amz-Target prefix, for error messages.
	prefix string
	// unsigned lists the operations AWS serves without credentials.
	unsigned map[string]bool
	// status gives the HTTP status AWS answers an error code with; codes
	// not listed answer 400 (client fault) or 500 (server fault).
	status map[string]int
	// throttle is the error code and status the service throttles with.
	throttle       string
	throttleStatus int
	// internal is the code of the service's internal error.
	internal string
}

// jsonOp is one operation of a fake: a method func(ctx, *In, ...optFns)
// (*Out, error).
type jsonOp struct {
	fn reflect.Value
	in reflect.Type // the input struct type (not the pointer)
}

var (
	ctxType = reflect.TypeFor[context.Context]()
	errType = reflect.TypeFor[error]()
)

// jsonOpOf returns recv's method op when it has the shape of an SDK client
// method.
func jsonOpOf(recv any, op string) (jsonOp, bool) {
	if op == "" || !isExportedName(op) {
		return jsonOp{}, false
	}
	m := reflect.ValueOf(recv).MethodByName(op)
	if !m.IsValid() {
		return jsonOp{}, false
	}
	t := m.Type()
	if t.NumIn() != 3 || !t.IsVariadic() || t.In(0) != ctxType || t.In(1).Kind() != reflect.Pointer ||
		t.In(1).Elem().Kind() != reflect.Struct || t.NumOut() != 2 || t.Out(1) != errType {
		return jsonOp{}, false
	}
	return jsonOp{fn: m, in: t.In(1).Elem()}, true
}

func isExportedName(s string) bool { return s[0] >= 'A' && s[0] <= 'Z' }

// jsonOps lists the operations recv serves over JSON 1.1: its methods with
// an SDK client method's shape.
func jsonOps(recv any) []string {
	t := reflect.TypeOf(recv)
	var ops []string
	for i := range t.NumMethod() {
		if _, ok := jsonOpOf(recv, t.Method(i).Name); ok {
			ops = append(ops, t.Method(i).Name)
		}
	}
	return ops
}

// serveJSON answers one JSON 1.1 request for svc: op is the X-Amz-Target
// suffix, body the request body, signed whether the request carried valid
// credentials.
func serveJSON(w http.ResponseWriter, r *http.Request, svc *jsonService, op string, body []byte, signed bool) {
	o, ok := jsonOpOf(svc.recv, op)
	if !ok {
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("Operation %s%s is not supported by this endpoint.", svc.prefix, op), nil)
		return
	}
	if !signed && !svc.unsigned[op] {
		writeJSONError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token", nil)
		return
	}
	in := reflect.New(o.in)
	if err := decodeJSON(body, in.Interface()); err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", err.Error(), nil)
		return
	}
	res := o.fn.Call([]reflect.Value{reflect.ValueOf(r.Context()), in})
	if err, _ := res[1].Interface().(error); err != nil {
		svc.writeError(w, err)
		return
	}
	out, err := encodeJSON(res[0].Interface())
	if err != nil {
		svc.writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-Requestid", wireRequestID())
	_, _ = w.Write(out)
}

// writeError answers err as the service sends errors: status, code (in the
// X-Amzn-Errortype header and the body's __type) and message, with the
// typed exception's own fields in the body.
func (svc *jsonService) writeError(w http.ResponseWriter, err error) {
	var ae smithy.APIError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeJSONError(w, http.StatusServiceUnavailable, "ServiceUnavailableException", "the request was cancelled", nil)
	case errors.As(err, &ae) && isThrottle(ae.ErrorCode()):
		writeJSONError(w, svc.throttleStatus, svc.throttle, ae.ErrorMessage(), nil)
	case errors.As(err, &ae):
		status, ok := svc.status[ae.ErrorCode()]
		if !ok {
			status = http.StatusBadRequest
			if ae.ErrorFault() == smithy.FaultServer {
				status = http.StatusInternalServerError
			}
		}
		writeJSONError(w, status, ae.ErrorCode(), ae.ErrorMessage(), ae)
	default:
		writeJSONError(w, http.StatusInternalServerError, svc.internal, err.Error(), nil)
	}
}

// isThrottle reports whether code is one of the fakes' throttling codes.
func isThrottle(code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded":
		return true
	}
	return false
}

// writeJSONError writes a JSON 1.1 error. typed, when it is one of the
// SDK's exception structs, contributes its other fields to the body.
func writeJSONError(w http.ResponseWriter, status int, code, message string, typed any) {
	body := map[string]any{}
	if typed != nil && reflect.TypeOf(typed).Kind() == reflect.Pointer && reflect.TypeOf(typed).Elem().Kind() == reflect.Struct {
		if v, err := jsonValue(reflect.ValueOf(typed), 0); err == nil {
			if m, ok := v.(map[string]any); ok {
				body = m
			}
		}
	}
	delete(body, "ErrorCodeOverride")
	delete(body, "Message")
	body["__type"] = code
	body["message"] = message
	out, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-Errortype", code)
	h.Set("X-Amzn-Requestid", wireRequestID())
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// ---- decoding ----

// decodeJSON decodes a JSON 1.1 request body into dst, a pointer to an SDK
// input struct. An empty body is an empty input. Unknown members are
// ignored, as AWS does; a member of the wrong JSON type is an error.
func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("malformed JSON body: data after the top-level value")
	}
	if _, ok := doc.(map[string]any); !ok {
		return errors.New("the request body must be a JSON object")
	}
	return setJSON(reflect.ValueOf(dst).Elem(), doc, "", 0)
}

var (
	timeType = reflect.TypeFor[time.Time]()
	metaType = reflect.TypeFor[middleware.Metadata]()
)

// setJSON stores the JSON value j into v, whose type is an SDK shape.
func setJSON(v reflect.Value, j any, path string, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("%s: nested too deeply", pathOr(path))
	}
	if j == nil {
		return nil // null: leave the member unset
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := setJSON(p.Elem(), j, path, depth+1); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	mismatch := func(want string) error {
		return fmt.Errorf("%s: expected %s, got %s", pathOr(path), want, jsonKind(j))
	}
	switch {
	case t == timeType:
		n, ok := j.(json.Number)
		if !ok {
			return mismatch("a timestamp (epoch seconds)")
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e11 {
			return fmt.Errorf("%s: invalid timestamp %s", pathOr(path), n)
		}
		sec, frac := math.Modf(f)
		v.Set(reflect.ValueOf(time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC()))
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		s, ok := j.(string)
		if !ok {
			return mismatch("a base64 string")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fmt.Errorf("%s: invalid base64: %w", pathOr(path), err)
		}
		v.SetBytes(b)
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		s, ok := j.(string)
		if !ok {
			return mismatch("a string")
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := j.(bool)
		if !ok {
			return mismatch("a boolean")
		}
		v.SetBool(b)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		n, ok := j.(json.Number)
		if !ok {
			return mismatch("an integer")
		}
		i, err := n.Int64()
		if err != nil || v.OverflowInt(i) {
			return fmt.Errorf("%s: invalid integer %s", pathOr(path), n)
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		n, ok := j.(json.Number)
		if !ok {
			return mismatch("a number")
		}
		f, err := n.Float64()
		if err != nil {
			return fmt.Errorf("%s: invalid number %s", pathOr(path), n)
		}
		v.SetFloat(f)
	case reflect.Slice:
		a, ok := j.([]any)
		if !ok {
			return mismatch("a list")
		}
		s := reflect.MakeSlice(t, len(a), len(a))
		for i, e := range a {
			if err := setJSON(s.Index(i), e, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		m, ok := j.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return mismatch("a map")
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for k, e := range m {
			ev := reflect.New(t.Elem()).Elem()
			if err := setJSON(ev, e, path+"."+k, depth+1); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		v.Set(out)
	case reflect.Struct:
		m, ok := j.(map[string]any)
		if !ok {
			return mismatch("a structure")
		}
		for k, e := range m {
			f, ok := jsonField(t, k)
			if !ok {
				continue // unknown member: ignored
			}
			if err := setJSON(v.FieldByIndex(f.Index), e, joinPath(path, k), depth+1); err != nil {
				return err
			}
		}
	default:
		// Unions and documents: no JSON 1.1 operation a fake serves uses
		// them yet.
		return fmt.Errorf("%s: members of type %s are not supported", pathOr(path), t)
	}
	return nil
}

// jsonField finds the member named key in struct type t: the exported
// field of that name, or failing that, of that name in another case.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	if f, ok := t.FieldByName(key); ok && f.IsExported() && len(f.Index) == 1 && serialized(f) {
		return f, true
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && serialized(f) && strings.EqualFold(f.Name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// serialized reports whether an SDK struct field is a member on the wire
// (not ResultMetadata, not the error types' ErrorCodeOverride).
func serialized(f reflect.StructField) bool {
	return f.IsExported() && f.Type != metaType && f.Name != "ErrorCodeOverride"
}

func jsonKind(j any) string {
	switch j.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func pathOr(path string) string {
	if path == "" {
		return "the request body"
	}
	return path
}

// ---- encoding ----

// encodeJSON encodes an SDK output struct (a pointer) as a JSON 1.1
// response body.
func encodeJSON(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		return []byte("{}"), nil
	}
	j, err := jsonValue(rv, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

// jsonValue converts an SDK shape to what encoding/json writes as its
// JSON 1.1 form. Unset members (nil pointers, slices, maps, empty enums)
// are left out.
func jsonValue(v reflect.Value, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("output nested too deeply")
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	t := v.Type()
	switch {
	case t == timeType:
		tm := v.Interface().(time.Time)
		return json.Number(formatEpoch(tm)), nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return base64.StdEncoding.EncodeToString(v.Bytes()), nil
	}
	switch t.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return v.Int(), nil
	case reflect.Float32, reflect.Float64:
		return v.Float(), nil
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			e, err := jsonValue(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			e, err := jsonValue(it.Value(), depth+1)
			if err != nil {
				return nil, err
			}
			out[it.Key().String()] = e
		}
		return out, nil
	case reflect.Struct:
		out := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			if !serialized(f) {
				continue
			}
			fv := v.Field(i)
			if isUnset(fv) {
				continue
			}
			e, err := jsonValue(fv, depth+1)
			if err != nil {
				return nil, err
			}
			out[f.Name] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot encode a %s as JSON 1.1", t)
}

// isUnset reports whether an SDK member is absent: a nil pointer, slice,
// map or interface, or an empty enum.
func isUnset(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	case reflect.String:
		return v.Len() == 0
	}
	return false
}

// formatEpoch formats t as epoch seconds with millisecond precision, as
// AWS does ("1736931600" or "1736931600.123").
func formatEpoch(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1e3, 'f', -1, 64)
}

// wireRequestID returns a fresh request ID in AWS's UUID form.
func wireRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
