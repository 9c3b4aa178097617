package testmode_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// TestUniqueEveryMode checks uniqueness in Manual, Inline and Disabled
// (MemoryEngine) modes: same kind + args + queue within the period is a
// duplicate, anything else is not.
func TestUniqueEveryMode(t *testing.T) {
	for _, mode := range []testmode.Mode{testmode.Manual, testmode.Inline, testmode.Disabled} {
		t.Run(string(mode), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := &taskWorker{}
				cfg := testmode.DefaultConfig()
				cfg.Mode, cfg.Workers = mode, newWorkers(t, w)
				if mode == testmode.Disabled {
					opts := testmode.DefaultMemoryOptions()
					opts.Workers = cfg.Workers
					opts.Queues = map[string]testmode.QueueOptions{"default": {Limit: 1}, "other": {Limit: 1}}
					e, err := testmode.NewMemoryEngine(opts)
					require.NoError(t, err)
					defer func() { require.NoError(t, e.Stop(context.Background())) }()
					cfg.Engine = e
				}
				c, err := testmode.NewClient(cfg)
				require.NoError(t, err)
				ctx := context.Background()
				unique := &testmode.InsertOpts{UniquePeriod: time.Minute}

				first, err := c.Insert(ctx, taskArgs{N: 1}, unique)
				require.NoError(t, err)
				require.False(t, first.Duplicate)
				require.NotEmpty(t, first.UniqueKey)

				dup, err := c.Insert(ctx, taskArgs{N: 1}, unique)
				require.NoError(t, err)
				require.True(t, dup.Duplicate)
				require.Equal(t, first.ID, dup.ID)

				other, err := c.Insert(ctx, taskArgs{N: 2}, unique)
				require.NoError(t, err)
				require.False(t, other.Duplicate, "other args")
				otherQueue, err := c.Insert(ctx, taskArgs{N: 1}, &testmode.InsertOpts{UniquePeriod: time.Minute, Queue: "other"})
				require.NoError(t, err)
				require.False(t, otherQueue.Duplicate, "other queue")
				notUnique, err := c.Insert(ctx, taskArgs{N: 1}, nil)
				require.NoError(t, err)
				require.False(t, notUnique.Duplicate, "an insert without UniquePeriod is never a duplicate")

				rows, err := c.InsertMany(ctx, []testmode.InsertParams{
					{Args: taskArgs{N: 3}, Opts: unique},
					{Args: taskArgs{N: 3}, Opts: unique},
				})
				require.NoError(t, err)
				require.False(t, rows[0].Duplicate)
				require.True(t, rows[1].Duplicate, "an earlier job of the same batch blocks")
				require.Equal(t, rows[0].ID, rows[1].ID)

				time.Sleep(time.Minute) // fake time: the period ends
				synctest.Wait()
				again, err := c.Insert(ctx, taskArgs{N: 1}, unique)
				require.NoError(t, err)
				require.False(t, again.Duplicate, "the period has passed")

				if mode == testmode.Inline {
					// Ran once per stored job; duplicates ran nothing.
					require.Len(t, w.attempts(), 6)
				}
			})
		})
	}
}

// TestUniqueIgnoresCancelledAndDiscarded: a job that ended cancelled or
// discarded no longer blocks its duplicates; a completed one does.
func TestUniqueIgnoresCancelledAndDiscarded(t *testing.T) {
	w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
		switch job.Args.N {
		case 1:
			return testmode.Cancel(nil)
		case 2:
			return context.DeadlineExceeded
		}
		return nil
	}}
	c := newClient(t, testmode.Inline, w)
	ctx := context.Background()
	unique := &testmode.InsertOpts{UniquePeriod: time.Hour, MaxAttempts: 1}
	for n, wantDup := range map[int]bool{1: false, 2: false, 3: true} {
		_, _ = c.Insert(ctx, taskArgs{N: n}, unique)
		row, _ := c.Insert(ctx, taskArgs{N: n}, unique)
		require.Equal(t, wantDup, row.Duplicate, "n=%d ended %s", n, row.State)
	}
}

// TestUniqueManualDrained: a recorded unique job that was drained to
// completion still blocks; one drained to cancellation does not.
func TestUniqueManualDrained(t *testing.T) {
	w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
		if job.Args.N == 1 {
			return testmode.Cancel(nil)
		}
		return nil
	}}
	c := newClient(t, testmode.Manual, w)
	ctx := context.Background()
	unique := &testmode.InsertOpts{UniquePeriod: time.Hour}
	_, _ = c.Insert(ctx, taskArgs{N: 1}, unique)
	_, _ = c.Insert(ctx, taskArgs{N: 2}, unique)
	results, err := testmode.Drain(ctx, c, testmode.DrainOpts{})
	require.NoError(t, err)
	require.Len(t, results, 2)
	row, _ := c.Insert(ctx, taskArgs{N: 1}, unique)
	require.False(t, row.Duplicate)
	row, _ = c.Insert(ctx, taskArgs{N: 2}, unique)
	require.True(t, row.Duplicate)
	require.Equal(t, testmode.StateCompleted, row.State)
}

// TestUniqueMemoryEngineReleasesCancelledAndDiscarded: in Disabled mode,
// a MemoryEngine job that ended cancelled or discarded frees its unique key
// at once, within its period; a completed one keeps blocking.
func TestUniqueMemoryEngineReleasesCancelledAndDiscarded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
			switch job.Args.N {
			case 1:
				return testmode.Cancel(nil)
			case 2:
				return context.DeadlineExceeded
			}
			return nil
		}}
		_, c := newEngine(t, w, map[string]int{testmode.DefaultQueue: 1})
		ctx := context.Background()
		unique := &testmode.InsertOpts{UniquePeriod: time.Hour, MaxAttempts: 1}
		for _, tc := range []struct {
			n      int
			state  testmode.State
			blocks bool
		}{{1, testmode.StateCancelled, false}, {2, testmode.StateDiscarded, false}, {3, testmode.StateCompleted, true}} {
			first, err := c.Insert(ctx, taskArgs{N: tc.n}, unique)
			require.NoError(t, err)
			require.False(t, first.Duplicate)
			synctest.Wait() // the job has run to its final state
			row, err := c.Insert(ctx, taskArgs{N: tc.n}, unique)
			require.NoError(t, err)
			require.Equal(t, tc.blocks, row.Duplicate, "n=%d ended %s", tc.n, tc.state)
			if tc.blocks {
				require.Equal(t, first.ID, row.ID)
				require.Equal(t, tc.state, row.State)
			} else {
				require.Greater(t, row.ID, first.ID, "a job of its own")
			}
			synctest.Wait()
		}
		require.Equal(t, []int{1, 1, 2, 2, 3}, w.attempts())
	})
}
