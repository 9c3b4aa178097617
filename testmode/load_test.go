package testmode_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// loadArgs identifies one job of the load test across engines.
type loadArgs struct {
	N int `json:"n"`
}

func (loadArgs) Kind() string { return "load" }

// loadWorker picks a random outcome per attempt: mostly completed, some
// failures (retried, discarded after 3 attempts), some cancels, and at most
// one snooze per job.
type loadWorker struct {
	snoozed []atomic.Bool
}

func (w *loadWorker) Perform(_ context.Context, job *testmode.Job[loadArgs]) error {
	r := rand.IntN(100)
	switch {
	case r < 60:
		return nil
	case r < 85:
		return errors.New("transient")
	case r < 90:
		return testmode.Cancel(nil)
	default:
		if w.snoozed[job.Args.N].CompareAndSwap(false, true) {
			return testmode.Snooze(time.Duration(rand.IntN(1000)) * time.Microsecond)
		}
		return nil
	}
}

func (w *loadWorker) Backoff(*testmode.Job[loadArgs], error) time.Duration {
	return time.Duration(rand.IntN(2000)) * time.Microsecond
}

// finals counts, per job ID of one engine, the attempts that ended the job,
// and signals when a number of them has been reached.
type finals struct {
	mu     sync.Mutex
	byID   map[int64]int
	total  int
	target int
	reach  chan struct{}
}

func newFinals(target int) *finals {
	return &finals{byID: map[int64]int{}, target: target, reach: make(chan struct{})}
}

func (f *finals) handle(_ context.Context, e *telemetry.Event) {
	v, _ := e.Attr(testmode.KeyOutcome)
	switch testmode.Outcome(v.String()) {
	case testmode.OutcomeCompleted, testmode.OutcomeCancelled, testmode.OutcomeDiscarded:
	default:
		return
	}
	id, _ := e.Attr(testmode.KeyJobID)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byID[id.Int64()]++
	f.total++
	if f.total == f.target {
		close(f.reach)
	}
}

// TestMemoryEngineUnderLoad runs 100,000 jobs with random outcomes over 8
// queues, stops the engine gracefully halfway, checks that every job is
// either final exactly once or still pending, then runs the pending ones in
// a second engine: every job reaches a final state exactly once.
func TestMemoryEngineUnderLoad(t *testing.T) {
	defer goleak.VerifyNone(t)
	const jobs = 100_000
	queues := map[string]testmode.QueueOptions{}
	for i := range 8 {
		queues[fmt.Sprintf("q%d", i)] = testmode.QueueOptions{Limit: 1 + i%4}
	}
	worker := &loadWorker{snoozed: make([]atomic.Bool, jobs)}
	// finalByN counts final outcomes per job, across both engines.
	finalByN := make([]int, jobs)

	run := func(args []loadArgs, stopAt int) (pending []*testmode.JobRow) {
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		fin := newFinals(stopAt)
		require.NoError(t, reg.Attach("finals", []string{testmode.JobSpan.Stop.String(), testmode.JobSpan.Exception.String()}, telemetry.HandlerFunc(fin.handle)))
		ws := testmode.NewWorkers()
		require.NoError(t, testmode.AddWorker[loadArgs](ws, worker))
		opts := testmode.DefaultMemoryOptions()
		opts.Queues, opts.Workers, opts.Telemetry, opts.ShutdownGrace = queues, ws, reg, time.Second
		e, err := testmode.NewMemoryEngine(opts)
		require.NoError(t, err)
		cfg := testmode.DefaultConfig()
		cfg.Workers, cfg.Engine, cfg.MaxAttempts = ws, e, 3
		c, err := testmode.NewClient(cfg)
		require.NoError(t, err)

		// Four inserters, in batches, with random queues, priorities and
		// some jobs scheduled a little later.
		idToN := make([]int, len(args)+1)
		var wg sync.WaitGroup
		var inserted atomic.Int64
		const inserters, batch = 4, 100
		for g := range inserters {
			wg.Go(func() {
				for start := g * batch; start < len(args); start += inserters * batch {
					end := min(start+batch, len(args))
					params := make([]testmode.InsertParams, 0, end-start)
					for _, a := range args[start:end] {
						o := &testmode.InsertOpts{Queue: fmt.Sprintf("q%d", rand.IntN(8)), Priority: rand.IntN(10)}
						if rand.IntN(10) == 0 {
							o.ScheduledAt = time.Now().Add(time.Duration(rand.IntN(5)) * time.Millisecond)
						}
						params = append(params, testmode.InsertParams{Args: a, Opts: o})
					}
					rows, err := c.InsertMany(context.Background(), params)
					if err != nil {
						t.Error(err) // not FailNow: this is not the test's goroutine
						return
					}
					for i, row := range rows {
						idToN[row.ID] = args[start+i].N // IDs are unique: no two goroutines write one slot
					}
					inserted.Add(int64(len(rows)))
				}
			})
		}
		wg.Wait()
		require.Equal(t, int64(len(args)), inserted.Load())

		select {
		case <-fin.reach:
		case <-time.After(time.Minute):
			t.Fatalf("only %d of %d jobs became final within a minute", fin.total, stopAt)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, e.Stop(ctx))
		require.Zero(t, e.Running())

		pending = e.Pending()
		fin.mu.Lock()
		defer fin.mu.Unlock()
		for id, n := range fin.byID {
			require.Equal(t, 1, n, "job %d became final %d times", id, n)
			finalByN[idToN[id]]++
		}
		for _, row := range pending {
			require.False(t, row.State.Final())
			require.Zero(t, fin.byID[row.ID], "pending job %d is also final", row.ID)
		}
		require.Equal(t, len(args), len(fin.byID)+len(pending), "every job is final or pending: none lost")
		return pending
	}

	all := make([]loadArgs, jobs)
	for i := range all {
		all[i] = loadArgs{N: i}
	}
	pending := run(all, jobs/2)
	require.NotEmpty(t, pending, "the stop came before the end")

	rest := make([]loadArgs, len(pending))
	for i, row := range pending {
		require.NoError(t, json.Unmarshal(row.EncodedArgs, &rest[i]))
	}
	require.Empty(t, run(rest, len(rest)))
	for n, count := range finalByN {
		require.Equal(t, 1, count, "job n=%d became final %d times across both engines", n, count)
	}
}
