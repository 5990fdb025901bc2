package ec2tags_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/ec2tags"
	"github.com/iamkit/iamkit/iamkittest"
)

const instanceID = "i-0123456789abcdef0"

// imdsServer is an instance metadata service (IMDSv2) of instanceID in
// region; metadataTags nil: tags not allowed in the metadata.
func imdsServer(t *testing.T, region string, metadataTags map[string]string) *imds.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			fmt.Fprint(w, "token")
			return
		}
		if r.Header.Get("X-Aws-Ec2-Metadata-Token") != "token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		path := strings.TrimPrefix(r.URL.Path, "/latest/meta-data/")
		switch key, isTag := strings.CutPrefix(path, "tags/instance"); {
		case path == "instance-id":
			fmt.Fprint(w, instanceID)
		case path == "placement/region":
			fmt.Fprint(w, region)
		case isTag && metadataTags != nil && key == "":
			fmt.Fprint(w, "ssh-groups")
		case isTag && metadataTags != nil && metadataTags[strings.TrimPrefix(key, "/")] != "":
			fmt.Fprint(w, metadataTags[strings.TrimPrefix(key, "/")])
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return imds.New(imds.Options{Endpoint: srv.URL})
}

// world is the fake account over the wire with this instance's tags and
// another instance's.
func world(t *testing.T) (*iamkittest.Server, func(ctx context.Context, region string) (ec2tags.DescribeTagsAPI, error), *[]string) {
	srv := iamkittest.NewServer(t)
	srv.Account().EC2().SetInstanceTags(instanceID, map[string]string{"ssh-groups": "devs,ops", "ssh-sudo": "ops", "Name": "web-1"})
	srv.Account().EC2().SetInstanceTags("i-other", map[string]string{"ssh-groups": "everyone"})
	var regions []string
	newEC2 := func(_ context.Context, region string) (ec2tags.DescribeTagsAPI, error) {
		regions = append(regions, region)
		return ec2.NewFromConfig(srv.Config(), func(o *ec2.Options) { o.Region = region }), nil
	}
	return srv, newEC2, &regions
}

func TestTagsMetadataFirst(t *testing.T) {
	srv, newEC2, regions := world(t)
	tags := ec2tags.Tags(imdsServer(t, srv.Account().Region(), map[string]string{"ssh-groups": "from-metadata"}), newEC2)
	got, err := tags(context.Background(), []string{"ssh-groups"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ssh-groups": "from-metadata"}, got)
	assert.Empty(t, *regions, "no EC2 client built")
	assert.Zero(t, srv.Account().Calls("ec2:DescribeTags"))
}

// TestTagsDescribeTagsFallback: with tags off in the metadata, the tags come
// from ec2:DescribeTags over the wire, for this instance only, in its
// region; and through ResolveInstanceTags into the configuration.
func TestTagsDescribeTagsFallback(t *testing.T) {
	ctx := context.Background()
	srv, newEC2, regions := world(t)
	tags := ec2tags.Tags(imdsServer(t, srv.Account().Region(), nil), newEC2)
	got, err := tags(ctx, []string{"ssh-groups", "ssh-sudo", "missing"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ssh-groups": "devs,ops", "ssh-sudo": "ops"}, got)
	assert.Equal(t, []string{srv.Account().Region()}, *regions, "the instance's region, from the metadata")
	assert.Equal(t, 1, srv.Account().Calls("ec2:DescribeTags"))

	cfg, err := hostsync.ParseConfig([]byte("IAM_AUTHORIZED_GROUPS_TAG=ssh-groups\nSUDOERS_GROUPS_TAG=ssh-sudo\n"))
	require.NoError(t, err)
	resolved, err := hostsync.ResolveInstanceTags(ctx, cfg, tags)
	require.NoError(t, err)
	assert.Equal(t, []string{"devs", "ops"}, resolved.AuthorizedGroups)
	assert.Equal(t, []string{"ops"}, resolved.SudoersGroups)
}

// TestTagsDescribeTagsFails: when DescribeTags fails too, the error says
// both (errors.Is finds ErrTagsUnavailable and the EC2 error code, read
// from EC2's error shape).
func TestTagsDescribeTagsFails(t *testing.T) {
	srv, newEC2, _ := world(t)
	srv.Account().Inject("ec2:DescribeTags", iamkittest.Fault{Err: &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation.", Fault: smithy.FaultClient}})
	_, err := ec2tags.Tags(imdsServer(t, srv.Account().Region(), nil), newEC2)(context.Background(), []string{"ssh-groups"})
	require.Error(t, err)
	assert.ErrorIs(t, err, hostsync.ErrTagsUnavailable)
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "UnauthorizedOperation", ae.ErrorCode())
	assert.Contains(t, err.Error(), "ec2:DescribeTags for "+instanceID)

	// An authentication failure comes in EC2's error shape too.
	other := "eu-west-1"
	if srv.Account().Region() == other {
		other = "us-west-2"
	}
	_, err = ec2tags.Tags(imdsServer(t, other, nil), newEC2)(context.Background(), []string{"ssh-groups"})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "SignatureDoesNotMatch", ae.ErrorCode())
}

// pageOf5 asks DescribeTags for pages of 5.
type pageOf5 struct{ ec2tags.DescribeTagsAPI }

func (p pageOf5) DescribeTags(ctx context.Context, in *ec2.DescribeTagsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeTagsOutput, error) {
	in.MaxResults = aws.Int32(5)
	return p.DescribeTagsAPI.DescribeTags(ctx, in, optFns...)
}

func TestDescribeInstanceTagsPages(t *testing.T) {
	ctx := context.Background()
	srv := iamkittest.NewServer(t)
	want := map[string]string{}
	var keys []string
	for i := range 12 {
		k := fmt.Sprintf("k%02d", i)
		want[k], keys = fmt.Sprint(i), append(keys, k)
	}
	srv.Account().EC2().SetInstanceTags(instanceID, want)
	api := ec2.NewFromConfig(srv.Config())
	got, err := ec2tags.DescribeInstanceTags(ctx, pageOf5{api}, instanceID, keys)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, 3, srv.Account().Calls("ec2:DescribeTags"), "pages of 5, 5 and 2")

	none, err := ec2tags.DescribeInstanceTags(ctx, api, instanceID, nil)
	require.NoError(t, err)
	assert.Empty(t, none)
	assert.Equal(t, 3, srv.Account().Calls("ec2:DescribeTags"), "no keys, no call")
}

// TestFakeDescribeTagsOverTheWire checks the fake's filters, paging and
// errors through the SDK's own client and paginator.
func TestFakeDescribeTagsOverTheWire(t *testing.T) {
	ctx := context.Background()
	srv, _, _ := world(t)
	api := ec2.NewFromConfig(srv.Config())
	filter := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	tests := []struct {
		name    string
		filters []types.Filter
		want    []string // resource/key=value
	}{
		{"all", nil, []string{"i-0123456789abcdef0/Name=web-1", "i-0123456789abcdef0/ssh-groups=devs,ops", "i-0123456789abcdef0/ssh-sudo=ops", "i-other/ssh-groups=everyone"}},
		{"resource-id", []types.Filter{filter("resource-id", "i-other")}, []string{"i-other/ssh-groups=everyone"}},
		{"key", []types.Filter{filter("key", "ssh-groups")}, []string{"i-0123456789abcdef0/ssh-groups=devs,ops", "i-other/ssh-groups=everyone"}},
		{"both", []types.Filter{filter("resource-id", instanceID), filter("key", "ssh-sudo", "Name")}, []string{"i-0123456789abcdef0/Name=web-1", "i-0123456789abcdef0/ssh-sudo=ops"}},
		{"value", []types.Filter{filter("value", "ops")}, []string{"i-0123456789abcdef0/ssh-sudo=ops"}},
		{"resource-type", []types.Filter{filter("resource-type", "volume")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			p := ec2.NewDescribeTagsPaginator(api, &ec2.DescribeTagsInput{Filters: tc.filters, MaxResults: aws.Int32(5)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				require.NoError(t, err)
				for _, tg := range out.Tags {
					assert.Equal(t, types.ResourceTypeInstance, tg.ResourceType)
					got = append(got, aws.ToString(tg.ResourceId)+"/"+aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}

	for _, tc := range []struct {
		name string
		in   *ec2.DescribeTagsInput
		msg  string
	}{
		{"unknown filter", &ec2.DescribeTagsInput{Filters: []types.Filter{filter("tag:Name", "x")}}, "The filter 'tag:Name' is invalid"},
		{"MaxResults", &ec2.DescribeTagsInput{MaxResults: aws.Int32(2)}, "between 5 and 1000"},
		{"NextToken", &ec2.DescribeTagsInput{NextToken: aws.String("bogus")}, "nextToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.DescribeTags(ctx, tc.in)
			var ae smithy.APIError
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.Equal(t, "InvalidParameterValue", ae.ErrorCode())
			assert.Contains(t, ae.ErrorMessage(), tc.msg)
		})
	}
	assert.True(t, srv.Serves("ec2", "DescribeTags"))
}

// stuck hands out a next token forever.
type stuck struct{}

func (stuck) DescribeTags(context.Context, *ec2.DescribeTagsInput, ...func(*ec2.Options)) (*ec2.DescribeTagsOutput, error) {
	return &ec2.DescribeTagsOutput{NextToken: aws.String("again")}, nil
}

func TestDescribeInstanceTagsStopsPaging(t *testing.T) {
	_, err := ec2tags.DescribeInstanceTags(context.Background(), stuck{}, instanceID, []string{"k"})
	assert.ErrorIs(t, err, ec2tags.ErrTooManyPages)
}

// TestFromConfig: the frontends' wiring, over the wire: the metadata of
// optFns, the EC2 client from the AWS configuration.
func TestFromConfig(t *testing.T) {
	srv, _, _ := world(t)
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			fmt.Fprint(w, "token")
		case "/latest/meta-data/instance-id":
			fmt.Fprint(w, instanceID)
		case "/latest/meta-data/placement/region":
			fmt.Fprint(w, srv.Account().Region())
		default:
			http.NotFound(w, r) // no tags in the metadata
		}
	}))
	t.Cleanup(meta.Close)
	tags := ec2tags.FromConfig(srv.Config(), func(o *imds.Options) { o.Endpoint = meta.URL })
	got, err := tags(context.Background(), []string{"ssh-groups"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ssh-groups": "devs,ops"}, got)
	assert.Equal(t, 1, srv.Account().Calls("ec2:DescribeTags"))
}
