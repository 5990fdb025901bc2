package broker_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/iamkit/iamkit/federation/broker"
)

// BenchmarkBrokerBurst sends bursts of 100 concurrent sign-in requests of
// one person to a broker with the default rate limit (the fake account's
// clock is moved an hour on between bursts, so each starts with a full
// allowance) and reports how many were signed in and how many refused with
// 429, and a burst's wall time beside the floor: the same 100 requests to
// a handler that answers at once.
// "no-limit" is the broker before the limit (WithRateLimit(0, 0)).
func BenchmarkBrokerBurst(b *testing.B) {
	b.Run("default-limit", func(b *testing.B) { benchBurst(b, setup{}) })
	b.Run("no-limit", func(b *testing.B) { benchBurst(b, setup{opts: []broker.Option{broker.WithRateLimit(0, 0)}}) })
}

func benchBurst(b *testing.B, s setup) {
	w := newWorld(b, s)
	floor := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusNoContent) }))
	defer floor.Close()
	var found, limited int
	var burstTime, floorTime time.Duration
	for b.Loop() {
		w.acct.Clock().Advance(time.Hour)
		start := time.Now()
		codes := burst(b, w, 100)
		burstTime += time.Since(start)
		found += codes[http.StatusFound]
		limited += codes[http.StatusTooManyRequests]
		start = time.Now()
		fw := &world{srv: floor}
		burst(b, fw, 100)
		floorTime += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(found)/n, "signed-in/burst")
	b.ReportMetric(float64(limited)/n, "429/burst")
	b.ReportMetric(float64(w.acct.Calls("sts:AssumeRoleWithWebIdentity"))/n, "sts-calls/burst")
	b.ReportMetric(float64(burstTime.Microseconds())/1000/n, "burst-ms")
	b.ReportMetric(float64(floorTime.Microseconds())/1000/n, "floor-ms")
	b.ReportMetric(0, "ns/op")
}
