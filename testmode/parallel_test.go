package testmode_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// TestParallelIsolatedStores runs 64 parallel tests that share one client
// (in Disabled mode, on a MemoryEngine, as a program would build it) and
// each record, assert and drain their own jobs through WithMode: none sees
// another's jobs, and the engine sees none of them.
func TestParallelIsolatedStores(t *testing.T) {
	const tests, perTest = 64, 20
	var performed [tests]atomic.Int32
	w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
		performed[job.Args.N/1000].Add(1)
		return nil
	}}
	engine, client := newEngine(t, w, map[string]int{"default": 2})

	t.Run("group", func(t *testing.T) {
		for i := range tests {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				mode := testmode.Manual
				if i%4 == 0 {
					mode = testmode.Inline
				}
				ctx := testmode.WithMode(t.Context(), mode)
				st := testmode.StoreFrom(ctx)
				// The code under test inserts from goroutines of its own.
				var wg sync.WaitGroup
				for j := range perTest {
					wg.Go(func() {
						_, err := client.Insert(ctx, taskArgs{N: i*1000 + j}, nil)
						if err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()

				if mode == testmode.Inline {
					require.Len(t, st.Jobs(), perTest)
					for _, row := range st.Jobs() {
						require.Equal(t, testmode.StateCompleted, row.State)
					}
					testmode.RefuteEnqueued(t, st, testmode.Match{})
					return
				}
				rows, err := testmode.AllEnqueued(st, testmode.Match{Kind: "task"})
				require.NoError(t, err)
				require.Len(t, rows, perTest)
				for j := range perTest {
					testmode.AssertEnqueued(t, st, testmode.Match{Args: map[string]any{"n": i*1000 + j}})
				}
				testmode.RefuteEnqueued(t, st, testmode.Match{Args: map[string]any{"n": ((i+1)%tests)*1000 + 1}})
				results, err := testmode.Drain(ctx, client, testmode.DrainOpts{})
				require.NoError(t, err)
				require.Len(t, results, perTest)
				testmode.RefuteEnqueued(t, st, testmode.Match{})
			})
		}
	})
	for i := range tests {
		require.Equal(t, int32(perTest), performed[i].Load(), "test %d", i)
	}
	require.Empty(t, engine.Pending())
	require.Empty(t, client.Store().Jobs())
}
