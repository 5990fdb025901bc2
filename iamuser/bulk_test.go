package iamuser_test

import (
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCSV(t *testing.T) {
	key := sshKey(t)
	in := "# onboarding batch 7\n" +
		"user_name,groups,path,tags,access_key,console,mfa,ssh_public_keys\n" +
		"alice,developers;readers,/staff/,team=infra;cost=42,true,,,\n" +
		"svc-build,,,,false,false,false,\n" +
		"bob,developers,,,,,," + key + "\n"
	rows, err := iamuser.ParseCSV(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, 3, rows[0].Line)
	assert.Equal(t, iamuser.Spec{UserName: "alice", Groups: []string{"developers", "readers"}, Path: "/staff/", Tags: map[string]string{"team": "infra", "cost": "42"}, AccessKey: true}, rows[0].Spec)
	assert.Equal(t, iamuser.Spec{UserName: "svc-build", AccessKey: false, NoConsole: true, NoMFA: true}, rows[1].Spec)
}

func TestParseCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		line           int
	}{
		{"empty", "", "header row", 1},
		{"unknown column", "user_name,shoe_size\nx,1\n", `unknown column "shoe_size"`, 1},
		{"no user column", "groups\nx\n", "user_name column is required", 1},
		{"duplicate column", "user_name,user_name\na,b\n", "appears twice", 1},
		{"bad name", "user_name\nok\nbad name\n", "user name", 3},
		{"duplicate user", "user_name\nAlice\nbob\nalice\n", "already on line 2", 4},
		{"bad bool", "user_name,access_key\nx,maybe\n", "not true or false", 2},
		{"bad tag", "user_name,tags\nx,team\n", "not key=value", 2},
		{"field count", "user_name,groups\nx\n", "1 fields, the header has 2", 2},
		{"quote", "user_name\n\"x\n", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := iamuser.ParseCSV(strings.NewReader(tt.in))
			var ce *iamuser.CSVError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.line, ce.Line)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestOnboardBulk(t *testing.T) {
	e := newEnv(t, "developers")
	var b strings.Builder
	b.WriteString("user_name,groups\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "user%02d,developers\n", i)
	}
	rows, err := iamuser.ParseCSV(strings.NewReader(b.String()))
	require.NoError(t, err)
	// One row fails: user07's login profile call is throttled past retries.
	e.acct.Inject("iam:CreateLoginProfile", fakes.Fault{Match: func(in any) bool {
		return aws.ToString(in.(*iam.CreateLoginProfileInput).UserName) == "user07"
	}})
	var calls atomic.Int32
	var lastDone int
	results := e.m.OnboardBulk(t.Context(), rows, iamuser.WithConcurrency(4), iamuser.WithProgress(func(done, total int, r iamuser.BulkResult) {
		calls.Add(1)
		assert.Equal(t, 30, total)
		assert.Equal(t, lastDone+1, done, "progress calls are serialised and counted")
		lastDone = done
	}))
	require.Len(t, results, 30)
	assert.EqualValues(t, 30, calls.Load())
	for i, r := range results {
		assert.Equal(t, rows[i], r.Row, "results in row order")
		if r.Row.Spec.UserName == "user07" {
			assert.ErrorContains(t, r.Err, "Throttling")
			continue
		}
		assert.NoError(t, r.Err)
	}
	// Looked up once for the whole run, not per row.
	assert.Equal(t, 1, e.acct.Calls("iam:GetAccountPasswordPolicy"))
	assert.Equal(t, 1, e.acct.Calls("iam:GetGroup"))

	// Re-running the same file is safe and finishes the failed row.
	e.acct.ClearFaults()
	results = e.m.OnboardBulk(t.Context(), rows)
	for _, r := range results {
		require.NoError(t, r.Err, r.Row.Spec.UserName)
	}
	assert.Equal(t, 30, e.acct.Calls("iam:EnableMFADevice"), "one enable per user across both runs")
}

func TestOnboardBulkCancelled(t *testing.T) {
	e := newEnv(t)
	rows, err := iamuser.ParseCSV(strings.NewReader("user_name\na\nb\nc\n"))
	require.NoError(t, err)
	ctx, cancel := contextWithCancel(t)
	cancel()
	results := e.m.OnboardBulk(ctx, rows, iamuser.WithConcurrency(1))
	for _, r := range results {
		assert.ErrorIs(t, r.Err, ctx.Err())
	}
	assert.Zero(t, e.acct.Calls("iam:CreateUser"))
}

// TestOnboardBulkOptions checks where OnboardBulk's options come from: the
// Manager's as defaults, the call's over them.
func TestOnboardBulkOptions(t *testing.T) {
	rows, err := iamuser.ParseCSV(strings.NewReader("user_name,console,mfa\na,false,false\nb,false,false\n"))
	require.NoError(t, err)
	tests := []struct {
		name       string
		newOpts    []string // progress callbacks given to New, by name
		callOpts   []string // and to OnboardBulk
		wantCalled string   // "": no progress calls
	}{
		{name: "none"},
		{name: "manager default", newOpts: []string{"manager"}, wantCalled: "manager"},
		{name: "call only", callOpts: []string{"call"}, wantCalled: "call"},
		{name: "call overrides manager", newOpts: []string{"manager"}, callOpts: []string{"call"}, wantCalled: "call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := fakes.NewAccount()
			called := map[string]int{}
			progress := func(name string) iamuser.Option {
				return iamuser.WithProgress(func(int, int, iamuser.BulkResult) { called[name]++ })
			}
			newOpts := []iamuser.Option{iamuser.WithClock(acct.Clock())}
			for _, n := range tt.newOpts {
				newOpts = append(newOpts, progress(n))
			}
			var callOpts []iamuser.Option
			for _, n := range tt.callOpts {
				callOpts = append(callOpts, progress(n), iamuser.WithConcurrency(1))
			}
			m := iamuser.New(acct.IAM(), newOpts...)
			for _, r := range m.OnboardBulk(t.Context(), rows, callOpts...) {
				require.NoError(t, r.Err)
			}
			if tt.wantCalled == "" {
				assert.Empty(t, called)
				return
			}
			assert.Equal(t, map[string]int{tt.wantCalled: len(rows)}, called)
		})
	}
}

// A file whose second row names a missing group creates nobody: every
// group is checked before the first user is made (each group once).
func TestOnboardBulkCreatesNobodyWhenARowIsInvalid(t *testing.T) {
	e := newEnv(t, "developers")
	rows := []iamuser.Row{
		{Line: 2, Spec: iamuser.Spec{UserName: "alice", Groups: []string{"developers"}}},
		{Line: 3, Spec: iamuser.Spec{UserName: "bob", Groups: []string{"developers", "no-such-group"}}},
		{Line: 4, Spec: iamuser.Spec{UserName: "carol"}},
	}
	progressed := 0
	res := e.m.OnboardBulk(t.Context(), rows, iamuser.WithProgress(func(int, int, iamuser.BulkResult) { progressed++ }))
	require.Len(t, res, 3)
	var ve *iamuser.ValidationError
	require.ErrorAs(t, res[1].Err, &ve)
	assert.Equal(t, "no-such-group", ve.Value)
	for _, i := range []int{0, 2} {
		assert.ErrorIs(t, res[i].Err, iamuser.ErrNotAttempted)
		assert.Contains(t, res[i].Err.Error(), "line 3")
		assert.Nil(t, res[i].Result)
	}
	assert.Zero(t, e.acct.Calls("iam:CreateUser"), "nobody created")
	assert.Equal(t, 2, e.acct.Calls("iam:GetGroup"), "each group checked once")
	assert.Zero(t, progressed)

	// A throttled check stops the run the same way: nobody created.
	e.acct.Throttle("iam:GetGroup", 1)
	res = e.m.OnboardBulk(t.Context(), rows[:1])
	assert.Error(t, res[0].Err)
	assert.Zero(t, e.acct.Calls("iam:CreateUser"))
}
