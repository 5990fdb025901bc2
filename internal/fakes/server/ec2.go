package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/iamkit/iamkit/internal/fakes"
)

// EC2 is served for one action, DescribeTags (what hostsync/ec2tags calls),
// in EC2's query dialect, by hand rather than through the reflective query
// codec: that codec decodes into the SDK's input structs, and the SDK's
// service/ec2 package is too heavy a dependency for every test binary that
// links the fakes. The fake account's EC2 has its own shapes
// (fakes.DescribeTagsRequest). Requests: Action, Version (2016-11-15),
// Filter.N.Name, Filter.N.Value.M, MaxResults, NextToken. Answers:
//
//	<DescribeTagsResponse xmlns=...><requestId/><tagSet><item><resourceId/>
//	<resourceType/><key/><value/></item>...</tagSet><nextToken/></DescribeTagsResponse>
//
// and errors in EC2's shape (writeEC2Error).
const (
	ec2Version = "2016-11-15"
	ec2XMLNS   = "http://ec2.amazonaws.com/doc/2016-11-15/"
)

// ec2Status are the HTTP statuses of EC2 error codes that differ from
// queryStatus's.
var ec2Status = map[string]int{"UnauthorizedOperation": http.StatusForbidden}

// serveEC2 answers one signed EC2 request.
func (s *Server) serveEC2(w http.ResponseWriter, r *http.Request, body []byte, who *caller) {
	requestID := newRequestID()
	fail := func(err error) { writeEC2Error(w, err, requestID) }
	if who == nil {
		fail(missingAuth())
		return
	}
	form, err := parseQueryForm(r, body)
	if err != nil {
		fail(badRequest("MalformedQueryString", "the request body is not a valid form"))
		return
	}
	if a := form.Get("Action"); a != "DescribeTags" || form.Get("Version") != ec2Version {
		fail(badRequest("InvalidAction", "The action "+a+" is not valid for this web service."))
		return
	}
	in, err := decodeDescribeTags(form)
	if err != nil {
		fail(err)
		return
	}
	out, err := s.acct.EC2().DescribeTags(r.Context(), in)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = &apiError{Status: http.StatusServiceUnavailable, Code: "RequestTimeout", Message: err.Error()}
		}
		fail(err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	buf.WriteString(`<DescribeTagsResponse xmlns="` + ec2XMLNS + `"><requestId>` + requestID + `</requestId><tagSet>`)
	for _, t := range out.Tags {
		for _, f := range [][2]string{{"resourceId", t.ResourceID}, {"resourceType", t.ResourceType}, {"key", t.Key}, {"value", t.Value}} {
			if f[0] == "resourceId" {
				buf.WriteString("<item>")
			}
			buf.WriteString("<" + f[0] + ">")
			xmlText(&buf, f[1])
			buf.WriteString("</" + f[0] + ">")
		}
		buf.WriteString("</item>")
	}
	buf.WriteString("</tagSet>")
	if out.NextToken != "" {
		buf.WriteString("<nextToken>")
		xmlText(&buf, out.NextToken)
		buf.WriteString("</nextToken>")
	}
	buf.WriteString("</DescribeTagsResponse>")
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// decodeDescribeTags reads DescribeTags' parameters; an unknown one is
// UnknownParameter, a malformed one InvalidParameterValue.
func decodeDescribeTags(form url.Values) (fakes.DescribeTagsRequest, error) {
	var in fakes.DescribeTagsRequest
	invalid := func(k string) error {
		return badRequest("InvalidParameterValue", "Invalid value for parameter "+k)
	}
	type filter struct {
		name   string
		values map[int]string
	}
	filters := map[int]*filter{}
	index := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 1 && n <= 1000 && strconv.Itoa(n) == s
	}
	for k, vs := range form {
		v := vs[len(vs)-1]
		switch k {
		case "Action", "Version":
			continue
		case "MaxResults":
			n, err := strconv.Atoi(v)
			if err != nil {
				return in, invalid(k)
			}
			in.MaxResults = n
			continue
		case "NextToken":
			in.NextToken = v
			continue
		}
		parts := strings.Split(k, ".")
		if parts[0] != "Filter" || len(parts) < 3 {
			return in, badRequest("UnknownParameter", "The parameter "+k+" is not recognized")
		}
		n, ok := index(parts[1])
		if !ok {
			return in, invalid(k)
		}
		f := filters[n]
		if f == nil {
			f = &filter{values: map[int]string{}}
			filters[n] = f
		}
		switch {
		case len(parts) == 3 && parts[2] == "Name":
			f.name = v
		case len(parts) == 4 && parts[2] == "Value":
			m, ok := index(parts[3])
			if !ok {
				return in, invalid(k)
			}
			f.values[m] = v
		default:
			return in, badRequest("UnknownParameter", "The parameter "+k+" is not recognized")
		}
	}
	ns := make([]int, 0, len(filters))
	for n := range filters {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	for _, n := range ns {
		f := filters[n]
		if f.name == "" {
			return in, invalid("Filter." + strconv.Itoa(n) + ".Name")
		}
		ms := make([]int, 0, len(f.values))
		for m := range f.values {
			ms = append(ms, m)
		}
		sort.Ints(ms)
		flt := fakes.EC2Filter{Name: f.name}
		for _, m := range ms {
			flt.Values = append(flt.Values, f.values[m])
		}
		in.Filters = append(in.Filters, flt)
	}
	return in, nil
}

// writeEC2Error answers err in EC2's shape, which the SDK's ec2query
// deserializers read:
//
//	<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
func writeEC2Error(w http.ResponseWriter, err error, requestID string) {
	e := apiErrorOf(err)
	if st, ok := ec2Status[e.Code]; ok {
		e.Status = st
	}
	var buf bytes.Buffer
	buf.WriteString("<Response><Errors><Error><Code>")
	xmlText(&buf, e.Code)
	buf.WriteString("</Code><Message>")
	xmlText(&buf, e.Message)
	buf.WriteString("</Message></Error></Errors><RequestID>")
	buf.WriteString(requestID)
	buf.WriteString("</RequestID></Response>")
	writeXMLError(w, e.Status, requestID, buf.Bytes())
}
