package testmode_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/testmode"
)

func TestConfigValidate(t *testing.T) {
	require.ErrorContains(t, testmode.DefaultConfig().Validate(), `options: Engine = <nil>: must not be nil in Disabled mode`)

	bad := testmode.Config{Mode: "sometimes", MaxAttempts: -1}
	err := bad.Validate()
	var fe *options.FieldError
	require.ErrorAs(t, err, &fe)
	for _, want := range []string{
		`options: Mode = "sometimes": must be "disabled", "inline" or "manual"`,
		`options: Workers = <nil>: must not be nil`,
		`options: MaxAttempts = -1: must be > 0`,
		`options: MaxInlineSnoozes = 0: must be > 0`,
	} {
		require.ErrorContains(t, err, want)
	}
	_, err = testmode.NewClient(bad)
	require.ErrorContains(t, err, "testmode: invalid config: ")

	cfg := testmode.DefaultConfig()
	cfg.Mode = testmode.Manual
	require.NoError(t, cfg.Validate())
	a, b := testmode.DefaultConfig(), testmode.DefaultConfig()
	require.NotSame(t, a.Workers, b.Workers, "every DefaultConfig has a registry of its own")
}

func TestAddWorkerBadInput(t *testing.T) {
	ws := testmode.NewWorkers()
	noop := testmode.WorkerFunc[emailArgs](func(context.Context, *testmode.Job[emailArgs]) error { return nil })
	require.NoError(t, testmode.AddWorker(ws, noop))
	require.ErrorIs(t, testmode.AddWorker(ws, noop), testmode.ErrDuplicateKind)
	require.ErrorContains(t, testmode.AddWorker[emailArgs](nil, noop), "workers is nil")
	require.ErrorContains(t, testmode.AddWorker[emailArgs](ws, nil), "worker is nil")
	require.ErrorContains(t, testmode.AddWorker(ws, testmode.WorkerFunc[taskArgs](nil)), "nil WorkerFunc")
	require.ErrorIs(t, testmode.AddWorker(ws, testmode.WorkerFunc[emptyKindArgs](nil2[emptyKindArgs])), testmode.ErrEmptyKind)
	require.ErrorContains(t, testmode.AddWorker(ws, testmode.WorkerFunc[testmode.Args](nil2[testmode.Args])), "is an interface")
	require.ErrorContains(t, testmode.AddWorker(ws, testmode.WorkerFunc[*panicKindArgs](nil2[*panicKindArgs])), "Kind panicked on the zero value")
	// A pointer args type is registered under the kind of a pointer to a zero value.
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[*ptrArgs](nil2[*ptrArgs])))
	require.Equal(t, []string{"email", "ptr"}, ws.Kinds())

	var zero testmode.Workers // the zero value is usable
	require.Empty(t, zero.Kinds())
	require.NoError(t, testmode.AddWorker(&zero, noop))
}

func nil2[T testmode.Args](context.Context, *testmode.Job[T]) error { return nil }

type emptyKindArgs struct{}

func (emptyKindArgs) Kind() string { return "" }

type panicKindArgs struct{ name *string }

func (a *panicKindArgs) Kind() string { return *a.name }

type ptrArgs struct {
	V string `json:"v"`
}

func (*ptrArgs) Kind() string { return "ptr" }

// TestInsertBadInput checks every documented bad input: each is a
// clear error at insert, in every mode, and nothing is inserted.
func TestInsertBadInput(t *testing.T) {
	for _, mode := range []testmode.Mode{testmode.Manual, testmode.Inline} {
		t.Run(string(mode), func(t *testing.T) {
			w := &taskWorker{}
			c := newClient(t, mode, w)
			ctx := context.Background()
			var nilPtr *ptrArgs
			cases := []struct {
				name string
				args testmode.Args
				opts *testmode.InsertOpts
				is   error
				msg  string
			}{
				{"nil args", nil, nil, testmode.ErrNilArgs, "testmode: args are nil"},
				{"nil pointer args", nilPtr, nil, testmode.ErrNilArgs, "a nil *testmode_test.ptrArgs"},
				{"empty kind", emptyKindArgs{}, nil, testmode.ErrEmptyKind, "emptyKindArgs"},
				{"unregistered kind", unregisteredArgs{}, nil, testmode.ErrUnknownKind, `kind "unregistered" (registered: ["email" "task"])`},
				{"not JSON", chanArgs{C: make(chan int)}, nil, testmode.ErrArgsNotJSON, "json: unsupported type: chan int"},
				{"NaN", floatArgs{F: math.NaN()}, nil, testmode.ErrArgsNotJSON, "unsupported value: NaN"},
				{"lossy", lossyArgs{Keep: "a", drop: "b"}, nil, testmode.ErrArgsNotJSON, `.drop was "b", came back as ""`},
				{"interface number", anyArgs{V: 3}, nil, testmode.ErrArgsNotJSON, ".V was 3 (int), came back as 3 (float64)"},
				{"negative MaxAttempts", taskArgs{}, &testmode.InsertOpts{MaxAttempts: -1}, nil, "options: MaxAttempts = -1: must be >= 0"},
				{"priority too high", taskArgs{}, &testmode.InsertOpts{Priority: 10}, nil, "options: Priority = 10: must be between 0 and 9"},
				{"priority negative", taskArgs{}, &testmode.InsertOpts{Priority: -1}, nil, "options: Priority = -1: must be between 0 and 9"},
				{"negative unique period", taskArgs{}, &testmode.InsertOpts{UniquePeriod: -time.Second}, nil, "options: UniquePeriod = -1s: must be >= 0"},
				{"empty tag", taskArgs{}, &testmode.InsertOpts{Tags: []string{"a", ""}}, nil, `options: Tags[1] = "": must not be empty`},
				{"meta not JSON", taskArgs{}, &testmode.InsertOpts{Meta: map[string]any{"f": func() {}}}, nil, "InsertOpts.Meta is not JSON"},
			}
			for _, tc := range cases {
				row, err := c.Insert(ctx, tc.args, tc.opts)
				require.Error(t, err, tc.name)
				require.Nil(t, row, tc.name)
				if tc.is != nil {
					require.ErrorIs(t, err, tc.is, tc.name)
				}
				require.ErrorContains(t, err, tc.msg, tc.name)
				require.True(t, strings.HasPrefix(err.Error(), "testmode: "), "%s: %v", tc.name, err)
			}
			require.Empty(t, c.Store().Jobs())
			require.Empty(t, w.attempts(), "nothing ran")

			//lint:ignore SA1012 a nil ctx is the point
			_, err := c.Insert(nil, taskArgs{}, nil)
			require.ErrorContains(t, err, "testmode: Insert: ctx is nil")
			_, err = c.Insert(testmode.WithMode(ctx, "bogus"), taskArgs{}, nil)
			require.ErrorContains(t, err, `the context carries mode "bogus"`)
			_, err = c.Insert(testmode.WithMode(ctx, testmode.Disabled), taskArgs{}, nil)
			require.ErrorIs(t, err, testmode.ErrNoEngine)
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err = c.Insert(cctx, taskArgs{}, nil)
			require.ErrorIs(t, err, context.Canceled)
		})
	}
}

type unregisteredArgs struct{}

func (unregisteredArgs) Kind() string { return "unregistered" }

type chanArgs struct{ C chan int }

func (chanArgs) Kind() string { return "task" }

type floatArgs struct{ F float64 }

func (floatArgs) Kind() string { return "task" }

type lossyArgs struct {
	Keep string
	drop string
}

func (lossyArgs) Kind() string { return "task" }

type anyArgs struct{ V any }

func (anyArgs) Kind() string { return "task" }

func TestInsertManyIsAllOrNothing(t *testing.T) {
	c := newClient(t, testmode.Manual, &taskWorker{})
	_, err := c.InsertMany(context.Background(), []testmode.InsertParams{
		{Args: taskArgs{N: 1}},
		{Args: nil},
		{Args: taskArgs{N: 3}, Opts: &testmode.InsertOpts{Priority: 11}},
	})
	require.ErrorContains(t, err, "testmode: InsertMany: jobs[1]: testmode: args are nil\njobs[2]: testmode: kind \"task\": invalid InsertOpts")
	require.Empty(t, c.Store().Jobs())

	rows, err := c.InsertMany(context.Background(), []testmode.InsertParams{
		{Args: taskArgs{N: 1}},
		{Args: emailArgs{To: "a@example.com"}, Opts: &testmode.InsertOpts{Queue: "mail", Priority: 2}},
	})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, int64(1), rows[0].ID)
	require.Equal(t, "default", rows[0].Queue)
	require.Equal(t, "mail", rows[1].Queue)
	require.Equal(t, 2, rows[1].Priority)
	require.Equal(t, testmode.StateAvailable, rows[1].State)
	require.JSONEq(t, `{"to":"a@example.com"}`, string(rows[1].EncodedArgs))
}

func TestManualRecordsAndRunsNothing(t *testing.T) {
	w := &taskWorker{}
	c := newClient(t, testmode.Manual, w)
	later := time.Now().Add(time.Hour)
	row, err := c.Insert(context.Background(), taskArgs{N: 7}, &testmode.InsertOpts{
		ScheduledAt: later, Tags: []string{"t1"}, Meta: map[string]any{"n": 1}, MaxAttempts: 3,
	})
	require.NoError(t, err)
	require.Equal(t, testmode.StateScheduled, row.State)
	require.Equal(t, later, row.ScheduledAt)
	require.Equal(t, 3, row.MaxAttempts)
	require.Equal(t, map[string]any{"n": float64(1)}, row.Meta, "meta is stored as JSON decodes it")
	require.Equal(t, 0, row.Attempt)
	require.Empty(t, w.attempts())
	require.Equal(t, []*testmode.JobRow{row}, c.Store().Jobs())
}

// argsWithOpts carries its own insert options.
type argsWithOpts struct {
	N int `json:"n"`
}

func (argsWithOpts) Kind() string { return "with_opts" }

func (argsWithOpts) InsertOpts() testmode.InsertOpts {
	return testmode.InsertOpts{Queue: "slow", Priority: 5, MaxAttempts: 2}
}

func TestArgsWithInsertOpts(t *testing.T) {
	ws := newWorkers(t, nil)
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[argsWithOpts](nil2[argsWithOpts])))
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers = testmode.Manual, ws
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	row, err := c.Insert(context.Background(), argsWithOpts{}, nil)
	require.NoError(t, err)
	require.Equal(t, "slow", row.Queue)
	require.Equal(t, 5, row.Priority)
	require.Equal(t, 2, row.MaxAttempts)
	row, err = c.Insert(context.Background(), argsWithOpts{}, &testmode.InsertOpts{Queue: "fast", MaxAttempts: 4})
	require.NoError(t, err)
	require.Equal(t, "fast", row.Queue, "the caller's non-zero fields win")
	require.Equal(t, 5, row.Priority)
	require.Equal(t, 4, row.MaxAttempts)
}

func TestInlineOutcomes(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")

	t.Run("completed", func(t *testing.T) {
		w := &taskWorker{}
		c := newClient(t, testmode.Inline, w)
		future := time.Now().Add(time.Hour)
		row, err := c.Insert(ctx, taskArgs{N: 1}, &testmode.InsertOpts{ScheduledAt: future})
		require.NoError(t, err)
		require.Equal(t, testmode.StateCompleted, row.State, "scheduled jobs run now")
		require.Equal(t, 1, row.Attempt)
		require.False(t, row.FinalizedAt.IsZero())
		require.Equal(t, []int{1}, w.attempts())
		require.Equal(t, []*testmode.JobRow{row}, c.Store().Jobs())
	})

	t.Run("retries until discarded, with history", func(t *testing.T) {
		w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
			require.Len(t, job.Errors, job.Attempt-1, "the job carries the errors of the previous attempts")
			return boom
		}}
		c := newClient(t, testmode.Inline, w)
		row, err := c.Insert(ctx, taskArgs{N: 2}, &testmode.InsertOpts{MaxAttempts: 4})
		var jerr *testmode.JobError
		require.ErrorAs(t, err, &jerr)
		require.ErrorIs(t, err, boom)
		require.Same(t, row, jerr.Job)
		require.Equal(t, `testmode: job 1 (kind "task") discarded after 4 attempt(s): boom`, err.Error())
		require.Equal(t, testmode.StateDiscarded, row.State)
		require.Equal(t, 4, row.Attempt)
		require.Len(t, row.Errors, 4)
		// The fake clock jumps by each backoff: DefaultBackoff with the
		// deterministic inline jitter.
		for i, e := range row.Errors {
			require.Equal(t, i+1, e.Attempt)
			require.Equal(t, "boom", e.Message)
			require.ErrorIs(t, e.Err, boom)
			if i > 0 {
				gap := e.At.Sub(row.Errors[i-1].At)
				require.GreaterOrEqual(t, gap, testmode.DefaultBackoff(i, 0))
				require.Less(t, gap, testmode.DefaultBackoff(i, 1)+time.Nanosecond)
			}
		}
		require.Equal(t, []int{2, 2, 2, 2}, w.attempts())

		// The same job gives the same history: the jitter is deterministic.
		c2 := newClient(t, testmode.Inline, w)
		row2, _ := c2.Insert(ctx, taskArgs{N: 2}, &testmode.InsertOpts{MaxAttempts: 4})
		for i := 1; i < 4; i++ {
			require.Equal(t, row.Errors[i].At.Sub(row.Errors[i-1].At), row2.Errors[i].At.Sub(row2.Errors[i-1].At))
		}
	})

	t.Run("retry then complete, with the worker's backoff seeing the error", func(t *testing.T) {
		var sawErrs []error
		tw := &taskWorker{
			fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
				if job.Attempt < 3 {
					return &rateLimited{retryAfter: time.Duration(job.Attempt) * time.Minute}
				}
				return nil
			},
			backoff: func(job *testmode.Job[taskArgs], err error) time.Duration {
				sawErrs = append(sawErrs, err)
				var rl *rateLimited
				if errors.As(err, &rl) {
					return rl.retryAfter
				}
				return time.Hour
			},
		}
		c := newClient(t, testmode.Inline, timedWorker{tw})
		tw.timeout = func(*testmode.Job[taskArgs]) time.Duration { return 0 }
		row, err := c.Insert(ctx, taskArgs{N: 3}, nil)
		require.NoError(t, err)
		require.Equal(t, testmode.StateCompleted, row.State)
		require.Equal(t, 3, row.Attempt)
		require.Len(t, row.Errors, 2)
		require.Len(t, sawErrs, 2)
		require.Equal(t, time.Minute, row.Errors[1].At.Sub(row.Errors[0].At), "Backoff's duration, no jitter")
		require.Equal(t, 2*time.Minute, row.AttemptedAt.Sub(row.Errors[1].At))
	})

	t.Run("cancel", func(t *testing.T) {
		w := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error { return testmode.Cancel(boom) }}
		c := newClient(t, testmode.Inline, w)
		row, err := c.Insert(ctx, taskArgs{N: 4}, nil)
		require.ErrorIs(t, err, boom)
		var cerr *testmode.CancelError
		require.ErrorAs(t, err, &cerr)
		require.Equal(t, testmode.StateCancelled, row.State)
		require.Equal(t, 1, row.Attempt, "never retried")
		require.Equal(t, "testmode: job cancelled: boom", row.Errors[0].Message)
		require.Equal(t, "testmode: job cancelled", testmode.Cancel(nil).Error())
	})

	t.Run("snooze", func(t *testing.T) {
		w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
			if len(job.Errors) == 0 && job.AttemptedAt.Sub(job.InsertedAt) < 2*time.Minute {
				return testmode.Snooze(time.Minute)
			}
			return nil
		}}
		c := newClient(t, testmode.Inline, w)
		row, err := c.Insert(ctx, taskArgs{N: 5}, nil)
		require.NoError(t, err)
		require.Equal(t, testmode.StateCompleted, row.State)
		require.Equal(t, 1, row.Attempt, "snoozes use up no attempt")
		require.Equal(t, 2, row.Snoozes)
		require.Equal(t, 2*time.Minute, row.AttemptedAt.Sub(row.InsertedAt))
		require.Empty(t, row.Errors)
	})

	t.Run("snooze forever hits the limit", func(t *testing.T) {
		w := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error { return testmode.Snooze(time.Second) }}
		cfg := testmode.DefaultConfig()
		cfg.Mode, cfg.Workers, cfg.MaxInlineSnoozes = testmode.Inline, newWorkers(t, w), 5
		c, err := testmode.NewClient(cfg)
		require.NoError(t, err)
		row, err := c.Insert(ctx, taskArgs{N: 6}, nil)
		require.ErrorIs(t, err, testmode.ErrSnoozeLimit)
		require.Equal(t, testmode.StateScheduled, row.State)
		require.Equal(t, 5, row.Snoozes)
	})

	t.Run("negative snooze fails the attempt", func(t *testing.T) {
		w := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error { return testmode.Snooze(-time.Second) }}
		c := newClient(t, testmode.Inline, w)
		row, err := c.Insert(ctx, taskArgs{N: 7}, &testmode.InsertOpts{MaxAttempts: 1})
		require.ErrorIs(t, err, testmode.ErrInvalidSnooze)
		require.ErrorContains(t, err, "Snooze(-1s)")
		require.Equal(t, testmode.StateDiscarded, row.State)
	})

	t.Run("panic reaches the caller with its stack", func(t *testing.T) {
		w := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error { panic("kaboom") }}
		c := newClient(t, testmode.Inline, w)
		row, err := c.Insert(ctx, taskArgs{N: 8}, &testmode.InsertOpts{MaxAttempts: 2})
		var perr *testmode.PanicError
		require.ErrorAs(t, err, &perr)
		require.Equal(t, "kaboom", perr.Value)
		require.Contains(t, string(perr.Stack), "client_test.go")
		require.Equal(t, testmode.StateDiscarded, row.State)
		require.Equal(t, "testmode: job panicked: kaboom", row.Errors[1].Message)
		require.Contains(t, row.Errors[1].Stack, "client_test.go")
		require.Equal(t, []int{8, 8}, w.attempts(), "a panic is an error: retried")
	})

	t.Run("timeout fires for a worker that never returns", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			tw := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error {
				<-release // ignores its context
				return nil
			}}
			tw.timeout = func(*testmode.Job[taskArgs]) time.Duration { return time.Second }
			tw.backoff = func(*testmode.Job[taskArgs], error) time.Duration { return time.Second }
			c := newClient(t, testmode.Inline, timedWorker{tw})
			row, err := c.Insert(ctx, taskArgs{N: 9}, &testmode.InsertOpts{MaxAttempts: 1})
			require.ErrorIs(t, err, testmode.ErrJobTimeout)
			require.ErrorContains(t, err, "testmode: job timed out after 1s (Perform has not returned)")
			require.Equal(t, testmode.StateDiscarded, row.State)
			close(release)
		})
	})

	t.Run("timeout cancels the context of a worker that listens", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			tw := &taskWorker{fn: func(ctx context.Context, _ *testmode.Job[taskArgs]) error {
				<-ctx.Done()
				require.ErrorIs(t, context.Cause(ctx), testmode.ErrJobTimeout)
				return ctx.Err()
			}}
			tw.timeout = func(*testmode.Job[taskArgs]) time.Duration { return time.Minute }
			tw.backoff = func(*testmode.Job[taskArgs], error) time.Duration { return time.Second }
			c := newClient(t, testmode.Inline, timedWorker{tw})
			start := time.Now()
			_, err := c.Insert(ctx, taskArgs{N: 10}, &testmode.InsertOpts{MaxAttempts: 2})
			require.ErrorIs(t, err, testmode.ErrJobTimeout)
			require.Equal(t, 2*time.Minute, time.Since(start), "two attempts of one (fake) minute each")
		})
	})
}

type rateLimited struct{ retryAfter time.Duration }

func (e *rateLimited) Error() string { return "rate limited; retry after " + e.retryAfter.String() }

// TestInlineNested checks that a job inserting jobs under the same context
// runs them inline too, and that the insert in the worker sees the mode.
func TestInlineNested(t *testing.T) {
	var c *testmode.Client
	var order []int
	var mu sync.Mutex
	w := &taskWorker{fn: func(ctx context.Context, job *testmode.Job[taskArgs]) error {
		mu.Lock()
		order = append(order, job.Args.N)
		mu.Unlock()
		if job.Args.N < 3 {
			_, err := c.Insert(ctx, taskArgs{N: job.Args.N + 1}, nil)
			return err
		}
		return nil
	}}
	c = newClient(t, testmode.Manual, w)
	ctx := testmode.WithMode(context.Background(), testmode.Inline)
	_, err := c.Insert(ctx, taskArgs{N: 1}, nil)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, order)
	require.Len(t, testmode.StoreFrom(ctx).Jobs(), 3)
	require.Empty(t, c.Store().Jobs(), "the client's own store saw nothing")
}

// TestWithModeTravelsToGoroutines: jobs inserted by goroutines started
// with the test's context land in the test's store.
func TestWithModeTravelsToGoroutines(t *testing.T) {
	c := newClient(t, testmode.Inline, &taskWorker{}) // the client's own mode differs
	ctx := testmode.WithMode(context.Background(), testmode.Manual)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			_, err := c.Insert(ctx, taskArgs{N: i}, nil)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	rows, err := testmode.AllEnqueued(testmode.StoreFrom(ctx), testmode.Match{Kind: "task"})
	require.NoError(t, err)
	require.Len(t, rows, 10)
	require.Empty(t, c.Store().Jobs())

	// A nested WithMode keeps the store and changes the mode.
	inner := testmode.WithMode(ctx, testmode.Inline)
	require.Same(t, testmode.StoreFrom(ctx), testmode.StoreFrom(inner))
	row, err := c.Insert(inner, taskArgs{N: 99}, nil)
	require.NoError(t, err)
	require.Equal(t, testmode.StateCompleted, row.State)
	require.Len(t, testmode.StoreFrom(ctx).Jobs(), 11)
	require.Nil(t, testmode.StoreFrom(context.Background()))
}

// TestInlineStopsWhenContextEnds: retries stop when the caller's context
// ends; the job stays retryable in the store.
func TestInlineStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("caller gave up")
	w := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error {
		cancel(stop)
		return errors.New("failed")
	}}
	c := newClient(t, testmode.Inline, w)
	row, err := c.Insert(ctx, taskArgs{N: 1}, nil)
	require.ErrorIs(t, err, stop)
	require.Equal(t, testmode.StateRetryable, row.State)
	require.Equal(t, 1, row.Attempt)
	require.Len(t, w.attempts(), 1)
}

// TestInsertManyInlineErrors: in Inline mode InsertMany runs every job,
// returns every row, and joins the *JobError of each job that did not
// complete, in order.
func TestInsertManyInlineErrors(t *testing.T) {
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
	c := newClient(t, testmode.Inline, w)
	ctx := context.Background()
	unique := &testmode.InsertOpts{UniquePeriod: time.Hour}
	rows, err := c.InsertMany(ctx, []testmode.InsertParams{
		{Args: taskArgs{N: 1}},
		{Args: taskArgs{N: 2}},
		{Args: taskArgs{N: 3}, Opts: &testmode.InsertOpts{MaxAttempts: 2}},
		{Args: taskArgs{N: 4}, Opts: unique},
		{Args: taskArgs{N: 4}, Opts: unique},
	})
	require.Len(t, rows, 5, "the rows come back with the error")
	for i, want := range []testmode.State{testmode.StateCompleted, testmode.StateCancelled, testmode.StateDiscarded, testmode.StateCompleted} {
		require.Equal(t, want, rows[i].State, "rows[%d]", i)
	}
	require.True(t, rows[4].Duplicate, "an earlier job of the batch blocks")
	require.Equal(t, rows[3].ID, rows[4].ID)
	require.Equal(t, []int{1, 2, 3, 3, 4}, w.attempts(), "in order; the duplicate ran nothing")

	require.Error(t, err)
	require.Equal(t, `testmode: job 2 (kind "task") cancelled after 1 attempt(s): testmode: job cancelled: boom
testmode: job 3 (kind "task") discarded after 2 attempt(s): boom`, err.Error())
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	errs := joined.Unwrap()
	require.Len(t, errs, 2)
	for i, want := range []*testmode.JobRow{rows[1], rows[2]} {
		var jerr *testmode.JobError
		require.ErrorAs(t, errs[i], &jerr)
		require.Same(t, want, jerr.Job)
		require.ErrorIs(t, jerr, boom)
	}
	var cerr *testmode.CancelError
	require.ErrorAs(t, errs[0], &cerr)
	require.False(t, errors.As(errs[1], &cerr), "the discarded job was not cancelled")

	rows, err = c.InsertMany(ctx, []testmode.InsertParams{{Args: taskArgs{N: 5}}, {Args: taskArgs{N: 6}}})
	require.NoError(t, err, "every job completed")
	require.Len(t, rows, 2)
}

// TestDefaultMaxAttempts pins the default of 20 attempts: in the
// configuration, on recorded jobs, in Inline retries and in PerformJob.
func TestDefaultMaxAttempts(t *testing.T) {
	require.Equal(t, 20, testmode.DefaultMaxAttempts)
	require.Equal(t, 20, testmode.DefaultConfig().MaxAttempts)

	row, err := newClient(t, testmode.Manual, &taskWorker{}).Insert(context.Background(), taskArgs{N: 1}, nil)
	require.NoError(t, err)
	require.Equal(t, 20, row.MaxAttempts)

	w := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error { return errors.New("fails") }}
	row, err = newClient(t, testmode.Inline, w).Insert(context.Background(), taskArgs{N: 2}, nil)
	require.Error(t, err)
	require.Equal(t, testmode.StateDiscarded, row.State)
	require.Equal(t, 20, row.Attempt)
	require.Len(t, w.attempts(), 20)

	res := testmode.PerformJob[taskArgs](context.Background(), t, &taskWorker{}, taskArgs{N: 3}, nil)
	require.Equal(t, 20, res.Job.MaxAttempts)
}
