package iamuser_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func selfSignedCert(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// fullyLoaded onboards a user and gives them one of every dependency that
// blocks DeleteUser, plus an unassigned device named after them.
func fullyLoaded(t *testing.T, e *env, name string) {
	t.Helper()
	ctx := t.Context()
	_, err := e.m.Onboard(ctx, iamuser.Spec{UserName: name, Groups: []string{"developers"}, AccessKey: true, SSHPublicKeys: []string{sshKey(t)}})
	require.NoError(t, err)
	u := aws.String(name)
	_, err = e.iam.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String(selfSignedCert(t))})
	require.NoError(t, err)
	_, err = e.iam.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: u, ServiceName: aws.String("codecommit.amazonaws.com")})
	require.NoError(t, err)
	_, err = e.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: u, PolicyName: aws.String("inline"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	require.NoError(t, err)
	_, err = e.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: u, PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	require.NoError(t, err)
	_, err = e.iam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name), Path: aws.String("/spare/")})
	require.NoError(t, err)
}

func TestOffboardPlanIsADryRun(t *testing.T) {
	e := newEnv(t, "developers")
	fullyLoaded(t, e, "nina")
	e.acct.ResetCalls()
	plan, err := e.off.PlanOffboard(t.Context(), "nina")
	require.NoError(t, err)
	for op, n := range e.acct.CallCounts() {
		assert.Regexp(t, `^iam:(Get|List)`, op, "planning made a changing call %s (%d)", op, n)
	}
	var kinds []iamuser.ActionKind
	for _, a := range plan.Actions {
		kinds = append(kinds, a.Kind)
	}
	// AWS's documented order, ending with the user.
	assert.Equal(t, []iamuser.ActionKind{
		iamuser.DeleteLoginProfile, iamuser.DeleteAccessKey, iamuser.DeleteSigningCertificate, iamuser.DeleteSSHPublicKey,
		iamuser.DeleteServiceSpecificCredential, iamuser.DeactivateMFADevice, iamuser.DeleteVirtualMFADevice, iamuser.DeleteVirtualMFADevice,
		iamuser.DeleteUserPolicy, iamuser.DetachUserPolicy, iamuser.RemoveUserFromGroup, iamuser.DeleteUser,
	}, kinds)
	out := plan.String()
	assert.Contains(t, out, "offboarding nina: 12 actions")
	assert.Contains(t, out, "DetachUserPolicy arn:aws:iam::aws:policy/ReadOnlyAccess")
	assert.True(t, e.userExists(t, "nina"))
}

func TestOffboardRemovesEverything(t *testing.T) {
	e := newEnv(t, "developers")
	fullyLoaded(t, e, "oscar")
	rep, err := e.off.Offboard(t.Context(), "oscar")
	require.NoError(t, err)
	assert.True(t, rep.Verified)
	assert.Equal(t, 1, e.acct.Calls("iam:DeleteUser"), "DeleteUser called once, without DeleteConflict")
	assert.False(t, e.userExists(t, "oscar"))
	devs, err := e.iam.ListVirtualMFADevices(t.Context(), &iam.ListVirtualMFADevicesInput{})
	require.NoError(t, err)
	assert.Empty(t, devs.VirtualMFADevices, "assigned and unassigned devices named after the user are gone")
	g, err := e.iam.GetGroup(t.Context(), &iam.GetGroupInput{GroupName: aws.String("developers")})
	require.NoError(t, err)
	assert.Empty(t, g.Users)
}

func TestOffboardFailureHalfWayThenRerun(t *testing.T) {
	e := newEnv(t, "developers")
	fullyLoaded(t, e, "peggy")
	e.acct.Throttle("iam:DeleteSSHPublicKey", 1)
	rep, err := e.off.Offboard(t.Context(), "peggy")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DeleteSSHPublicKey")
	assert.Contains(t, err.Error(), "re-run to finish")
	assert.False(t, rep.Verified)
	assert.Zero(t, e.acct.Calls("iam:DeleteUser"), "DeleteUser is not attempted while something failed: no DeleteConflict")
	assert.True(t, e.userExists(t, "peggy"))

	plan, err := e.off.PlanOffboard(t.Context(), "peggy")
	require.NoError(t, err)
	assert.Len(t, plan.Actions, 2, plan.String()) // the SSH key and the user
	rep, err = e.off.ApplyOffboard(t.Context(), plan)
	require.NoError(t, err)
	assert.True(t, rep.Verified)
}

func TestOffboardToleratesConcurrentRemoval(t *testing.T) {
	e := newEnv(t, "developers")
	fullyLoaded(t, e, "quinn")
	plan, err := e.off.PlanOffboard(t.Context(), "quinn")
	require.NoError(t, err)
	// Someone removes the login profile between plan and apply.
	_, err = e.iam.DeleteLoginProfile(t.Context(), &iam.DeleteLoginProfileInput{UserName: aws.String("quinn")})
	require.NoError(t, err)
	rep, err := e.off.ApplyOffboard(t.Context(), plan)
	require.NoError(t, err)
	assert.Equal(t, "already gone", rep.Results[0].Status)
}

func TestOffboardMissingUser(t *testing.T) {
	e := newEnv(t)
	plan, err := e.off.PlanOffboard(t.Context(), "nobody")
	require.NoError(t, err)
	assert.False(t, plan.Exists)
	assert.Contains(t, plan.String(), "does not exist")
	rep, err := e.off.ApplyOffboard(t.Context(), plan)
	require.NoError(t, err)
	assert.True(t, rep.Verified)

	_, err = e.off.PlanOffboard(t.Context(), "bad name")
	var ve *iamuser.ValidationError
	assert.ErrorAs(t, err, &ve)
}

func TestOffboardPlanningErrorChangesNothing(t *testing.T) {
	e := newEnv(t, "developers")
	fullyLoaded(t, e, "rita")
	e.acct.Throttle("iam:ListGroupsForUser", 1)
	_, err := e.off.Offboard(t.Context(), "rita")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listing groups")
	for op := range e.acct.CallCounts() { // onboarding's calls, and offboarding's reads
		assert.Regexp(t, `^iam:(Get|List|Create|Enable|Add|Upload|Put|Attach|Tag|Untag)`, op)
	}
	assert.True(t, e.userExists(t, "rita"))
}

func TestOffboardPaginates(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, err := e.m.Onboard(ctx, iamuser.Spec{UserName: "sam", NoMFA: true})
	require.NoError(t, err)
	for i := 0; i < 150; i++ {
		_, err := e.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g" + string(rune('a'+i/26)) + string(rune('a'+i%26)))})
		require.NoError(t, err)
		_, err = e.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("sam"), GroupName: aws.String("g" + string(rune('a'+i/26)) + string(rune('a'+i%26)))})
		require.NoError(t, err)
	}
	e.acct.ResetCalls()
	rep, err := e.off.Offboard(ctx, "sam")
	require.NoError(t, err)
	assert.True(t, rep.Verified)
	assert.Equal(t, 2, e.acct.Calls("iam:ListGroupsForUser"), "two pages of at most 100")
	assert.Equal(t, 150, e.acct.Calls("iam:RemoveUserFromGroup"))
}

func TestOffboardKeepsOtherUsersDevices(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, err := e.m.Onboard(ctx, iamuser.Spec{UserName: "tom"})
	require.NoError(t, err)
	_, err = e.m.Onboard(ctx, iamuser.Spec{UserName: "atom"})
	require.NoError(t, err)
	_, err = e.off.Offboard(ctx, "tom")
	require.NoError(t, err)
	devs, err := e.iam.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned})
	require.NoError(t, err)
	require.Len(t, devs.VirtualMFADevices, 1)
	assert.Equal(t, "atom", aws.ToString(devs.VirtualMFADevices[0].User.UserName))
}
