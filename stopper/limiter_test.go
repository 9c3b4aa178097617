package stopper_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/stopper"
)

// TestLimiterAcquireRelease: slots taken for work that is not a task count
// against tasks, and a wait for one ends on ctx, on the stopper's quiesce,
// or when a slot is released.
func TestLimiterAcquireRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStopper(t)
		lim, err := stopper.NewLimiter(2)
		require.NoError(t, err)
		ctx := context.Background()

		// A test fills the limiter without parking tasks.
		require.NoError(t, lim.Acquire(ctx, s))
		require.True(t, lim.TryAcquire())
		require.Equal(t, 2, lim.InUse())
		require.False(t, lim.TryAcquire())
		require.ErrorIs(t, s.RunAsyncTaskEx(ctx, stopper.TaskOpts{Name: "x", Limiter: lim}, func(context.Context) {}), stopper.ErrThrottled)

		// A wait ends with ctx...
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		require.ErrorIs(t, lim.Acquire(tctx, s), context.DeadlineExceeded)
		require.ErrorIs(t, lim.Acquire(tctx, nil), context.DeadlineExceeded, "an ended ctx takes no slot")

		// ...with a released slot...
		got := make(chan error)
		go func() { got <- lim.Acquire(ctx, nil) }()
		synctest.Wait()
		require.NoError(t, lim.Release())
		require.NoError(t, <-got)
		require.Equal(t, 2, lim.InUse())

		// ...and with the stopper's quiesce.
		go func() { got <- lim.Acquire(ctx, s) }()
		synctest.Wait()
		stop(t, s)
		require.ErrorIs(t, <-got, stopper.ErrUnavailable)
		require.Equal(t, 2, lim.InUse(), "a failed Acquire takes no slot")

		// A quiesced stopper refuses even a free slot.
		require.NoError(t, lim.Release())
		require.ErrorIs(t, lim.Acquire(ctx, s), stopper.ErrUnavailable)
		require.Equal(t, 1, lim.InUse())

		require.NoError(t, lim.Release())
		require.ErrorIs(t, lim.Release(), stopper.ErrNoSlotHeld, "releasing what nobody took changes nothing")
		require.Zero(t, lim.InUse())
		require.EqualError(t, lim.Acquire(nil, nil), "stopper: Limiter.Acquire: ctx is nil") //lint:ignore SA1012 a nil ctx is the bad input under test
	})
}

// TestChildrenTasksAreTheirOwn: a parent's NumTasks and RunningTasks count
// its own tasks; the WithChildren views add its descendants', each tagged
// with its stopper.
func TestChildrenTasksAreTheirOwn(t *testing.T) {
	s := newStopper(t)
	child, err := s.NewChild("db")
	require.NoError(t, err)
	grandchild, err := child.NewChild("pool")
	require.NoError(t, err)
	release := make(chan struct{})
	started := make(chan struct{})
	park := func(ctx context.Context) { started <- struct{}{}; <-release }
	ctx := context.Background()
	require.NoError(t, s.RunAsyncTask(ctx, "serve", park))
	<-started
	require.NoError(t, child.RunAsyncTask(ctx, "query", park))
	<-started
	require.NoError(t, grandchild.RunAsyncTask(ctx, "query", park))
	<-started
	require.NoError(t, grandchild.RunAsyncTask(ctx, "query", park))
	<-started

	require.Equal(t, 1, s.NumTasks())
	require.Equal(t, 1, child.NumTasks())
	require.Equal(t, 4, s.NumTasksWithChildren())
	require.Equal(t, 3, child.NumTasksWithChildren())
	own := s.RunningTasks()
	require.Len(t, own, 1)
	require.Equal(t, "TestChildrenTasksAreTheirOwn", own[0].Stopper)

	all := s.RunningTasksWithChildren()
	type key struct {
		stopper, name string
		count         int
	}
	var got []key
	for _, in := range all {
		got = append(got, key{in.Stopper, in.Name, in.Count})
	}
	require.Equal(t, []key{
		{"TestChildrenTasksAreTheirOwn", "serve", 1},
		{"TestChildrenTasksAreTheirOwn/db", "query", 1},
		{"TestChildrenTasksAreTheirOwn/db/pool", "query", 2},
	}, got, "grouped by stopper and name, oldest first")
	for i := 1; i < len(all); i++ {
		require.False(t, all[i].Started.Before(all[i-1].Started))
	}
	close(release)
	stop(t, s)
	require.Zero(t, s.NumTasksWithChildren())
	require.Empty(t, s.RunningTasksWithChildren())
}
