package trustpolicy_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/trustpolicy"
)

const loginUser = "arn:aws:iam::111111111111:user/alice" // a user of the login account

// accounts returns n fake accounts, each with the role "Admin" trusting its
// own root, and their targets named "acct-N".
func accounts(t testing.TB, n int) ([]*fakes.Account, []trustpolicy.Target) {
	t.Helper()
	var accts []*fakes.Account
	var targets []trustpolicy.Target
	for i := range n {
		id := fmt.Sprintf("2000000000%02d", i)
		a := fakes.NewAccount(fakes.WithAccountID(id))
		newRole(t, a, "Admin", strings.ReplaceAll(rootTrust, "123456789012", id))
		a.ResetCalls()
		accts = append(accts, a)
		targets = append(targets, trustpolicy.Target{Name: fmt.Sprintf("acct-%d", i), API: a.IAM()})
	}
	return accts, targets
}

func TestApplyAll(t *testing.T) {
	ctx := context.Background()
	accts, targets := accounts(t, 4)
	// acct-2 has no Admin role: it fails, the others go on.
	broken := fakes.NewAccount(fakes.WithAccountID("200000000002"))
	accts[2], targets[2].API = broken, broken.IAM()

	edit := trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser))
	results := trustpolicy.ApplyAll(ctx, targets, "Admin", edit)
	require.Len(t, results, 4)
	for i, r := range results {
		assert.Equal(t, targets[i].Name, r.Target, "results in target order")
		assert.Equal(t, "Admin", r.Role)
		if i == 2 {
			assert.Equal(t, trustpolicy.Failed, r.Status)
			assert.ErrorContains(t, r.Err, "cannot be found")
			continue
		}
		require.NoError(t, r.Err)
		assert.Equal(t, trustpolicy.Changed, r.Status)
		assert.Contains(t, stored(t, accts[i], "Admin"), loginUser)
	}
	assert.Equal(t, map[trustpolicy.Status]int{trustpolicy.Changed: 3, trustpolicy.Failed: 1}, trustpolicy.Summary(results))

	// Fix acct-2 and run again: the others are unchanged, acct-2 changes.
	newRole(t, broken, "Admin", strings.ReplaceAll(rootTrust, "123456789012", "200000000002"))
	results = trustpolicy.ApplyAll(ctx, targets, "Admin", edit)
	assert.Equal(t, map[trustpolicy.Status]int{trustpolicy.Changed: 1, trustpolicy.Unchanged: 3}, trustpolicy.Summary(results))
	assert.Equal(t, trustpolicy.Changed, results[2].Status)
}

func TestApplyAllDryRun(t *testing.T) {
	ctx := context.Background()
	accts, targets := accounts(t, 3)
	before := make([]string, len(accts))
	for i, a := range accts {
		before[i] = stored(t, a, "Admin")
	}
	results := trustpolicy.ApplyAll(ctx, targets, "Admin", trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser)), trustpolicy.WithDryRun(true))
	for i, r := range results {
		assert.Equal(t, trustpolicy.WouldChange, r.Status)
		assert.Contains(t, r.Diff, loginUser)
		assert.Equal(t, before[i], stored(t, accts[i], "Admin"), "a dry run changes nothing")
		assert.Zero(t, accts[i].Calls("iam:UpdateAssumeRolePolicy"))
	}

	var sb strings.Builder
	require.NoError(t, trustpolicy.WriteReport(&sb, results))
	assert.Equal(t, 3, strings.Count(sb.String(), ": Admin: would change\n"))
	assert.Contains(t, sb.String(), "acct-1: Admin: would change\n    @@ -4,7 +4,10 @@\n")
	assert.Contains(t, sb.String(), "    +          \""+loginUser+"\"\n")
	assert.True(t, strings.HasSuffix(sb.String(), "\n3 would change\n"), sb.String())
}

func TestWriteReport(t *testing.T) {
	ctx := context.Background()
	accts, targets := accounts(t, 3)
	newRole(t, accts[1], "Other", rootTrust)
	_, err := trustpolicy.Apply(ctx, targets[1].API, "Admin", trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser)))
	require.NoError(t, err)
	accts[2].Throttle("iam:GetRole", 0)

	results := trustpolicy.ApplyAll(ctx, targets, "Admin", trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser)))
	var sb strings.Builder
	require.NoError(t, trustpolicy.WriteReport(&sb, results))
	assert.Equal(t, `acct-0: Admin: changed (1 attempt)
    @@ -4,7 +4,10 @@
         {
           "Effect": "Allow",
           "Principal": {
    -        "AWS": "arn:aws:iam::200000000000:root"
    +        "AWS": [
    +          "arn:aws:iam::200000000000:root",
    +          "arn:aws:iam::111111111111:user/alice"
    +        ]
           },
           "Action": "sts:AssumeRole"
         }
acct-1: Admin: unchanged
acct-2: Admin: failed: trustpolicy: reading role Admin: operation error IAM: GetRole, api error Throttling: Rate exceeded
1 changed, 1 unchanged, 1 failed
`, sb.String())

	// Apply's own result (no target name).
	res, _ := trustpolicy.Apply(ctx, targets[0].API, "Admin", trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser)))
	sb.Reset()
	require.NoError(t, trustpolicy.WriteReport(&sb, []trustpolicy.Result{*res}))
	assert.Equal(t, "Admin: unchanged\n1 unchanged\n", sb.String())
}

// gate is a RoleAPI that holds every GetRole until `want` calls are in flight,
// and records the most calls in flight at once.
type gate struct {
	trustpolicy.RoleAPI
	inflight, peak *atomic.Int32
	want           int32
	open           chan struct{}
	once           *sync.Once
}

func (g gate) GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if n >= g.want {
		g.once.Do(func() { close(g.open) })
	}
	select {
	case <-g.open:
	case <-time.After(5 * time.Second): // only if the bound were never reached
	}
	return g.RoleAPI.GetRole(ctx, in, optFns...)
}

func TestApplyAllBoundedConcurrency(t *testing.T) {
	ctx := context.Background()
	_, targets := accounts(t, 10)
	var inflight, peak atomic.Int32
	g := gate{inflight: &inflight, peak: &peak, want: 3, open: make(chan struct{}), once: &sync.Once{}}
	for i := range targets {
		g.RoleAPI = targets[i].API
		targets[i].API = g
	}
	start := time.Now()
	results := trustpolicy.ApplyAll(ctx, targets, "Admin", trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser)), trustpolicy.WithConcurrency(3))
	assert.Less(t, time.Since(start), 4*time.Second, "the gate opened: three accounts were worked on at once")
	assert.Equal(t, int32(3), peak.Load(), "never more than WithConcurrency at once")
	assert.Equal(t, map[trustpolicy.Status]int{trustpolicy.Changed: 10}, trustpolicy.Summary(results))
}

func TestApplyAllCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	accts, targets := accounts(t, 3)
	results := trustpolicy.ApplyAll(ctx, targets, "Admin", trustpolicy.AddPrincipals(trustpolicy.AWS(loginUser)))
	for i, r := range results {
		assert.Equal(t, trustpolicy.Failed, r.Status)
		assert.ErrorIs(t, r.Err, context.Canceled)
		assert.Equal(t, targets[i].Name, r.Target)
		assert.Zero(t, accts[i].CallsWithPrefix("iam:"))
	}
	assert.Empty(t, trustpolicy.ApplyAll(context.Background(), nil, "Admin", trustpolicy.PruneUniqueIDs()))
}
