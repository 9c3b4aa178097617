package testmode_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// finishedJobs records, in Manual mode, one job in each final state and
// one enqueued, and returns the client: task N=1 completed, N=2 cancelled,
// N=3 discarded (MaxAttempts 1), N=4 available.
func finishedJobs(t *testing.T) *testmode.Client {
	t.Helper()
	boom := errors.New("boom")
	w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
		switch job.Args.N {
		case 2:
			return testmode.Cancel(boom)
		case 3:
			return boom
		}
		return nil
	}}
	c := newClient(t, testmode.Manual, w)
	ctx := context.Background()
	for n := 1; n <= 3; n++ {
		_, err := c.Insert(ctx, taskArgs{N: n}, &testmode.InsertOpts{MaxAttempts: 1})
		require.NoError(t, err)
	}
	_, err := testmode.Drain(ctx, c, testmode.DrainOpts{})
	require.NoError(t, err)
	_, err = c.Insert(ctx, taskArgs{N: 4}, &testmode.InsertOpts{MaxAttempts: 7, Tags: []string{"a", "b"}})
	require.NoError(t, err)
	return c
}

func TestMatchState(t *testing.T) {
	c := finishedJobs(t)
	for state, n := range map[testmode.State]int{
		testmode.StateCompleted: 1, testmode.StateCancelled: 2, testmode.StateDiscarded: 3, testmode.StateAvailable: 4,
	} {
		row := testmode.AssertEnqueued(t, c, testmode.Match{Kind: "task", State: state})
		require.JSONEq(t, `{"n":`+string(rune('0'+n))+`}`, string(row.EncodedArgs), "%s", state)
	}
	// Without State, finished jobs are out of sight, as before.
	testmode.RefuteEnqueued(t, c, testmode.Match{Args: map[string]any{"n": 1}})
	f := &fakeTB{}
	testmode.AssertEnqueued(f, c, testmode.Match{Args: map[string]any{"n": 1}})
	require.True(t, f.failed)
	require.Contains(t, f.message(), "no enqueued job matches")
	require.Contains(t, f.message(), "1 job(s) enqueued", "and the finished ones counted aside")
	// With State, the near misses show the state that differs.
	f = &fakeTB{}
	testmode.AssertEnqueued(f, c, testmode.Match{State: testmode.StateCompleted, Args: map[string]any{"n": 2}})
	require.True(t, f.failed)
	require.Contains(t, f.message(), "no recorded job matches Match{Args: {\"n\":2}, State: completed}")
	require.Contains(t, f.message(), "State: got cancelled, want completed")
	testmode.RefuteEnqueued(t, c, testmode.Match{State: testmode.StateRetryable})

	_, err := testmode.AllEnqueued(c, testmode.Match{State: "done"})
	require.ErrorContains(t, err, `field State = "done": not a job state`)
}

// TestMatchStateRunning pins that a job whose attempt is running is seen
// as running, not as what it was before the attempt.
func TestMatchStateRunning(t *testing.T) {
	var st *testmode.Store
	var during *testmode.JobRow
	w := &taskWorker{fn: func(ctx context.Context, _ *testmode.Job[taskArgs]) error {
		during = testmode.AssertEnqueued(t, st, testmode.Match{Kind: "task", State: testmode.StateRunning})
		testmode.RefuteEnqueued(t, st, testmode.Match{Kind: "task"})
		return nil
	}}
	c := newClient(t, testmode.Manual, w)
	ctx := testmode.WithMode(context.Background(), testmode.Manual)
	st = testmode.StoreFrom(ctx)
	_, err := c.Insert(ctx, taskArgs{N: 1}, nil)
	require.NoError(t, err)
	_, err = testmode.Drain(ctx, c, testmode.DrainOpts{})
	require.NoError(t, err)
	require.NotNil(t, during)
	testmode.RefuteEnqueued(t, st, testmode.Match{State: testmode.StateRunning})
}

func TestMatchAttemptAndMaxAttempts(t *testing.T) {
	c := finishedJobs(t)
	zero, one := 0, 1
	testmode.AssertEnqueued(t, c, testmode.Match{Kind: "task", Attempt: &zero, MaxAttempts: 7})
	testmode.RefuteEnqueued(t, c, testmode.Match{Kind: "task", Attempt: &one})
	testmode.AssertEnqueued(t, c, testmode.Match{State: testmode.StateDiscarded, Attempt: &one, MaxAttempts: 1})
	f := &fakeTB{}
	testmode.AssertEnqueued(f, c, testmode.Match{Kind: "task", MaxAttempts: 8})
	require.Contains(t, f.message(), "MaxAttempts: got 7, want 8")
	_, err := testmode.AllEnqueued(c, testmode.Match{MaxAttempts: -1})
	require.ErrorContains(t, err, "field MaxAttempts = -1: must be >= 0")
}

// TestMatchTagsSubsetOrExact pins both readings of Tags: a subset by
// default (Oban), equality in order with ExactTags (River).
func TestMatchTagsSubsetOrExact(t *testing.T) {
	c := finishedJobs(t)
	for _, tc := range []struct {
		tags  []string
		exact bool
		match bool
	}{
		{[]string{"b"}, false, true},
		{[]string{"b", "a"}, false, true},
		{[]string{"a", "c"}, false, false},
		{[]string{"a", "b"}, true, true},
		{[]string{"b", "a"}, true, false},
		{[]string{"a"}, true, false},
		{nil, true, false}, // the job has tags
	} {
		rows, err := testmode.AllEnqueued(c, testmode.Match{Kind: "task", Tags: tc.tags, ExactTags: tc.exact})
		require.NoError(t, err)
		require.Equal(t, tc.match, len(rows) == 1, "%q exact=%v", tc.tags, tc.exact)
	}
	_, err := c.Insert(context.Background(), taskArgs{N: 5}, nil)
	require.NoError(t, err)
	row := testmode.AssertEnqueued(t, c, testmode.Match{Kind: "task", ExactTags: true})
	require.JSONEq(t, `{"n":5}`, string(row.EncodedArgs), "ExactTags with no Tags: a job without tags")
}

func TestAssertEnqueuedOnce(t *testing.T) {
	c := finishedJobs(t)
	job := testmode.AssertEnqueuedOnce[taskArgs](t, c, testmode.Match{})
	require.Equal(t, 4, job.Args.N, "the one enqueued task, decoded")
	require.Equal(t, 7, job.MaxAttempts)
	job = testmode.AssertEnqueuedOnce[taskArgs](t, c, testmode.Match{State: testmode.StateCancelled})
	require.Equal(t, 2, job.Args.N)

	_, err := c.Insert(context.Background(), taskArgs{N: 5}, nil)
	require.NoError(t, err)
	f := &fakeTB{}
	require.Nil(t, testmode.AssertEnqueuedOnce[taskArgs](f, c, testmode.Match{}))
	require.True(t, f.failed)
	require.Contains(t, f.message(), `want exactly one enqueued job matching Match{Kind: "task"}, found 2`)
	require.Contains(t, f.message(), `args {"n":4}`)
	require.Contains(t, f.message(), `args {"n":5}`)

	f = &fakeTB{}
	require.Nil(t, testmode.AssertEnqueuedOnce[taskArgs](f, c, testmode.Match{Args: map[string]any{"n": 6}}))
	require.Contains(t, f.message(), `no enqueued job matches Match{Kind: "task", Args: {"n":6}}`)
	require.Contains(t, f.message(), "Args.n: got 4, want 6", "the closest jobs")

	f = &fakeTB{}
	require.Nil(t, testmode.AssertEnqueuedOnce[taskArgs](f, c, testmode.Match{Kind: "email"}))
	require.Contains(t, f.message(), `Match.Kind is "email", but testmode_test.taskArgs has kind "task"`)
}

func TestAssertEnqueuedInOrder(t *testing.T) {
	c := newClient(t, testmode.Manual, &taskWorker{})
	ctx := context.Background()
	for _, a := range []testmode.Args{taskArgs{N: 1}, emailArgs{To: "a@example.com"}, taskArgs{N: 2}} {
		_, err := c.Insert(ctx, a, nil)
		require.NoError(t, err)
	}
	rows := testmode.AssertEnqueuedInOrder(t, c,
		testmode.Match{Kind: "task", Args: map[string]any{"n": 1}},
		testmode.Match{Kind: "email"},
		testmode.Match{Kind: "task"})
	require.Len(t, rows, 3)
	// Only the kinds asked for are looked at, as River does.
	rows = testmode.AssertEnqueuedInOrder(t, c, testmode.Match{Kind: "task"}, testmode.Match{Kind: "task", Args: map[string]any{"n": 2}})
	require.Equal(t, []int64{1, 3}, []int64{rows[0].ID, rows[1].ID})

	for name, tc := range map[string]struct {
		want []testmode.Match
		says []string
	}{
		"wrong order": {
			[]testmode.Match{{Kind: "task", Args: map[string]any{"n": 2}}, {Kind: "task", Args: map[string]any{"n": 1}}},
			[]string{"want 2 job(s) in this order, found 2", "[0] job 1", "Args.n: got 1, want 2", "[1] job 3", "Args.n: got 2, want 1"},
		},
		"too few wanted": {
			[]testmode.Match{{Kind: "task"}},
			[]string{"want 1 job(s) in this order, found 2", "[0] job 1 (kind \"task\", args {\"n\":1}): matches", "[1] job 3 (kind \"task\", args {\"n\":2}): not wanted"},
		},
		"too many wanted": {
			[]testmode.Match{{Kind: "email"}, {Kind: "email"}},
			[]string{"found 1", `[1] missing, want Match{Kind: "email"}`},
		},
		"nothing else": {
			[]testmode.Match{{Args: map[string]any{"n": 1}}, {Kind: "task"}},
			[]string{"found 3", "[1] job 2 (kind \"email\""},
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeTB{}
			require.Nil(t, testmode.AssertEnqueuedInOrder(f, c, tc.want...))
			require.True(t, f.failed)
			for _, s := range tc.says {
				require.Contains(t, f.message(), s)
			}
		})
	}
	f := &fakeTB{}
	testmode.AssertEnqueuedInOrder(f, c, testmode.Match{Delta: -1})
	require.Contains(t, f.message(), "want[0]: testmode: invalid Match: field Delta")
}

// backoffWorker fails, except on its last attempt, and backs off by its
// attempt number in minutes.
type backoffWorker struct{ seen *testmode.Job[taskArgs] }

func (w *backoffWorker) Perform(_ context.Context, job *testmode.Job[taskArgs]) error {
	w.seen = job
	if job.Attempt == job.MaxAttempts {
		return nil // the last attempt gives up quietly
	}
	return errors.New("not yet")
}

func (w *backoffWorker) Backoff(job *testmode.Job[taskArgs], _ error) time.Duration {
	return time.Duration(job.Attempt) * time.Minute
}

func TestPerformJobWithAttemptAndTimes(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	w := &backoffWorker{}
	prior := []testmode.AttemptError{{Attempt: 1, At: at.Add(-time.Hour), Message: "first"}, {Attempt: 2, At: at.Add(-time.Minute), Message: "second"}}
	res := testmode.PerformJobWith(ctx, t, testmode.Worker[taskArgs](w), taskArgs{N: 1}, testmode.PerformOpts{
		Insert: &testmode.InsertOpts{MaxAttempts: 5}, Attempt: 3, AttemptedAt: at, InsertedAt: at.Add(-2 * time.Hour), Errors: prior,
	})
	require.Equal(t, testmode.OutcomeRetry, res.Outcome)
	require.Equal(t, 3, w.seen.Attempt)
	require.Equal(t, at, w.seen.AttemptedAt)
	require.Equal(t, at.Add(-2*time.Hour), w.seen.InsertedAt)
	require.Equal(t, prior, w.seen.Errors)
	require.Equal(t, at.Add(3*time.Minute), res.NextRun, "the backoff at attempt 3, from AttemptedAt")
	require.Len(t, res.Job.Errors, 3)
	require.Equal(t, at, res.Job.Errors[2].At)

	res = testmode.PerformJobWith(ctx, t, testmode.Worker[taskArgs](w), taskArgs{N: 1}, testmode.PerformOpts{
		Insert: &testmode.InsertOpts{MaxAttempts: 5}, Attempt: 5, AttemptedAt: at,
	})
	require.Equal(t, testmode.OutcomeCompleted, res.Outcome, "the last attempt")
	require.Equal(t, at, res.Job.FinalizedAt)

	failing := testmode.WorkerFunc[taskArgs](func(context.Context, *testmode.Job[taskArgs]) error { return errors.New("no") })
	res = testmode.PerformJobWith(ctx, t, testmode.Worker[taskArgs](failing), taskArgs{N: 1}, testmode.PerformOpts{Attempt: testmode.DefaultMaxAttempts})
	require.Equal(t, testmode.OutcomeDiscarded, res.Outcome, "a failed last attempt discards")

	for _, tc := range []struct {
		opts testmode.PerformOpts
		says string
	}{
		{testmode.PerformOpts{Insert: &testmode.InsertOpts{MaxAttempts: 2}, Attempt: 3}, "PerformOpts.Attempt = 3: must be between 1 and the job's MaxAttempts (2)"},
		{testmode.PerformOpts{Attempt: -1}, "PerformOpts.Attempt = -1"},
		{testmode.PerformOpts{AttemptedAt: at, InsertedAt: at.Add(time.Second)}, "PerformOpts.InsertedAt = 2030-01-02T03:04:06Z: must not be after AttemptedAt"},
		{testmode.PerformOpts{Attempt: 2, Errors: prior}, "PerformOpts.Errors holds 2 errors, but attempt 2 has only 1 earlier attempt(s)"},
	} {
		f := &fakeTB{}
		testmode.PerformJobWith(ctx, f, testmode.Worker[taskArgs](w), taskArgs{N: 1}, tc.opts)
		require.True(t, f.failed)
		require.Contains(t, f.message(), tc.says)
	}
}

func TestDrainSummary(t *testing.T) {
	boom := errors.New("boom")
	w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
		switch job.Args.N {
		case 2:
			return boom
		case 3:
			return testmode.Cancel(boom)
		case 4:
			return testmode.Snooze(time.Hour)
		case 5:
			panic("five")
		case 6:
			return boom
		}
		return nil
	}}
	c := newClient(t, testmode.Manual, w)
	ctx := context.Background()
	for n := 1; n <= 6; n++ {
		maxAttempts := 0
		if n >= 5 {
			maxAttempts = 1
		}
		_, err := c.Insert(ctx, taskArgs{N: n}, &testmode.InsertOpts{MaxAttempts: maxAttempts})
		require.NoError(t, err)
	}
	results, err := testmode.Drain(ctx, c, testmode.DrainOpts{})
	require.NoError(t, err)
	s := testmode.Summarize(results)
	require.Equal(t, testmode.DrainSummary{Completed: 1, Retried: 1, Snoozed: 1, Cancelled: 1, Discarded: 2, Panicked: 1}, s)
	require.Equal(t, "completed 1, retried 1, snoozed 1, cancelled 1, discarded 2, returned 0, panicked 1", s.String())
	require.Equal(t, testmode.DrainSummary{}, testmode.Summarize(nil))
}

func TestDrainDueBy(t *testing.T) {
	c := newClient(t, testmode.Manual, &taskWorker{})
	ctx := context.Background()
	now := time.Now()
	for n, in := range []time.Duration{0, 10 * time.Minute, 2 * time.Hour} {
		_, err := c.Insert(ctx, taskArgs{N: n}, &testmode.InsertOpts{ScheduledAt: now.Add(in)})
		require.NoError(t, err)
	}
	results, err := testmode.Drain(ctx, c, testmode.DrainOpts{DueBy: now.Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, results, 2, "due now and in 10 minutes, not in 2 hours")
	testmode.AssertEnqueuedOnce[taskArgs](t, c, testmode.Match{Args: map[string]any{"n": 2}})
	results, err = testmode.Drain(ctx, c, testmode.DrainOpts{DueBy: now.Add(3 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, results, 1)

	_, err = testmode.Drain(ctx, c, testmode.DrainOpts{DueBy: now, WithScheduled: true})
	require.ErrorContains(t, err, "DueBy is set with WithScheduled: set one")
}

// TestDrainDueByRunsRetriesDueInTime pins that with recursion a retry due
// before DueBy runs too, and one due after it waits.
func TestDrainDueByRunsRetriesDueInTime(t *testing.T) {
	w := &backoffWorker{}
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.Worker[taskArgs](w)))
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers = testmode.Manual, ws
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = c.Insert(ctx, taskArgs{N: 1}, &testmode.InsertOpts{MaxAttempts: 10})
	require.NoError(t, err)
	// Attempts run now, on the wall clock, and each failure backs off by
	// its attempt number in minutes: the retries are due 1, 2, 3, 4, ...
	// minutes from now, so by 3.5 minutes attempts 1 to 4 run, and the
	// fifth waits.
	results, err := testmode.Drain(ctx, c, testmode.DrainOpts{DueBy: time.Now().Add(210 * time.Second), WithRecursion: true})
	require.NoError(t, err)
	require.Equal(t, testmode.DrainSummary{Retried: 4}, testmode.Summarize(results))
	testmode.AssertEnqueuedOnce[taskArgs](t, c, testmode.Match{State: testmode.StateRetryable, Attempt: ptr(4)})
}

// TestClientWithoutEngine pins that a test client needs no engine, and
// that an insert that would need one says what to do.
func TestClientWithoutEngine(t *testing.T) {
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers = testmode.Manual, newWorkers(t, &taskWorker{})
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = c.Insert(ctx, taskArgs{N: 1}, nil)
	require.NoError(t, err)
	_, err = c.Insert(testmode.WithMode(ctx, testmode.Inline), taskArgs{N: 2}, nil)
	require.NoError(t, err)
	for _, insert := range []func(ctx context.Context) error{
		func(ctx context.Context) error { _, err := c.Insert(ctx, taskArgs{N: 3}, nil); return err },
		func(ctx context.Context) error {
			_, err := c.InsertMany(ctx, []testmode.InsertParams{{Args: taskArgs{N: 3}}})
			return err
		},
	} {
		err = insert(testmode.WithMode(ctx, testmode.Disabled))
		require.ErrorIs(t, err, testmode.ErrNoEngine)
		require.ErrorContains(t, err, "the client was built without Config.Engine (for manual mode)")
		require.ErrorContains(t, err, "insert under WithMode(ctx, testmode.Manual) or Inline, or give the client an Engine")
	}
	cfg.Mode = testmode.Disabled
	_, err = testmode.NewClient(cfg)
	require.ErrorContains(t, err, "Engine", "in Disabled mode every insert could need it")
}

func ptr[T any](v T) *T { return &v }

// TestAssertEnqueuedInOrderEmpty pins that no Match means no job enqueued.
func TestAssertEnqueuedInOrderEmpty(t *testing.T) {
	c := newClient(t, testmode.Manual, &taskWorker{})
	require.Empty(t, testmode.AssertEnqueuedInOrder(t, c))
	_, err := c.Insert(context.Background(), taskArgs{N: 1}, nil)
	require.NoError(t, err)
	f := &fakeTB{}
	testmode.AssertEnqueuedInOrder(f, c)
	require.Contains(t, f.message(), "want 0 job(s) in this order, found 1")
}
