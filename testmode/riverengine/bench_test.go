package riverengine

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// benchArgs are the args of both sides of the comparison.
type benchArgs struct {
	N int `json:"n"`
}

func (benchArgs) Kind() string { return "bench" }

// BenchmarkInsert compares inserting through a testmode.Client on this
// engine with inserting through River's client directly, one job per
// insert and 100 per batch. The ratio ours/River is the engine's overhead.
func BenchmarkInsert(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(batchName(batch)+"/ours", func(b *testing.B) {
			pool := newPool(b, false)
			ws := testmode.NewWorkers()
			require.NoError(b, testmode.AddWorker(ws, testmode.WorkerFunc[benchArgs](func(context.Context, *testmode.Job[benchArgs]) error { return nil })))
			opts := testOptions(ws)
			opts.Queues = map[string]testmode.QueueOptions{"unworked": {Limit: 1}} // inserts go to a queue nobody works
			e := newEngine(b, pool, opts)
			c := newClient(b, ws, e)
			params := make([]testmode.InsertParams, batch)
			for i := range params {
				params[i] = testmode.InsertParams{Args: benchArgs{N: i}, Opts: &testmode.InsertOpts{Queue: "unworked"}}
			}
			ctx := b.Context()
			b.ResetTimer()
			for range b.N {
				if _, err := c.InsertMany(ctx, params); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "jobs/s")
		})
		b.Run(batchName(batch)+"/river", func(b *testing.B) {
			pool := newPool(b, false)
			rc := newRiverClient(b, pool, nil, "unworked")
			params := make([]river.InsertManyParams, batch)
			for i := range params {
				params[i] = river.InsertManyParams{Args: benchArgs{N: i}, InsertOpts: &river.InsertOpts{Queue: "unworked"}}
			}
			ctx := b.Context()
			b.ResetTimer()
			for range b.N {
				if _, err := rc.InsertMany(ctx, params); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "jobs/s")
		})
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
		rc := newRiverClient(b, pool, rw, testmode.DefaultQueue)
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

// newRiverClient returns a River client configured as testOptions
// configures an engine, working queue with 50 workers when rw is not nil,
// and stopped when the test ends.
func newRiverClient(b *testing.B, pool *pgxpool.Pool, rw *river.Workers, queue string) *river.Client[pgx.Tx] {
	b.Helper()
	cfg := &river.Config{FetchCooldown: testOptions(nil).FetchCooldown, FetchPollInterval: testOptions(nil).FetchPollInterval, SkipUnknownJobCheck: true}
	if rw != nil {
		cfg.Workers = rw
		cfg.Queues = map[string]river.QueueConfig{queue: {MaxWorkers: 50}}
	}
	rc, err := river.NewClient(riverpgxv5.New(pool), cfg)
	require.NoError(b, err)
	if rw != nil {
		require.NoError(b, rc.Start(context.WithoutCancel(b.Context())))
		b.Cleanup(func() { require.NoError(b, rc.Stop(context.Background())) })
	}
	return rc
}
