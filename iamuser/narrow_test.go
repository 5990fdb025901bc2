package iamuser_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
)

// onboardOnly has exactly the methods of OnboardAPI and no other, as an
// importer's hand-written fake would: a Manager that reached for anything
// else (a type assertion to a wider interface) would fail here.
type onboardOnly struct{ iamuser.OnboardAPI }

// offboardOnly has exactly the methods of OffboardAPI.
type offboardOnly struct{ iamuser.OffboardAPI }

func TestNarrowInterfaces(t *testing.T) {
	ctx := t.Context()
	acct := fakes.NewAccount()
	_, err := acct.IAM().CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)

	on := onboardOnly{acct.IAM()}
	_, wider := any(on).(iamuser.OffboardAPI)
	require.False(t, wider, "the test type must not satisfy more than OnboardAPI")

	m := iamuser.New(on, iamuser.WithClock(acct.Clock()))
	res, err := m.Onboard(ctx, iamuser.Spec{UserName: "alice", Groups: []string{"devs"}})
	require.NoError(t, err)
	assert.Equal(t, "alice", res.UserName)
	assert.NotEmpty(t, res.MFASerial)

	bulk := m.OnboardBulk(ctx, []iamuser.Row{{Line: 2, Spec: iamuser.Spec{UserName: "bob"}}})
	require.Len(t, bulk, 1)
	require.NoError(t, bulk[0].Err)

	off := offboardOnly{acct.IAM()}
	_, wider = any(off).(iamuser.OnboardAPI)
	require.False(t, wider, "the test type must not satisfy more than OffboardAPI")
	for _, name := range []string{"alice", "bob"} {
		rep, err := iamuser.NewOffboarder(off).Offboard(ctx, name)
		require.NoError(t, err, name)
		assert.True(t, rep.Verified, name)
	}
}
