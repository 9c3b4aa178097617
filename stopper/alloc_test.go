//go:build !race

package stopper_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// Allocation counts differ under the race detector, so they are checked
// without it.
func TestAllocations(t *testing.T) {
	s := newStopper(t)
	ctx := context.Background()
	f := func(context.Context) {}
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = s.RunTask(ctx, "t", f) }), "RunTask with a context that cannot be cancelled")
	done := make(chan struct{}, 1)
	g := func(context.Context) { done <- struct{}{} }
	for range 100 { // warm up: the shard's slot table grows to its working size
		_ = s.RunAsyncTask(ctx, "t", g)
		<-done
	}
	require.Equal(t, 1.0, testing.AllocsPerRun(100, func() {
		_ = s.RunAsyncTask(ctx, "t", g)
		<-done
	}), "RunAsyncTask: the goroutine's closure and nothing else")
	stop(t, s)
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = s.RunAsyncTask(ctx, "t", f) }), "a rejection")
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = s.RunTask(ctx, "t", f) }), "a rejection")
}
