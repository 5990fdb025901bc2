package ec2tags_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync/ec2tags"
)

// FuzzDecodeDescribeTags: any status and body decode to a page or an error,
// never a panic; an error status is always an *APIError with a code.
func FuzzDecodeDescribeTags(f *testing.F) {
	f.Add(200, []byte(`<DescribeTagsResponse><tagSet><item><resourceId>i-1</resourceId><resourceType>instance</resourceType><key>a</key><value>1</value></item></tagSet><nextToken>t</nextToken></DescribeTagsResponse>`))
	f.Add(403, []byte(`<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors><RequestID>r</RequestID></Response>`))
	f.Add(500, []byte(`oops`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		page, err := ec2tags.DecodeDescribeTags(status, body)
		if status < 200 || status > 299 {
			var ae *ec2tags.APIError
			require.True(t, errors.As(err, &ae))
			assert.NotEmpty(t, ae.Code)
			assert.Equal(t, status, ae.StatusCode)
			return
		}
		if err == nil {
			assert.NotNil(t, page.Tags)
		}
	})
}
