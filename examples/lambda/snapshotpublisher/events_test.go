package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// iamEvent returns an "AWS API Call via CloudTrail" event for an IAM call.
func iamEvent(id, name string, at time.Time, user, group string) events.CloudWatchEvent {
	params := map[string]string{}
	if user != "" {
		params["userName"] = user
	}
	if group != "" {
		params["groupName"] = group
	}
	detail, _ := json.Marshal(map[string]any{
		"eventSource": "iam.amazonaws.com", "eventName": name, "eventTime": at.UTC().Format(time.RFC3339),
		"awsRegion": "us-east-1", "requestParameters": params,
	})
	return events.CloudWatchEvent{ID: id, DetailType: CloudTrailDetailType, Source: "aws.iam", AccountID: fakes.DefaultAccountID,
		Time: at, Region: "us-east-1", Detail: detail}
}

func TestParseIAMEvent(t *testing.T) {
	at := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	ok := iamEvent("e1", "RemoveUserFromGroup", at, "alice", "ssh")
	c, err := parseIAMEvent(ok)
	require.NoError(t, err)
	assert.Equal(t, iamCall{ID: "e1", Name: "RemoveUserFromGroup", At: at, User: "alice", Group: "ssh"}, c)

	withDetail := func(d string) events.CloudWatchEvent {
		ev := ok
		ev.Detail = json.RawMessage(d)
		return ev
	}
	for name, tc := range map[string]struct {
		ev      events.CloudWatchEvent
		ignored bool
	}{
		"scheduled":       {ev: tick},
		"not JSON":        {ev: withDetail(`{"eventSource":`)},
		"no detail":       {ev: withDetail(``)},
		"detail a string": {ev: withDetail(`"x"`)},
		"no eventTime":    {ev: withDetail(`{"eventSource":"iam.amazonaws.com","eventName":"DeleteUser"}`)},
		"bad eventTime":   {ev: withDetail(`{"eventSource":"iam.amazonaws.com","eventName":"DeleteUser","eventTime":"yesterday"}`)},
		"another service": {ev: withDetail(`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","eventTime":"2026-01-15T09:00:00Z"}`), ignored: true},
		"another call":    {ev: iamEvent("e", "CreateRole", at, "", ""), ignored: true},
		"a failed call": {ev: withDetail(`{"eventSource":"iam.amazonaws.com","eventName":"DeleteUser","eventTime":"2026-01-15T09:00:00Z","errorCode":"AccessDenied"}`),
			ignored: true},
	} {
		_, err := parseIAMEvent(tc.ev)
		require.Error(t, err, name)
		assert.Equal(t, tc.ignored, isIgnored(err), "%s: %v", name, err)
	}
}

func isIgnored(err error) bool { return err != nil && errors.Is(err, errIgnored) }

func FuzzParseIAMEvent(f *testing.F) {
	f.Add([]byte(`{"eventSource":"iam.amazonaws.com","eventName":"DeleteUser","eventTime":"2026-01-15T09:00:00Z","requestParameters":{"userName":"a"}}`))
	f.Add([]byte(`{"eventSource":"iam.amazonaws.com","eventName":"UpdateSSHPublicKey","eventTime":"2026-01-15T09:00:00Z","requestParameters":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, detail []byte) {
		ev := events.CloudWatchEvent{DetailType: CloudTrailDetailType, Detail: detail}
		c, err := parseIAMEvent(ev)
		if err != nil {
			return
		}
		if c.At.IsZero() || c.Name == "" {
			t.Fatalf("accepted an event without time or name: %+v", c)
		}
	})
}

// IAM events publish at once; bad input is logged and never an error.
func TestHandlerIAMEvents(t *testing.T) {
	ctx := context.Background()
	acct := account(t, 3)
	h, logs := newTestHandler(t, acct, baseEnv)
	h.sleep = acct.Clock().Sleep
	clk := acct.Clock()
	_, err := h.Handle(ctx, tick)
	require.NoError(t, err)
	users := func() int {
		obj, ok := acct.S3().Object("fleet", DefaultKey)
		require.True(t, ok)
		snap, err := hostsync.ParseSnapshot(obj.Body)
		require.NoError(t, err)
		return len(snap.Users)
	}
	require.Equal(t, 3, users())

	// alice is removed from ssh in the console; the event arrives 20 s
	// later and publishes at once.
	clk.Advance(time.Minute)
	callAt := clk.Now()
	_, err = acct.IAM().RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("alice"), GroupName: aws.String("ssh")})
	require.NoError(t, err)
	clk.Advance(20 * time.Second)
	ev := iamEvent("evt-1", "RemoveUserFromGroup", callAt, "alice", "ssh")
	res, err := h.Handle(ctx, ev)
	require.NoError(t, err)
	assert.True(t, res.Written, res.Reason)
	assert.Equal(t, "iam:RemoveUserFromGroup", res.Trigger)
	assert.Equal(t, 2, users())

	steps := []struct {
		name, skipped string
		ev            events.CloudWatchEvent
		publishes     bool
	}{
		{name: "duplicate", ev: ev, skipped: "duplicate"},
		{name: "out of order: an older call", ev: iamEvent("evt-0", "UploadSSHPublicKey", callAt.Add(-time.Second), "bob", ""), skipped: "covered by the snapshot read"},
		{name: "malformed", ev: events.CloudWatchEvent{ID: "bad", DetailType: CloudTrailDetailType, Detail: json.RawMessage(`{`)}, skipped: "detail"},
		{name: "another call", ev: iamEvent("evt-2", "CreateRole", clk.Now(), "", ""), skipped: "ignored"},
		{name: "unknown user: published, unchanged", ev: iamEvent("evt-3", "DeleteUser", clk.Now(), "nobody", ""), publishes: true},
	}
	for _, st := range steps {
		acct.ResetCalls()
		res, err := h.Handle(ctx, st.ev)
		require.NoError(t, err, st.name)
		assert.Contains(t, res.Skipped, st.skipped, st.name)
		assert.Equal(t, st.publishes, acct.Calls("iam:GetGroup") > 0, st.name)
		if st.publishes {
			assert.False(t, res.Written, st.name)
			assert.True(t, clk.Now().Sub(st.ev.Time) >= DefaultEventMargin, "%s: read IAM only once the call is %s old", st.name, DefaultEventMargin)
		}
	}
	assert.Contains(t, logs.String(), "malformed event ignored")
	assert.Contains(t, logs.String(), `"user":"nobody"`)

	// A publish that fails is an error (Lambda retries, the Errors alarm
	// fires); the retry publishes.
	clk.Advance(time.Minute)
	_, err = acct.IAM().AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("alice"), GroupName: aws.String("ssh")})
	require.NoError(t, err)
	acct.Throttle("s3:PutObject", 1)
	ev = iamEvent("evt-4", "AddUserToGroup", clk.Now(), "alice", "ssh")
	_, err = h.Handle(ctx, ev)
	require.Error(t, err)
	assert.Contains(t, logs.String(), "writing the snapshot failed")
	res, err = h.Handle(ctx, ev)
	require.NoError(t, err)
	assert.True(t, res.Written)
	assert.Equal(t, 3, users())
}

// slowIAM makes every IAM listing call take time on the fake clock.
type slowIAM struct {
	*fakes.IAM
	clk *fakes.Clock
	per time.Duration
}

func (s slowIAM) ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, o ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error) {
	s.clk.Advance(s.per)
	return s.IAM.ListSSHPublicKeys(ctx, in, o...)
}

func (s slowIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, o ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	s.clk.Advance(s.per)
	return s.IAM.GetGroup(ctx, in, o...)
}

// burstResult is what simulateBurst measured.
type burstResult struct {
	publishes  int
	maxLatency time.Duration // from a call to the end of the publish that covered it
}

// simulateBurst sends n IAM events spread evenly over window, each
// delivered delay after its call, to one function instance processing them
// one at a time (the template's reserved concurrency of 1), every IAM
// listing call taking perCall on the fake clock.
func simulateBurst(t testing.TB, n int, window, delay, perCall time.Duration) burstResult {
	ctx := context.Background()
	acct := account(t, 20)
	clk := acct.Clock()
	h, err := newHandler(slowIAM{IAM: acct.IAM(), clk: clk, per: perCall}, acct.S3(), env(baseEnv), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	h.now, h.sleep = clk.Now, clk.Sleep
	_, err = h.Handle(ctx, tick)
	require.NoError(t, err)
	clk.Advance(time.Minute)

	start := clk.Now()
	type pending struct {
		ev      events.CloudWatchEvent
		call    time.Time
		deliver time.Time
	}
	evs := make([]pending, n)
	for i := range evs {
		at := start.Add(window * time.Duration(i) / time.Duration(n))
		evs[i] = pending{ev: iamEvent(fmt.Sprintf("burst-%d", i), "UpdateSSHPublicKey", at, "alice", ""), call: at, deliver: at.Add(delay)}
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].deliver.Before(evs[j].deliver) })
	var res burstResult
	var waiting []time.Time // calls not yet covered by a finished publish
	for _, p := range evs {
		if clk.Now().Before(p.deliver) {
			clk.Set(p.deliver)
		}
		waiting = append(waiting, p.call)
		before := acct.Calls("s3:GetObject")
		r, err := h.Handle(ctx, p.ev)
		require.NoError(t, err)
		if acct.Calls("s3:GetObject") > before {
			res.publishes++
			kept := waiting[:0]
			for _, c := range waiting {
				if h.lastRead.Sub(c) >= h.eventMargin {
					res.maxLatency = max(res.maxLatency, clk.Now().Sub(c))
				} else {
					kept = append(kept, c)
				}
			}
			waiting = kept
		} else {
			require.NotEmpty(t, r.Skipped)
		}
	}
	return res
}

// A burst of 1,000 events in 10 s costs a bounded number of publishes: at
// most one per DefaultEventSpacing, plus one.
func TestHandlerCoalescesBursts(t *testing.T) {
	for _, tc := range []struct {
		name           string
		delay, perCall time.Duration
	}{
		{name: "fast IAM, events at once", perCall: time.Millisecond},
		{name: "slow IAM, events after 30 s", delay: 30 * time.Second, perCall: 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simulateBurst(t, 1000, 10*time.Second, tc.delay, tc.perCall)
			bound := int(10*time.Second/DefaultEventSpacing) + 2
			assert.LessOrEqual(t, res.publishes, bound)
			t.Logf("1000 events in 10 s: %d publishes (bound %d), max call-to-published %s", res.publishes, bound, res.maxLatency)
		})
	}
}

// BenchmarkEventBurst reports the publishes a burst of 1,000 IAM events in
// 10 s costs (publishes) and the longest time from a call to the end of
// the publish covering it (max-call-to-published-s), for events delivered
// at once and 30 s late, IAM listing calls taking 1 ms or 100 ms.
func BenchmarkEventBurst(b *testing.B) {
	for _, tc := range []struct {
		name           string
		delay, perCall time.Duration
	}{
		{"delay=0s/iam-call=1ms", 0, time.Millisecond},
		{"delay=30s/iam-call=100ms", 30 * time.Second, 100 * time.Millisecond},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var res burstResult
			for b.Loop() {
				res = simulateBurst(b, 1000, 10*time.Second, tc.delay, tc.perCall)
			}
			b.ReportMetric(float64(res.publishes), "publishes")
			b.ReportMetric(res.maxLatency.Seconds(), "max-call-to-published-s")
		})
	}
}

// The templates' event rules list exactly IAMEventNames.
func TestTemplateListsEventNames(t *testing.T) {
	want := "eventName: [" + strings.Join(IAMEventNames, ", ") + "]"
	for _, name := range []string{"hostsync-fleet.yaml", "hostsync-iam-events-forwarder.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "cloudformation", name))
		require.NoError(t, err)
		assert.Equal(t, 1, strings.Count(string(data), "eventName: ["), name)
		assert.Contains(t, string(data), want, name)
	}
	assert.True(t, slices.IsSorted(IAMEventNames))
}
