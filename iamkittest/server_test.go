package iamkittest

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
)

// needsServer skips a test in a build without the wire server.
func needsServer(t *testing.T) {
	t.Helper()
	s, err := Start("127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

func TestNewServer(t *testing.T) {
	needsServer(t)
	ctx := context.Background()
	var url string
	t.Run("serve", func(t *testing.T) {
		srv := NewServer(t)
		url = srv.URL()
		assert.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
		assert.Same(t, srv.Account(), srv.Account())
		assert.True(t, srv.Account().Clock().Running(), "the server's account follows the real time")
		assert.WithinDuration(t, time.Now(), srv.Account().Clock().Now(), time.Minute)

		client := iam.NewFromConfig(srv.Config())
		for _, name := range []string{"alice", "bob", "carol"} {
			_, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
			require.NoError(t, err)
		}
		var names []string
		p := iam.NewListUsersPaginator(client, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, u := range page.Users {
				names = append(names, aws.ToString(u.UserName))
			}
		}
		assert.Equal(t, []string{"alice", "bob", "carol"}, names)
		assert.Equal(t, 2, srv.Account().Calls("iam:ListUsers"))

		_, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dave")})
		var missing *types.NoSuchEntityException
		require.ErrorAs(t, err, &missing)

		srv.Account().Disable("iam:ListGroups")
		_, err = client.ListGroups(ctx, &iam.ListGroupsInput{})
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "InvalidAction", apiErr.ErrorCode())
	})
	_, err := http.Get(url)
	assert.Error(t, err, "the server is closed on the test's cleanup")
}

func TestNewServerWithClock(t *testing.T) {
	needsServer(t)
	clk := NewClock(DefaultStart)
	srv := NewServer(t, WithClock(clk), WithAccountID("210987654321"))
	assert.Equal(t, DefaultStart, srv.Account().Clock().Now())
	assert.Equal(t, "210987654321", srv.Account().ID())
}

// iamkit's packages on their default clocks onboard through a real client.
func TestOnboardOverTheWire(t *testing.T) {
	needsServer(t)
	ctx := context.Background()
	srv := NewServer(t)
	client := iam.NewFromConfig(srv.Config())
	_, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	res, err := iamuser.New(client).Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"devs"}})
	require.NoError(t, err)
	assert.NotEmpty(t, res.MFASerial)
	mfa, err := srv.Account().IAM().ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Len(t, mfa.MFADevices, 1, "the MFA device is enabled")
}

// The outside module (testdata/outside) uses iamkittest as an importer
// does: through a replace directive, with no access to internal packages.
func TestOutsideModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds another module")
	}
	run := []string{"test", "-count=1"}
	// Run a copy, so that the module's go.mod and go.sum pick up what the
	// root module requires today (its go.sum lines included) without
	// touching the tree.
	dir := t.TempDir()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	for _, name := range []string{"go.mod", "go.sum", "outside_test.go"} {
		data, err := os.ReadFile(filepath.Join("testdata", "outside", name))
		require.NoError(t, err)
		switch name {
		case "go.mod":
			data = []byte(strings.Replace(string(data), "=> ../../..", "=> "+root, 1))
		case "go.sum":
			rootSum, err := os.ReadFile(filepath.Join(root, "go.sum"))
			require.NoError(t, err)
			data = append(data, rootSum...)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	cmd := exec.Command("go", append(run, "./...")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("%s", out)
}
