package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// CloudTrailDetailType is the detail-type of the EventBridge events
// CloudTrail sends for API calls ("AWS API Call via CloudTrail"). For IAM
// they exist only in us-east-1 (IAM's control plane), only for mutating
// calls, and only when a trail logs management events; delivery is best
// effort, which is why the scheduled publish stays as the safety net.
const CloudTrailDetailType = "AWS API Call via CloudTrail"

// iamEventSource is the eventSource of IAM's CloudTrail records.
const iamEventSource = "iam.amazonaws.com"

// IAMEventNames are the IAM API calls that can change what a fleet
// snapshot holds — the one place listing them; the CloudFormation
// template's event rule lists the same (TestTemplateListsEventNames checks
// it). Any other IAM call is ignored.
var IAMEventNames = []string{
	"AddUserToGroup",
	"CreateUser", // a user may be created straight into a group
	"DeleteGroup",
	"DeleteSSHPublicKey",
	"DeleteUser",
	"RemoveUserFromGroup",
	"UpdateGroup", // a renamed group
	"UpdateSSHPublicKey",
	"UpdateUser", // a renamed user
	"UploadSSHPublicKey",
}

// iamCall is what the handler takes from an IAM CloudTrail event.
type iamCall struct {
	// ID is the EventBridge event's ID (duplicates share it).
	ID string
	// Name is the API call (eventName).
	Name string
	// At is when the call was made (eventTime).
	At time.Time
	// User and Group are the user and group the call names, if any.
	User, Group string
}

// cloudTrailDetail is the part of the event's detail the handler reads.
type cloudTrailDetail struct {
	EventSource       string    `json:"eventSource"`
	EventName         string    `json:"eventName"`
	EventTime         time.Time `json:"eventTime"`
	ErrorCode         string    `json:"errorCode"`
	RequestParameters *struct {
		UserName  string `json:"userName"`
		GroupName string `json:"groupName"`
	} `json:"requestParameters"`
}

// errIgnored is wrapped by parseIAMEvent's error for an event that is
// well-formed but changes nothing the snapshot holds.
var errIgnored = errors.New("ignored")

// parseIAMEvent reads an "AWS API Call via CloudTrail" event for IAM. An
// error wrapping errIgnored means a well-formed event about something else
// (another service, another call, a call that failed); any other error a
// malformed event.
func parseIAMEvent(ev events.CloudWatchEvent) (iamCall, error) {
	if ev.DetailType != CloudTrailDetailType {
		return iamCall{}, fmt.Errorf("detail-type %q, want %q", ev.DetailType, CloudTrailDetailType)
	}
	var d cloudTrailDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return iamCall{}, fmt.Errorf("detail: %w", err)
	}
	switch {
	case d.EventSource != iamEventSource:
		return iamCall{}, fmt.Errorf("%w: eventSource %q is not IAM", errIgnored, d.EventSource)
	case !slices.Contains(IAMEventNames, d.EventName):
		return iamCall{}, fmt.Errorf("%w: %s does not change what the snapshot holds", errIgnored, d.EventName)
	case d.ErrorCode != "":
		return iamCall{}, fmt.Errorf("%w: %s failed (%s): nothing changed", errIgnored, d.EventName, d.ErrorCode)
	case d.EventTime.IsZero():
		return iamCall{}, errors.New("no eventTime")
	}
	c := iamCall{ID: ev.ID, Name: d.EventName, At: d.EventTime}
	if p := d.RequestParameters; p != nil {
		c.User, c.Group = p.UserName, p.GroupName
	}
	return c, nil
}
