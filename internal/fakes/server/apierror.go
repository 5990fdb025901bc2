package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"

	"github.com/aws/smithy-go"
)

// apiError is an error the server answers itself (authentication, routing,
// decoding), before or instead of calling the fake.
type apiError struct {
	Status  int
	Code    string
	Message string
	Fault   smithy.ErrorFault
}

func (e *apiError) Error() string        { return e.Code + ": " + e.Message }
func (e *apiError) ErrorCode() string    { return e.Code }
func (e *apiError) ErrorMessage() string { return e.Message }
func (e *apiError) ErrorFault() smithy.ErrorFault {
	if e.Fault == smithy.FaultUnknown {
		return smithy.FaultClient
	}
	return e.Fault
}

func badRequest(code, message string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: message}
}

// queryStatus is the HTTP status IAM, STS and SNS answer an error code with.
// Codes not listed answer 400 for a client fault and 500 for a server fault.
var queryStatus = map[string]int{
	"AccessDenied":                  http.StatusForbidden,
	"AccessDeniedException":         http.StatusForbidden,
	"ConcurrentModification":        http.StatusConflict,
	"CredentialReportExpired":       http.StatusGone,
	"CredentialReportNotPresent":    http.StatusGone,
	"CredentialReportNotReady":      http.StatusNotFound,
	"DeleteConflict":                http.StatusConflict,
	"DuplicateCertificate":          http.StatusConflict,
	"EntityAlreadyExists":           http.StatusConflict,
	"EntityTemporarilyUnmodifiable": http.StatusConflict,
	"ExpiredToken":                  http.StatusForbidden,
	"IDPRejectedClaim":              http.StatusForbidden,
	"InternalFailure":               http.StatusInternalServerError,
	"InvalidAuthenticationCode":     http.StatusForbidden,
	"InvalidClientTokenId":          http.StatusForbidden,
	"LimitExceeded":                 http.StatusConflict,
	"MissingAuthenticationToken":    http.StatusForbidden,
	"NoSuchEntity":                  http.StatusNotFound,
	"NotFound":                      http.StatusNotFound, // SNS
	"OptInRequired":                 http.StatusForbidden,
	"RegionDisabledException":       http.StatusForbidden,
	"ServiceFailure":                http.StatusInternalServerError,
	"ServiceUnavailable":            http.StatusServiceUnavailable,
	"SignatureDoesNotMatch":         http.StatusForbidden,
	"Throttling":                    http.StatusBadRequest,
}

// apiErrorOf turns what a fake returned into the code, message, fault and
// status to send: a smithy.APIError keeps its code and message (the SDK's
// typed exceptions give their ErrorCode, "NoSuchEntity" and so on); anything
// else is an InternalFailure.
func apiErrorOf(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return &apiError{Status: http.StatusInternalServerError, Code: "InternalFailure",
			Message: "The request processing has failed because of an unknown error, exception or failure.", Fault: smithy.FaultServer}
	}
	out := &apiError{Code: api.ErrorCode(), Message: api.ErrorMessage(), Fault: api.ErrorFault()}
	if out.Code == "" {
		out.Code = "InternalFailure"
	}
	if st, ok := queryStatus[out.Code]; ok {
		out.Status = st
	} else if out.Fault == smithy.FaultServer {
		out.Status = http.StatusInternalServerError
	} else {
		out.Status = http.StatusBadRequest
	}
	return out
}

// newRequestID returns a fresh request ID in AWS's UUID form.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// xmlText appends s, XML-escaped, to buf.
func xmlText(buf *bytes.Buffer, s string) {
	_ = xml.EscapeText(buf, []byte(s))
}

// writeQueryError answers err in the query protocol's shape, which the SDK's
// awsquery deserializers turn back into the typed exception of the code:
//
//	<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code>
//	<Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>
func writeQueryError(w http.ResponseWriter, err error, xmlns, requestID string) {
	e := apiErrorOf(err)
	var buf bytes.Buffer
	buf.WriteString(`<ErrorResponse xmlns="`)
	xmlText(&buf, xmlns)
	buf.WriteString(`"><Error><Type>`)
	if e.ErrorFault() == smithy.FaultServer {
		buf.WriteString("Receiver")
	} else {
		buf.WriteString("Sender")
	}
	buf.WriteString("</Type><Code>")
	xmlText(&buf, e.Code)
	buf.WriteString("</Code><Message>")
	xmlText(&buf, e.Message)
	buf.WriteString("</Message></Error><RequestId>")
	buf.WriteString(requestID)
	buf.WriteString("</RequestId></ErrorResponse>")
	writeXMLError(w, e.Status, requestID, buf.Bytes())
}

// writeXMLError sends an XML error body with its status and request ID, as
// the query services (IAM, STS, SNS, EC2) do.
func writeXMLError(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
