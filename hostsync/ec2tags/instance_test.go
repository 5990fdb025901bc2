package ec2tags_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/ec2tags"
)

func TestInstanceTags(t *testing.T) {
	tagged := map[string]string{"ssh-groups": "devs,ops", "Name": "web-1"}
	var tags map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			fmt.Fprint(w, "token")
			return
		}
		key, ok := strings.CutPrefix(r.URL.Path, "/latest/meta-data/tags/instance")
		if !ok || tags == nil || r.Header.Get("X-Aws-Ec2-Metadata-Token") != "token" {
			http.NotFound(w, r)
			return
		}
		if key == "" {
			fmt.Fprint(w, "Name\nssh-groups")
			return
		}
		if v, ok := tags[strings.TrimPrefix(key, "/")]; ok {
			fmt.Fprint(w, v)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	api := imds.New(imds.Options{Endpoint: srv.URL})
	ctx := context.Background()

	tags = tagged
	got, err := ec2tags.InstanceTags(ctx, api, []string{"ssh-groups", "ssh-sudo"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ssh-groups": "devs,ops"}, got)

	tags = nil
	_, err = ec2tags.InstanceTags(ctx, api, []string{"ssh-groups"})
	assert.ErrorIs(t, err, hostsync.ErrTagsUnavailable)
	assert.ErrorContains(t, err, "--instance-metadata-tags enabled")
}
