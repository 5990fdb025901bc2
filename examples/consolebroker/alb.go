package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// albHandler serves h as the Lambda target of an Application Load
// Balancer's target group: it turns the ALB's event into an http.Request
// and the handler's answer into the ALB's response. The ALB passes the
// query string as the client sent it (still percent-encoded) and, with
// lambda.multi_value_headers.enabled, every value of repeated headers and
// parameters; the answer uses the same form as the request.
func albHandler(h http.Handler) func(ctx context.Context, ev events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error) {
	return func(ctx context.Context, ev events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error) {
		q := url.Values{}
		add := func(k, v string) {
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			if dv, err := url.QueryUnescape(v); err == nil {
				v = dv
			}
			q.Add(k, v)
		}
		multi := ev.MultiValueHeaders != nil || ev.MultiValueQueryStringParameters != nil
		for k, vs := range ev.MultiValueQueryStringParameters {
			for _, v := range vs {
				add(k, v)
			}
		}
		if ev.MultiValueQueryStringParameters == nil {
			for k, v := range ev.QueryStringParameters {
				add(k, v)
			}
		}
		body := ev.Body
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				return events.ALBTargetGroupResponse{StatusCode: http.StatusBadRequest, StatusDescription: "400 Bad Request"}, nil
			}
			body = string(b)
		}
		path := ev.Path
		if path == "" {
			path = "/"
		}
		req, err := http.NewRequestWithContext(ctx, ev.HTTPMethod, "/", strings.NewReader(body))
		if err != nil {
			return events.ALBTargetGroupResponse{StatusCode: http.StatusBadRequest, StatusDescription: "400 Bad Request"}, nil
		}
		req.URL = &url.URL{Path: path, RawQuery: q.Encode()}
		req.RequestURI = req.URL.RequestURI()
		for k, vs := range ev.MultiValueHeaders {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		if ev.MultiValueHeaders == nil {
			for k, v := range ev.Headers {
				req.Header.Set(k, v)
			}
		}
		req.Host = req.Header.Get("Host")
		// The ALB appends the address it saw to X-Forwarded-For: the last
		// entry. What comes before is the client's own word, so a client
		// could put any address in the broker's logs through it.
		if xff := strings.Join(req.Header.Values("X-Forwarded-For"), ","); strings.TrimSpace(xff) != "" {
			req.RemoteAddr = strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:]) + ":0"
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := events.ALBTargetGroupResponse{
			StatusCode:        rec.Code,
			StatusDescription: http.StatusText(rec.Code),
			Body:              rec.Body.String(),
		}
		resp.StatusDescription = strconv.Itoa(rec.Code) + " " + resp.StatusDescription
		if multi {
			resp.MultiValueHeaders = map[string][]string(rec.Header())
		} else {
			resp.Headers = map[string]string{}
			for k, vs := range rec.Header() {
				resp.Headers[k] = strings.Join(vs, ", ")
			}
		}
		return resp, nil
	}
}
