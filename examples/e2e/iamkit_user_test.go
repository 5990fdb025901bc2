package e2e

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
)

// bundleDigests returns the SHA-256 of each bundle file of userName in dir,
// checking that each exists with mode 0600.
func bundleDigests(t *testing.T, dir, userName string) map[string][32]byte {
	t.Helper()
	sums := map[string][32]byte{}
	for _, name := range iamuser.BundleFiles(userName) {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "%s holds secrets", name)
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		sums[name] = sha256.Sum256(data)
	}
	return sums
}

// iamkit user create, create again, delete, delete again — against the
// server, through the IAM client the binary builds from the environment.
func TestIAMKitUser(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	client := iam.NewFromConfig(w.cfg)
	_, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	acct := w.srv.Account()
	out := filepath.Join(w.home, "bundles", "alice")

	acct.ResetCalls()
	r := w.iamkit("user", "create", "-u", "alice", "-g", "devs", "--out", out, "--qr", "never")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "arn:aws:iam::"+acct.ID()+":user/alice")
	assert.Contains(t, r.stdout, "(enabled)")
	for _, op := range []string{"iam:CreateUser", "iam:CreateLoginProfile", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:AddUserToGroup"} {
		assert.Equal(t, 1, acct.Calls(op), op)
	}
	t.Logf("user create: %d calls: %s", sum(acct.CallCounts()), acct.CallSummary())

	// The account holds alice, in devs, with an enabled MFA device.
	_, err = client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	mfas, err := client.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, mfas.MFADevices, 1)
	assert.NotNil(t, mfas.MFADevices[0].EnableDate)
	_, ok := acct.MFASeed(aws.ToString(mfas.MFADevices[0].SerialNumber))
	assert.True(t, ok)
	groups, err := client.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, groups.Groups, 1)
	assert.Equal(t, "devs", aws.ToString(groups.Groups[0].GroupName))
	_, ok = acct.Password("alice")
	assert.True(t, ok, "a console password was set")

	// The bundle: every file, mode 0600.
	first := bundleDigests(t, out, "alice")
	assert.Len(t, first, len(iamuser.BundleFiles("alice")), "bundle files in %s", out)

	// Again: alice exists; the first bundle is never overwritten.
	acct.ResetCalls()
	r = w.iamkit("user", "create", "-u", "alice", "-g", "devs", "--out", out, "--qr", "never")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "No new secrets")
	assert.Equal(t, first, bundleDigests(t, out, "alice"), "the first bundle is untouched")
	assert.NoDirExists(t, out+".2", "no empty second bundle directory is left behind")
	assert.Equal(t, 1, acct.Calls("iam:CreateUser"), "CreateUser answered EntityAlreadyExists, decoded by the SDK")
	assert.Equal(t, 0, acct.Calls("iam:EnableMFADevice"), "no second MFA device")

	// Delete: plan, apply, verify; alice is gone from the account.
	acct.ResetCalls()
	r = w.iamkit("user", "delete", "alice")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, acct.Calls("iam:DeleteUser"))
	assert.Equal(t, 1, acct.Calls("iam:DeactivateMFADevice"))
	assert.Equal(t, 1, acct.Calls("iam:DeleteVirtualMFADevice"))
	t.Logf("user delete: %d calls: %s", sum(acct.CallCounts()), acct.CallSummary())
	_, err = client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	var missing *types.NoSuchEntityException
	require.ErrorAs(t, err, &missing)

	// A user that does not exist: nothing to delete, not an error.
	acct.ResetCalls()
	r = w.iamkit("user", "delete", "alice")
	assert.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "does not exist: nothing to do")
	assert.Equal(t, 1, acct.Calls("iam:GetUser"), "NoSuchEntity from GetUser, decoded by the SDK, ends it")
	assert.Equal(t, 0, acct.Calls("iam:DeleteUser"))
}

// sum adds up call counters.
func sum(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// iamkit user import from CSV on stdin onboards the rows concurrently
// through one SDK client, a bad row stops it before anything is created,
// and iamkit mfa audit reads IAM's credential report over the wire and
// finds exactly the user who can sign in without MFA.
func TestIAMKitImportAndAudit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	acct := w.srv.Account()
	client := iam.NewFromConfig(w.cfg)
	_, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	out := filepath.Join(w.home, "bundles")

	acct.ResetCalls()
	r := w.run(iamkitBin, nil, "user_name,groups\nerin,devs\nfrank,\nbad name!,\n", "user", "import", "-", "--out", out)
	assert.Equal(t, 2, r.code, r)
	assert.Contains(t, r.stderr, "line 4")
	assert.Equal(t, 0, acct.CallsWithPrefix("iam:Create"), "a bad row stops the import before anything is created")

	acct.ResetCalls()
	csv := "user_name,groups,mfa\nerin,devs,true\nfrank,,true\ngrace,devs,true\nheidi,,false\n"
	r = w.run(iamkitBin, nil, csv, "user", "import", "-", "--out", out, "--concurrency", "4")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 4, acct.Calls("iam:CreateUser"))
	assert.Equal(t, 3, acct.Calls("iam:EnableMFADevice"))
	t.Logf("user import, 4 rows: %d calls: %s", sum(acct.CallCounts()), acct.CallSummary())
	for _, u := range []string{"erin", "frank", "grace", "heidi"} {
		assert.Len(t, bundleDigests(t, filepath.Join(out, u), u), map[bool]int{true: 3, false: 1}[u != "heidi"], u)
	}
	members, err := client.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	var names []string
	for _, u := range members.Users {
		names = append(names, aws.ToString(u.UserName))
	}
	assert.ElementsMatch(t, []string{"erin", "grace"}, names)

	acct.ResetCalls()
	r = w.iamkit("mfa", "audit", "--json")
	require.Equal(t, 0, r.code, r)
	t.Logf("mfa audit: %d calls: %s", sum(acct.CallCounts()), acct.CallSummary())
	assert.GreaterOrEqual(t, acct.Calls("iam:GetCredentialReport"), 1)
	var found []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var f struct{ User, Source string }
		require.NoError(t, json.Unmarshal([]byte(line), &f), line)
		assert.Equal(t, "credential-report", f.Source, "the report was read and decoded")
		found = append(found, f.User)
	}
	assert.ElementsMatch(t, []string{"<root_account>", "heidi"}, found, "the root has no MFA device; heidi has a password and none")
}
