package hostsync_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// benchDesired returns n users with two keys each.
func benchDesired(n int) hostsync.Desired {
	d := hostsync.Desired{Complete: true}
	for i := range n {
		name := fmt.Sprintf("user%05d@corp.com", i)
		d.Users = append(d.Users, hostsync.DesiredUser{
			IAMUserID: fmt.Sprintf("AIDA%016d", i), IAMName: name, Groups: []string{"ssh"},
			Keys: []hostsync.Key{activeKey(fmt.Sprintf("k%da", i)), activeKey(fmt.Sprintf("k%db", i))},
		})
	}
	return d
}

// BenchmarkPlanFirstSync plans the first sync of n users × 2 keys on an
// empty host (UID allocation for every user, every key parsed).
func BenchmarkPlanFirstSync(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := benchDesired(n)
			hs, err := hostsync.LoadHostState(context.Background(), fakes.NewHost(), hostsync.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				p := hostsync.Plan(d, hs, hostsync.Config{})
				if len(p.Actions) != 2*n+1 {
					b.Fatalf("%d actions", len(p.Actions))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/user")
		})
	}
}

// BenchmarkPlanSteadyState plans a sync that finds nothing to do, the common
// case.
func BenchmarkPlanSteadyState(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := benchDesired(n)
			h := fakes.NewHost()
			mustRun(b, h, d, hostsync.Config{})
			hs, err := hostsync.LoadHostState(context.Background(), h, hostsync.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if p := hostsync.Plan(d, hs, hostsync.Config{}); !p.Empty() {
					b.Fatalf("not empty: %d actions", len(p.Actions))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/user")
		})
	}
}
