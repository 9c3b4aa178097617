package riverengine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// stepWorkers returns workers with a stepWorker, for engines whose jobs
// are not meant to run (or whose attempts nobody watches).
func stepWorkers(t testing.TB) *testmode.Workers {
	t.Helper()
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.Worker[stepArgs](stepWorker{done: make(chan int64, 100), snoozed: &sync.Map{}})))
	return ws
}

// readRow reads job id back from the database, as testmode sees it.
func readRow(t testing.TB, e *Engine, id int64) *testmode.JobRow {
	t.Helper()
	jr, err := e.client.JobGet(t.Context(), id)
	require.NoError(t, err)
	return fromRiver(jr, time.Now())
}

// seenArgs are the args of jobs whose worker reports each attempt.
type seenArgs struct {
	N int `json:"n"`
}

func (seenArgs) Kind() string { return "seen" }

// attempt is one attempt as its worker saw it.
type attempt struct {
	job   testmode.Job[seenArgs]
	cause error // context.Cause of the attempt's context when Perform returned
	start time.Time
	end   time.Time
}

// seenWorker reports every attempt on a channel and does what perform
// says; Backoff reports the errors it is asked about and waits backoff(err).
type seenWorker struct {
	attempts chan attempt
	perform  func(ctx context.Context, job *testmode.Job[seenArgs]) error
	backoffs chan error
	backoff  func(err error) time.Duration
}

func newSeenWorker(perform func(ctx context.Context, job *testmode.Job[seenArgs]) error, backoff func(error) time.Duration) *seenWorker {
	return &seenWorker{attempts: make(chan attempt, 100), perform: perform, backoffs: make(chan error, 100), backoff: backoff}
}

func (w *seenWorker) Perform(ctx context.Context, job *testmode.Job[seenArgs]) error {
	a := attempt{job: *job, start: time.Now()}
	err := w.perform(ctx, job)
	a.end, a.cause = time.Now(), context.Cause(ctx)
	w.attempts <- a
	return err
}

func (w *seenWorker) Backoff(_ *testmode.Job[seenArgs], err error) time.Duration {
	w.backoffs <- err
	if w.backoff == nil {
		return time.Millisecond
	}
	return w.backoff(err)
}

// next returns the next attempt, failing the test after 10 s.
func (w *seenWorker) next(t testing.TB) attempt {
	t.Helper()
	select {
	case a := <-w.attempts:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no attempt ran within 10s")
		return attempt{}
	}
}

// seenEngine starts an engine whose only worker is w, with opts edited by
// edit (which may be nil), and a client on it.
func seenEngine(t *testing.T, w *seenWorker, edit func(*Options)) (*Engine, *testmode.Client) {
	t.Helper()
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.Worker[seenArgs](w)))
	opts := testOptions(ws, testmode.DefaultQueue, "other")
	if edit != nil {
		edit(&opts)
	}
	e := newEngine(t, newPool(t, false), opts)
	return e, newClient(t, ws, e)
}

// TestRowsReadBack checks the fields of jobs read back from PostgreSQL, as
// the worker receives them and as a stored row reads: those River has a
// column for and those this package keeps in River's metadata.
func TestRowsReadBack(t *testing.T) {
	t.Parallel()
	w := newSeenWorker(func(_ context.Context, job *testmode.Job[seenArgs]) error {
		if job.Attempt == 1 {
			return errors.New("first attempt fails")
		}
		return nil
	}, nil)
	e, c := seenEngine(t, w, nil)
	ctx := t.Context()
	due := time.Now().Add(100 * time.Millisecond)
	rows, err := c.InsertMany(ctx, []testmode.InsertParams{
		// Priority 5 and a tag River refuses: both kept in the metadata.
		{Args: seenArgs{N: 1}, Opts: &testmode.InsertOpts{
			Queue: "other", Priority: 5, MaxAttempts: 3, Tags: []string{"alpha", "has space"},
			Meta: map[string]any{"k": "v", "n": float64(1)}, ScheduledAt: due, UniquePeriod: time.Hour,
		}},
		// Priority 3 maps onto River's levels exactly; River's tags column.
		{Args: seenArgs{N: 2}, Opts: &testmode.InsertOpts{Priority: 3, MaxAttempts: 4, Tags: []string{"alpha", "beta"}}},
	})
	require.NoError(t, err)

	type want struct {
		queue       string
		priority    int
		maxAttempts int
		tags        []string
		meta        map[string]any
	}
	wants := map[int]want{
		1: {"other", 5, 3, []string{"alpha", "has space"}, map[string]any{"k": "v", "n": float64(1)}},
		2: {testmode.DefaultQueue, 3, 4, []string{"alpha", "beta"}, nil},
	}
	seen := map[int][]attempt{}
	for range 4 {
		a := w.next(t)
		seen[a.job.Args.N] = append(seen[a.job.Args.N], a)
	}
	for n, wt := range wants {
		require.Len(t, seen[n], 2, "job %d", n)
		row := rows[n-1]
		for i, a := range seen[n] {
			j := a.job
			require.Equal(t, row.ID, j.ID)
			require.Equal(t, i+1, j.Attempt, "job %d", n)
			require.Equal(t, wt.queue, j.Queue, "job %d", n)
			require.Equal(t, wt.priority, j.Priority, "job %d", n)
			require.Equal(t, wt.maxAttempts, j.MaxAttempts, "job %d", n)
			require.Equal(t, wt.tags, j.Tags, "job %d", n)
			require.Equal(t, wt.meta, j.Meta, "job %d", n)
			require.WithinDuration(t, row.InsertedAt, j.InsertedAt, time.Microsecond, "job %d", n)
			require.False(t, j.AttemptedAt.IsZero(), "job %d", n)
		}
		first, second := seen[n][0].job, seen[n][1].job
		if n == 1 { // a job inserted to run now is due at the database's clock
			require.WithinDuration(t, row.ScheduledAt, first.ScheduledAt, time.Microsecond, "job %d: ScheduledAt of the first attempt", n)
		} else {
			require.WithinDuration(t, row.ScheduledAt, first.ScheduledAt, time.Second, "job %d: ScheduledAt of the first attempt", n)
		}
		require.Empty(t, first.Errors, "job %d", n)
		require.Len(t, second.Errors, 1, "job %d", n)
		require.Equal(t, 1, second.Errors[0].Attempt)
		require.Equal(t, "first attempt fails", second.Errors[0].Message)
		require.True(t, second.ScheduledAt.After(first.ScheduledAt), "job %d: the retry's ScheduledAt", n)

		got := waitFinal(t, e, row.ID)
		require.Equal(t, testmode.StateCompleted, got.State)
		require.Equal(t, 2, got.Attempt)
		require.Equal(t, wt.queue, got.Queue)
		require.Equal(t, wt.priority, got.Priority)
		require.Equal(t, wt.maxAttempts, got.MaxAttempts)
		require.Equal(t, wt.tags, got.Tags)
		require.Equal(t, wt.meta, got.Meta)
		require.Len(t, got.Errors, 1)
		require.Equal(t, "first attempt fails", got.Errors[0].Message)
		require.False(t, got.FinalizedAt.IsZero())
		require.JSONEq(t, string(row.EncodedArgs), string(got.EncodedArgs))
	}
	unique := readRow(t, e, rows[0].ID)
	require.Equal(t, hashKey(rows[0].UniqueKey), unique.UniqueKey, "rows read back carry the hash of the unique key")
	require.Equal(t, time.Hour, unique.UniquePeriod)
	require.Empty(t, readRow(t, e, rows[1].ID).UniqueKey)
}

// TestJobTimeoutFailsLikeAWorkersTimeout runs a job, whose worker has no
// Timeout of its own, past Options.JobTimeout: its context ends with a
// cause wrapping testmode.ErrJobTimeout, and the attempt fails with the
// error a worker's Timeout gives, which its backoff, its stored error and
// its telemetry all see.
func TestJobTimeoutFailsLikeAWorkersTimeout(t *testing.T) {
	t.Parallel()
	w := newSeenWorker(func(ctx context.Context, job *testmode.Job[seenArgs]) error {
		if job.Attempt == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}, func(err error) time.Duration {
		if errors.Is(err, testmode.ErrJobTimeout) {
			return time.Millisecond
		}
		return time.Hour // the retry would not come
	})
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	rec := record(t, reg, "ecopatterns.testmode")
	e, c := seenEngine(t, w, func(o *Options) {
		o.JobTimeout, o.RescueStuckJobsAfter, o.Telemetry = 300*time.Millisecond, time.Minute, reg
	})
	inserted := time.Now()
	row, err := c.Insert(t.Context(), seenArgs{}, nil)
	require.NoError(t, err)

	first := w.next(t)
	require.ErrorIs(t, first.cause, testmode.ErrJobTimeout, "the attempt's context says why it ended")
	// River starts the attempt's clock a little before Perform starts, so
	// the bound holds from the insert.
	require.GreaterOrEqual(t, first.end.Sub(inserted), 300*time.Millisecond)
	require.Equal(t, 2, w.next(t).job.Attempt, "retried after the backoff for ErrJobTimeout")

	got := waitFinal(t, e, row.ID)
	require.Equal(t, testmode.StateCompleted, got.State)
	require.Len(t, got.Errors, 1)
	require.Equal(t, "testmode: job timed out after 300ms: context canceled", got.Errors[0].Message)

	wctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ev, err := rec.Wait(wctx, testmode.JobSpan.Exception)
	require.NoError(t, err)
	require.ErrorIs(t, ev.Error(), testmode.ErrJobTimeout)
	outcome, _ := ev.Attr(testmode.KeyOutcome)
	require.Equal(t, string(testmode.OutcomeRetry), outcome.String())
}

// TestRemoteCancel cancels a running job with River's JobCancel, as
// another node (or River's UI) may: the attempt's context ends with
// River's cause, the job ends cancelled and never runs again, and the
// attempt is reported with outcome cancelled.
func TestRemoteCancel(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	w := newSeenWorker(func(ctx context.Context, _ *testmode.Job[seenArgs]) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}, nil)
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	rec := record(t, reg, "ecopatterns.testmode")
	e, c := seenEngine(t, w, func(o *Options) { o.Telemetry = reg })
	row, err := c.Insert(t.Context(), seenArgs{}, &testmode.InsertOpts{MaxAttempts: 5})
	require.NoError(t, err)
	<-started
	_, err = e.client.JobCancel(t.Context(), row.ID)
	require.NoError(t, err)

	a := w.next(t)
	require.ErrorIs(t, a.cause, rivertype.ErrJobCancelledRemotely)
	got := waitFinal(t, e, row.ID)
	require.Equal(t, testmode.StateCancelled, got.State)
	require.Equal(t, 1, got.Attempt)
	require.Len(t, got.Errors, 1)
	require.Equal(t, "job cancelled remotely", got.Errors[0].Message, "River records its own error for the attempt")

	wctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ev, err := rec.Wait(wctx, testmode.JobSpan.Exception)
	require.NoError(t, err)
	outcome, _ := ev.Attr(testmode.KeyOutcome)
	require.Equal(t, string(testmode.OutcomeCancelled), outcome.String())
	var ce *testmode.CancelError
	require.ErrorAs(t, ev.Error(), &ce)
	require.ErrorIs(t, ev.Error(), rivertype.ErrJobCancelledRemotely)
}

// TestRetryBackoffSeesTheWorkersError checks that the retry of a failed
// attempt is scheduled by the worker's backoff for the error the attempt
// returned, not for ErrRescued, the error of attempts that ended without
// a result.
func TestRetryBackoffSeesTheWorkersError(t *testing.T) {
	t.Parallel()
	errFirst := errors.New("first attempt fails")
	const backoff = 500 * time.Millisecond
	w := newSeenWorker(func(_ context.Context, job *testmode.Job[seenArgs]) error {
		if job.Attempt == 1 {
			return errFirst
		}
		return nil
	}, func(err error) time.Duration {
		if errors.Is(err, errFirst) {
			return backoff
		}
		return time.Millisecond
	})
	_, c := seenEngine(t, w, nil)
	_, err := c.Insert(t.Context(), seenArgs{}, nil)
	require.NoError(t, err)
	first, second := w.next(t), w.next(t)
	require.Equal(t, 2, second.job.Attempt)
	require.GreaterOrEqual(t, second.start.Sub(first.end), backoff, "the retry came before the backoff for the worker's error")
	close(w.backoffs)
	for err := range w.backoffs {
		require.ErrorIs(t, err, errFirst, "the backoff was asked about another error")
	}
}

// TestSnoozeLength checks that a snoozed job runs again after the snooze,
// not at once.
func TestSnoozeLength(t *testing.T) {
	t.Parallel()
	const snooze = 500 * time.Millisecond
	var once sync.Once
	w := newSeenWorker(func(context.Context, *testmode.Job[seenArgs]) error {
		var err error
		once.Do(func() { err = testmode.Snooze(snooze) })
		return err
	}, nil)
	e, c := seenEngine(t, w, nil)
	row, err := c.Insert(t.Context(), seenArgs{}, nil)
	require.NoError(t, err)
	first, second := w.next(t), w.next(t)
	require.GreaterOrEqual(t, second.start.Sub(first.end), snooze, "the job ran again before its snooze ended")
	require.Equal(t, 1, second.job.Attempt)
	got := waitFinal(t, e, row.ID)
	require.Equal(t, 1, got.Snoozes)
}

// TestDueSoonIsAvailableAtOnce checks that a job due within River's
// scheduler interval is stored available (with its ScheduledAt), so that it
// starts when due rather than when the leader's scheduler next runs, while
// a job due later is stored scheduled; through Insert and InsertTx.
func TestDueSoonIsAvailableAtOnce(t *testing.T) {
	t.Parallel()
	pool := newPool(t, false)
	e := newEngine(t, pool, testOptions(stepWorkers(t)))
	c := newClient(t, e.opts.Workers, e)
	ctx := t.Context()
	state := func(id int64) string {
		var s string
		require.NoError(t, pool.QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, id).Scan(&s))
		return s
	}
	soon, later := time.Now().Add(3*time.Second), time.Now().Add(time.Hour)
	rows, err := c.InsertMany(ctx, []testmode.InsertParams{
		{Args: stepArgs{Steps: []string{"soon"}}, Opts: &testmode.InsertOpts{ScheduledAt: soon}},
		{Args: stepArgs{Steps: []string{"later"}}, Opts: &testmode.InsertOpts{ScheduledAt: later}},
	})
	require.NoError(t, err)
	require.Equal(t, testmode.StateScheduled, rows[0].State)
	require.Equal(t, "available", state(rows[0].ID))
	require.Equal(t, testmode.StateScheduled, readRow(t, e, rows[0].ID).State, "read back, a job not yet due is scheduled")
	require.Equal(t, "scheduled", state(rows[1].ID))

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	row, err := e.InsertTx(ctx, tx, stepArgs{Steps: []string{"soon-tx"}}, &testmode.InsertOpts{ScheduledAt: soon})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, "available", state(row.ID))
}

// TestShutdownGraceLetsRunningJobsFinish stops an engine while a job runs:
// the job goes on, its context intact, and completes within the grace.
func TestShutdownGraceLetsRunningJobsFinish(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	w := newSeenWorker(func(ctx context.Context, _ *testmode.Job[seenArgs]) error {
		close(started)
		select {
		case <-release:
			return ctx.Err()
		case <-ctx.Done():
			return fmt.Errorf("cancelled before the grace ran out: %w", context.Cause(ctx))
		}
	}, nil)
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	rec := record(t, reg, "ecopatterns.testmode")
	// An hour of grace, which the test's own release ends: it cannot run
	// out first however busy the machine is.
	e, c := seenEngine(t, w, func(o *Options) { o.Telemetry, o.ShutdownGrace = reg, time.Hour })
	row, err := c.Insert(t.Context(), seenArgs{}, nil)
	require.NoError(t, err)
	<-started

	stopped := make(chan error, 1)
	go func() { stopped <- e.Stop(t.Context()) }()
	wctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = rec.Wait(wctx, testmode.EngineShutdownSpan.Start)
	require.NoError(t, err)
	// Long enough for a stop that cancelled the job at once to show.
	time.Sleep(200 * time.Millisecond)
	close(release)
	require.NoError(t, <-stopped)
	a := w.next(t)
	require.NoError(t, a.cause, "the job's context ended within the grace")
	require.Equal(t, testmode.StateCompleted, readRow(t, e, row.ID).State)
}

// TestShutdownReturnsRunningJob checks that a job still running when the
// grace runs out goes back to available, without using up an attempt or
// recording an error, whatever error its worker returns then: its
// context's or one of its own.
func TestShutdownReturnsRunningJob(t *testing.T) {
	t.Parallel()
	for name, ret := range map[string]func(ctx context.Context) error{
		"context error": func(ctx context.Context) error { return ctx.Err() },
		"own error":     func(context.Context) error { return errors.New("stopped half-way") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			started := make(chan struct{})
			w := newSeenWorker(func(ctx context.Context, _ *testmode.Job[seenArgs]) error {
				close(started)
				<-ctx.Done()
				return ret(ctx)
			}, nil)
			e, c := seenEngine(t, w, func(o *Options) { o.ShutdownGrace = 0 })
			row, err := c.Insert(t.Context(), seenArgs{}, nil)
			require.NoError(t, err)
			<-started
			require.NoError(t, e.Stop(t.Context()))
			require.ErrorIs(t, w.next(t).cause, testmode.ErrShutdown)
			_, err = e.Insert(t.Context(), []*testmode.JobRow{{Kind: "seen", Queue: testmode.DefaultQueue}})
			require.ErrorIs(t, err, testmode.ErrEngineStopped)
			got := readRow(t, e, row.ID)
			require.Equal(t, testmode.StateAvailable, got.State)
			require.Equal(t, 0, got.Attempt)
			require.Empty(t, got.Errors)
		})
	}
}

// TestUnworkedLeavesOutOwnKinds checks that Unworked reports only kinds
// this node has no worker for, and that its errors say where they come
// from.
func TestUnworkedLeavesOutOwnKinds(t *testing.T) {
	t.Parallel()
	pool := newPool(t, false)
	e := newEngine(t, pool, testOptions(stepWorkers(t)))
	ctx := t.Context()
	// Stopped, the node runs nothing: its own kind's job waits too.
	require.NoError(t, e.Stop(ctx))
	_, err := pool.Exec(ctx, `INSERT INTO river_job (kind, args, queue, state, max_attempts, priority, scheduled_at, metadata)
		VALUES ('orphan', '{}', 'default', 'available', 5, 1, now() - interval '1 minute', '{}'),
		       ('step', '{}', 'default', 'available', 5, 1, now() - interval '1 minute', '{}')`)
	require.NoError(t, err)
	found, err := e.Unworked(ctx, 0)
	require.NoError(t, err)
	require.Len(t, found, 1, "%+v", found)
	require.Equal(t, "orphan", found[0].Kind)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = e.Unworked(cctx, 0)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "riverengine: Unworked")
}

// TestInsertTxKeepsTheTransactionUsable makes an insert fail inside the
// caller's transaction after it has run statements there (PostgreSQL
// refuses a NUL character in jsonb), and checks that the transaction goes
// on, and commits what else it did.
func TestInsertTxKeepsTheTransactionUsable(t *testing.T) {
	t.Parallel()
	pool := newPool(t, false)
	e := newEngine(t, pool, testOptions(stepWorkers(t)))
	ctx := t.Context()
	for name, opts := range map[string]*testmode.InsertOpts{"plain": nil, "unique": {UniquePeriod: time.Hour}} {
		t.Run(name, func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			require.NoError(t, err)
			defer func() { _ = tx.Rollback(ctx) }() // a failed test must not leave it open
			_, err = e.InsertTx(ctx, tx, stepArgs{Steps: []string{"nul\x00"}}, opts)
			require.ErrorContains(t, err, "riverengine: inserting")
			row, err := e.InsertTx(ctx, tx, stepArgs{Steps: []string{"later"}}, &testmode.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
			require.NoError(t, err, "the transaction survives a failed insert")
			require.NoError(t, tx.Commit(ctx))
			require.Equal(t, testmode.StateScheduled, readRow(t, e, row.ID).State)
		})
	}
}

// TestUniqueJobs checks testmode's rule for unique jobs on River: a
// duplicate within the period is not stored and returns the job it
// duplicates, read from the database; the period ends it; a cancelled or
// discarded job does not block, a completed one does; and two transactions
// cannot both insert the same unique job.
func TestUniqueJobs(t *testing.T) {
	t.Parallel()
	pool := newPool(t, false)
	e := newEngine(t, pool, testOptions(stepWorkers(t)))
	c := newClient(t, e.opts.Workers, e)
	ctx := t.Context()
	later := time.Now().Add(time.Hour) // the jobs never run
	insert := func(name string, period time.Duration) *testmode.JobRow {
		t.Helper()
		row, err := c.Insert(ctx, stepArgs{Steps: []string{name}}, &testmode.InsertOpts{UniquePeriod: period, ScheduledAt: later, Tags: []string{"t1"}})
		require.NoError(t, err)
		return row
	}

	t.Run("duplicate", func(t *testing.T) {
		first := insert("dup", time.Hour)
		require.False(t, first.Duplicate)
		dup := insert("dup", time.Hour)
		require.True(t, dup.Duplicate)
		require.Equal(t, first.ID, dup.ID)
		require.Equal(t, testmode.StateScheduled, dup.State)
		require.Equal(t, []string{"t1"}, dup.Tags)
		require.WithinDuration(t, first.InsertedAt, dup.InsertedAt, time.Microsecond)
	})

	t.Run("period", func(t *testing.T) {
		const period = 300 * time.Millisecond
		blocker := insert("period", period)
		if again := insert("period", period); again.Duplicate {
			require.Equal(t, blocker.ID, again.ID)
		} else {
			// A busy machine took the whole period between the two
			// inserts: the second is a job of its own.
			require.GreaterOrEqual(t, again.InsertedAt.Sub(blocker.InsertedAt), period, "a duplicate inserted within the period")
			blocker = again
		}
		time.Sleep(time.Until(blocker.InsertedAt.Add(period + 10*time.Millisecond)))
		next := insert("period", period)
		require.False(t, next.Duplicate, "a job blocks its duplicates after its period")
		require.NotEqual(t, blocker.ID, next.ID)
	})

	for name, end := range map[string]func(id int64){
		"cancelled": func(id int64) {
			_, err := e.client.JobCancel(ctx, id)
			require.NoError(t, err)
		},
		"discarded": func(id int64) {
			_, err := pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now() WHERE id = $1`, id)
			require.NoError(t, err)
		},
	} {
		t.Run(name, func(t *testing.T) {
			first := insert(name, time.Hour)
			end(first.ID)
			require.Equal(t, testmode.State(name), readRow(t, e, first.ID).State)
			next := insert(name, time.Hour)
			require.False(t, next.Duplicate, "a %s job blocks its duplicates", name)
		})
	}

	t.Run("completed", func(t *testing.T) {
		first := insert("completed", time.Hour)
		_, err := pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1`, first.ID)
		require.NoError(t, err)
		dup := insert("completed", time.Hour)
		require.True(t, dup.Duplicate, "a completed job blocks its duplicates for its period")
		require.Equal(t, testmode.StateCompleted, dup.State)
	})

	t.Run("concurrent transactions", func(t *testing.T) {
		args, opts := stepArgs{Steps: []string{"tx"}}, &testmode.InsertOpts{UniquePeriod: time.Hour, ScheduledAt: later}
		tx1, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx1.Rollback(ctx) }()
		first, err := e.InsertTx(ctx, tx1, args, opts)
		require.NoError(t, err)
		require.False(t, first.Duplicate)

		type result struct {
			row *testmode.JobRow
			err error
		}
		pid, done := make(chan uint32, 1), make(chan result, 1)
		go func() {
			var res result
			res.err = pgx.BeginFunc(ctx, pool, func(tx2 pgx.Tx) error {
				pid <- tx2.Conn().PgConn().PID()
				var err error
				res.row, err = e.InsertTx(ctx, tx2, args, opts)
				return err
			})
			done <- res
		}()
		second := <-pid
		waitFor(t, 10*time.Second, "the second transaction to wait for the first's lock on the unique key", func() bool {
			require.Empty(t, done, "the second transaction's insert returned while the first had not committed")
			var waiting bool
			require.NoError(t, pool.QueryRow(ctx, `SELECT exists (SELECT FROM pg_locks WHERE pid = $1 AND locktype = 'advisory' AND NOT granted)`, second).Scan(&waiting))
			return waiting
		})
		require.NoError(t, tx1.Commit(ctx))
		res := <-done
		require.NoError(t, res.err)
		require.True(t, res.row.Duplicate, "both transactions inserted the unique job")
		require.Equal(t, first.ID, res.row.ID)
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE args = '{"steps": ["tx"]}'`).Scan(&n))
		require.Equal(t, 1, n)
	})
}
