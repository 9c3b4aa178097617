// Package stopper owns the goroutines of a component for their whole life:
// it admits tasks, refuses new ones once shutdown begins (quiesce), cancels
// and waits for the running ones, then runs closers, newest first.
//
// It follows CockroachDB's pkg/util/stop Stopper, keeps the names its users
// know (RunTask, RunAsyncTask, RunAsyncTaskEx, ShouldQuiesce, AddCloser,
// Stop), and fixes what that package's history shows its users hit.
//
// # Composing with it
//
// A component creates one Stopper, starts every goroutine through it, and
// stops it on shutdown with a deadline:
//
//	s, err := stopper.New(stopper.DefaultOptions())
//	...
//	err = s.RunAsyncTask(ctx, "mypkg.server: accept loop", func(ctx context.Context) {
//		for ctx.Err() == nil { ... } // ctx is cancelled when s quiesces
//	})
//	...
//	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
//	defer cancel()
//	if err := s.Stop(ctx); err != nil { ... } // *StuckTasksError names what hung
//
// CockroachDB's users write defer s.Stop(ctx). Here Stop waits only as
// long as its ctx allows, which makes that idiom mean:
//
//   - with context.Background() (no deadline), the deferred Stop waits
//     forever for a task that ignores its context, so the function never
//     returns, and Stop's error (recovered panics) is dropped;
//   - with a ctx that has already ended (main's context, cancelled by the
//     signal that started the shutdown), Stop returns at once with a
//     *StuckTasksError if any task still runs, and the tasks and closers
//     finish in the background, or not at all if the process exits first.
//
// So defer a function that gives Stop a deadline of its own and reads its
// error (Example_deferStop shows it; stoppertest.New does the same in tests):
//
//	defer func() {
//		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
//		defer cancel()
//		if err := s.Stop(ctx); err != nil { log(err) }
//	}()
//
// What it does beyond CockroachDB's Stopper:
//
//   - A task's context is cancelled when the stopper quiesces, with
//     context.Cause ErrQuiescing, unless TaskOpts.NoCancelOnQuiesce opts
//     out. Asynchronous tasks keep the caller's context values but not its
//     cancellation or deadline: a request that ends must not kill the work
//     it started. Synchronous tasks keep the caller's context whole and are
//     also cancelled at quiesce.
//   - Quiesce and Stop wait for an event (the last task's return), never by
//     polling.
//   - Stop honours its context: at the deadline it returns a
//     *StuckTasksError naming each stuck task, its age, where its function
//     is defined, and the stacks of only the stopper's task goroutines
//     (labelled with the pprof label ecopatterns.stopper). Closers still run
//     once those tasks return. Stop is idempotent and safe to call
//     concurrently.
//   - While draining, every SlowQuiesceInterval the stopper logs and emits
//     (DrainStalled) which tasks are still running, with their ages.
//   - Stop or Quiesce called with the context of one of the stopper's own
//     tasks returns ErrCalledFromTask instead of deadlocking. No user code
//     (closer, task, telemetry handler) runs while the stopper holds a lock.
//   - Admission is sharded, so starting tasks from many cores does not
//     contend on one counter, and a refused task costs an atomic load and no
//     allocation.
//   - Child stoppers (NewChild) drain before their parent.
//   - A Limiter bounds concurrency; its waits end on quiesce or ctx cancel
//     with nothing to wire up. Work that is not a task takes slots with
//     Limiter.Acquire and gives them back with Release.
//   - NumTasks and RunningTasks describe one stopper's own tasks;
//     NumTasksWithChildren and RunningTasksWithChildren add its
//     descendants', each tagged with its stopper.
//
// Tests use the stoppertest package: stoppertest.New stops the stopper when
// the test ends and fails the test if that does not go cleanly, and
// stoppertest.VerifyNone fails a test that left a stopper running.
//
// # Extending it
//
// Register anything that must be released after the last task with
// AddCloser (Closer, or CloserFn for a function). Observe tasks by attaching
// a telemetry handler to TaskSpan, QuiesceSpan and DrainStalled (see
// events.go); the task span is emitted only while a handler is attached.
//
// # What it deliberately does not do
//
// It does not restart failed tasks (a supervisor such as suture does); it
// does not kill goroutines, which Go cannot do: a task that ignores its
// context is reported, not stopped. It does not track tasks per name with
// counters that cost on every spawn, as CockroachDB found too costly; names
// and start times live with the running task and are read only when asked.
// Panics in tasks and closers crash the process by default
// (RepanicOnPanic), because state after a bug is suspect; RecoverOnPanic
// turns them into errors in Stop's result (a task's also starts a shutdown,
// a closer's lets the remaining closers run) instead.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Stopper.Stop: a Stop whose deadline passes names the task that ignores
//     its context.
//   - Example (deferStop): the defer s.Stop(ctx) idiom with a deadline,
//     reading Stop's error rather than dropping it.
//   - Example (server): a server whose accept loop and connections are tasks:
//     Stop refuses new work, cancels what runs, waits, then closes the
//     listener.
//   - NewLimiter: a worker pool: at most two jobs at once, and submitting
//     waits for a slot.
package stopper
