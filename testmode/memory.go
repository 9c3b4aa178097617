package testmode

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/telemetry"
)

// QueueOptions configures one queue of a MemoryEngine.
type QueueOptions struct {
	// Limit is how many jobs of the queue run at once. It must be > 0.
	Limit int `usage:"how many jobs of the queue run at once"`
}

// Validate reports every field that is not usable.
func (o QueueOptions) Validate() error {
	var c options.Collector
	options.Positive(&c, "Limit", o.Limit)
	return c.Err()
}

// MemoryOptions configures a MemoryEngine.
type MemoryOptions struct {
	// Name identifies the engine in events (KeyEngine) and names its
	// stopper. It must not be empty.
	Name string `usage:"name of the engine in events and of its stopper"`
	// Queues are the queues the engine serves, by name, each with its
	// concurrency limit. There must be at least one; names must not be
	// empty.
	Queues map[string]QueueOptions `options:"jsononly"`
	// Workers runs the jobs; Insert refuses kinds it has no worker for. It
	// must not be nil and must hold at least one worker (an engine without
	// one could never run a job): usually the client's Config.Workers,
	// with its workers registered before NewMemoryEngine.
	Workers *Workers `json:"-" options:"-"`
	// ShutdownGrace is how long jobs still running when the engine starts
	// stopping may go on before their context is cancelled with cause
	// ErrShutdown. 0 cancels them at once. It must not be negative.
	ShutdownGrace time.Duration `usage:"how long running jobs may go on once the engine stops, before their context is cancelled"`
	// Parent, when not nil, makes the engine's stopper a child of Parent,
	// so stopping Parent stops the engine first. Nil gives the engine a
	// stopper of its own.
	Parent *stopper.Stopper `json:"-" options:"-"`
	// Logger receives the records of the engine's stopper. It must not be
	// nil; the default discards.
	Logger *slog.Logger `json:"-" options:"-"`
	// Telemetry receives JobSpan for every attempt and the engine spans.
	// Nil means telemetry.Default() as it is when NewMemoryEngine runs.
	Telemetry *telemetry.Registry `json:"-" options:"-"`
}

// DefaultMemoryOptions returns options for an engine named "testmode.memory"
// with one queue, DefaultQueue, running 10 jobs at once, an empty Workers
// registry, 15 seconds of shutdown grace (Oban's default) and no logging.
// They do not validate until Workers holds a worker, and Queues must name
// every queue the client inserts into: an engine refuses, at Insert, jobs
// of a queue it does not serve (ErrUnknownQueue) or a kind it has no
// worker for (ErrUnknownKind), rather than keep jobs it could never run.
func DefaultMemoryOptions() MemoryOptions {
	return MemoryOptions{
		Name:          "testmode.memory",
		Queues:        map[string]QueueOptions{DefaultQueue: {Limit: 10}},
		Workers:       NewWorkers(),
		ShutdownGrace: 15 * time.Second,
		Logger:        slog.New(slog.DiscardHandler),
	}
}

// Validate reports every field that is not usable.
func (o MemoryOptions) Validate() error {
	var c options.Collector
	options.NotEmpty(&c, "Name", o.Name)
	options.Check(&c, len(o.Queues) > 0, "Queues", o.Queues, "must have at least one queue")
	for _, name := range slices.Sorted(maps.Keys(o.Queues)) {
		if name == "" {
			c.Add(`Queues[""]`, name, "queue name must not be empty")
		}
		c.NestedKey("Queues", name, o.Queues[name].Validate())
	}
	options.NotNil(&c, "Workers", o.Workers)
	if o.Workers != nil && len(o.Workers.Kinds()) == 0 {
		c.Add("Workers", "no worker", "must hold a worker: an engine without one could never run a job; "+
			"register them with AddWorker first, usually in the same *Workers as the client's Config.Workers")
	}
	options.NonNegative(&c, "ShutdownGrace", o.ShutdownGrace)
	options.NotNil(&c, "Logger", o.Logger)
	return c.Err()
}

// MemoryEngine is the in-process Engine: named queues, each with a
// concurrency limit, whose jobs run by priority once due, with retries
// after backoff, snoozes, cancellation and per-job timeouts. Its workers
// are tasks of a stopper.Stopper.
//
// It keeps jobs in memory only. Nothing enqueued is lost while the process
// lives, a graceful Stop included (the jobs left are listed by Pending),
// but a crash or exit loses every job not yet final. A program that needs
// jobs to survive a crash implements Engine over a database and runs jobs
// with Workers.Work. Final jobs are not kept, except as long as a unique
// job blocks its duplicates.
//
// Stopping: when the engine's stopper quiesces (Stop, or Parent stopping),
// Insert starts returning ErrEngineStopped, workers take no new jobs, and
// the jobs running go on for ShutdownGrace; then their context is
// cancelled with cause ErrShutdown. A job that returns nil then is
// completed; one that returns Cancel or Snooze gets that outcome; any other
// error returns the job to available without using up an attempt
// (OutcomeReturned).
type MemoryEngine struct {
	opts    MemoryOptions
	tel     *telemetry.Registry
	s       *stopper.Stopper
	env     env
	queues  map[string]*memQueue
	nextID  atomic.Int64
	workers sync.WaitGroup
	clock   clock

	umu  sync.Mutex
	uniq uniqueIndex[*uniqueJob]

	stopping   atomic.Bool
	jobCtx     context.Context
	cancelJobs context.CancelCauseFunc
	graceMu    sync.Mutex
	grace      *time.Timer
}

// uniqueJob is a unique job of a MemoryEngine: the uniqueness index holds
// it, and reads the job's current snapshot from it to answer duplicates.
// Jobs without uniqueness have none; their snapshot travels in their
// queue's heapItem.
type uniqueJob struct {
	row atomic.Pointer[JobRow] // the current snapshot
}

// NewMemoryEngine starts an engine and its workers, or returns an error
// naming every bad field of opts (or ErrUnavailable, wrapped, when Parent is
// stopping).
func NewMemoryEngine(opts MemoryOptions) (*MemoryEngine, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("testmode: invalid memory engine options: %w", err)
	}
	tel := opts.Telemetry
	if tel == nil {
		tel = telemetry.Default()
	}
	e := &MemoryEngine{opts: opts, tel: tel, queues: map[string]*memQueue{}}
	var err error
	if opts.Parent != nil {
		e.s, err = opts.Parent.NewChild(opts.Name)
	} else {
		so := stopper.DefaultOptions()
		so.Name, so.Logger, so.Telemetry = opts.Name, opts.Logger, tel
		e.s, err = stopper.New(so)
	}
	if err != nil {
		return nil, fmt.Errorf("testmode: NewMemoryEngine: %w", err)
	}
	// The jobs' context is a root on purpose: jobs outlive the Insert
	// calls that enqueued them, and only the engine's shutdown ends them.
	e.jobCtx, e.cancelJobs = context.WithCancelCause(context.Background())
	e.env = env{tel: tel, mode: runByEngine, jitter: randomJitter, spawn: e.spawn, wall: &e.clock}
	for name, qo := range opts.Queues {
		q := &memQueue{
			name:  name,
			task:  "testmode.engine: worker " + name,
			avail: jobHeap{byPriority: true},
			ready: make(chan struct{}, qo.Limit),
		}
		e.queues[name] = q
	}
	e.s.AddCloser(stopper.CloserFn(func() {
		e.graceMu.Lock()
		if e.grace != nil {
			e.grace.Stop()
		}
		e.graceMu.Unlock()
		e.cancelJobs(ErrEngineStopped)
	}))
	ctx := context.Background() // the tasks' values; their cancellation is the stopper's
	if err := e.s.RunAsyncTask(ctx, "testmode.engine: shutdown watcher", e.watchShutdown); err != nil {
		return nil, e.abort(err)
	}
	for _, name := range slices.Sorted(maps.Keys(e.queues)) {
		q := e.queues[name]
		for range opts.Queues[name].Limit {
			e.workers.Add(1)
			if err := e.s.RunAsyncTask(ctx, q.task, func(ctx context.Context) {
				defer e.workers.Done()
				e.work(ctx, q)
			}); err != nil {
				e.workers.Done()
				return nil, e.abort(err)
			}
		}
	}
	return e, nil
}

// abort stops a half-started engine.
func (e *MemoryEngine) abort(err error) error {
	_ = e.s.Stop(context.Background()) // its tasks end at quiesce
	return fmt.Errorf("testmode: NewMemoryEngine: %w", err)
}

// Stop stops the engine gracefully (see MemoryEngine) and waits until every
// worker has returned and the stopper has stopped, or until ctx ends: then
// it returns the stopper's *stopper.StuckTasksError naming the jobs' workers
// still running, and the stop goes on in the background. Stop is
// idempotent.
func (e *MemoryEngine) Stop(ctx context.Context) error {
	if err := e.s.Stop(ctx); err != nil {
		return fmt.Errorf("testmode: stopping engine %q: %w", e.opts.Name, err)
	}
	return nil
}

// Stopper returns the stopper the engine's workers run under.
func (e *MemoryEngine) Stopper() *stopper.Stopper { return e.s }

// Pending returns the jobs waiting to run (available, scheduled or
// retryable), by ID. Jobs running at the time are not included; once Stop
// has returned none are, and Pending lists every job that did not reach a
// final state.
func (e *MemoryEngine) Pending() []*JobRow {
	var out []*JobRow
	for _, q := range e.queues {
		q.mu.Lock()
		for i := range q.fifo.n {
			out = append(out, q.fifo.at(i).row)
		}
		for _, h := range []*jobHeap{&q.avail, &q.sched} {
			for _, it := range h.items {
				out = append(out, it.row)
			}
		}
		q.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b *JobRow) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Running returns how many jobs are running now.
func (e *MemoryEngine) Running() int {
	n := 0
	for _, q := range e.queues {
		q.mu.Lock()
		n += q.running
		q.mu.Unlock()
	}
	return n
}

// Insert stores rows as Engine.Insert says. It refuses, storing nothing,
// a nil row, a queue not in MemoryOptions.Queues (ErrUnknownQueue), a
// kind without a worker (ErrUnknownKind), and any row once the engine has
// begun to stop (ErrEngineStopped).
func (e *MemoryEngine) Insert(ctx context.Context, rows []*JobRow) ([]*JobRow, error) {
	if ctx == nil {
		return nil, errors.New("testmode: MemoryEngine.Insert: ctx is nil")
	}
	return e.insertArgs(ctx, rows, nil)
}

// insertArgs is Insert for a Client, which may give with the rows the
// args they were built from (see argsInserter).
func (e *MemoryEngine) insertArgs(ctx context.Context, rows []*JobRow, args []Args) ([]*JobRow, error) {
	if !e.tel.Enabled(EngineInsertSpan.Start) && !e.tel.Enabled(EngineInsertSpan.Stop) && !e.tel.Enabled(EngineInsertSpan.Exception) {
		out, _, err := e.insert(ctx, rows, args)
		return out, err
	}
	var out []*JobRow
	err := e.tel.Span(ctx, EngineInsertSpan, []slog.Attr{slog.String(KeyEngine, e.opts.Name)}, func(ctx context.Context, sc *telemetry.Scope) error {
		var dups int
		var err error
		out, dups, err = e.insert(ctx, rows, args)
		sc.AddMeasurements(telemetry.Int(MeasureJobs, int64(len(rows))), telemetry.Int(MeasureDuplicates, int64(dups)))
		return err
	})
	return out, err
}

// insertOneArgs is insertArgs for one row (see argsInserter).
func (e *MemoryEngine) insertOneArgs(ctx context.Context, row *JobRow, args Args) (*JobRow, error) {
	out, err := e.insertArgs(ctx, []*JobRow{row}, []Args{args})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (e *MemoryEngine) insert(ctx context.Context, rows []*JobRow, args []Args) ([]*JobRow, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, context.Cause(ctx)
	}
	if e.stopping.Load() {
		return nil, 0, fmt.Errorf("%w: %q", ErrEngineStopped, e.opts.Name)
	}
	var errs []error
	var q0 *memQueue // the queue of rows[0]
	for i, row := range rows {
		var q *memQueue
		if row != nil {
			q = e.queues[row.Queue]
		}
		if i == 0 {
			q0 = q
		}
		switch {
		case row == nil:
			errs = append(errs, fmt.Errorf("rows[%d] is nil", i))
		case q == nil:
			errs = append(errs, fmt.Errorf("rows[%d]: %w: %q (engine %q serves %q; add the queue to MemoryOptions.Queues)",
				i, ErrUnknownQueue, row.Queue, e.opts.Name, slices.Sorted(maps.Keys(e.queues))))
		default:
			if _, ok := e.opts.Workers.lookup(row.Kind); !ok {
				errs = append(errs, fmt.Errorf("rows[%d]: %w %q in engine %q (it runs %q; build it with the client's Workers as MemoryOptions.Workers)",
					i, ErrUnknownKind, row.Kind, e.opts.Name, e.opts.Workers.Kinds()))
			}
		}
	}
	if len(errs) > 0 {
		return nil, 0, errors.Join(errs...)
	}
	now := e.clock.now()
	out := rows // the stored rows are the given ones; a duplicate copies the slice first
	dups := 0
	for i, row := range rows {
		row.InsertedAt = now
		row.State = StateAvailable
		due := !row.ScheduledAt.After(now)
		if !due {
			row.State = StateScheduled
		}
		it := heapItem{prio: row.Priority, at: dueNanos(row.ScheduledAt), row: row}
		if args != nil {
			it.args = args[i]
		}
		if row.UniqueKey != "" {
			e.umu.Lock()
			if blocker, ok := e.uniq.find(row.UniqueKey, now); ok {
				e.umu.Unlock()
				dup := blocker.row.Load().clone()
				dup.Duplicate = true
				if dups == 0 {
					out = slices.Clone(rows)
				}
				out[i] = dup
				dups++
				continue
			}
			row.ID = e.nextID.Add(1)
			it.uj = &uniqueJob{}
			it.uj.row.Store(row)
			e.uniq.add(row.UniqueKey, it.uj, now.Add(row.UniquePeriod), now)
			e.umu.Unlock()
		} else {
			row.ID = e.nextID.Add(1)
		}
		it.id = row.ID
		q := q0
		if i > 0 {
			q = e.queues[row.Queue]
		}
		q.mu.Lock()
		q.push(it, due)
		q.mu.Unlock()
		q.wake()
	}
	return out, dups, nil
}

// work is one worker of q: it runs due jobs until the stopper quiesces,
// and files the outcome of the last one before it returns.
func (e *MemoryEngine) work(ctx context.Context, q *memQueue) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var scratch JobRow
	var done heapItem // the job whose attempt just ended; done.row is nil when none
	// now is the time, read before each step. After an attempt, the time
	// the attempt ended serves: it was read a moment ago.
	var now time.Time
	fresh := false
	// The runner of the last kind run: a kind's runner never changes once
	// registered.
	var lastKind string
	var lastRunner runner
	for {
		take := ctx.Err() == nil
		stored, requeued := outcome(done, &scratch)
		if !fresh {
			now = e.clock.now()
		}
		fresh = false
		next, wait := q.step(done, stored, requeued, now, take)
		if done.row != nil {
			e.settle(q, done, &scratch, requeued)
			done = heapItem{}
		}
		if !take {
			return
		}
		if next.row != nil {
			// The attempt works on the worker's scratch row, a copy of the
			// snapshot (snapshots never change): the stored snapshot keeps
			// the job's state before the attempt until step files the
			// outcome.
			scratch = *next.row
			if scratch.InsertedAt.After(now) || scratch.ScheduledAt.After(now) {
				// now was read before the job was queued: an attempt
				// starts after its job is due and inserted.
				now = e.clock.now()
			}
			startAttempt(&scratch, now)
			if lastRunner == nil || scratch.Kind != lastKind {
				lastKind = scratch.Kind
				lastRunner, _ = e.opts.Workers.lookup(lastKind)
			}
			res := e.env.attempt(e.jobCtx, lastRunner, &scratch, next.args)
			// On the wall clock, attempt measures Duration from
			// AttemptedAt to the time it read at the attempt's end.
			now, fresh = scratch.AttemptedAt.Add(res.Duration), true
			done = next
			continue
		}
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-q.ready:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
}

// outcome returns what step files of done, the job whose attempt just
// ended in scratch (none when done.row is nil): the job's new snapshot, if
// it lives on, and whether it goes back to its queue.
func outcome(done heapItem, scratch *JobRow) (stored *JobRow, requeued bool) {
	if done.row == nil {
		return nil, false
	}
	requeued = !scratch.State.Final()
	if requeued || done.uj != nil {
		// The job lives on (or blocks duplicates): its outcome becomes
		// its snapshot. A job that ended without uniqueness is dropped,
		// and its scratch row with it.
		stored = scratch.clone()
		if done.uj != nil {
			done.uj.row.Store(stored)
		}
	}
	return stored, requeued
}

// settle follows step's filing of done, whose attempt ended in scratch: a
// requeued job wakes a worker; a unique job that ended other than
// completed frees its unique key.
func (e *MemoryEngine) settle(q *memQueue, done heapItem, scratch *JobRow, requeued bool) {
	if requeued {
		q.wake()
	} else if done.uj != nil && scratch.State != StateCompleted {
		e.umu.Lock()
		e.uniq.release(scratch.UniqueKey, done.uj)
		e.umu.Unlock()
	}
}

// spawn runs the Perform of a job with a timeout as a task of its own, so
// that one that never returns is named when the engine stops.
func (e *MemoryEngine) spawn(fn func()) bool {
	return e.s.RunAsyncTask(e.jobCtx, "testmode.engine: perform with timeout", func(context.Context) { fn() }) == nil
}

// watchShutdown waits for the stopper to quiesce, then refuses inserts,
// arms the shutdown grace and reports the shutdown until the workers have
// returned.
func (e *MemoryEngine) watchShutdown(ctx context.Context) {
	<-ctx.Done()
	meta := []slog.Attr{slog.String(KeyEngine, e.opts.Name)}
	// The span outlives the task's cancelled context; keep its values only.
	_ = e.tel.Span(context.WithoutCancel(ctx), EngineShutdownSpan, meta, func(_ context.Context, sc *telemetry.Scope) error {
		e.stopping.Store(true)
		if e.opts.ShutdownGrace == 0 {
			e.cancelJobs(ErrShutdown)
		} else {
			e.graceMu.Lock()
			e.grace = time.AfterFunc(e.opts.ShutdownGrace, func() { e.cancelJobs(ErrShutdown) })
			e.graceMu.Unlock()
		}
		e.workers.Wait()
		if sc != nil {
			sc.AddMeasurements(telemetry.Int(MeasurePending, int64(len(e.Pending()))))
		}
		return nil
	})
}
