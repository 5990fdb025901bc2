package fakes_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func TestClock(t *testing.T) {
	start := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	clk := fakes.NewClock(start)
	assert.Equal(t, start, clk.Now())

	clk.Advance(90 * time.Second)
	assert.Equal(t, start.Add(90*time.Second), clk.Now())

	clk.Set(start)
	assert.Equal(t, start, clk.Now())

	t.Run("Sleep advances at once", func(t *testing.T) {
		clk := fakes.NewClock(start)
		before := time.Now()
		require.NoError(t, clk.Sleep(context.Background(), time.Hour))
		assert.Equal(t, start.Add(time.Hour), clk.Now())
		assert.Less(t, time.Since(before), time.Second, "Sleep must not wait in wall time")
	})
	t.Run("Sleep of zero or less does nothing", func(t *testing.T) {
		clk := fakes.NewClock(start)
		require.NoError(t, clk.Sleep(context.Background(), 0))
		require.NoError(t, clk.Sleep(context.Background(), -time.Minute))
		assert.Equal(t, start, clk.Now())
	})
	t.Run("Sleep honours a cancelled context", func(t *testing.T) {
		clk := fakes.NewClock(start)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := clk.Sleep(ctx, time.Hour)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, start, clk.Now(), "a cancelled Sleep must not move the clock")
	})
	t.Run("Sleep honours an expired deadline", func(t *testing.T) {
		clk := fakes.NewClock(start)
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
		defer cancel()
		require.ErrorIs(t, clk.Sleep(ctx, time.Minute), context.DeadlineExceeded)
		assert.Equal(t, start, clk.Now())
	})
}

func TestAccountDefaultsAndOptions(t *testing.T) {
	acct := fakes.NewAccount()
	assert.Equal(t, fakes.DefaultAccountID, acct.ID())
	assert.Equal(t, "123456789012", acct.ID())
	assert.Equal(t, "us-east-1", acct.Region())
	assert.Equal(t, "aws", acct.Partition())
	assert.Equal(t, fakes.DefaultStart, acct.Clock().Now())
	assert.Same(t, acct, acct.IAM().Account())

	clk := fakes.NewClock(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
	cn := fakes.NewAccount(
		fakes.WithAccountID("111122223333"),
		fakes.WithPartition("aws-cn"),
		fakes.WithRegion("cn-north-1"),
		fakes.WithClock(clk),
	)
	assert.Equal(t, "111122223333", cn.ID())
	assert.Equal(t, "cn-north-1", cn.Region())
	assert.Equal(t, "aws-cn", cn.Partition())
	assert.Same(t, clk, cn.Clock(), "WithClock shares the caller's clock")

	out, err := cn.IAM().CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("wang")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws-cn:iam::111122223333:user/wang", aws.ToString(out.User.Arn))
	assert.Equal(t, clk.Now(), aws.ToTime(out.User.CreateDate))
}

func TestLatency(t *testing.T) {
	t.Run("cancelled context returns promptly with the context error", func(t *testing.T) {
		acct, f := newIAM(t)
		const latency = 50 * time.Millisecond
		acct.SetLatency("iam:CreateUser", latency)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		start := time.Now()
		_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
		elapsed := time.Since(start)

		require.ErrorIs(t, err, context.Canceled)
		assert.Less(t, elapsed, latency, "the call must not wait out its latency once ctx is done")
		assert.Equal(t, 1, acct.Calls("iam:CreateUser"), "a cancelled call is still counted")

		acct.SetLatency("iam:CreateUser", 0)
		_, err = f.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("alice")})
		requireErrAs[*types.NoSuchEntityException](t, err) // the cancelled call changed nothing
	})
	t.Run("wildcard latency applies to every operation and honours ctx", func(t *testing.T) {
		acct, f := newIAM(t)
		acct.SetLatency("*", 50*time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.ListUsers(ctx, &iam.ListUsersInput{})
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("latency is real wall time, per operation over wildcard", func(t *testing.T) {
		acct, f := newIAM(t)
		const d = 10 * time.Millisecond
		acct.SetLatency("*", time.Hour) // the per-operation value wins
		acct.SetLatency("iam:ListUsers", d)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := f.ListUsers(ctx, &iam.ListUsersInput{})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), d)
	})
	t.Run("a cancelled context fails even without latency", func(t *testing.T) {
		_, f := newIAM(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.ListUsers(ctx, &iam.ListUsersInput{})
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestThrottle(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	_, err := f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)

	acct.Throttle("iam:GetGroup", 2)
	for i := range 2 {
		_, err := f.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
		requireAPIError(t, err, "GetGroup", "Throttling")
		var ae smithy.APIError
		require.True(t, errors.As(err, &ae))
		assert.Equal(t, smithy.FaultClient, ae.ErrorFault(), "call %d", i)
	}
	out, err := f.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	assert.Equal(t, "devs", aws.ToString(out.Group.GroupName))
	assert.Equal(t, 3, acct.Calls("iam:GetGroup"), "throttled calls are counted")

	// Other operations are not affected.
	_, err = f.ListGroups(ctx, &iam.ListGroupsInput{})
	require.NoError(t, err)

	t.Run("n <= 0 throttles until ClearFaults", func(t *testing.T) {
		acct.Throttle("iam:ListGroups", 0)
		for range 5 {
			_, err := f.ListGroups(ctx, &iam.ListGroupsInput{})
			assert.Equal(t, "Throttling", apiCode(err))
		}
		acct.ClearFaults()
		_, err := f.ListGroups(ctx, &iam.ListGroupsInput{})
		require.NoError(t, err)
	})

	t.Run("ThrottlingError", func(t *testing.T) {
		var ae smithy.APIError
		require.True(t, errors.As(fakes.ThrottlingError(), &ae))
		assert.Equal(t, "Throttling", ae.ErrorCode())
		assert.NotEmpty(t, ae.ErrorMessage())
	})
}

func TestInject(t *testing.T) {
	onlyBob := func(in any) bool { return aws.ToString(in.(*iam.GetUserInput).UserName) == "bob" }
	tests := []struct {
		name     string
		op       string
		fault    fakes.Fault
		calls    []string // user names passed to GetUser, in order
		fail     []bool   // which calls fail
		wantCode string   // API error code of the failures
	}{
		{
			name: "Times limits the failures", op: "iam:GetUser", fault: fakes.Fault{Times: 2},
			calls: []string{"alice", "alice", "alice", "alice"}, fail: []bool{true, true, false, false},
			wantCode: "Throttling",
		},
		{
			name: "Skip lets calls through first", op: "iam:GetUser", fault: fakes.Fault{Skip: 1, Times: 2},
			calls: []string{"alice", "alice", "alice", "alice", "alice"}, fail: []bool{false, true, true, false, false},
			wantCode: "Throttling",
		},
		{
			name: "Times 0 fails every call", op: "iam:GetUser", fault: fakes.Fault{},
			calls: []string{"alice", "bob", "alice", "bob"}, fail: []bool{true, true, true, true},
			wantCode: "Throttling",
		},
		{
			name: "Skip then every call", op: "iam:GetUser", fault: fakes.Fault{Skip: 2},
			calls: []string{"alice", "alice", "alice", "alice"}, fail: []bool{false, false, true, true},
			wantCode: "Throttling",
		},
		{
			name: "Match limits the fault to some inputs", op: "iam:GetUser", fault: fakes.Fault{Times: 1, Match: onlyBob},
			calls: []string{"alice", "bob", "alice", "bob"}, fail: []bool{false, true, false, false},
			wantCode: "Throttling",
		},
		{
			name: "Skip and Times count matching calls only", op: "iam:GetUser", fault: fakes.Fault{Skip: 1, Times: 1, Match: onlyBob},
			calls: []string{"alice", "bob", "alice", "bob", "bob"}, fail: []bool{false, false, false, true, false},
			wantCode: "Throttling",
		},
		{
			name: "Err replaces the throttling error", op: "iam:GetUser",
			fault: fakes.Fault{Times: 1, Err: &types.ServiceFailureException{Message: aws.String("boom")}},
			calls: []string{"alice", "alice"}, fail: []bool{true, false},
			wantCode: "ServiceFailure",
		},
		{
			name: "wildcard operation", op: "*", fault: fakes.Fault{Times: 1},
			calls: []string{"alice", "alice"}, fail: []bool{true, false},
			wantCode: "Throttling",
		},
		{
			name: "another operation's fault does not apply", op: "iam:ListUsers", fault: fakes.Fault{},
			calls: []string{"alice", "bob"}, fail: []bool{false, false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Len(t, tt.fail, len(tt.calls))
			acct, f := newIAM(t)
			mustCreateUser(t, f, "alice")
			mustCreateUser(t, f, "bob")
			acct.Inject(tt.op, tt.fault)
			for i, name := range tt.calls {
				out, err := f.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String(name)})
				if tt.fail[i] {
					requireAPIError(t, err, "GetUser", tt.wantCode)
					assert.Nil(t, out)
				} else {
					require.NoError(t, err, "call %d (%s)", i, name)
					assert.Equal(t, name, aws.ToString(out.User.UserName))
				}
			}
			assert.Equal(t, len(tt.calls), acct.Calls("iam:GetUser"))
		})
	}

	t.Run("typed Err is found by errors.As", func(t *testing.T) {
		acct, f := newIAM(t)
		acct.Inject("iam:ListUsers", fakes.Fault{Times: 1, Err: &types.ServiceFailureException{Message: aws.String("boom")}})
		_, err := f.ListUsers(context.Background(), &iam.ListUsersInput{})
		requireErrAs[*types.ServiceFailureException](t, err)
		requireErrAs[*smithy.OperationError](t, err)
	})
	t.Run("injected failure leaves state untouched", func(t *testing.T) {
		acct, f := newIAM(t)
		acct.Inject("iam:CreateUser", fakes.Fault{Times: 1})
		_, err := f.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("carol")})
		require.Error(t, err)
		_, err = f.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("carol")})
		requireErrAs[*types.NoSuchEntityException](t, err)
	})
}

func TestCallCounters(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)

	mustCreateUser(t, f, "alice")
	_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	requireErrAs[*types.EntityAlreadyExistsException](t, err)
	_, err = f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bad name")})
	requireErrAs[*types.InvalidInputException](t, err)
	_, err = f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	requireErrAs[*types.NoSuchEntityException](t, err)
	acct.Throttle("iam:ListUsers", 1)
	_, err = f.ListUsers(ctx, &iam.ListUsersInput{})
	require.Error(t, err)
	_, err = f.ListUsers(ctx, &iam.ListUsersInput{})
	require.NoError(t, err)

	assert.Equal(t, 3, acct.Calls("iam:CreateUser"), "failed calls count too")
	assert.Equal(t, 1, acct.Calls("iam:GetUser"))
	assert.Equal(t, 2, acct.Calls("iam:ListUsers"))
	assert.Equal(t, 0, acct.Calls("iam:DeleteUser"))
	assert.Equal(t, 6, acct.CallsWithPrefix("iam:"))
	assert.Equal(t, 5, acct.CallsWithPrefix("iam:CreateUser")+acct.CallsWithPrefix("iam:ListUsers"))
	assert.Equal(t, 0, acct.CallsWithPrefix("sts:"))

	counts := acct.CallCounts()
	assert.Equal(t, map[string]int{"iam:CreateUser": 3, "iam:GetUser": 1, "iam:ListUsers": 2}, counts)
	counts["iam:CreateUser"] = 100 // a copy: the account is unaffected
	assert.Equal(t, 3, acct.Calls("iam:CreateUser"))

	assert.Equal(t, "iam:CreateUser=3 iam:GetUser=1 iam:ListUsers=2", acct.CallSummary())

	acct.ResetCalls()
	assert.Empty(t, acct.CallCounts())
	assert.Equal(t, 0, acct.CallsWithPrefix(""))
	assert.Empty(t, acct.CallSummary())
	_, err = f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	require.NoError(t, err, "ResetCalls keeps the account's state")
	assert.Equal(t, 1, acct.Calls("iam:GetUser"))
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	acct, f := newIAM(t)
	_, err := f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("all")})
	require.NoError(t, err)
	acct.Throttle("iam:ListUsers", 10)

	const n = 50
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user-%02d", i)
			out, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
			if !assert.NoError(t, err) {
				return
			}
			ids[i] = aws.ToString(out.User.UserId)
			assert.NoError(t, acct.Clock().Sleep(ctx, time.Millisecond))
			_, err = f.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("all"), UserName: aws.String(name)})
			assert.NoError(t, err)
			_, _ = f.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(5)}) // may be throttled
			_ = acct.Calls("iam:CreateUser")
			_ = acct.CallSummary()
		}()
	}
	wg.Wait()

	seen := map[string]bool{}
	for _, id := range ids {
		require.Regexp(t, `^AIDA[A-Z2-7]{17}$`, id)
		require.False(t, seen[id], "duplicate user ID %s", id)
		seen[id] = true
	}
	assert.Equal(t, n, acct.Calls("iam:CreateUser"))
	assert.Equal(t, n, acct.Calls("iam:ListUsers"))

	var all []types.User
	p := iam.NewListUsersPaginator(f, &iam.ListUsersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		all = append(all, page.Users...)
	}
	assert.Len(t, all, n)
	g, err := f.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("all")})
	require.NoError(t, err)
	assert.Len(t, g.Users, n)

	t.Run("racing creators of one name: exactly one wins", func(t *testing.T) {
		const racers = 20
		var wins, conflicts int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("contested")})
				var exists *types.EntityAlreadyExistsException
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.As(err, &exists):
					conflicts++
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, 1, wins)
		assert.Equal(t, racers-1, conflicts)
	})
}

func TestEventualConsistency(t *testing.T) {
	ctx := context.Background()
	const window = 5 * time.Second

	byName := []struct {
		name string
		call func(f *fakes.IAM, user string) error
	}{
		{"GetUser", func(f *fakes.IAM, user string) error {
			_, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)})
			return err
		}},
		{"CreateLoginProfile", func(f *fakes.IAM, user string) error {
			_, err := f.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(user), Password: aws.String("Correct-Horse-9")})
			return err
		}},
		{"AddUserToGroup", func(f *fakes.IAM, user string) error {
			_, err := f.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(user), GroupName: aws.String("devs")})
			return err
		}},
		{"CreateAccessKey", func(f *fakes.IAM, user string) error {
			_, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
			return err
		}},
	}
	for _, tt := range byName {
		t.Run(tt.name, func(t *testing.T) {
			acct, f := newIAM(t)
			_, err := f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
			require.NoError(t, err)
			acct.SetConsistencyWindow(window)
			mustCreateUser(t, f, "fresh")

			requireAPIError(t, tt.call(f, "fresh"), tt.name, "NoSuchEntity")
			acct.Clock().Advance(window - time.Nanosecond)
			requireErrAs[*types.NoSuchEntityException](t, tt.call(f, "fresh"))

			acct.Clock().Advance(time.Nanosecond)
			require.NoError(t, tt.call(f, "fresh"))
		})
	}

	t.Run("the user exists for CreateUser during the window", func(t *testing.T) {
		acct, f := newIAM(t)
		acct.SetConsistencyWindow(window)
		mustCreateUser(t, f, "fresh")
		_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("fresh")})
		requireErrAs[*types.EntityAlreadyExistsException](t, err)
	})
	t.Run("users created before the window was set stay visible", func(t *testing.T) {
		acct, f := newIAM(t)
		mustCreateUser(t, f, "old")
		acct.SetConsistencyWindow(window)
		_, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("old")})
		require.NoError(t, err, "SetConsistencyWindow applies to users created from now on")
	})
	t.Run("zero window: immediately visible", func(t *testing.T) {
		acct, f := newIAM(t)
		acct.SetConsistencyWindow(window)
		acct.SetConsistencyWindow(0)
		mustCreateUser(t, f, "fresh")
		_, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("fresh")})
		require.NoError(t, err)
	})
}
