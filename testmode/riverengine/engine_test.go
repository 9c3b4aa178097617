package riverengine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/testmodetest"
)

// stepArgs tell stepWorker what to return on each attempt.
type stepArgs struct {
	Steps []string `json:"steps"` // per attempt: ok, fail, cancel, snooze, timeout
}

func (stepArgs) Kind() string { return "step" }

type stepWorker struct {
	done    chan int64
	snoozed *sync.Map // IDs of the jobs that have snoozed once
}

func (w stepWorker) Perform(ctx context.Context, job *testmode.Job[stepArgs]) error {
	step := "ok"
	if i := job.Attempt - 1; i < len(job.Args.Steps) {
		step = job.Args.Steps[i]
	}
	var err error
	switch step {
	case "fail":
		err = fmt.Errorf("attempt %d failed", job.Attempt)
	case "cancel":
		err = testmode.Cancel(errors.New("no longer wanted"))
	case "snooze": // once: a snooze keeps the attempt number
		if _, again := w.snoozed.LoadOrStore(job.ID, true); !again {
			err = testmode.Snooze(time.Millisecond)
		}
	case "timeout":
		<-ctx.Done()
		err = ctx.Err()
	}
	w.done <- job.ID
	return err
}

func (stepWorker) Timeout(job *testmode.Job[stepArgs]) time.Duration {
	if slices.Contains(job.Args.Steps, "timeout") {
		return 50 * time.Millisecond
	}
	return 0
}

func (stepWorker) Backoff(*testmode.Job[stepArgs], error) time.Duration { return time.Millisecond }

// TestOutcomes checks that each outcome a worker chooses ends the job as it
// would on MemoryEngine.
func TestOutcomes(t *testing.T) {
	pool := newPool(t, false)
	ws := testmode.NewWorkers()
	w := stepWorker{done: make(chan int64, 100), snoozed: &sync.Map{}}
	require.NoError(t, testmode.AddWorker(ws, testmode.Worker[stepArgs](w)))
	e := newEngine(t, pool, testOptions(ws))
	c := newClient(t, ws, e)
	ctx := t.Context()

	for _, tc := range []struct {
		steps       []string
		maxAttempts int
		state       testmode.State
		attempts    int
		errs        []string
	}{
		{[]string{"ok"}, 3, testmode.StateCompleted, 1, nil},
		{[]string{"fail", "ok"}, 3, testmode.StateCompleted, 2, []string{"attempt 1 failed"}},
		{[]string{"fail", "fail"}, 2, testmode.StateDiscarded, 2, []string{"attempt 1 failed", "attempt 2 failed"}},
		{[]string{"cancel"}, 3, testmode.StateCancelled, 1, []string{"testmode: job cancelled: no longer wanted"}},
		{[]string{"timeout"}, 1, testmode.StateDiscarded, 1, []string{"testmode: job timed out after 50ms"}},
	} {
		t.Run(strings.Join(tc.steps, "-"), func(t *testing.T) {
			row, err := c.Insert(ctx, stepArgs{Steps: tc.steps}, &testmode.InsertOpts{MaxAttempts: tc.maxAttempts})
			require.NoError(t, err)
			got := waitFinal(t, e, row.ID)
			require.Equal(t, tc.state, got.State)
			require.Equal(t, tc.attempts, got.Attempt)
			var msgs []string
			for _, ae := range got.Errors {
				msgs = append(msgs, ae.Message)
			}
			require.Len(t, msgs, len(tc.errs), "%q", msgs)
			for i := range msgs { // a timeout's text depends on when Perform noticed
				require.True(t, strings.HasPrefix(msgs[i], tc.errs[i]), "error %d: %q, want %q...", i, msgs[i], tc.errs[i])
			}
		})
	}

	t.Run("snooze", func(t *testing.T) {
		row, err := c.Insert(ctx, stepArgs{Steps: []string{"snooze"}}, nil)
		require.NoError(t, err)
		got := waitFinal(t, e, row.ID)
		require.Equal(t, testmode.StateCompleted, got.State, "%+v", got)
		require.Equal(t, 1, got.Attempt)
		require.Equal(t, 1, got.Snoozes)
	})
}

// TestInsertTx checks that a job inserted in a transaction exists, and
// runs, only if the transaction commits, and that a refused insert leaves
// the transaction usable.
func TestInsertTx(t *testing.T) {
	pool := newPool(t, false)
	ws := testmode.NewWorkers()
	w := stepWorker{done: make(chan int64, 10), snoozed: &sync.Map{}}
	require.NoError(t, testmode.AddWorker(ws, testmode.Worker[stepArgs](w)))
	e := newEngine(t, pool, testOptions(ws))
	ctx := t.Context()
	count := func() int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job`).Scan(&n))
		return n
	}

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	_, err = e.InsertTx(ctx, tx, stepArgs{Steps: []string{"ok"}}, nil)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	require.Equal(t, 0, count(), "a rolled-back transaction left a job")

	tx, err = pool.Begin(ctx)
	require.NoError(t, err)
	_, err = e.InsertTx(ctx, tx, stepArgs{}, &testmode.InsertOpts{Queue: "nowhere"})
	require.ErrorIs(t, err, testmode.ErrUnknownQueue)
	row, err := e.InsertTx(ctx, tx, stepArgs{Steps: []string{"ok"}}, nil)
	require.NoError(t, err, "the transaction survives a refused insert")
	require.Equal(t, 0, count(), "visible before commit")
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, testmode.StateCompleted, waitFinal(t, e, row.ID).State)

	// Under Manual mode InsertTx records the job and leaves tx alone.
	mctx := testmode.WithMode(ctx, testmode.Manual)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := e.InsertManyTx(mctx, tx, []testmode.InsertParams{{Args: stepArgs{Steps: []string{"manual"}}}})
		return err
	}))
	testmode.AssertEnqueued(t, testmode.StoreFrom(mctx), testmode.Match{Kind: "step"})
	require.Equal(t, 1, count())
}

// TestBadInput checks the errors of New and Migrate for a database that
// cannot be used, and for bad options.
func TestBadInput(t *testing.T) {
	ctx := t.Context()
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.Worker[stepArgs](stepWorker{})))
	poolFor := func(t *testing.T, edit func(*pgxpool.Config)) *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(databaseURL(t))
		require.NoError(t, err)
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
		edit(cfg)
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		return pool
	}
	for name, edit := range map[string]func(*pgxpool.Config){
		"unreachable":    func(c *pgxpool.Config) { c.ConnConfig.Host, c.ConnConfig.Port = "127.0.0.1", 1 },
		"unknown user":   func(c *pgxpool.Config) { c.ConnConfig.User = "no_such_user" },
		"wrong database": func(c *pgxpool.Config) { c.ConnConfig.Database = "no_such_database" },
	} {
		t.Run(name, func(t *testing.T) {
			pool := poolFor(t, edit)
			err := Migrate(ctx, pool)
			require.ErrorIs(t, err, ErrUnreachable)
			_, err = New(ctx, pool, testOptions(ws))
			require.ErrorIs(t, err, ErrUnreachable)
			t.Log(err)
		})
	}
	t.Run("not migrated", func(t *testing.T) {
		_, err := New(ctx, newPool(t, true), testOptions(ws))
		require.ErrorIs(t, err, ErrNotMigrated)
		require.ErrorContains(t, err, "found version 0")
	})
	t.Run("options", func(t *testing.T) {
		opts := testOptions(ws)
		opts.Queues = map[string]testmode.QueueOptions{"Bad.Name": {Limit: 0}}
		opts.RescueStuckJobsAfter = time.Second
		_, err := New(ctx, nil, opts)
		require.ErrorContains(t, err, "Queues[Bad.Name]")
		require.ErrorContains(t, err, `Queues["Bad.Name"].Limit`)
		require.ErrorContains(t, err, "RescueStuckJobsAfter")
		_, err = New(ctx, nil, testOptions(ws))
		require.ErrorContains(t, err, "pool is nil")
		_, err = New(ctx, newPool(t, false), testOptions(testmode.NewWorkers()))
		require.ErrorContains(t, err, "no worker")
	})
}

// TestUnworkedJobsAreReported puts a job of a kind no node has a worker
// for in a queue, as a node running other code would, and checks that it
// is reported, waits without using attempts, and runs once a node with
// its worker starts.
func TestUnworkedJobsAreReported(t *testing.T) {
	pool := newPool(t, false)
	ctx := t.Context()
	_, err := pool.Exec(ctx, `INSERT INTO river_job (kind, args, queue, state, max_attempts, priority, scheduled_at, metadata)
		VALUES ('orphan', '{}', 'default', 'available', 5, 1, now() - interval '1 minute', '{}')`)
	require.NoError(t, err)

	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	rec := record(t, reg, "ecopatterns")
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.Worker[stepArgs](stepWorker{})))
	opts := testOptions(ws)
	opts.UnworkedCheckInterval = 100 * time.Millisecond
	opts.Telemetry = reg
	e := newEngine(t, pool, opts)

	found, err := e.Unworked(ctx, 0)
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, "orphan", found[0].Kind)
	require.Equal(t, int64(1), found[0].Jobs)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ev, err := rec.Wait(wctx, UnworkedFound, slog.String(testmode.KeyJobKind, "orphan"))
	require.NoError(t, err)
	jobs, ok := ev.Measurement(testmode.MeasureJobs)
	require.True(t, ok)
	require.Equal(t, int64(1), jobs.Int64())

	var state string
	var attempt int
	require.NoError(t, pool.QueryRow(ctx, `SELECT state, attempt FROM river_job WHERE kind = 'orphan'`).Scan(&state, &attempt))
	require.Equal(t, "available", state, "the job is kept")
	require.Equal(t, 0, attempt, "no attempt was used")

	// A node that has the worker runs it.
	ran := make(chan struct{}, 1)
	ows := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ows, testmode.WorkerFunc[orphanArgs](func(context.Context, *testmode.Job[orphanArgs]) error {
		ran <- struct{}{}
		return nil
	})))
	newEngine(t, pool, testOptions(ows))
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the orphan job did not run on the node that has its worker")
	}
}

type orphanArgs struct{}

func (orphanArgs) Kind() string { return "orphan" }

// TestArgsThatNoLongerDecodeAreCancelled checks the documented difference
// from MemoryEngine: a job whose args do not decode ends cancelled, not
// discarded, with testmode's error.
func TestArgsThatNoLongerDecodeAreCancelled(t *testing.T) {
	pool := newPool(t, false)
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.Worker[stepArgs](stepWorker{done: make(chan int64, 1)})))
	e := newEngine(t, pool, testOptions(ws))
	var id int64
	require.NoError(t, pool.QueryRow(t.Context(), `INSERT INTO river_job (kind, args, queue, state, max_attempts, priority, metadata)
		VALUES ('step', '{"steps": 42}', 'default', 'available', 5, 1, '{}') RETURNING id`).Scan(&id))
	got := waitFinal(t, e, id)
	require.Equal(t, testmode.StateCancelled, got.State)
	require.Len(t, got.Errors, 1)
	require.Contains(t, got.Errors[0].Message, "testmode: decoding args of job")
}

// TestShutdownReturnsRunningJob checks that a job still running when the
// grace runs out, whose worker returns its context's error, goes back to
// available without using up an attempt.
func TestShutdownReturnsRunningJob(t *testing.T) {
	pool := newPool(t, false)
	started := make(chan struct{})
	cause := make(chan error, 1)
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[orphanArgs](func(ctx context.Context, _ *testmode.Job[orphanArgs]) error {
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return ctx.Err()
	})))
	opts := testOptions(ws)
	opts.ShutdownGrace = 0
	e := newEngine(t, pool, opts)
	row, err := newClient(t, ws, e).Insert(t.Context(), orphanArgs{}, nil)
	require.NoError(t, err)
	<-started
	require.NoError(t, e.Stop(t.Context()))
	require.ErrorIs(t, <-cause, testmode.ErrShutdown)
	_, err = e.Insert(t.Context(), []*testmode.JobRow{{Kind: "orphan", Queue: testmode.DefaultQueue}})
	require.ErrorIs(t, err, testmode.ErrEngineStopped)
	var state string
	var attempt int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT state, attempt FROM river_job WHERE id = $1`, row.ID).Scan(&state, &attempt))
	require.Equal(t, "available", state)
	require.Equal(t, 0, attempt)
}

// TestTelemetryMatchesMemoryEngine runs the same job on MemoryEngine and on
// River and compares the events' names, metadata keys and measurement
// keys.
func TestTelemetryMatchesMemoryEngine(t *testing.T) {
	shape := func(run func(reg *telemetry.Registry, ws *testmode.Workers) testmode.Engine) []string {
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		rec := record(t, reg, "ecopatterns.testmode")
		done := make(chan struct{}, 1)
		ws := testmode.NewWorkers()
		require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[orphanArgs](func(context.Context, *testmode.Job[orphanArgs]) error {
			done <- struct{}{}
			return errors.New("fails")
		})))
		e := run(reg, ws)
		_, err = newClient(t, ws, e).Insert(t.Context(), orphanArgs{}, &testmode.InsertOpts{MaxAttempts: 1})
		require.NoError(t, err)
		<-done
		wctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err = rec.Wait(wctx, testmode.JobSpan.Exception)
		require.NoError(t, err)
		var out []string
		for _, ev := range rec.Events() {
			var keys []string
			for _, a := range ev.Metadata {
				if a.Key != telemetry.KeyKind && a.Key != "error" && a.Key != "message" {
					keys = append(keys, a.Key)
				}
			}
			for _, m := range ev.Measurements {
				keys = append(keys, "#"+m.Attr().Key)
			}
			slices.Sort(keys)
			out = append(out, ev.Name.String()+" "+strings.Join(keys, ","))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	mem := shape(func(reg *telemetry.Registry, ws *testmode.Workers) testmode.Engine {
		opts := testmode.DefaultMemoryOptions()
		opts.Workers, opts.Telemetry = ws, reg
		return testmodetest.NewMemoryEngine(t, opts)
	})
	riv := shape(func(reg *telemetry.Registry, ws *testmode.Workers) testmode.Engine {
		opts := testOptions(ws)
		opts.Telemetry = reg
		return newEngine(t, newPool(t, false), opts)
	})
	require.Equal(t, mem, riv)
	require.NotEmpty(t, mem)
}

// recorder keeps every event, whatever the context it was emitted under:
// engines emit job events under their own contexts.
type recorder struct {
	mu      sync.Mutex
	events  []telemetry.Event
	changed chan struct{}
}

func record(t testing.TB, reg *telemetry.Registry, patterns ...string) *recorder {
	r := &recorder{changed: make(chan struct{})}
	require.NoError(t, reg.Attach(t.Name(), patterns, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, e.Clone())
		close(r.changed)
		r.changed = make(chan struct{})
	})))
	return r
}

func (r *recorder) Events() []telemetry.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Wait returns the first event named name with the given metadata,
// waiting for one to be emitted.
func (r *recorder) Wait(ctx context.Context, name telemetry.Name, attrs ...slog.Attr) (telemetry.Event, error) {
	for {
		r.mu.Lock()
		changed := r.changed
		for _, e := range r.events {
			if e.Name != name {
				continue
			}
			ok := true
			for _, a := range attrs {
				v, found := e.Attr(a.Key)
				ok = ok && found && v.Equal(a.Value)
			}
			if ok {
				r.mu.Unlock()
				return e, nil
			}
		}
		r.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return telemetry.Event{}, fmt.Errorf("no %s event: %w", name, ctx.Err())
		}
	}
}

// orderArgs identify a job of TestPriorityOrder.
type orderArgs struct {
	N int `json:"n"`
}

func (orderArgs) Kind() string { return "order" }

// TestPriorityOrder checks the documented mapping of testmode's ten
// priorities onto River's four levels: jobs due at the same time run by
// level, then by ID within a level.
func TestPriorityOrder(t *testing.T) {
	pool := newPool(t, false)
	ws := testmode.NewWorkers()
	ran := make(chan int, 16)
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[orderArgs](func(_ context.Context, job *testmode.Job[orderArgs]) error {
		ran <- job.Args.N
		return nil
	})))
	opts := testOptions(ws)
	opts.Queues[testmode.DefaultQueue] = testmode.QueueOptions{Limit: 1} // one at a time: the order is observable
	e := newEngine(t, pool, opts)
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = ws, e
	client, err := testmode.NewClient(cfg)
	require.NoError(t, err)

	// Inserted in this order, all due at the same moment.
	priorities := []int{9, 0, 5, 3, 8, 1, 2, 6}
	due := time.Now().Add(time.Second)
	params := make([]testmode.InsertParams, len(priorities))
	for i, p := range priorities {
		params[i] = testmode.InsertParams{Args: orderArgs{N: i}, Opts: &testmode.InsertOpts{Priority: p, ScheduledAt: due}}
	}
	rows, err := client.InsertMany(t.Context(), params)
	require.NoError(t, err)
	for i, r := range rows {
		require.Equal(t, priorities[i], r.Priority, "rows keep the priority they were inserted with")
	}

	var got []int
	for range priorities {
		select {
		case n := <-ran:
			got = append(got, n)
		case <-time.After(30 * time.Second):
			t.Fatalf("only %v ran within 30s", got)
		}
	}
	// Levels: 0-2 → 1 (jobs 1, 5, 6), 3-4 → 2 (job 3), 5-7 → 3 (jobs 2, 7),
	// 8-9 → 4 (jobs 0, 4).
	require.Equal(t, []int{1, 5, 6, 3, 2, 7, 0, 4}, got)
}
