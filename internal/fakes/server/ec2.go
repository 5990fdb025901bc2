package server

import (
	"bytes"
	"net/http"
)

// EC2 (the query dialect ItemName "item", EC2Errors) is not served yet: the
// SDK's EC2 client is too heavy a dependency for the one call
// (DescribeTags) iamkit would make. Authentication failures of requests
// signed for "ec2" are still answered in EC2's error shape.

// writeEC2Error answers err in EC2's shape, which the SDK's ec2query
// deserializers read:
//
//	<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
func writeEC2Error(w http.ResponseWriter, err error, requestID string) {
	e := apiErrorOf(err)
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
