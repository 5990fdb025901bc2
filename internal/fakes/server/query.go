package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	smithytime "github.com/aws/smithy-go/time"
)

// The AWS query protocol codec: form values into the SDK's input structs,
// the SDK's output structs into XML, both by reflection over the SDK types,
// so one codec serves every operation of every query service.

// queryDialect is what differs between the query protocols: IAM and STS
// (awsquery) name list members "member" and wrap results in <ActionResult>;
// EC2 flattens lists in requests and names members "item" in responses.
type queryDialect struct {
	// ListMember is the path segment of a list element in requests
	// ("member": Tags.member.1.Key); "" for flattened lists (Tags.1.Key).
	ListMember string
	// ItemName is the element of one list element in responses.
	ItemName string
	// WrapResult wraps the output in <ActionResult> inside <ActionResponse>.
	WrapResult bool
	// WireName, when set, gives a struct field's member name on the wire
	// where it differs from the Go field name beyond letter case (EC2's
	// locationName: Filters is "Filter" in requests, "tagSet" in
	// responses); request is true when decoding a request.
	WireName func(t reflect.Type, field reflect.StructField, request bool) string
	// EC2Errors answers errors in EC2's shape (writeEC2Error) rather than
	// <ErrorResponse>.
	EC2Errors bool
}

// wireName is the member name of field f of struct type t.
func (d queryDialect) wireName(t reflect.Type, f reflect.StructField, request bool) string {
	if d.WireName != nil {
		if n := d.WireName(t, f, request); n != "" {
			return n
		}
	}
	return f.Name
}

// awsQuery is the dialect of IAM and STS.
var awsQuery = queryDialect{ListMember: "member", ItemName: "member", WrapResult: true}

// maxListIndex bounds the 1-based index of a list element in a request.
const maxListIndex = 10000

// formNode is one level of a dotted form key tree: "Tags.member.1.Key=v"
// gives root → tags → member → 1 → key, holding v.
type formNode struct {
	value    *string
	children map[string]*formNode // keyed by lower-cased segment
}

func (n *formNode) child(seg string) *formNode {
	if n.children == nil {
		n.children = map[string]*formNode{}
	}
	k := strings.ToLower(seg)
	c, ok := n.children[k]
	if !ok {
		c = &formNode{}
		n.children[k] = c
	}
	return c
}

// buildFormTree arranges form values by their dotted keys. The first value
// of a repeated key wins, as the services do.
func buildFormTree(form map[string][]string) *formNode {
	root := &formNode{}
	for k, vs := range form {
		if len(vs) == 0 {
			continue
		}
		n := root
		for seg := range strings.SplitSeq(k, ".") {
			n = n.child(seg)
		}
		if n.value == nil {
			v := vs[0]
			n.value = &v
		}
	}
	return root
}

var (
	queryTimeType  = reflect.TypeFor[time.Time]()
	queryBytesType = reflect.TypeFor[[]byte]()
)

// decodeQuery fills dst, a pointer to an SDK input struct, from form values
// (Action and Version excluded by the caller). Member names match the
// struct's field names case-insensitively, which covers the SDK's wire
// names (STS's PolicyDescriptorType "arn" for Arn); unknown keys are
// ignored, as the services ignore them.
func decodeQuery(d queryDialect, form map[string][]string, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode into %T: not a pointer to a struct", dst)
	}
	return d.decodeStruct(buildFormTree(form), v.Elem(), "")
}

func (d queryDialect) decodeStruct(n *formNode, v reflect.Value, path string) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		c, ok := n.children[strings.ToLower(d.wireName(t, f, true))]
		if !ok {
			continue
		}
		if err := d.decodeValue(c, v.Field(i), path+f.Name); err != nil {
			return err
		}
	}
	return nil
}

func invalidValue(path, raw, want string) error {
	return badRequest("ValidationError", fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be %s", raw, path, want))
}

func (d queryDialect) decodeValue(n *formNode, v reflect.Value, path string) error {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		e := reflect.New(t.Elem())
		if err := d.decodeValue(n, e.Elem(), path); err != nil {
			return err
		}
		v.Set(e)
		return nil
	}
	raw := ""
	if n.value != nil {
		raw = *n.value
	}
	switch {
	case t == queryTimeType:
		tm, err := parseQueryTime(raw)
		if err != nil {
			return invalidValue(path, raw, "a timestamp")
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	case t == queryBytesType || (t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8):
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return invalidValue(path, "…", "base64-encoded")
		}
		v.SetBytes(b)
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil || (raw != "true" && raw != "false") {
			return invalidValue(path, raw, "true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(raw, 10, t.Bits())
		if err != nil {
			return invalidValue(path, raw, "an integer")
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(raw, 10, t.Bits())
		if err != nil {
			return invalidValue(path, raw, "an unsigned integer")
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(raw, t.Bits())
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return invalidValue(path, raw, "a number")
		}
		v.SetFloat(f)
	case reflect.Struct:
		return d.decodeStruct(n, v, path+".")
	case reflect.Slice:
		return d.decodeList(n, v, path)
	case reflect.Map:
		return d.decodeMap(n, v, path)
	default:
		// Unions and documents: not used by the query services iamkit
		// calls; left unset.
	}
	return nil
}

// indexed returns the children of n named by 1-based indexes, in order.
func indexed(n *formNode, path string) ([]*formNode, error) {
	type item struct {
		i int
		n *formNode
	}
	items := make([]item, 0, len(n.children))
	for k, c := range n.children {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > maxListIndex || strconv.Itoa(i) != k {
			return nil, invalidValue(path, k, fmt.Sprintf("a list index between 1 and %d", maxListIndex))
		}
		items = append(items, item{i, c})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]*formNode, len(items))
	for j, it := range items {
		out[j] = it.n
	}
	return out, nil
}

func (d queryDialect) decodeList(n *formNode, v reflect.Value, path string) error {
	elems := n
	if d.ListMember != "" {
		m, ok := n.children[d.ListMember]
		if !ok {
			// "Tags=" (no members) is how the SDK sends an empty list.
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return nil
		}
		elems = m
	}
	nodes, err := indexed(elems, path)
	if err != nil {
		return err
	}
	s := reflect.MakeSlice(v.Type(), len(nodes), len(nodes))
	for i, c := range nodes {
		if err := d.decodeValue(c, s.Index(i), fmt.Sprintf("%s.%d", path, i+1)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func (d queryDialect) decodeMap(n *formNode, v reflect.Value, path string) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		return nil
	}
	m := reflect.MakeMap(t)
	if entries, ok := n.children["entry"]; ok {
		nodes, err := indexed(entries, path)
		if err != nil {
			return err
		}
		for _, c := range nodes {
			kn, vn := c.children["key"], c.children["value"]
			if kn == nil || kn.value == nil {
				return invalidValue(path, "", "a map entry with a key")
			}
			key := reflect.New(t.Key()).Elem()
			key.SetString(*kn.value)
			val := reflect.New(t.Elem()).Elem()
			if vn != nil {
				if err := d.decodeValue(vn, val, path+"."+*kn.value); err != nil {
					return err
				}
			}
			m.SetMapIndex(key, val)
		}
	}
	v.Set(m)
	return nil
}

// parseQueryTime accepts the timestamps the SDK's query serializer sends
// (ISO 8601, smithytime.FormatDateTime) and epoch seconds.
func parseQueryTime(raw string) (time.Time, error) {
	if t, err := smithytime.ParseDateTime(raw); err == nil {
		return t, nil
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("timestamp %q: not ISO 8601 or epoch seconds", raw)
	}
	return smithytime.ParseEpochSeconds(f), nil
}

// ---- responses ----

// encodeQueryResponse renders out, an SDK output struct, as the query
// protocol's response document:
//
//	<ActionResponse xmlns="…"><ActionResult>…</ActionResult>
//	<ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>
//
// Lists are <Name><member>…</member></Name>, maps <entry><key/><value/>,
// timestamps ISO 8601 in UTC, blobs base64. String values go out as the fake
// holds them: GetRole's AssumeRolePolicyDocument is URL-encoded there, as
// IAM sends it (the SDK does not decode it).
func (d queryDialect) encodeQueryResponse(buf *bytes.Buffer, action, xmlns, requestID string, out any) {
	buf.WriteString("<" + action + `Response xmlns="`)
	xmlText(buf, xmlns)
	buf.WriteString(`">`)
	v := reflect.ValueOf(out)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	var body bytes.Buffer
	if v.Kind() == reflect.Struct {
		d.encodeFields(&body, v, true)
	}
	if d.WrapResult {
		// Always there, even empty: the SDK's deserializers of operations
		// with an empty output structure (UpdateRole) require the element,
		// and those of operations without one ignore the body.
		buf.WriteString("<" + action + "Result>")
		buf.Write(body.Bytes())
		buf.WriteString("</" + action + "Result>")
		buf.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata>")
	} else {
		buf.WriteString("<requestId>" + requestID + "</requestId>")
		buf.Write(body.Bytes())
	}
	buf.WriteString("</" + action + "Response>")
}

// encodeFields writes the wire members of struct v. top marks an output
// struct: its lists are sent even when empty (<Users/>), as the services
// send their required lists.
func (d queryDialect) encodeFields(buf *bytes.Buffer, v reflect.Value, top bool) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous || (top && f.Name == "ResultMetadata") {
			continue
		}
		fv := v.Field(i)
		name := d.wireName(t, f, false)
		if top && fv.Kind() == reflect.Slice && fv.IsNil() && fv.Type() != queryBytesType {
			buf.WriteString("<" + name + "/>")
			continue
		}
		d.encodeValue(buf, name, fv)
	}
}

func (d queryDialect) encodeValue(buf *bytes.Buffer, name string, v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	t := v.Type()
	switch {
	case t == queryTimeType:
		buf.WriteString("<" + name + ">" + smithytime.FormatDateTime(v.Interface().(time.Time).UTC()) + "</" + name + ">")
		return
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		if v.IsNil() {
			return
		}
		buf.WriteString("<" + name + ">" + base64.StdEncoding.EncodeToString(v.Bytes()) + "</" + name + ">")
		return
	}
	switch t.Kind() {
	case reflect.String:
		if v.String() == "" && t.Name() != "string" {
			return // an unset enum
		}
		buf.WriteString("<" + name + ">")
		xmlText(buf, v.String())
		buf.WriteString("</" + name + ">")
	case reflect.Bool:
		buf.WriteString("<" + name + ">" + strconv.FormatBool(v.Bool()) + "</" + name + ">")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		buf.WriteString("<" + name + ">" + strconv.FormatInt(v.Int(), 10) + "</" + name + ">")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		buf.WriteString("<" + name + ">" + strconv.FormatUint(v.Uint(), 10) + "</" + name + ">")
	case reflect.Float32, reflect.Float64:
		buf.WriteString("<" + name + ">" + strconv.FormatFloat(v.Float(), 'g', -1, t.Bits()) + "</" + name + ">")
	case reflect.Struct:
		buf.WriteString("<" + name + ">")
		d.encodeFields(buf, v, false)
		buf.WriteString("</" + name + ">")
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		buf.WriteString("<" + name + ">")
		for i := range v.Len() {
			d.encodeValue(buf, d.ItemName, v.Index(i))
		}
		buf.WriteString("</" + name + ">")
	case reflect.Map:
		if v.IsNil() || t.Key().Kind() != reflect.String {
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(a, b int) bool { return keys[a].String() < keys[b].String() })
		buf.WriteString("<" + name + ">")
		for _, k := range keys {
			buf.WriteString("<entry><key>")
			xmlText(buf, k.String())
			buf.WriteString("</key>")
			d.encodeValue(buf, "value", v.MapIndex(k))
			buf.WriteString("</entry>")
		}
		buf.WriteString("</" + name + ">")
	default:
		// Unions and documents: not used by the query services iamkit calls.
	}
}
