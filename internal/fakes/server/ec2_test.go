package server

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func TestDecodeDescribeTags(t *testing.T) {
	form, err := url.ParseQuery("Action=DescribeTags&Version=2016-11-15&Filter.2.Name=key&Filter.2.Value.2=b&Filter.2.Value.1=a" +
		"&Filter.1.Name=resource-id&Filter.1.Value.1=i-1&MaxResults=5&NextToken=5")
	require.NoError(t, err)
	in, err := decodeDescribeTags(form)
	require.NoError(t, err)
	assert.Equal(t, fakes.DescribeTagsRequest{Filters: []fakes.EC2Filter{
		{Name: "resource-id", Values: []string{"i-1"}}, {Name: "key", Values: []string{"a", "b"}},
	}, MaxResults: 5, NextToken: "5"}, in)

	for _, q := range []string{"Bogus=1", "Filter.1.Value.1=x", "Filter.0.Name=key", "Filter.01.Name=key", "Filter.1.Value.x=1&Filter.1.Name=key", "MaxResults=many", "Filter.1.Other=1"} {
		form, err := url.ParseQuery(q)
		require.NoError(t, err)
		_, err = decodeDescribeTags(form)
		assert.Error(t, err, q)
	}
}

// FuzzDecodeDescribeTags: any form decodes to a request whose filters all
// have names, or to an error; never a panic.
func FuzzDecodeDescribeTags(f *testing.F) {
	f.Add("Action=DescribeTags&Filter.1.Name=key&Filter.1.Value.1=a&NextToken=3")
	f.Add("Filter.1000.Name=x&Filter.1000.Value.1000=y&MaxResults=-1")
	f.Fuzz(func(t *testing.T, q string) {
		form, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		in, err := decodeDescribeTags(form)
		if err != nil {
			return
		}
		for _, flt := range in.Filters {
			assert.NotEmpty(t, flt.Name)
		}
	})
}
