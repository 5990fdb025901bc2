package federation_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
)

func TestLookupPartition(t *testing.T) {
	for id, host := range map[string]string{"": "signin.aws.amazon.com", "aws": "signin.aws.amazon.com",
		"aws-cn": "signin.amazonaws.cn", "aws-us-gov": "signin.amazonaws-us-gov.com", "aws-eusc": "signin.amazonaws-eusc.eu"} {
		p, err := federation.LookupPartition(id)
		require.NoError(t, err, id)
		assert.Equal(t, host, p.SigninHost)
	}
	for _, id := range []string{"aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "AWS", "azure"} {
		_, err := federation.LookupPartition(id)
		assert.ErrorIs(t, err, federation.ErrUnsupportedPartition, id)
		assert.ErrorContains(t, err, `"`+id+`"`, "the error names the ID")
		assert.ErrorContains(t, err, "aws, aws-cn, aws-us-gov, aws-eusc")
	}
	ids := []string{}
	for _, p := range federation.Partitions() {
		ids = append(ids, p.ID)
	}
	assert.Equal(t, []string{"aws", "aws-cn", "aws-us-gov", "aws-eusc"}, ids)
}

// The partition of a region comes from the SDK's endpoint rules, not from
// a list kept here: every region the SDK places in a partition is placed
// there, a made-up region of the aws shape falls to aws as in the SDK, and
// ISO regions name their sign-in host in the error.
func TestPartitionOfRegion(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "mx-central-1": "aws", "il-central-1": "aws", "mars-north-1": "aws",
		"cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-gov-east-1": "aws-us-gov",
		"eusc-de-east-1": "aws-eusc",
	} {
		got, err := federation.PartitionOfRegion(region)
		require.NoError(t, err, region)
		assert.Equal(t, want, got, region)
	}
	for region, host := range map[string]string{"us-iso-east-1": "signin.c2shome.ic.gov", "us-isob-east-1": "signin.sc2shome.sgov.gov", "eu-isoe-west-1": "signin.csphome.adc-e.uk"} {
		_, err := federation.PartitionOfRegion(region)
		assert.ErrorIs(t, err, federation.ErrUnsupportedPartition, region)
		assert.ErrorContains(t, err, host)
	}
	for _, region := range []string{"", "US-EAST-1", "us-east-1.evil.com", "bad region", "us_east_1"} {
		_, err := federation.PartitionOfRegion(region)
		assert.ErrorIs(t, err, federation.ErrInvalidRequest, region)
	}
}

func TestFederationEndpoint(t *testing.T) {
	cases := []struct{ partition, region, want string }{
		{"aws", "", "https://signin.aws.amazon.com/federation"},
		{"aws", "us-west-2", "https://us-west-2.signin.aws.amazon.com/federation"},
		{"aws", "ap-southeast-4", "https://ap-southeast-4.signin.aws.amazon.com/federation"},
		{"aws-cn", "cn-northwest-1", "https://signin.amazonaws.cn/federation"},
		{"aws-us-gov", "", "https://signin.amazonaws-us-gov.com/federation"},
		{"aws-us-gov", "us-gov-east-1", "https://us-gov-east-1.signin.amazonaws-us-gov.com/federation"},
		{"aws-eusc", "", "https://eusc-de-east-1.signin.amazonaws-eusc.eu/federation"},
		{"aws-eusc", "eusc-de-east-1", "https://eusc-de-east-1.signin.amazonaws-eusc.eu/federation"},
	}
	for _, c := range cases {
		p, err := federation.LookupPartition(c.partition)
		require.NoError(t, err)
		got, err := p.FederationEndpoint(c.region)
		require.NoError(t, err)
		assert.Equal(t, c.want, got)
	}
	for _, c := range []struct{ partition, region string }{
		{"aws", "cn-north-1"}, {"aws", "us-gov-west-1"}, {"aws", "evil.com/x"},
		{"aws-us-gov", "us-east-1"}, {"aws", "US-EAST-1"}, {"aws-eusc", "eu-central-1"}, {"aws", "eusc-de-east-1"},
	} {
		p, _ := federation.LookupPartition(c.partition)
		_, err := p.FederationEndpoint(c.region)
		assert.ErrorIs(t, err, federation.ErrInvalidRequest, c)
	}
	p, _ := federation.LookupPartition("aws")
	_, err := p.FederationEndpoint("us-iso-east-1")
	assert.ErrorIs(t, err, federation.ErrUnsupportedPartition)
}

func TestDestination(t *testing.T) {
	cases := []struct{ partition, region, service, want string }{
		{"aws", "", "", "https://console.aws.amazon.com/console/home"},
		{"aws", "us-west-2", "", "https://us-west-2.console.aws.amazon.com/console/home?region=us-west-2"},
		{"aws", "us-west-2", "ec2/home#Instances:", "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances:"},
		{"aws", "eu-central-1", "/s3/buckets", "https://eu-central-1.console.aws.amazon.com/s3/buckets?region=eu-central-1"},
		{"aws", "eu-central-1", "cloudwatch/home?region=eu-central-1#logsV2:log-groups", "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#logsV2:log-groups"},
		{"aws", "us-east-1", "systems-manager/session-manager?tab=sessions", "https://us-east-1.console.aws.amazon.com/systems-manager/session-manager?region=us-east-1&tab=sessions"},
		{"aws", "", "a b/ü?q=1 2#frag ment", "https://console.aws.amazon.com/a%20b/%C3%BC?q=1+2#frag%20ment"},
		{"aws-cn", "cn-north-1", "ec2/home", "https://console.amazonaws.cn/ec2/home?region=cn-north-1"},
		{"aws-us-gov", "us-gov-west-1", "iam/home", "https://console.amazonaws-us-gov.com/iam/home?region=us-gov-west-1"},
		{"aws-eusc", "eusc-de-east-1", "ec2/home", "https://console.amazonaws-eusc.eu/ec2/home?region=eusc-de-east-1"},
	}
	for _, c := range cases {
		got, err := federation.Destination(c.partition, c.region, c.service)
		require.NoError(t, err, c)
		assert.Equal(t, c.want, got, c)
	}
	for _, c := range []struct{ partition, region, service string }{
		{"aws", "", "https://evil.example.com/"},
		{"aws", "", "//evil.example.com/x"},
		{"aws", "", "javascript:alert(1)"},
		{"aws", "", "../../evil"},
		{"aws", "", "ec2/./home"},
		{"aws", "", `\\evil.example.com`},
		{"aws", "", "ec2/home?x=%zz"},
		{"aws", "", "%2e%2e/x"},
		{"aws", "", "ec2/%252e%252e/x"},
		{"aws", "", "ec2//home"},
		{"aws", "", "ec2%5chome"},
		{"aws", "us-east-1", "ec2/home?region=eu-west-1"},
		{"aws", "cn-north-1", "ec2/home"},
		{"aws-iso", "us-iso-east-1", "ec2/home"},
	} {
		_, err := federation.Destination(c.partition, c.region, c.service)
		assert.Error(t, err, c)
	}
}

func TestCheckDestination(t *testing.T) {
	for raw, want := range map[string]string{
		"https://console.aws.amazon.com":                               "https://console.aws.amazon.com/",
		"https://us-east-1.console.aws.amazon.com/ec2/home#Instances:": "https://us-east-1.console.aws.amazon.com/ec2/home#Instances:",
		"https://console.aws.amazon.com/s3/buckets?region=us-east-1":   "https://console.aws.amazon.com/s3/buckets?region=us-east-1",
	} {
		got, err := federation.CheckDestination("aws", raw)
		require.NoError(t, err, raw)
		assert.Equal(t, want, got)
	}
	for _, raw := range []string{
		"http://console.aws.amazon.com/",
		"https://console.aws.amazon.com.evil.example.com/",
		"https://evil.example.com/https://console.aws.amazon.com/",
		"https://user:pw@console.aws.amazon.com/",
		"https://console.aws.amazon.com:444/",
		"https://a.b.console.aws.amazon.com/",
		"https://cn-north-1.console.aws.amazon.com/",
		"https://console.amazonaws.cn/",
		"console.aws.amazon.com",
		"%zz",
		"",
		// Dot and encoded-dot segments, empty segments, backslashes.
		"https://console.aws.amazon.com/.",
		"https://console.aws.amazon.com/.#",
		"https://console.aws.amazon.com/ec2/../../x",
		"https://console.aws.amazon.com/ec2/./home",
		"https://console.aws.amazon.com/%2e%2e/x",
		"https://console.aws.amazon.com/%2E./x",
		"https://console.aws.amazon.com/%252e%252e/x",
		"https://console.aws.amazon.com//evil.example.com/",
		"https://console.aws.amazon.com/ec2//home",
		"https://console.aws.amazon.com/ec2\\..\\x",
		"https://console.aws.amazon.com/ec2%5c..%5cx",
		"https://console.aws.amazon.com/ec2/home#\\evil",
	} {
		_, err := federation.CheckDestination("aws", raw)
		assert.ErrorIs(t, err, federation.ErrInvalidDestination, raw)
	}
	// The fuzzer's crasher: a dot segment before an empty fragment.
	_, err := federation.CheckDestination("aws-cn", "https://console.amazonaws.cn/.#")
	assert.ErrorIs(t, err, federation.ErrInvalidDestination)
	// A trailing slash and dots inside a segment are fine.
	got, err := federation.CheckDestination("aws", "https://console.aws.amazon.com/s3/buckets/my.bucket..name/")
	require.NoError(t, err)
	assert.Equal(t, "https://console.aws.amazon.com/s3/buckets/my.bucket..name/", got)
	_, err = federation.CheckDestination("aws-cn", "https://cn-north-1.console.amazonaws.cn/")
	assert.ErrorIs(t, err, federation.ErrInvalidDestination, "no regional console hosts known in aws-cn")
	got, err = federation.CheckDestination("aws-cn", "https://console.amazonaws.cn/ec2/home?region=cn-north-1")
	require.NoError(t, err)
	assert.Equal(t, "https://console.amazonaws.cn/ec2/home?region=cn-north-1", got)
}
