package stopper_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
)

func TestMain(m *testing.M) {
	if runPanicChild() {
		return
	}
	goleak.VerifyTestMain(m)
}

func newStopper(t *testing.T, mod ...func(*stopper.Options)) *stopper.Stopper {
	t.Helper()
	o := stopper.DefaultOptions()
	o.Name = t.Name()
	for _, m := range mod {
		m(&o)
	}
	s, err := stopper.New(o)
	require.NoError(t, err)
	return s
}

func stop(t *testing.T, s *stopper.Stopper) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Stop(ctx))
}

func TestOptions(t *testing.T) {
	require.NoError(t, stopper.DefaultOptions().Validate())
	o := stopper.Options{SlowQuiesceInterval: -time.Second, OnPanic: "ignore"}
	err := o.Validate()
	require.EqualError(t, err, strings.Join([]string{
		`options: Name = "": must not be empty`,
		"options: Logger = <nil>: must not be nil",
		"options: SlowQuiesceInterval = -1s: must be > 0",
		`options: OnPanic = "ignore": must be "repanic" or "recover"`,
	}, "\n"))
	_, err = stopper.New(o)
	var fe *options.FieldError
	require.ErrorAs(t, err, &fe)
	require.ErrorContains(t, err, "stopper: invalid options: ")
}

func TestBadInput(t *testing.T) {
	s := newStopper(t)
	defer stop(t, s)
	ctx := context.Background()
	f := func(context.Context) {}
	var nilCtx context.Context
	require.EqualError(t, s.RunTask(nilCtx, "x", f), "stopper: RunTask: ctx is nil")
	require.EqualError(t, s.RunTask(ctx, "", f), "stopper: RunTask: task name is empty")
	require.EqualError(t, s.RunTask(ctx, "x", nil), `stopper: RunTask: task "x": function is nil`)
	require.EqualError(t, s.RunTaskWithErr(ctx, "", func(context.Context) error { return nil }), "stopper: RunTaskWithErr: task name is empty")
	require.EqualError(t, s.RunTaskWithErr(ctx, "x", nil), `stopper: RunTaskWithErr: task "x": function is nil`)
	require.EqualError(t, s.RunAsyncTask(nilCtx, "x", f), "stopper: RunAsyncTask: ctx is nil")
	require.EqualError(t, s.RunAsyncTask(ctx, "", f), "stopper: RunAsyncTask: task name is empty")
	require.EqualError(t, s.RunAsyncTask(ctx, "x", nil), `stopper: RunAsyncTask: task "x": function is nil`)
	require.EqualError(t, s.RunAsyncTaskEx(ctx, stopper.TaskOpts{}, f), "stopper: RunAsyncTaskEx: task name is empty")
	require.EqualError(t, s.RunPeriodic(ctx, "p", 0, f), `stopper: RunPeriodic: task "p": interval 0s must be > 0`)
	require.EqualError(t, s.RunPeriodic(ctx, "p", -time.Second, f), `stopper: RunPeriodic: task "p": interval -1s must be > 0`)
	require.EqualError(t, s.RunPeriodic(ctx, "p", time.Second, nil), `stopper: RunPeriodic: task "p": function is nil`)
	require.EqualError(t, s.RunDelayed(ctx, "d", -time.Second, f), `stopper: RunDelayed: task "d": delay -1s must be >= 0`)
	require.EqualError(t, s.RunDelayed(nilCtx, "d", time.Second, f), "stopper: RunDelayed: ctx is nil")
	require.EqualError(t, s.Stop(nilCtx), "stopper: Stop: ctx is nil")
	require.EqualError(t, s.Quiesce(nilCtx), "stopper: Quiesce: ctx is nil")
	_, err := s.NewChild("")
	require.EqualError(t, err, "stopper: NewChild: name is empty")
	_, err = stopper.NewLimiter(0)
	require.EqualError(t, err, "stopper: NewLimiter: n = 0: must be > 0")
	_, err = stopper.NewLimiter(-3)
	require.EqualError(t, err, "stopper: NewLimiter: n = -3: must be > 0")
	require.Zero(t, s.NumTasks())
}

func TestRunTask(t *testing.T) {
	s := newStopper(t)
	ctx := context.Background()
	ran := false
	require.NoError(t, s.RunTask(ctx, "t", func(ctx context.Context) {
		ran = true
		require.Equal(t, 1, s.NumTasks())
		require.Equal(t, "t", s.RunningTasks()[0].Name)
	}))
	require.True(t, ran)
	want := errors.New("failed")
	require.ErrorIs(t, s.RunTaskWithErr(ctx, "t", func(context.Context) error { return want }), want)
	require.Zero(t, s.NumTasks())

	stop(t, s)
	called := false
	require.ErrorIs(t, s.RunTask(ctx, "t", func(context.Context) { called = true }), stopper.ErrUnavailable)
	require.ErrorIs(t, s.RunTaskWithErr(ctx, "t", func(context.Context) error { called = true; return nil }), stopper.ErrUnavailable)
	require.ErrorIs(t, s.RunAsyncTask(ctx, "t", func(context.Context) { called = true }), stopper.ErrUnavailable)
	require.ErrorIs(t, s.RunAsyncTaskEx(ctx, stopper.TaskOpts{Name: "t"}, func(context.Context) { called = true }), stopper.ErrUnavailable)
	require.ErrorIs(t, s.RunPeriodic(ctx, "t", time.Second, func(context.Context) { called = true }), stopper.ErrUnavailable)
	require.ErrorIs(t, s.RunDelayed(ctx, "t", 0, func(context.Context) { called = true }), stopper.ErrUnavailable)
	require.False(t, called)
}

type ctxKey struct{}

func TestAsyncTaskContext(t *testing.T) {
	s := newStopper(t)
	caller, cancelCaller := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "trace-1"))
	started := make(chan struct{})
	result := make(chan error, 1)
	require.NoError(t, s.RunAsyncTask(caller, "t", func(ctx context.Context) {
		require.Equal(t, "trace-1", ctx.Value(ctxKey{}), "values of the caller's context are kept")
		_, hasDeadline := ctx.Deadline()
		require.False(t, hasDeadline)
		close(started)
		<-ctx.Done()
		result <- context.Cause(ctx)
	}))
	<-started
	cancelCaller() // the request that started the task ends...
	select {
	case <-result:
		t.Fatal("an async task must not be cancelled by its caller's context")
	default:
	}
	stop(t, s) // ...but quiesce cancels it
	require.ErrorIs(t, <-result, stopper.ErrQuiescing)
}

func TestAsyncTaskNoCancelOnQuiesce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStopper(t)
		done := make(chan struct{})
		require.NoError(t, s.RunAsyncTaskEx(context.Background(), stopper.TaskOpts{Name: "flush", NoCancelOnQuiesce: true}, func(ctx context.Context) {
			defer close(done)
			select {
			case <-ctx.Done():
				t.Error("the task opted out of quiesce cancellation")
			case <-time.After(time.Minute):
			}
		}))
		start := time.Now()
		require.NoError(t, s.Stop(context.Background()))
		require.Equal(t, time.Minute, time.Since(start), "Stop waits for the task to end by itself")
		<-done
	})
}

func TestSyncTaskContext(t *testing.T) {
	// A caller context that can be cancelled: the task sees both the
	// caller's cancellation and the stopper's quiesce.
	s := newStopper(t)
	caller, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	require.NoError(t, s.RunTask(caller, "t", func(ctx context.Context) {
		require.Equal(t, "v", ctx.Value(ctxKey{}))
		cancel()
		<-ctx.Done()
		require.ErrorIs(t, context.Cause(ctx), context.Canceled)
	}))
	stopped := make(chan struct{})
	caller2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() {
		defer close(stopped)
		stop(t, s)
	}()
	err := s.RunTask(caller2, "sync", func(ctx context.Context) {
		<-ctx.Done()
		require.ErrorIs(t, context.Cause(ctx), stopper.ErrQuiescing)
	})
	// Either the task ran and was cancelled by quiesce, or quiesce came
	// first and refused it.
	if err != nil {
		require.ErrorIs(t, err, stopper.ErrUnavailable)
	}
	<-stopped
}

// TestTaskContextsFollowTheirCaller interleaves synchronous and
// asynchronous tasks started from the same and from different contexts, as
// the stopper shares one task context between consecutive tasks started
// with the same one: each task sees its own caller's values, and a
// synchronous task its caller's cancellation, whatever ran before it.
func TestTaskContextsFollowTheirCaller(t *testing.T) {
	s := newStopper(t)
	a := context.WithValue(context.Background(), ctxKey{}, "a")
	b := context.WithValue(context.Background(), ctxKey{}, "b")
	c, cancelC := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "c"))
	defer cancelC()
	syncSees := func(ctx context.Context, want string) {
		t.Helper()
		require.NoError(t, s.RunTask(ctx, "sync", func(ctx context.Context) {
			require.Equal(t, want, ctx.Value(ctxKey{}))
			require.NoError(t, ctx.Err())
		}))
	}
	asyncSees := func(ctx context.Context, want string) {
		t.Helper()
		got := make(chan any, 1)
		require.NoError(t, s.RunAsyncTask(ctx, "async", func(ctx context.Context) { got <- ctx.Value(ctxKey{}) }))
		require.Equal(t, want, <-got)
	}
	syncSees(a, "a")
	syncSees(a, "a")
	asyncSees(a, "a")
	syncSees(a, "a")
	syncSees(b, "b")
	asyncSees(a, "a")
	asyncSees(c, "c")
	syncSees(b, "b")
	asyncSees(c, "c")

	// The last task started from c was asynchronous, and its context
	// ignores c's cancellation; a synchronous one from c must not.
	require.NoError(t, s.RunTask(c, "sync", func(ctx context.Context) {
		require.Equal(t, "c", ctx.Value(ctxKey{}))
		cancelC()
		select {
		case <-ctx.Done():
		default:
			t.Fatal("the caller's cancellation does not reach the task")
		}
		require.ErrorIs(t, context.Cause(ctx), context.Canceled)
	}))
	syncSees(a, "a")
	stop(t, s)
}

func TestSyncTaskBackgroundContextIsCancelledOnQuiesce(t *testing.T) {
	s := newStopper(t)
	entered := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.RunTask(context.Background(), "wait", func(ctx context.Context) {
			close(entered)
			<-ctx.Done()
			require.ErrorIs(t, context.Cause(ctx), stopper.ErrQuiescing)
		})
	}()
	<-entered
	stop(t, s)
	require.NoError(t, <-done)
}

func TestWithCancelOnQuiesce(t *testing.T) {
	s := newStopper(t)
	ctx, cancel := s.WithCancelOnQuiesce(context.Background())
	require.NoError(t, ctx.Err())
	ctx2, cancel2 := s.WithCancelOnQuiesce(context.Background())
	cancel2()
	require.ErrorIs(t, ctx2.Err(), context.Canceled)
	stop(t, s)
	<-ctx.Done()
	require.ErrorIs(t, context.Cause(ctx), stopper.ErrQuiescing)
	cancel()

	after, cancel3 := s.WithCancelOnQuiesce(context.Background())
	defer cancel3()
	require.Error(t, after.Err(), "after quiesce the context is already cancelled")
	require.ErrorIs(t, context.Cause(after), stopper.ErrQuiescing)
}

func TestClosersRunNewestFirstAfterTasks(t *testing.T) {
	s := newStopper(t)
	var mu sync.Mutex
	var order []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	s.AddCloser(stopper.CloserFn(func() { record("first") }))
	s.AddCloser(stopper.CloserFn(func() { record("second") }))
	s.AddCloser(nil)
	s.AddCloser(stopper.CloserFn(nil))
	require.NoError(t, s.RunAsyncTask(context.Background(), "task", func(ctx context.Context) {
		<-ctx.Done()
		record("task returned")
	}))
	stop(t, s)
	<-s.IsStopped()
	require.Equal(t, []string{"task returned", "second", "first"}, order)

	s.AddCloser(stopper.CloserFn(func() { record("late") }))
	require.Equal(t, "late", order[3], "a closer added after Stop runs at once")
}

func TestStopIsIdempotentAndConcurrent(t *testing.T) {
	s := newStopper(t)
	closes := atomic.Int32{}
	s.AddCloser(stopper.CloserFn(func() { closes.Add(1) }))
	release := make(chan struct{})
	require.NoError(t, s.RunAsyncTask(context.Background(), "t", func(context.Context) { <-release }))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- s.Stop(context.Background()) })
	}
	select {
	case <-s.IsStopped():
		t.Fatal("stopped while a task runs")
	default:
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), closes.Load())
	require.NoError(t, s.Stop(context.Background()))
}

func TestStopDeadlineNamesStuckTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStopper(t)
		release := make(chan struct{})
		closed := make(chan struct{})
		s.AddCloser(stopper.CloserFn(func() { close(closed) }))
		require.NoError(t, s.RunAsyncTask(context.Background(), "mypkg.worker: ignores its context", func(context.Context) {
			stuckInTask(release)
		}))
		time.Sleep(3 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.Stop(ctx)
		var stuck *stopper.StuckTasksError
		require.ErrorAs(t, err, &stuck)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Len(t, stuck.Tasks, 1)
		task := stuck.Tasks[0]
		require.Equal(t, "mypkg.worker: ignores its context", task.Name)
		require.Equal(t, "TestStopDeadlineNamesStuckTasks", task.Stopper)
		require.Equal(t, 8*time.Second, task.Age)
		require.Contains(t, task.Func, "TestStopDeadlineNamesStuckTasks")
		require.Contains(t, task.Location, "stopper_test.go:")
		require.Contains(t, stuck.Stacks, "stuckInTask", "the stacks hold the stuck goroutine")
		require.NotContains(t, stuck.Stacks, "TestStopDeadlineNamesStuckTasks.func1\n", "and not the test's own goroutine")
		require.Contains(t, err.Error(), `stopper "TestStopDeadlineNamesStuckTasks": 1 task(s) still running: "mypkg.worker: ignores its context" in "TestStopDeadlineNamesStuckTasks" for 8s`)
		select {
		case <-closed:
			t.Fatal("closers must wait for the stuck task")
		default:
		}
		// The stop goes on: once the task returns, closers run.
		close(release)
		<-closed
		<-s.IsStopped()
	})
}

func stuckInTask(release <-chan struct{}) { <-release }

// When a child's task is stuck, the parent's own tasks have not been asked
// to stop at the deadline (the parent waits for its children): the report
// tells them apart from the stuck one.
func TestStopDeadlineSeparatesTasksWaitingForChildren(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStopper(t)
		child, err := s.NewChild("child")
		require.NoError(t, err)
		release, drained := make(chan struct{}), make(chan struct{})
		// The parent's task takes a while to finish once cancelled, so that
		// it is still running when the report is made.
		require.NoError(t, s.RunAsyncTask(context.Background(), "parent: serve", func(ctx context.Context) {
			<-ctx.Done()
			<-drained
		}))
		require.NoError(t, child.RunAsyncTask(context.Background(), "child: ignores its context", func(context.Context) {
			stuckInTask(release)
		}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err = s.Stop(ctx)
		var stuck *stopper.StuckTasksError
		require.ErrorAs(t, err, &stuck)
		require.Len(t, stuck.Tasks, 2)
		require.Equal(t, "child: ignores its context", stuck.Tasks[0].Name)
		require.False(t, stuck.Tasks[0].Waiting)
		require.Equal(t, "parent: serve", stuck.Tasks[1].Name)
		require.True(t, stuck.Tasks[1].Waiting)
		msg := err.Error()
		require.Contains(t, msg, `1 task(s) still running: "child: ignores its context" in "TestStopDeadlineSeparatesTasksWaitingForChildren/child" for 1s`)
		require.Contains(t, msg, `; and 1 task(s) asked to stop only at the deadline, as their stopper waited for its children: "parent: serve" in "TestStopDeadlineSeparatesTasksWaitingForChildren" for 1s`)

		// The parent's task was cancelled at the deadline and returns; the
		// stop finishes once the stuck one does too.
		close(drained)
		synctest.Wait()
		require.Equal(t, 0, s.NumTasks())
		close(release)
		<-s.IsStopped()
	})
}

func TestSlowQuiesceReports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		rec := telemetrytest.Capture(t, reg, "ecopatterns.stopper")
		s := newStopper(t, func(o *stopper.Options) {
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: dropTime}))
			o.SlowQuiesceInterval = time.Second
			o.Telemetry = reg
		})
		require.NoError(t, s.RunAsyncTask(context.Background(), "slow", func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(3500 * time.Millisecond) // a slow cleanup
		}))
		require.NoError(t, s.Stop(rec.Context(context.Background())))
		require.Equal(t, strings.Repeat("", 0)+
			"level=WARN msg=\"stopper: still draining\" stopper=TestSlowQuiesceReports tasks=1 oldest=1s running=\"slow (1s)\"\n"+
			"level=WARN msg=\"stopper: still draining\" stopper=TestSlowQuiesceReports tasks=1 oldest=2s running=\"slow (2s)\"\n"+
			"level=WARN msg=\"stopper: still draining\" stopper=TestSlowQuiesceReports tasks=1 oldest=3s running=\"slow (3s)\"\n",
			logs.String())
		require.Len(t, rec.Matching(stopper.DrainStalled, slog.String("stopper", "TestSlowQuiesceReports")), 3)
		start := rec.Require(t, stopper.QuiesceSpan.Start)
		qstop := rec.Require(t, stopper.QuiesceSpan.Stop)
		n, _ := qstop.Measurement("tasks")
		require.Equal(t, int64(1), n.Int64())
		require.Equal(t, 3500*time.Millisecond, qstop.Duration)
		require.NotZero(t, start.SpanID)
	})
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestTaskSpansOnlyWithHandler(t *testing.T) {
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	s := newStopper(t, func(o *stopper.Options) { o.Telemetry = reg })
	defer stop(t, s)
	rec := telemetrytest.Capture(t, reg, stopper.TaskSpan.Prefix.String())
	ctx := rec.Context(context.Background())
	require.NoError(t, s.RunTask(ctx, "sync-task", func(context.Context) {}))
	done := make(chan struct{})
	require.NoError(t, s.RunAsyncTask(ctx, "async-task", func(context.Context) { close(done) }))
	<-done
	_, err = rec.Wait(ctx, stopper.TaskSpan.Stop, slog.String("task", "async-task"))
	require.NoError(t, err)
	rec.Require(t, stopper.TaskSpan.Start, slog.String("task", "sync-task"), slog.Bool("async", false), slog.String("stopper", "TestTaskSpansOnlyWithHandler"))
	rec.Require(t, stopper.TaskSpan.Stop, slog.String("task", "sync-task"))
	rec.Require(t, stopper.TaskSpan.Start, slog.String("task", "async-task"), slog.Bool("async", true))
	require.False(t, reg.Enabled(stopper.QuiesceSpan.Start))
}

func TestRunningTasks(t *testing.T) {
	s := newStopper(t)
	release := make(chan struct{})
	var started sync.WaitGroup
	before := time.Now()
	for _, name := range []string{"a", "b", "a", "a"} {
		started.Add(1)
		require.NoError(t, s.RunAsyncTask(context.Background(), name, func(context.Context) {
			started.Done()
			<-release
		}))
	}
	started.Wait()
	require.Equal(t, 4, s.NumTasks())
	infos := s.RunningTasks()
	require.Len(t, infos, 2)
	counts := map[string]int{}
	for _, in := range infos {
		counts[in.Name] = in.Count
		require.False(t, in.Started.Before(before.Add(-time.Millisecond)))
	}
	require.Equal(t, map[string]int{"a": 3, "b": 1}, counts)
	close(release)
	stop(t, s)
	require.Zero(t, s.NumTasks())
	require.Empty(t, s.RunningTasks())
}

func TestStopFromTaskIsRefused(t *testing.T) {
	s := newStopper(t)
	child, err := s.NewChild("child")
	require.NoError(t, err)
	require.NoError(t, s.RunTask(context.Background(), "t", func(ctx context.Context) {
		err := s.Stop(ctx)
		require.ErrorIs(t, err, stopper.ErrCalledFromTask)
		require.EqualError(t, err, `stopper "TestStopFromTaskIsRefused": Stop: stopper: called from one of its own tasks`)
		require.ErrorIs(t, s.Quiesce(ctx), stopper.ErrCalledFromTask)
	}))
	done := make(chan struct{})
	require.NoError(t, child.RunAsyncTask(context.Background(), "t", func(ctx context.Context) {
		defer close(done)
		require.ErrorIs(t, s.Stop(ctx), stopper.ErrCalledFromTask, "a child's task waiting for the parent would deadlock too")
		// The child's task may stop an unrelated stopper.
		other := newStopper(t)
		require.NoError(t, other.Stop(ctx))
	}))
	<-done
	select {
	case <-s.ShouldQuiesce():
		t.Fatal("a refused Stop must not start quiescing")
	default:
	}
	stop(t, s)
}

func TestChildStoppers(t *testing.T) {
	s := newStopper(t)
	child, err := s.NewChild("db")
	require.NoError(t, err)
	require.Equal(t, "TestChildStoppers/db", child.Name())
	var mu sync.Mutex
	var order []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	require.NoError(t, s.RunAsyncTask(context.Background(), "parent task", func(ctx context.Context) {
		<-ctx.Done()
		record("parent task cancelled")
	}))
	require.NoError(t, child.RunAsyncTask(context.Background(), "child task", func(ctx context.Context) {
		<-ctx.Done()
		select {
		case <-s.ShouldQuiesce():
			t.Error("the parent quiesced before its child drained")
		default:
		}
		record("child task cancelled")
	}))
	child.AddCloser(stopper.CloserFn(func() { record("child closer") }))
	s.AddCloser(stopper.CloserFn(func() { record("parent closer") }))
	stop(t, s)
	<-child.IsStopped()
	require.Equal(t, []string{"child task cancelled", "parent task cancelled", "child closer", "parent closer"}, order)
	_, err = s.NewChild("late")
	require.ErrorIs(t, err, stopper.ErrUnavailable)
}

func TestChildStoppedAlone(t *testing.T) {
	s := newStopper(t)
	child, err := s.NewChild("c")
	require.NoError(t, err)
	stop(t, child)
	require.NoError(t, s.RunTask(context.Background(), "parent still runs", func(context.Context) {}))
	stop(t, s)
}

func TestLimiter(t *testing.T) {
	s := newStopper(t)
	lim, err := stopper.NewLimiter(3)
	require.NoError(t, err)
	require.Equal(t, 3, lim.Cap())
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		require.NoError(t, s.RunAsyncTaskEx(context.Background(), stopper.TaskOpts{Name: "w", Limiter: lim, WaitForLimiter: true}, func(context.Context) {
			defer wg.Done()
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(100 * time.Microsecond) // hold the slot while others try
			running.Add(-1)
		}))
	}
	wg.Wait()
	require.LessOrEqual(t, peak.Load(), int32(3))
	require.Positive(t, peak.Load())

	// Full: without waiting the task is throttled. (A fresh limiter: the
	// tasks above may still be freeing their slots.)
	lim, err = stopper.NewLimiter(3)
	require.NoError(t, err)
	release := make(chan struct{})
	for range 3 {
		require.NoError(t, s.RunAsyncTaskEx(context.Background(), stopper.TaskOpts{Name: "hold", Limiter: lim}, func(context.Context) { <-release }))
	}
	require.ErrorIs(t, s.RunAsyncTaskEx(context.Background(), stopper.TaskOpts{Name: "x", Limiter: lim}, func(context.Context) {}), stopper.ErrThrottled)

	// A wait ends with the caller's context...
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.RunAsyncTaskEx(ctx, stopper.TaskOpts{Name: "x", Limiter: lim, WaitForLimiter: true}, func(context.Context) {}), context.Canceled)

	// ...and with quiesce.
	waitErr := make(chan error)
	go func() {
		waitErr <- s.RunAsyncTaskEx(context.Background(), stopper.TaskOpts{Name: "x", Limiter: lim, WaitForLimiter: true}, func(context.Context) {})
	}()
	quiesced := make(chan error)
	go func() { quiesced <- s.Quiesce(context.Background()) }()
	require.ErrorIs(t, <-waitErr, stopper.ErrUnavailable)
	close(release)
	require.NoError(t, <-quiesced)
	require.Equal(t, 0, lim.InUse())
	stop(t, s)
}

func TestRunPeriodicAndDelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStopper(t)
		var ticks, delayed, never atomic.Int32
		require.NoError(t, s.RunPeriodic(context.Background(), "tick", time.Second, func(context.Context) { ticks.Add(1) }))
		require.NoError(t, s.RunDelayed(context.Background(), "later", 2500*time.Millisecond, func(context.Context) { delayed.Add(1) }))
		require.NoError(t, s.RunDelayed(context.Background(), "too late", time.Hour, func(context.Context) { never.Add(1) }))
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		require.Equal(t, int32(3), ticks.Load())
		require.Equal(t, int32(1), delayed.Load())
		stop(t, s)
		time.Sleep(time.Hour)
		require.Equal(t, int32(3), ticks.Load(), "no tick after quiesce")
		require.Zero(t, never.Load(), "a delayed task quiesced before its time never runs")
	})
}

func TestRecoverPolicy(t *testing.T) {
	s := newStopper(t, func(o *stopper.Options) { o.OnPanic = stopper.RecoverOnPanic })
	err := s.RunTask(context.Background(), "sync", func(context.Context) { panic("sync boom") })
	var perr *stopper.TaskPanicError
	require.ErrorAs(t, err, &perr)
	require.Equal(t, "sync", perr.Task)
	require.Equal(t, "sync boom", perr.Value)
	require.Contains(t, string(perr.Stack), "TestRecoverPolicy")
	require.EqualError(t, err, `stopper: task "sync" panicked: sync boom`)
	<-s.ShouldQuiesce() // a recovered panic starts a shutdown
	require.ErrorIs(t, s.RunTask(context.Background(), "after", func(context.Context) {}), stopper.ErrUnavailable)
	err = s.Stop(context.Background())
	require.ErrorAs(t, err, &perr, "Stop reports the recovered panic")

	s2 := newStopper(t, func(o *stopper.Options) { o.OnPanic = stopper.RecoverOnPanic })
	boom := errors.New("async boom")
	require.NoError(t, s2.RunAsyncTask(context.Background(), "async", func(context.Context) { panic(boom) }))
	<-s2.ShouldQuiesce()
	err = s2.Stop(context.Background())
	require.ErrorIs(t, err, boom)
	require.ErrorAs(t, err, &perr)
	require.Equal(t, "async", perr.Task)
	require.Zero(t, s2.NumTasks())
}

func TestRepanicPolicySync(t *testing.T) {
	var logs bytes.Buffer
	s := newStopper(t, func(o *stopper.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	defer stop(t, s)
	require.PanicsWithValue(t, "sync boom", func() {
		_ = s.RunTask(context.Background(), "sync", func(context.Context) { panic("sync boom") })
	})
	require.Zero(t, s.NumTasks(), "the panicking task is unregistered")
	require.Contains(t, logs.String(), `msg="stopper: task panicked" stopper=TestRepanicPolicySync task=sync panic="sync boom"`)
	require.NoError(t, s.RunTask(context.Background(), "still running", func(context.Context) {}))
}

func TestConcurrentStartStopStress(t *testing.T) {
	for range 20 {
		s := newStopper(t)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					if err := s.RunAsyncTask(context.Background(), "t", func(ctx context.Context) { <-ctx.Done() }); err != nil {
						require.ErrorIs(t, err, stopper.ErrUnavailable)
						return
					}
				}
			})
		}
		time.Sleep(time.Millisecond) // let some tasks start; the assertions do not depend on it
		stop(t, s)
		wg.Wait()
		require.Zero(t, s.NumTasks())
	}
}

func TestChildrenDrainSideBySide(t *testing.T) {
	s := newStopper(t)
	a, err := s.NewChild("a")
	require.NoError(t, err)
	b, err := s.NewChild("b")
	require.NoError(t, err)
	bCancelled := make(chan struct{})
	// a's task finishes only after b's task saw its cancellation: with
	// children drained one after the other this would never end.
	require.NoError(t, a.RunAsyncTask(context.Background(), "waits for b", func(ctx context.Context) {
		<-ctx.Done()
		<-bCancelled
	}))
	require.NoError(t, b.RunAsyncTask(context.Background(), "b", func(ctx context.Context) {
		<-ctx.Done()
		close(bCancelled)
	}))
	stop(t, s)
}

// TestSyncTaskLazyContext covers the context of a synchronous task whose
// caller's context can be cancelled, asked in every order.
func TestSyncTaskLazyContext(t *testing.T) {
	t.Run("Err and Cause without Done, quiesce", func(t *testing.T) {
		s := newStopper(t)
		caller, cancel := context.WithCancel(context.Background())
		defer cancel()
		require.NoError(t, s.RunTask(caller, "t", func(ctx context.Context) {
			require.NoError(t, ctx.Err())
			require.NoError(t, s.RunAsyncTask(context.Background(), "quiescer", func(context.Context) {}))
			quiesced := make(chan error)
			go func() { quiesced <- s.Quiesce(context.Background()) }()
			<-s.ShouldQuiesce()
			require.ErrorIs(t, ctx.Err(), context.Canceled)
			require.ErrorIs(t, context.Cause(ctx), stopper.ErrQuiescing)
			<-ctx.Done()
			// Quiesce waits for this task; it cannot have returned.
			select {
			case <-quiesced:
				t.Error("Quiesce returned while a task runs")
			default:
			}
			go func() { <-quiesced }()
		}))
		stop(t, s)
	})
	t.Run("caller cancel, derived context", func(t *testing.T) {
		s := newStopper(t)
		defer stop(t, s)
		caller, cancel := context.WithCancelCause(context.Background())
		want := errors.New("request ended")
		require.NoError(t, s.RunTask(caller, "t", func(ctx context.Context) {
			derived, cancelDerived := context.WithCancel(ctx)
			defer cancelDerived()
			cancel(want)
			require.ErrorIs(t, ctx.Err(), context.Canceled)
			<-derived.Done()
			require.ErrorIs(t, context.Cause(ctx), want)
			require.ErrorIs(t, context.Cause(derived), want)
		}))
	})
	t.Run("derived before quiesce", func(t *testing.T) {
		s := newStopper(t)
		caller, cancel := context.WithCancel(context.Background())
		defer cancel()
		var kept context.Context
		require.NoError(t, s.RunTask(caller, "t", func(ctx context.Context) {
			derived, cancelDerived := context.WithCancel(ctx)
			defer cancelDerived()
			go func() { _ = s.Quiesce(context.Background()) }()
			<-derived.Done()
			require.ErrorIs(t, context.Cause(derived), stopper.ErrQuiescing)
			kept = ctx
		}))
		require.ErrorIs(t, kept.Err(), context.Canceled, "a task's context ends when the task returns")
		<-kept.Done()
		stop(t, s)
	})
	t.Run("unused context ends with the task", func(t *testing.T) {
		s := newStopper(t)
		defer stop(t, s)
		caller, cancel := context.WithCancel(context.Background())
		defer cancel()
		var kept context.Context
		require.NoError(t, s.RunTask(caller, "t", func(ctx context.Context) { kept = ctx }))
		require.ErrorIs(t, kept.Err(), context.Canceled)
		<-kept.Done()
		_, hasDeadline := kept.Deadline()
		require.False(t, hasDeadline)
	})
}
