package s3snapshot_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// ctxBlockingAPI holds the first publish's read of the object until
// released, then answers as S3 does for a request whose context is done.
type ctxBlockingAPI struct {
	s3snapshot.SnapshotPublishAPI
	once    sync.Once
	entered chan struct{}
	release chan struct{}
	next    *ctxBlockingAPI // holds the second read the same way, if set
}

func (a *ctxBlockingAPI) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	first := false
	a.once.Do(func() {
		first = true
		close(a.entered)
		<-a.release
	})
	if !first && a.next != nil {
		return a.next.GetObject(ctx, in, o...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return a.SnapshotPublishAPI.GetObject(ctx, in, o...)
}

// A caller's context is its own: a publish cut short by the context of the
// caller that ran it is not the answer of the calls waiting on it (one of
// them publishes), and a waiting caller whose context ends returns at once.
func TestRepublisherContexts(t *testing.T) {
	t.Run("the context of the caller running the publish ends", func(t *testing.T) {
		f := newSnapFixture(t)
		api := &ctxBlockingAPI{SnapshotPublishAPI: f.S3, entered: make(chan struct{}), release: make(chan struct{})}
		second := &ctxBlockingAPI{SnapshotPublishAPI: f.S3, entered: make(chan struct{}), release: make(chan struct{})}
		api.next = second
		r := s3snapshot.NewRepublisher(iamsource.NewIAMSource(f.IAM, snapCfg), snapCfg, f.Acct.ID(), api, "fleet", "hosts.json", hostsync.WithClock(f.Clk))
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := r.Republish(context.Background())
			assert.NoError(t, err)
		})
		<-api.entered
		// b and c queue up behind the running publish; one of them runs
		// the next one, which waits at its read until released.
		ctxB, cancelB := context.WithCancel(context.Background())
		var errB, errC error
		var resC s3snapshot.PublishResult
		wg.Go(func() { _, errB = r.Republish(ctxB) })
		wg.Go(func() { resC, errC = r.Republish(context.Background()) })
		for r.Calls() < 3 {
			runtime.Gosched()
		}
		close(api.release)
		<-second.entered
		cancelB()
		close(second.release)
		wg.Wait()
		// b either ran the second publish (cut short by its context) or
		// waited on c's; woken by its context's end, it reports that —
		// unless c's publish, which covers b's call, finished first.
		if errB != nil {
			assert.ErrorIs(t, errB, context.Canceled, "b's own context ended")
		}
		require.NoError(t, errC, "c is not failed by b's context")
		assert.NotZero(t, resC.Generation, "c has the snapshot in place")
	})
	t.Run("a waiting caller's context ends", func(t *testing.T) {
		f := newSnapFixture(t)
		api := &ctxBlockingAPI{SnapshotPublishAPI: f.S3, entered: make(chan struct{}), release: make(chan struct{})}
		r := s3snapshot.NewRepublisher(iamsource.NewIAMSource(f.IAM, snapCfg), snapCfg, f.Acct.ID(), api, "fleet", "hosts.json", hostsync.WithClock(f.Clk))
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := r.Republish(context.Background())
			assert.NoError(t, err)
		})
		<-api.entered
		waiting, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := r.Republish(waiting)
			done <- err
		}()
		for r.Calls() < 2 {
			runtime.Gosched()
		}
		cancel()
		select {
		case err := <-done:
			assert.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second): // a guard, not a wait: the call must return at once
			t.Error("a waiting Republish did not return when its context ended")
		}
		close(api.release)
		wg.Wait()
	})
}
