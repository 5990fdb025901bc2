package iamuser

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func TestParseRunRecord(t *testing.T) {
	start := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		tags      []types.Tag
		ok        bool
		delivered []string
	}{
		{"absent", []types.Tag{tag("team", "infra")}, false, nil},
		{"a run begun, nothing handed back", []types.Tag{tag(OnboardingTag, "2026-01-15T09:00:00Z")}, true, nil},
		{"key case-insensitive, items", []types.Tag{tag("IAMKIT:Onboarding-Started", "2026-01-15T09:00:00Z AKIAEXAMPLE password")}, true, []string{"AKIAEXAMPLE", "password"}},
		{"unreadable: treated as absent", []types.Tag{tag(OnboardingTag, "yesterday")}, false, nil},
		{"empty", []types.Tag{tag(OnboardingTag, "")}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, ok := parseRunRecord(tt.tags)
			require.Equal(t, tt.ok, ok)
			if !ok {
				assert.False(t, rec.present)
				return
			}
			assert.True(t, rec.interrupted)
			assert.Equal(t, start, rec.started)
			assert.ElementsMatch(t, tt.delivered, sortedKeys(rec.delivered))
		})
	}
}

func TestRunRecordSince(t *testing.T) {
	rec := runRecord{present: true, started: time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)}
	assert.True(t, rec.since(aws.Time(rec.started)), "the same second counts: IAM's dates have whole seconds")
	assert.True(t, rec.since(aws.Time(rec.started.Add(time.Second))))
	assert.False(t, rec.since(aws.Time(rec.started.Add(-time.Second))))
	assert.False(t, rec.since(nil))
	assert.False(t, (&runRecord{}).since(aws.Time(rec.started)), "no record, nothing is since it")
}

// The record's value parses back to itself, and whatever a tag holds never
// panics the parser.
func FuzzParseRunRecord(f *testing.F) {
	f.Add("2026-01-15T09:00:00Z")
	f.Add("2026-01-15T09:00:00Z password AKIAIOSFODNN7EXAMPLE")
	f.Add("2026-01-15T09:00:00+02:00   password")
	f.Add("")
	f.Fuzz(func(t *testing.T, value string) {
		rec, ok := parseRunRecord([]types.Tag{tag(OnboardingTag, value)})
		if !ok {
			return
		}
		again, ok := parseRunRecord([]types.Tag{tag(OnboardingTag, rec.value())})
		require.True(t, ok, "%q → %q", value, rec.value())
		assert.True(t, again.started.Equal(rec.started))
		assert.Equal(t, rec.delivered, again.delivered)
	})
}
