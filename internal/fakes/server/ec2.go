package server

import (
	"bytes"
	"net/http"
	"reflect"
)

// ec2Query is the dialect of EC2: lists are flattened in requests
// (Filter.1.Value.1) and their elements are <item> in responses, which
// carry no Result wrapper, and members go by EC2's locationName where it
// differs from the Go field name (ec2WireName). Errors have their own shape
// (writeEC2Error).
var ec2Query = queryDialect{ItemName: "item", WireName: ec2WireName, EC2Errors: true}

// ec2WireNames are the EC2 locationNames that differ from the SDK's field
// names beyond letter case, for the operations the fake serves
// (DescribeTags): request lists are singular, response lists are "...Set".
var ec2WireNames = map[bool]map[string]string{
	true:  {"Filters": "Filter", "Values": "Value"},
	false: {"Tags": "tagSet"},
}

func ec2WireName(_ reflect.Type, f reflect.StructField, request bool) string {
	return ec2WireNames[request][f.Name]
}

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
