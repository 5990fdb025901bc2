package ec2tags

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// MetadataAPI is the part of the instance metadata (IMDS) client
// InstanceTags calls, with the SDK's signature. *imds.Client satisfies it.
type MetadataAPI interface {
	GetMetadata(ctx context.Context, in *imds.GetMetadataInput, optFns ...func(*imds.Options)) (*imds.GetMetadataOutput, error)
}

var _ MetadataAPI = (*imds.Client)(nil)

// InstanceTags reads the instance's tags named keys from the instance
// metadata (tags/instance/KEY) through api, an *imds.Client built from
// config.LoadDefaultConfig (IMDSv2; AWS_EC2_METADATA_* settings apply). A
// tag the instance does not carry is absent from the map. When the metadata
// shows no tags at all, the error is ErrTagsUnavailable.
func InstanceTags(ctx context.Context, api MetadataAPI, keys []string) (map[string]string, error) {
	get := func(path string) (string, bool, error) {
		out, err := api.GetMetadata(ctx, &imds.GetMetadataInput{Path: path})
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		defer out.Content.Close()
		data, err := io.ReadAll(io.LimitReader(out.Content, 1<<16))
		if err != nil {
			return "", false, err
		}
		return string(data), true, nil
	}
	if _, ok, err := get("tags/instance"); err != nil {
		return nil, err
	} else if !ok {
		return nil, hostsync.ErrTagsUnavailable
	}
	tags := map[string]string{}
	for _, k := range keys {
		v, ok, err := get("tags/instance/" + k)
		if err != nil {
			return nil, hserr.Errorf("tag %q: %w", k, err)
		}
		if ok {
			tags[k] = v
		}
	}
	return tags, nil
}
