package testmode_test

import (
	"context"
	"errors"
	"flag"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/stopper/stoppertest"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// newEngine starts an engine with queues and a client in Disabled mode on
// it. The engine is stopped when the test ends unless the test stopped it.
func newEngine(t *testing.T, w testmode.Worker[taskArgs], queues map[string]int, tune ...func(*testmode.MemoryOptions)) (*testmode.MemoryEngine, *testmode.Client) {
	t.Helper()
	opts := testmode.DefaultMemoryOptions()
	opts.Workers = newWorkers(t, w)
	opts.Queues = map[string]testmode.QueueOptions{}
	for name, limit := range queues {
		opts.Queues[name] = testmode.QueueOptions{Limit: limit}
	}
	for _, f := range tune {
		f(&opts)
	}
	e, err := testmode.NewMemoryEngine(opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, e.Stop(context.Background()))
	})
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine, cfg.Telemetry = opts.Workers, e, opts.Telemetry
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	return e, c
}

// TestEngineThatCanRunNoJobIsRefused pins that options under which an
// engine could never run a job fail Validate (no worker), and that an
// insert the engine cannot run (a queue it does not serve, a kind its
// workers lack) fails with an error that says what to configure.
func TestEngineThatCanRunNoJobIsRefused(t *testing.T) {
	_, err := testmode.NewMemoryEngine(testmode.DefaultMemoryOptions())
	require.ErrorContains(t, err, `Workers = "no worker": must hold a worker: an engine without one could never run a job`)

	// The engine has workers of its own, but not the client's: the first
	// insert says so.
	opts := testmode.DefaultMemoryOptions()
	opts.Workers = testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(opts.Workers, testmode.WorkerFunc[taskArgs](nil2[taskArgs])))
	e, err := testmode.NewMemoryEngine(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Stop(context.Background())) })
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = newWorkers(t, nil), e
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	_, err = c.Insert(context.Background(), emailArgs{To: "ada@example.com"}, nil)
	require.ErrorIs(t, err, testmode.ErrUnknownKind)
	require.ErrorContains(t, err, `no worker registered for kind "email" in engine "testmode.memory" (it runs ["task"]; build it with the client's Workers as MemoryOptions.Workers)`)
	_, err = c.Insert(context.Background(), emailArgs{To: "ada@example.com"}, &testmode.InsertOpts{Queue: "mail"})
	require.ErrorIs(t, err, testmode.ErrUnknownQueue)
	require.ErrorContains(t, err, `"mail" (engine "testmode.memory" serves ["default"]; add the queue to MemoryOptions.Queues)`)
}

func TestMemoryOptionsValidate(t *testing.T) {
	withWorker := testmode.DefaultMemoryOptions()
	withWorker.Workers = newWorkers(t, nil)
	require.NoError(t, withWorker.Validate())
	err := testmode.MemoryOptions{
		Queues:        map[string]testmode.QueueOptions{"": {Limit: 1}, "mail": {Limit: 0}},
		ShutdownGrace: -time.Second,
	}.Validate()
	var fe *options.FieldError
	require.ErrorAs(t, err, &fe)
	for _, want := range []string{
		`options: Name = "": must not be empty`,
		`options: Queues[""] = "": queue name must not be empty`,
		`options: Queues["mail"].Limit = 0: must be > 0`,
		`options: Workers = <nil>: must not be nil`,
		`options: ShutdownGrace = -1s: must be >= 0`,
		`options: Logger = <nil>: must not be nil`,
	} {
		require.ErrorContains(t, err, want)
	}
	require.ErrorContains(t, testmode.MemoryOptions{}.Validate(), "options: Queues = map[]: must have at least one queue")
	_, err = testmode.NewMemoryEngine(testmode.MemoryOptions{})
	require.ErrorContains(t, err, "testmode: invalid memory engine options: ")

	// Defaults load from flags and environment like every options struct.
	opts := testmode.DefaultMemoryOptions()
	require.NoError(t, options.LoadEnv("TESTMODE_TEST", &opts))
	require.NoError(t, options.BindFlags(flag.NewFlagSet("test", flag.ContinueOnError), "engine", &opts))
	require.NoError(t, options.LoadJSON(strings.NewReader(`{"Queues": {"mail": {"Limit": 3}}, "ShutdownGrace": "1s"}`), &opts))
	require.Equal(t, 3, opts.Queues["mail"].Limit)
	require.Equal(t, time.Second, opts.ShutdownGrace)
	cfg := testmode.DefaultConfig()
	require.NoError(t, options.LoadEnv("TESTMODE_TEST", &cfg))
	require.NoError(t, options.BindFlags(flag.NewFlagSet("test", flag.ContinueOnError), "jobs", &cfg))
	require.Empty(t, options.Diff(testmode.DefaultMemoryOptions(), testmode.DefaultMemoryOptions()))
}

func TestMemoryEngineRunsJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan int, 10)
		w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
			done <- job.Args.N
			return nil
		}}
		e, c := newEngine(t, w, map[string]int{"default": 2})
		ctx := context.Background()
		row, err := c.Insert(ctx, taskArgs{N: 1}, nil)
		require.NoError(t, err)
		require.Equal(t, testmode.StateAvailable, row.State)
		require.Equal(t, int64(1), row.ID)
		require.Equal(t, 1, <-done)
		synctest.Wait()
		require.Empty(t, e.Pending())
		require.Zero(t, e.Running())

		// Bad inserts store nothing.
		_, err = c.Insert(ctx, taskArgs{N: 2}, &testmode.InsertOpts{Queue: "nope"})
		require.ErrorIs(t, err, testmode.ErrUnknownQueue)
		require.ErrorContains(t, err, `rows[0]: testmode: queue not configured in the engine: "nope" (engine "testmode.memory" serves ["default"]; add the queue to MemoryOptions.Queues)`)
		_, err = e.Insert(ctx, []*testmode.JobRow{{Kind: "task", Queue: "default"}, {Kind: "ghost", Queue: "default"}, nil})
		require.ErrorIs(t, err, testmode.ErrUnknownKind)
		require.ErrorContains(t, err, "rows[2] is nil")
		synctest.Wait()
		require.Len(t, w.attempts(), 1)
		//lint:ignore SA1012 a nil ctx is the point
		_, err = e.Insert(nil, nil)
		require.Error(t, err)
	})
}

func TestMemoryEngineConcurrencyLimitAndPriority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var running, peak atomic.Int32
		var mu sync.Mutex
		var order []int
		w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			mu.Lock()
			order = append(order, job.Args.N)
			mu.Unlock()
			if job.Args.N == 0 {
				<-release
			}
			running.Add(-1)
			return nil
		}}
		e, c := newEngine(t, w, map[string]int{"serial": 1, "wide": 3})
		ctx := context.Background()
		// The serial queue: a blocker first, then jobs by priority.
		_, err := c.Insert(ctx, taskArgs{N: 0}, &testmode.InsertOpts{Queue: "serial"})
		require.NoError(t, err)
		synctest.Wait()
		for _, p := range []struct{ n, prio int }{{1, 9}, {2, 0}, {3, 5}, {4, 0}} {
			_, err := c.Insert(ctx, taskArgs{N: p.n}, &testmode.InsertOpts{Queue: "serial", Priority: p.prio})
			require.NoError(t, err)
		}
		synctest.Wait()
		require.Equal(t, 1, e.Running())
		require.Len(t, e.Pending(), 4)
		close(release)
		synctest.Wait()
		require.Equal(t, []int{0, 2, 4, 3, 1}, order, "priority first, then insertion")
		require.Equal(t, int32(1), peak.Load())

		// The wide queue runs at most 3 at once.
		release = make(chan struct{})
		peak.Store(0)
		for range 8 {
			_, err := c.Insert(ctx, taskArgs{N: 0}, &testmode.InsertOpts{Queue: "wide"})
			require.NoError(t, err)
		}
		synctest.Wait()
		require.Equal(t, 3, e.Running())
		require.Len(t, e.Pending(), 5)
		close(release)
		synctest.Wait()
		require.Equal(t, int32(3), peak.Load())
		require.Empty(t, e.Pending())
	})
}

func TestMemoryEngineScheduleRetrySnoozeCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		type run struct {
			n       int
			attempt int
			at      time.Duration
		}
		var mu sync.Mutex
		var runs []run
		tw := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
			mu.Lock()
			runs = append(runs, run{job.Args.N, job.Attempt, time.Since(start)})
			mu.Unlock()
			switch {
			case job.Args.N == 2 && job.Attempt < 3:
				return errors.New("flaky")
			case job.Args.N == 3 && job.AttemptedAt.Sub(job.InsertedAt) < time.Minute:
				return testmode.Snooze(time.Minute)
			case job.Args.N == 4:
				return testmode.Cancel(errors.New("no such user"))
			}
			return nil
		}}
		tw.timeout = func(*testmode.Job[taskArgs]) time.Duration { return 0 }
		tw.backoff = func(job *testmode.Job[taskArgs], _ error) time.Duration {
			return time.Duration(job.Attempt) * 10 * time.Second
		}
		e, c := newEngine(t, timedWorker{tw}, map[string]int{"default": 4})
		ctx := context.Background()
		_, err := c.Insert(ctx, taskArgs{N: 1}, &testmode.InsertOpts{ScheduledAt: start.Add(time.Hour)})
		require.NoError(t, err)
		for n := 2; n <= 4; n++ {
			_, err := c.Insert(ctx, taskArgs{N: n}, nil)
			require.NoError(t, err)
		}
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		require.ElementsMatch(t, []run{
			{1, 1, time.Hour},
			{2, 1, 0}, {2, 2, 10 * time.Second}, {2, 3, 30 * time.Second},
			{3, 1, 0}, {3, 1, time.Minute},
			{4, 1, 0},
		}, runs)
		require.Empty(t, e.Pending())
	})
}

func TestMemoryEngineTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		tw := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error {
			<-release // never returns on its own
			return nil
		}}
		tw.timeout = func(*testmode.Job[taskArgs]) time.Duration { return time.Second }
		tw.backoff = func(*testmode.Job[taskArgs], error) time.Duration { return time.Second }
		opts := testmode.DefaultMemoryOptions()
		opts.Workers = newWorkers(t, timedWorker{tw})
		e, err := testmode.NewMemoryEngine(opts)
		require.NoError(t, err)
		_, err = e.Insert(context.Background(), []*testmode.JobRow{{Kind: "task", EncodedArgs: []byte(`{"n":1}`), Queue: "default", MaxAttempts: 2}})
		require.NoError(t, err)
		time.Sleep(time.Minute)
		synctest.Wait()
		require.Len(t, tw.attempts(), 2, "the timeout failed the attempt, which was retried")
		require.Empty(t, e.Pending(), "discarded after 2 attempts")

		// Stop names the performs that never returned.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = e.Stop(ctx)
		cancel()
		var stuck *stopper.StuckTasksError
		require.ErrorAs(t, err, &stuck)
		require.Len(t, stuck.Tasks, 2)
		require.Equal(t, "testmode.engine: perform with timeout", stuck.Tasks[0].Name)
		close(release)
		<-e.Stopper().IsStopped()
	})
}

// TestMemoryEngineGracefulStop checks the stop semantics: inserts are
// refused, a running job that finishes within the grace completes, one
// that is cancelled returns to available without using an attempt, and
// nothing waiting is lost.
func TestMemoryEngineGracefulStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tw := &taskWorker{fn: func(ctx context.Context, job *testmode.Job[taskArgs]) error {
			switch job.Args.N {
			case 1: // finishes within the grace
				time.Sleep(5 * time.Second)
				return nil
			case 2: // runs until cancelled
				<-ctx.Done()
				if !errors.Is(context.Cause(ctx), testmode.ErrShutdown) {
					return errors.New("wrong cause")
				}
				return ctx.Err()
			}
			return nil
		}}
		e, c := newEngine(t, tw, map[string]int{"default": 2}, func(o *testmode.MemoryOptions) {
			o.ShutdownGrace = 10 * time.Second
		})
		ctx := context.Background()
		for n := 1; n <= 2; n++ {
			_, err := c.Insert(ctx, taskArgs{N: n}, nil)
			require.NoError(t, err)
		}
		waiting, err := c.Insert(ctx, taskArgs{N: 3}, nil) // both workers busy: waits
		require.NoError(t, err)
		later, err := c.Insert(ctx, taskArgs{N: 4}, &testmode.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		require.NoError(t, err)
		synctest.Wait()
		require.Equal(t, 2, e.Running())

		start := time.Now()
		require.NoError(t, e.Stop(ctx))
		require.Equal(t, 10*time.Second, time.Since(start), "the grace, then the cancelled job returned")
		_, err = c.Insert(ctx, taskArgs{N: 5}, nil)
		require.ErrorIs(t, err, testmode.ErrEngineStopped)

		pending := e.Pending()
		require.Len(t, pending, 3)
		require.Equal(t, int64(2), pending[0].ID)
		require.Equal(t, testmode.StateAvailable, pending[0].State, "returned to available")
		require.Equal(t, 0, pending[0].Attempt, "the interrupted attempt does not count")
		require.Empty(t, pending[0].Errors)
		require.Equal(t, waiting.ID, pending[1].ID)
		require.Equal(t, later.ID, pending[2].ID)
		require.Equal(t, testmode.StateScheduled, pending[2].State)
		require.Equal(t, []int{1, 2}, slices.Sorted(slices.Values(tw.attempts())))
	})
}

func TestMemoryEngineZeroGraceAndParent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent := stoppertest.New(t)
		tw := &taskWorker{fn: func(ctx context.Context, _ *testmode.Job[taskArgs]) error {
			<-ctx.Done()
			return ctx.Err()
		}}
		opts := testmode.DefaultMemoryOptions()
		opts.Workers, opts.ShutdownGrace, opts.Parent = newWorkers(t, tw), 0, parent
		e, err := testmode.NewMemoryEngine(opts)
		require.NoError(t, err)
		_, err = e.Insert(context.Background(), []*testmode.JobRow{{Kind: "task", EncodedArgs: []byte(`{"n":1}`), Queue: "default", MaxAttempts: 1}})
		require.NoError(t, err)
		synctest.Wait()
		require.NoError(t, parent.Stop(context.Background()), "stopping the parent stops the engine")
		<-e.Stopper().IsStopped()
		require.Len(t, e.Pending(), 1)
		require.Equal(t, testmode.StateAvailable, e.Pending()[0].State)

		_, err = testmode.NewMemoryEngine(opts)
		require.ErrorIs(t, err, stopper.ErrUnavailable, "a stopped parent refuses the engine")
	})
}

func TestMemoryEngineTelemetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		var mu sync.Mutex
		var events []string
		require.NoError(t, reg.Attach("t", []string{"ecopatterns.testmode"}, telemetry.HandlerFunc(func(_ context.Context, ev *telemetry.Event) {
			mu.Lock()
			defer mu.Unlock()
			line := ev.Name.String()
			if v, ok := ev.Attr(testmode.KeyOutcome); ok {
				line += " " + v.String()
			}
			for _, m := range ev.Measurements {
				if m.Key != testmode.MeasureQueueTime {
					line += " " + m.String()
				}
			}
			events = append(events, line)
		})))
		e, c := newEngine(t, &taskWorker{}, map[string]int{"default": 1}, func(o *testmode.MemoryOptions) { o.Telemetry = reg })
		_, err = c.InsertMany(context.Background(), []testmode.InsertParams{
			{Args: taskArgs{N: 1}, Opts: &testmode.InsertOpts{UniquePeriod: time.Hour}},
			{Args: taskArgs{N: 1}, Opts: &testmode.InsertOpts{UniquePeriod: time.Hour}},
			{Args: taskArgs{N: 2}, Opts: &testmode.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}},
		})
		require.NoError(t, err)
		synctest.Wait()
		require.NoError(t, e.Stop(context.Background()))
		// The job may start on its worker before the insert span ends in
		// the caller, so the order is checked per goroutine.
		var engine, jobs []string
		for _, ev := range events {
			if strings.HasPrefix(ev, "ecopatterns.testmode.job.") {
				jobs = append(jobs, ev)
			} else {
				engine = append(engine, ev)
			}
		}
		require.Equal(t, []string{
			"ecopatterns.testmode.engine.insert.start",
			"ecopatterns.testmode.engine.insert.stop jobs=3 duplicates=1",
			"ecopatterns.testmode.engine.shutdown.start",
			"ecopatterns.testmode.engine.shutdown.stop pending=1",
		}, engine)
		require.Equal(t, []string{"ecopatterns.testmode.job.start", "ecopatterns.testmode.job.stop completed"}, jobs)
		require.Less(t, slices.Index(events, "ecopatterns.testmode.engine.insert.start"), slices.Index(events, "ecopatterns.testmode.job.start"))
		require.Less(t, slices.Index(events, "ecopatterns.testmode.job.stop completed"), slices.Index(events, "ecopatterns.testmode.engine.shutdown.start"))
	})
}

// queueTimes attaches to a fresh registry a handler that records the
// MeasureQueueTime of every finished attempt, by job ID.
func queueTimes(t *testing.T) (*telemetry.Registry, func() map[int64]time.Duration) {
	t.Helper()
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	var mu sync.Mutex
	got := map[int64]time.Duration{}
	require.NoError(t, reg.Attach("queue_time", []string{testmode.JobSpan.Stop.String(), testmode.JobSpan.Exception.String()},
		telemetry.HandlerFunc(func(_ context.Context, ev *telemetry.Event) {
			id, _ := ev.Attr(testmode.KeyJobID)
			m, ok := ev.Measurement(testmode.MeasureQueueTime)
			require.True(t, ok, "%s without %s", ev.Name, testmode.MeasureQueueTime)
			mu.Lock()
			defer mu.Unlock()
			got[id.Int64()] = m.Duration()
		})))
	return reg, func() map[int64]time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(got)
	}
}

// TestJobQueueTime checks MeasureQueueTime on fake time: the time from
// when the job became due (not when it was inserted) to the attempt's
// start, and 0 for a job run before it was due.
func TestJobQueueTime(t *testing.T) {
	t.Run("engine", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			reg, times := queueTimes(t)
			w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
				time.Sleep(time.Duration(job.Args.N) * time.Second)
				return nil
			}}
			_, c := newEngine(t, w, map[string]int{testmode.DefaultQueue: 1}, func(o *testmode.MemoryOptions) { o.Telemetry = reg })
			ctx := context.Background()
			start := time.Now()
			insert := func(n int, at time.Duration) int64 {
				t.Helper()
				row, err := c.Insert(ctx, taskArgs{N: n}, &testmode.InsertOpts{ScheduledAt: start.Add(at)})
				require.NoError(t, err)
				return row.ID
			}
			a := insert(3, 0)                // runs at once, for 3 s
			b := insert(1, 0)                // waits for a
			due := insert(0, time.Minute)    // runs when due: the worker is idle
			late := insert(0, 2*time.Minute) // due while e runs
			time.Sleep(110 * time.Second)
			e := insert(30, 110*time.Second) // due now: runs from 1m50s to 2m20s
			time.Sleep(time.Hour)
			synctest.Wait()
			require.Equal(t, map[int64]time.Duration{
				a: 0, b: 3 * time.Second, due: 0, late: 20 * time.Second, e: 0,
			}, times())
		})
	})
	t.Run("drain", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			reg, times := queueTimes(t)
			cfg := testmode.DefaultConfig()
			cfg.Mode, cfg.Workers, cfg.Telemetry = testmode.Manual, newWorkers(t, &taskWorker{}), reg
			c, err := testmode.NewClient(cfg)
			require.NoError(t, err)
			ctx := context.Background()
			waited, err := c.Insert(ctx, taskArgs{N: 1}, nil)
			require.NoError(t, err)
			early, err := c.Insert(ctx, taskArgs{N: 2}, &testmode.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
			require.NoError(t, err)
			time.Sleep(5 * time.Second)
			_, err = testmode.Drain(ctx, c, testmode.DrainOpts{WithScheduled: true})
			require.NoError(t, err)
			require.Equal(t, map[int64]time.Duration{waited.ID: 5 * time.Second, early.ID: 0}, times(),
				"a job drained before it was due has no negative queue time")
		})
	})
}
