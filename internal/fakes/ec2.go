package fakes

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/smithy-go"
)

// ec2State is the account's EC2 instance tags, by instance ID (callers
// hold a.mu).
type ec2State struct {
	tags map[string]map[string]string
}

// EC2 is the account's Amazon EC2, enough of it for an instance to read its
// own tags: DescribeTags over the tags set with SetInstanceTags. Its shapes
// are its own (DescribeTagsRequest...), not the SDK's service/ec2, whose
// package would weigh on every test binary that links the fakes; the server
// speaks EC2's query dialect for it (hostsync/ec2tags is the client).
type EC2 struct{ a *Account }

// EC2 returns the account's EC2 service.
func (a *Account) EC2() *EC2 { return &EC2{a: a} }

// SetInstanceTags replaces the tags of an instance (none removes them),
// bypassing faults and the call log: the way a test sets up an instance.
func (f *EC2) SetInstanceTags(instanceID string, tags map[string]string) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	if f.a.ec2.tags == nil {
		f.a.ec2.tags = map[string]map[string]string{}
	}
	if len(tags) == 0 {
		delete(f.a.ec2.tags, instanceID)
		return
	}
	f.a.ec2.tags[instanceID] = maps.Clone(tags)
}

// EC2Filter is one filter of DescribeTags: Name ("resource-id",
// "resource-type", "key" or "value") and the values any of which matches.
type EC2Filter struct {
	// Name is the filter's name.
	Name string
	// Values are the accepted values.
	Values []string
}

// DescribeTagsRequest is ec2:DescribeTags' input.
type DescribeTagsRequest struct {
	// Filters all apply.
	Filters []EC2Filter
	// MaxResults is the page size, 5 to 1000; 0 means 1000.
	MaxResults int
	// NextToken is the token of the previous page.
	NextToken string
}

// EC2Tag is one tag of DescribeTags' answer.
type EC2Tag struct {
	// ResourceID is the instance ID.
	ResourceID string
	// ResourceType is "instance".
	ResourceType string
	// Key is the tag's key.
	Key string
	// Value is the tag's value.
	Value string
}

// DescribeTagsResponse is ec2:DescribeTags' output.
type DescribeTagsResponse struct {
	// Tags is the page, sorted by resource ID and key.
	Tags []EC2Tag
	// NextToken is set when more pages follow.
	NextToken string
}

func ec2Error(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

// DescribeTags answers ec2:DescribeTags for instance tags (call counter,
// faults and Disable under "ec2:DescribeTags"). An unknown filter name, a
// MaxResults outside 5–1000 and a NextToken it did not hand out are
// InvalidParameterValue.
func (f *EC2) DescribeTags(ctx context.Context, in DescribeTagsRequest) (DescribeTagsResponse, error) {
	out, err := call(ctx, f.a, "ec2:DescribeTags", &in, func() (*DescribeTagsResponse, error) {
		match := map[string][]string{}
		for _, flt := range in.Filters {
			switch flt.Name {
			case "resource-id", "resource-type", "key", "value":
				match[flt.Name] = append(match[flt.Name], flt.Values...)
			default:
				return nil, ec2Error("InvalidParameterValue", "The filter '%s' is invalid", flt.Name)
			}
		}
		limit := 1000
		if n := in.MaxResults; n != 0 {
			if n < 5 || n > 1000 {
				return nil, ec2Error("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", n)
			}
			limit = n
		}
		start := 0
		if tok := in.NextToken; tok != "" {
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 {
				return nil, ec2Error("InvalidParameterValue", "Invalid value '%s' for nextToken", tok)
			}
			start = n
		}
		ok := func(filter, v string) bool {
			vs, set := match[filter]
			return !set || slices.Contains(vs, v)
		}
		var all []EC2Tag
		for _, id := range slices.Sorted(maps.Keys(f.a.ec2.tags)) {
			if !ok("resource-id", id) || !ok("resource-type", "instance") {
				continue
			}
			tags := f.a.ec2.tags[id]
			for _, k := range slices.Sorted(maps.Keys(tags)) {
				if ok("key", k) && ok("value", tags[k]) {
					all = append(all, EC2Tag{ResourceID: id, ResourceType: "instance", Key: k, Value: tags[k]})
				}
			}
		}
		if start > len(all) {
			return nil, ec2Error("InvalidParameterValue", "Invalid value '%d' for nextToken", start)
		}
		out := &DescribeTagsResponse{Tags: all[start:min(len(all), start+limit)]}
		if end := start + limit; end < len(all) {
			out.NextToken = strconv.Itoa(end)
		}
		return out, nil
	})
	if err != nil {
		return DescribeTagsResponse{}, err
	}
	return *out, nil
}
