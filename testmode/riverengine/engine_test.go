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
	case "panic":
		panic("boom")
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
		{[]string{"panic"}, 1, testmode.StateDiscarded, 1, []string{"testmode: job panicked: boom"}},
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
				require.Empty(t, got.Errors[i].Stack, "River keeps an error's text only")
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

// parityArgs say what the job of TestTelemetryMatchesMemoryEngine does.
type parityArgs struct {
	Fate string `json:"fate"` // complete, retry, cancel, snooze, discard, block, later
}

func (parityArgs) Kind() string { return "parity" }

// parityWorker does what each job's fate says; a block job waits for
// release.
type parityWorker struct {
	release chan struct{}
	started chan struct{}
	snoozed sync.Once
}

func (w *parityWorker) Perform(ctx context.Context, job *testmode.Job[parityArgs]) error {
	switch job.Args.Fate {
	case "retry":
		if job.Attempt == 1 {
			return errors.New("fails once")
		}
	case "cancel":
		return testmode.Cancel(errors.New("not wanted"))
	case "snooze":
		var err error
		w.snoozed.Do(func() { err = testmode.Snooze(time.Millisecond) })
		return err
	case "discard":
		return errors.New("always fails")
	case "block":
		close(w.started)
		select {
		case <-w.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (*parityWorker) Backoff(*testmode.Job[parityArgs], error) time.Duration { return time.Millisecond }

// TestTelemetryMatchesMemoryEngine runs the same jobs on MemoryEngine and on
// River, one for each outcome, then stops each engine as a deployment may:
// first with a context that has ended while a job still runs, then again
// once it has returned, then once more. It compares the events: names,
// outcomes, metadata keys and measurement keys with the kinds of their
// values; and checks the shutdown reports, once, the jobs left.
func TestTelemetryMatchesMemoryEngine(t *testing.T) {
	type engine interface {
		testmode.Engine
		Stop(ctx context.Context) error
	}
	run := func(t *testing.T, start func(reg *telemetry.Registry, ws *testmode.Workers) engine) []string {
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		rec := record(t, reg, "ecopatterns.testmode")
		w := &parityWorker{release: make(chan struct{}), started: make(chan struct{})}
		ws := testmode.NewWorkers()
		require.NoError(t, testmode.AddWorker(ws, testmode.Worker[parityArgs](w)))
		e := start(reg, ws)
		c := newClient(t, ws, e)
		ctx := t.Context()
		for _, fate := range []string{"complete", "retry", "cancel", "snooze", "discard"} {
			_, err := c.Insert(ctx, parityArgs{Fate: fate}, &testmode.InsertOpts{MaxAttempts: 2})
			require.NoError(t, err)
		}
		_, err = c.Insert(ctx, parityArgs{Fate: "later"}, &testmode.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		require.NoError(t, err)
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		// complete, the retry's second attempt and the snooze's second run
		// complete; the discard job fails twice.
		for outcome, n := range map[testmode.Outcome]int{
			testmode.OutcomeCompleted: 3, testmode.OutcomeRetry: 2, testmode.OutcomeCancelled: 1,
			testmode.OutcomeSnoozed: 1, testmode.OutcomeDiscarded: 1,
		} {
			require.NoError(t, rec.WaitCount(wctx, n, testmode.JobSpan.Stop, testmode.JobSpan.Exception, slog.String(testmode.KeyOutcome, string(outcome))))
		}

		_, err = c.Insert(ctx, parityArgs{Fate: "block"}, nil)
		require.NoError(t, err)
		<-w.started
		ended, cancelEnded := context.WithCancel(ctx)
		cancelEnded()
		require.Error(t, e.Stop(ended), "Stop returned before the running job")
		close(w.release)
		require.NoError(t, e.Stop(ctx))
		require.NoError(t, e.Stop(ctx))
		require.NoError(t, rec.WaitCount(wctx, 4, testmode.JobSpan.Stop, testmode.JobSpan.Stop, slog.String(testmode.KeyOutcome, string(testmode.OutcomeCompleted))))

		count := map[telemetry.Name]int{}
		for _, ev := range rec.Events() {
			count[ev.Name]++
		}
		require.Equal(t, 1, count[testmode.EngineShutdownSpan.Start], "shutdown start events")
		require.Equal(t, 1, count[testmode.EngineShutdownSpan.Stop], "shutdown stop events")
		require.Zero(t, count[testmode.EngineShutdownSpan.Exception], "shutdown exception events")
		require.Equal(t, 7, count[testmode.EngineInsertSpan.Stop], "insert stop events")
		ev, err := rec.Wait(wctx, testmode.EngineShutdownSpan.Stop)
		require.NoError(t, err)
		pending, ok := ev.Measurement(testmode.MeasurePending)
		require.True(t, ok, "the shutdown reports the jobs left")
		require.Equal(t, int64(1), pending.Int64(), "jobs left: the later one")
		return shapes(rec.Events())
	}
	var mem, riv []string
	t.Run("memory", func(t *testing.T) {
		mem = run(t, func(reg *telemetry.Registry, ws *testmode.Workers) engine {
			opts := testmode.DefaultMemoryOptions()
			opts.Workers, opts.Telemetry = ws, reg
			return testmodetest.NewMemoryEngine(t, opts)
		})
	})
	t.Run("river", func(t *testing.T) {
		riv = run(t, func(reg *telemetry.Registry, ws *testmode.Workers) engine {
			opts := testOptions(ws)
			opts.Telemetry = reg
			return newEngine(t, newPool(t, false), opts)
		})
	})
	if t.Failed() {
		return
	}
	require.NotEmpty(t, mem)
	require.Equal(t, mem, riv)
}

// shapes describes events without their values: each distinct combination
// of name, outcome, metadata keys and measurement keys, with the kinds of
// their values.
func shapes(events []telemetry.Event) []string {
	var out []string
	for _, ev := range events {
		var keys []string
		for _, a := range ev.Metadata {
			keys = append(keys, a.Key+":"+a.Value.Kind().String())
		}
		for _, m := range ev.Measurements {
			keys = append(keys, "#"+m.Attr().Key+":"+m.Attr().Value.Kind().String())
		}
		slices.Sort(keys)
		shape := ev.Name.String()
		if o, ok := ev.Attr(testmode.KeyOutcome); ok {
			shape += " (" + o.String() + ")"
		}
		out = append(out, shape+" "+strings.Join(keys, ","))
	}
	slices.Sort(out)
	return slices.Compact(out)
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

// WaitCount waits until at least n events named one of a or b carry
// attr.
func (r *recorder) WaitCount(ctx context.Context, n int, a, b telemetry.Name, attr slog.Attr) error {
	for {
		r.mu.Lock()
		changed := r.changed
		got := 0
		for _, e := range r.events {
			if v, ok := e.Attr(attr.Key); ok && v.Equal(attr.Value) && (e.Name == a || e.Name == b) {
				got++
			}
		}
		r.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d %s/%s events with %s: %w", got, n, a, b, attr, ctx.Err())
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
