package riverengine

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// benchArgs are the args of both sides of the comparison.
type benchArgs struct {
	N int `json:"n"`
}

func (benchArgs) Kind() string { return "bench" }

// benchQueue is the queue of BenchmarkInsert's jobs.
const benchQueue = "bench"

// BenchmarkInsert compares inserting through a testmode.Client on this
// engine with inserting through River's client directly, one job per
// insert and 100 per batch. The ratio ours/River is the engine's overhead.
//
// Both sides are alike but for the engine: a started River client,
// configured as the engine configures River (one queue, Limit 4, a no-op
// worker, testOptions' fetch timing), the same args and insert options,
// the same SQL (one transaction holding River's insert). The queue is
// paused so that no job runs while inserts are timed: working jobs is
// BenchmarkEndToEnd's business, and on a small machine it would steal the
// inserts' CPU.
//
// The ours and river sub-benchmarks each have a database schema of their
// own and run one after the other, so drift in the machine's load shows
// in their ratio; the paired sub-benchmark runs both sides over one pool,
// alternating insert by insert, and reports their ratio (ours/river) as a
// metric, which such drift barely moves.
func BenchmarkInsert(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(batchName(batch)+"/ours", func(b *testing.B) {
			benchInsert(b, batch, newOursInserter(b, newPool(b, false), batch))
		})
		b.Run(batchName(batch)+"/river", func(b *testing.B) {
			benchInsert(b, batch, newRiverInserter(b, newPool(b, false), batch))
		})
		b.Run(batchName(batch)+"/paired", func(b *testing.B) {
			pool := newPool(b, false)
			sides := [2]func(context.Context) error{newOursInserter(b, pool, batch), newRiverInserter(b, pool, batch)}
			var took [2]time.Duration
			ctx := b.Context()
			b.ResetTimer()
			for i := range b.N {
				for k := range 2 {
					side := (i + k) % 2 // alternate which side goes first
					start := time.Now()
					if err := sides[side](ctx); err != nil {
						b.Fatal(err)
					}
					took[side] += time.Since(start)
				}
			}
			b.ReportMetric(float64(took[0].Nanoseconds())/float64(b.N), "ours-ns/op")
			b.ReportMetric(float64(took[1].Nanoseconds())/float64(b.N), "river-ns/op")
			b.ReportMetric(float64(took[0])/float64(took[1]), "ours/river")
		})
	}
}

// benchInsert times insert, which inserts batch jobs.
func benchInsert(b *testing.B, batch int, insert func(context.Context) error) {
	ctx := b.Context()
	b.ResetTimer()
	for range b.N {
		if err := insert(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "jobs/s")
}

// newOursInserter returns a function that inserts batch jobs through a
// testmode.Client on a new engine over pool, with benchQueue paused.
func newOursInserter(b *testing.B, pool *pgxpool.Pool, batch int) func(context.Context) error {
	ws := testmode.NewWorkers()
	require.NoError(b, testmode.AddWorker(ws, testmode.WorkerFunc[benchArgs](func(context.Context, *testmode.Job[benchArgs]) error { return nil })))
	e := newEngine(b, pool, testOptions(ws, benchQueue))
	pauseQueue(b, e.Client(), benchQueue)
	c := newClient(b, ws, e)
	params := make([]testmode.InsertParams, batch)
	for i := range params {
		params[i] = testmode.InsertParams{Args: benchArgs{N: i}, Opts: &testmode.InsertOpts{Queue: benchQueue}}
	}
	return func(ctx context.Context) error {
		_, err := c.InsertMany(ctx, params)
		return err
	}
}

// newRiverInserter returns a function that inserts batch jobs through a
// new River client over pool, configured as the engine of
// newOursInserter, with benchQueue paused.
func newRiverInserter(b *testing.B, pool *pgxpool.Pool, batch int) func(context.Context) error {
	rw := river.NewWorkers()
	river.AddWorker(rw, river.WorkFunc(func(context.Context, *river.Job[benchArgs]) error { return nil }))
	rc := newRiverClient(b, pool, rw, benchQueue, testOptions(nil, benchQueue).Queues[benchQueue].Limit)
	pauseQueue(b, rc, benchQueue)
	params := make([]river.InsertManyParams, batch)
	for i := range params {
		params[i] = river.InsertManyParams{Args: benchArgs{N: i}, InsertOpts: &river.InsertOpts{Queue: benchQueue}}
	}
	return func(ctx context.Context) error {
		_, err := rc.InsertMany(ctx, params)
		return err
	}
}

// pauseQueue pauses queue, waiting until River has stored the queue's row
// (a client starting up stores it shortly after Start returns).
func pauseQueue(b *testing.B, rc *river.Client[pgx.Tx], queue string) {
	b.Helper()
	ctx := b.Context()
	for {
		err := rc.QueuePause(ctx, queue, nil)
		if err == nil {
			return
		}
		if !errors.Is(err, rivertype.ErrNotFound) {
			b.Fatalf("pausing queue %q: %v", queue, err)
		}
		select {
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func batchName(n int) string {
	if n == 1 {
		return "single"
	}
	return "batch100"
}

// BenchmarkEndToEnd inserts b.N jobs in batches of 1,000 and waits until a
// no-op worker has run them all: through this engine, and through River
// directly with the same queue settings.
func BenchmarkEndToEnd(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		pool := newPool(b, false)
		var done atomic.Int64
		finished := make(chan struct{})
		target := int64(b.N)
		ws := testmode.NewWorkers()
		require.NoError(b, testmode.AddWorker(ws, testmode.WorkerFunc[benchArgs](func(context.Context, *testmode.Job[benchArgs]) error {
			if done.Add(1) == target {
				close(finished)
			}
			return nil
		})))
		opts := testOptions(ws)
		opts.Queues[testmode.DefaultQueue] = testmode.QueueOptions{Limit: 50}
		c := newClient(b, ws, newEngine(b, pool, opts))
		b.ResetTimer()
		for start := 0; start < b.N; start += 1000 {
			params := make([]testmode.InsertParams, min(1000, b.N-start))
			for i := range params {
				params[i] = testmode.InsertParams{Args: benchArgs{N: start + i}}
			}
			if _, err := c.InsertMany(b.Context(), params); err != nil {
				b.Fatal(err)
			}
		}
		<-finished
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
	b.Run("river", func(b *testing.B) {
		pool := newPool(b, false)
		var done atomic.Int64
		finished := make(chan struct{})
		target := int64(b.N)
		rw := river.NewWorkers()
		river.AddWorker(rw, river.WorkFunc(func(context.Context, *river.Job[benchArgs]) error {
			if done.Add(1) == target {
				close(finished)
			}
			return nil
		}))
		rc := newRiverClient(b, pool, rw, testmode.DefaultQueue, 50)
		b.ResetTimer()
		for start := 0; start < b.N; start += 1000 {
			params := make([]river.InsertManyParams, min(1000, b.N-start))
			for i := range params {
				params[i] = river.InsertManyParams{Args: benchArgs{N: start + i}}
			}
			if _, err := rc.InsertMany(b.Context(), params); err != nil {
				b.Fatal(err)
			}
		}
		<-finished
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
}

// newRiverClient returns a started River client configured as New
// configures River for testOptions (fetch timing, job timeout, logger),
// working queue with limit workers from rw, and stopped when the benchmark
// ends.
func newRiverClient(b *testing.B, pool *pgxpool.Pool, rw *river.Workers, queue string, limit int) *river.Client[pgx.Tx] {
	b.Helper()
	opts := testOptions(nil)
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		FetchCooldown:        opts.FetchCooldown,
		FetchPollInterval:    opts.FetchPollInterval,
		JobTimeout:           opts.JobTimeout,
		Logger:               opts.Logger,
		MaxAttempts:          opts.MaxAttempts,
		Queues:               map[string]river.QueueConfig{queue: {MaxWorkers: limit}},
		RescueStuckJobsAfter: opts.RescueStuckJobsAfter,
		Workers:              rw,
	})
	require.NoError(b, err)
	require.NoError(b, rc.Start(context.WithoutCancel(b.Context())))
	b.Cleanup(func() { require.NoError(b, rc.Stop(context.Background())) })
	return rc
}
