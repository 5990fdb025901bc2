package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
)

// TestLoadHostsyncIAMAssumesTheRoleOnce builds the IAM client the way the
// hostsync commands do, under ASSUMEROLE, against a local server standing
// in for STS and IAM (AWS_ENDPOINT_URL): the role is assumed once and its
// credentials sign every IAM call.
func TestLoadHostsyncIAMAssumesTheRoleOnce(t *testing.T) {
	var (
		mu      sync.Mutex
		assumes []string
		auths   []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		switch r.Form.Get("Action") {
		case "AssumeRole":
			assumes = append(assumes, r.Form.Get("RoleArn")+" "+r.Form.Get("RoleSessionName"))
			fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
				`<Credentials><AccessKeyId>ASIAASSUMEDROLE</AccessKeyId><SecretAccessKey>s</SecretAccessKey>`+
				`<SessionToken>t</SessionToken><Expiration>%s</Expiration></Credentials>`+
				`<AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/hostsync/x</Arn><AssumedRoleId>AROAEXAMPLE:x</AssumedRoleId></AssumedRoleUser>`+
				`</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
				time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		case "ListSSHPublicKeys":
			auths = append(auths, r.Header.Get("Authorization"))
			fmt.Fprint(w, `<ListSSHPublicKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListSSHPublicKeysResult>`+
				`<SSHPublicKeys/><IsTruncated>false</IsTruncated></ListSSHPublicKeysResult>`+
				`<ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></ListSSHPublicKeysResponse>`)
		default:
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": "AKIDHOSTROLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
	} {
		t.Setenv(k, v)
	}
	cfg := hostsync.Config{AssumeRole: "arn:aws:iam::111122223333:role/hostsync"}
	api, err := newApp(nil, io.Discard, io.Discard).loadHostsyncIAM(context.Background(), cfg)
	require.NoError(t, err)
	for range 2 {
		keys, err := iamsource.LiveKeys(context.Background(), api, cfg, "alice")
		require.NoError(t, err)
		assert.Empty(t, keys)
	}
	host, _ := os.Hostname()
	assert.Equal(t, []string{cfg.AssumeRole + " " + hostsync.HostSessionName(host)}, assumes)
	require.Len(t, auths, 2)
	for _, a := range auths {
		assert.Contains(t, a, "Credential=ASIAASSUMEDROLE/")
		assert.Contains(t, a, "/us-east-1/iam/aws4_request")
	}
}
