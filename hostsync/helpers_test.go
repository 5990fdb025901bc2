package hostsync_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hsfixture"
)

// pubKey returns a deterministic ed25519 public key line for seed s.
var pubKey = hsfixture.PubKey

// activeKey returns an Active key with a deterministic ID and body.
func activeKey(s string) hostsync.Key {
	return hostsync.Key{ID: "APKA" + strings.ToUpper(s), Body: pubKey(s), Status: hostsync.KeyActive}
}

// testdataKey reads a public key from testdata/keys.
func testdataKey(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keys", name))
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

// user returns a desired user with one active key named after it.
func user(id, name string, groups ...string) hostsync.DesiredUser {
	return hostsync.DesiredUser{IAMUserID: id, IAMName: name, Groups: groups, Keys: []hostsync.Key{activeKey(name)}}
}

// complete wraps users in a complete Desired.
func complete(users ...hostsync.DesiredUser) hostsync.Desired {
	return hostsync.Desired{Complete: true, Users: users}
}

// run loads the host state, plans and applies, failing the test on a load
// error. It returns the plan and the report.
func run(t testing.TB, h hostsync.System, d hostsync.Desired, cfg hostsync.Config) (hostsync.SyncPlan, hostsync.Report) {
	t.Helper()
	ctx := context.Background()
	hs, err := hostsync.LoadHostState(ctx, h, cfg)
	require.NoError(t, err)
	p := hostsync.Plan(d, hs, cfg)
	return p, hostsync.Apply(ctx, h, p)
}

// mustRun is run that also requires the apply to succeed.
func mustRun(t testing.TB, h hostsync.System, d hostsync.Desired, cfg hostsync.Config) hostsync.SyncPlan {
	t.Helper()
	p, r := run(t, h, d, cfg)
	require.NoError(t, r.Err(), "plan:\n%s\nreport:\n%s", p, r)
	return p
}

// planFor loads the host state and plans without applying.
func planFor(t testing.TB, h hostsync.System, d hostsync.Desired, cfg hostsync.Config) hostsync.SyncPlan {
	t.Helper()
	hs, err := hostsync.LoadHostState(context.Background(), h, cfg)
	require.NoError(t, err)
	return hostsync.Plan(d, hs, cfg)
}

// kinds lists the plan's actions as "kind user" strings.
func kinds(p hostsync.SyncPlan) []string {
	var out []string
	for _, a := range p.Actions {
		if a.User == "" {
			out = append(out, string(a.Kind))
		} else {
			out = append(out, string(a.Kind)+" "+a.User)
		}
	}
	return out
}

// actionsFor lists the kinds of the plan's actions on one user.
func actionsFor(p hostsync.SyncPlan, name string) []hostsync.ActionKind {
	var out []hostsync.ActionKind
	for _, a := range p.Actions {
		if a.User == name {
			out = append(out, a.Kind)
		}
	}
	return out
}

// skipReason returns the reasons of the skips about an IAM or Linux name.
func skipReason(p hostsync.SyncPlan, name string) string {
	var rs []string
	for _, s := range p.Skipped {
		if s.IAMName == name || s.User == name {
			rs = append(rs, s.Reason)
		}
	}
	return strings.Join(rs, "; ")
}

// managedNames lists the host's users in the default marker group.
var managedNames = hsfixture.ManagedNames

// snapshot renders the host for convergence comparisons.
var snapshot = hsfixture.HostSnapshot
