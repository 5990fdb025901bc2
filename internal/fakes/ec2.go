package fakes

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// ec2State is the account's EC2 instance tags, by instance ID (callers
// hold a.mu).
type ec2State struct {
	tags map[string]map[string]string
}

// EC2 is the account's Amazon EC2 service, enough of it for an instance to
// read its own tags: DescribeTags over the tags set with SetInstanceTags,
// with the filters resource-id, resource-type, key and value, and paging
// (MaxResults 5–1000, NextToken).
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

func ec2Error(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

// DescribeTags implements ec2.Client.DescribeTags for instance tags, sorted
// by resource ID and key. An unknown filter name, a MaxResults outside
// 5–1000 and a NextToken DescribeTags did not hand out are
// InvalidParameterValue.
func (f *EC2) DescribeTags(ctx context.Context, in *ec2.DescribeTagsInput, _ ...func(*ec2.Options)) (*ec2.DescribeTagsOutput, error) {
	return call(ctx, f.a, "ec2:DescribeTags", in, func() (*ec2.DescribeTagsOutput, error) {
		match := map[string][]string{}
		for _, flt := range in.Filters {
			name := aws.ToString(flt.Name)
			switch name {
			case "resource-id", "resource-type", "key", "value":
				match[name] = append(match[name], flt.Values...)
			default:
				return nil, ec2Error("InvalidParameterValue", "The filter '%s' is invalid", name)
			}
		}
		limit := 1000
		if in.MaxResults != nil {
			if n := int(*in.MaxResults); n < 5 || n > 1000 {
				return nil, ec2Error("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", n)
			} else {
				limit = n
			}
		}
		start := 0
		if tok := aws.ToString(in.NextToken); tok != "" {
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
		var all []types.TagDescription
		for _, id := range slices.Sorted(maps.Keys(f.a.ec2.tags)) {
			if !ok("resource-id", id) || !ok("resource-type", "instance") {
				continue
			}
			tags := f.a.ec2.tags[id]
			for _, k := range slices.Sorted(maps.Keys(tags)) {
				if !ok("key", k) || !ok("value", tags[k]) {
					continue
				}
				all = append(all, types.TagDescription{ResourceId: aws.String(id), ResourceType: types.ResourceTypeInstance, Key: aws.String(k), Value: aws.String(tags[k])})
			}
		}
		if start > len(all) {
			return nil, ec2Error("InvalidParameterValue", "Invalid value '%d' for nextToken", start)
		}
		out := &ec2.DescribeTagsOutput{Tags: all[start:min(len(all), start+limit)]}
		if end := start + limit; end < len(all) {
			out.NextToken = aws.String(strconv.Itoa(end))
		}
		return out, nil
	})
}
