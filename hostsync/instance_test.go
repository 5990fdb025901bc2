package hostsync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/ec2tags"
)

func TestReadConfigFile(t *testing.T) {
	dir := t.TempDir()
	_, err := hostsync.ReadConfigFile(filepath.Join(dir, "missing.conf"))
	assert.ErrorContains(t, err, "missing.conf does not exist (an empty file syncs every IAM user of the account)")

	conf := filepath.Join(dir, "bad.conf")
	require.NoError(t, os.WriteFile(conf, []byte("DONOTSYNC=0\nSUDOER_GROUPS=admins\n"), 0o644))
	cfg, err := hostsync.ReadConfigFile(conf)
	require.NoError(t, err, "an unknown key is a warning")
	require.Len(t, cfg.Warnings, 1)
	assert.Equal(t, "SUDOER_GROUPS", cfg.Warnings[0].Key)
	_, err = hostsync.ReadConfigFile(conf, hostsync.StrictConfig())
	assert.ErrorIs(t, err, hostsync.ErrInvalidConfig)
	assert.ErrorContains(t, err, conf+": ")
	assert.ErrorContains(t, err, "config line 2: SUDOER_GROUPS: unknown key")

	conf = filepath.Join(dir, "good.conf")
	require.NoError(t, os.WriteFile(conf, []byte("IAM_AUTHORIZED_GROUPS=devs\n"), 0o644))
	cfg, err = hostsync.ReadConfigFile(conf)
	require.NoError(t, err)
	assert.Equal(t, []string{"devs"}, cfg.AuthorizedGroups)
}

func TestHostSessionName(t *testing.T) {
	assert.Equal(t, "hostsync-ip-10-0-0-1.ec2.internal", hostsync.HostSessionName("ip-10-0-0-1.ec2.internal"))
	assert.Equal(t, "hostsync", hostsync.HostSessionName(""))
	assert.Equal(t, "hostsync-a-b", hostsync.HostSessionName("a b"))
	long := hostsync.HostSessionName(strings.Repeat("x", 100))
	assert.Len(t, long, 64)
}

func TestTagKeys(t *testing.T) {
	assert.Empty(t, hostsync.TagKeys(hostsync.DefaultConfig()))
	cfg, err := hostsync.ParseConfig([]byte("SUDOERS_GROUPS_TAG=ssh-sudo\nIAM_AUTHORIZED_GROUPS_TAG=ssh-groups\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"ssh-groups", "ssh-sudo"}, hostsync.TagKeys(cfg))
}

// imdsServer is an instance metadata service (IMDSv2) with the given
// instance tags; nil tags: tags not allowed in the metadata.
func imdsServer(t *testing.T, tags map[string]string) *httptest.Server {
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
		key, ok := strings.CutPrefix(r.URL.Path, "/latest/meta-data/tags/instance")
		switch {
		case !ok || tags == nil:
			http.NotFound(w, r)
		case key == "":
			var keys []string
			for k := range tags {
				keys = append(keys, k)
			}
			fmt.Fprint(w, strings.Join(keys, "\n"))
		default:
			v, ok := tags[strings.TrimPrefix(key, "/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, v)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestResolveInstanceTags(t *testing.T) {
	ctx := context.Background()
	srv := imdsServer(t, map[string]string{"ssh-groups": "devs,ops", "Name": "web-1"})
	api := imds.New(imds.Options{Endpoint: srv.URL})
	tags, err := ec2tags.InstanceTags(ctx, api, []string{"ssh-groups", "ssh-sudo"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ssh-groups": "devs,ops"}, tags, "a tag the instance lacks is absent")

	cfg, err := hostsync.ParseConfig([]byte("IAM_AUTHORIZED_GROUPS_TAG=ssh-groups\n"))
	require.NoError(t, err)
	resolved, err := hostsync.ResolveInstanceTags(ctx, cfg, func(ctx context.Context, keys []string) (map[string]string, error) {
		return ec2tags.InstanceTags(ctx, api, keys)
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"devs", "ops"}, resolved.AuthorizedGroups)
	assert.True(t, resolved.TagsResolved)

	cfg, err = hostsync.ParseConfig([]byte("SUDOERS_GROUPS_TAG=ssh-sudo\n"))
	require.NoError(t, err)
	_, err = hostsync.ResolveInstanceTags(ctx, cfg, func(ctx context.Context, keys []string) (map[string]string, error) {
		return ec2tags.InstanceTags(ctx, api, keys)
	})
	assert.ErrorIs(t, err, hostsync.ErrTagMissing)

	off := imds.New(imds.Options{Endpoint: imdsServer(t, nil).URL})
	_, err = ec2tags.InstanceTags(ctx, off, []string{"ssh-groups"})
	assert.ErrorIs(t, err, hostsync.ErrTagsUnavailable)

	// An error reading the tags is wrapped, not lost.
	cfg, err = hostsync.ParseConfig([]byte("IAM_AUTHORIZED_GROUPS_TAG=ssh-groups\n"))
	require.NoError(t, err)
	_, err = hostsync.ResolveInstanceTags(ctx, cfg, func(ctx context.Context, keys []string) (map[string]string, error) {
		return ec2tags.InstanceTags(ctx, off, keys)
	})
	assert.ErrorIs(t, err, hostsync.ErrTagsUnavailable)
	assert.ErrorContains(t, err, "reading the instance's EC2 tags: ")

	// Without *_TAG keys, no metadata is read.
	cfg, err = hostsync.ParseConfig([]byte("IAM_AUTHORIZED_GROUPS=devs\n"))
	require.NoError(t, err)
	resolved, err = hostsync.ResolveInstanceTags(ctx, cfg, func(context.Context, []string) (map[string]string, error) {
		t.Error("tags read without a *_TAG key")
		return nil, nil
	})
	require.NoError(t, err)
	assert.True(t, resolved.TagsResolved)
}
