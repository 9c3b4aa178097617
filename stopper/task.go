package stopper

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// TaskOpts configures one asynchronous task.
type TaskOpts struct {
	// Name names the task in reports; by convention
	// "<package>.<component>: <what it does>". It must not be empty.
	Name string
	// Limiter, when not nil, bounds how many tasks sharing it run at once.
	Limiter *Limiter
	// WaitForLimiter makes RunAsyncTaskEx wait for a free slot (until ctx
	// is cancelled or the stopper quiesces) instead of returning
	// ErrThrottled when the limiter is full.
	WaitForLimiter bool
	// NoCancelOnQuiesce keeps the task's context alive when the stopper
	// quiesces. Stop still waits for the task, so it must end by itself.
	NoCancelOnQuiesce bool
}

// taskKey finds the innermost task context in a context chain; the value
// is a taskMark.
type taskKey struct{}

// taskMark names the stopper a task belongs to and the context the task was
// started with, where outer task marks may be found.
type taskMark struct {
	s     *Stopper
	outer context.Context
}

// taskCtx is the context a task runs with. It marks the task as belonging to
// s (so Stop and Quiesce can refuse to wait for themselves) and, unless
// inherit is set, takes its values from parent and its cancellation from the
// stopper alone.
type taskCtx struct {
	parent    context.Context
	s         *Stopper
	inherit   bool // cancellation and deadline come from parent
	neverDone bool // parent.Done() is nil: parent can never be cancelled
}

func (c *taskCtx) Deadline() (time.Time, bool) {
	if c.inherit {
		return c.parent.Deadline()
	}
	return time.Time{}, false
}

func (c *taskCtx) Done() <-chan struct{} {
	if c.inherit {
		return c.parent.Done()
	}
	return c.s.qctx.Done()
}

func (c *taskCtx) Err() error {
	if c.inherit {
		return c.parent.Err()
	}
	return c.s.qctx.Err()
}

func (c *taskCtx) Value(key any) any {
	if key == (taskKey{}) {
		return taskMark{s: c.s, outer: c.parent}
	}
	if !c.inherit && isCancelKey(key) {
		// Lets context.Cause and derived contexts find the stopper's
		// cancellation (and its cause, ErrQuiescing) rather than the
		// parent's.
		return c.s.qctx.Value(key)
	}
	return c.parent.Value(key)
}

func (c *taskCtx) String() string { return "stopper.taskCtx(" + c.s.opts.Name + ")" }

// detachedCtx returns a context with parent's values whose cancellation is
// the stopper's quiesce. Consecutive calls with the same parent share one.
func (s *Stopper) detachedCtx(parent context.Context) *taskCtx {
	if c := s.lastCtx.Load(); c != nil && sameCtx(c.parent, parent) {
		return c
	}
	c := &taskCtx{parent: parent, s: s}
	s.lastCtx.Store(c)
	return c
}

// checkArgs validates what every Run* method takes. The hot methods test
// the arguments inline and call it only to describe a bad one.
func checkArgs(method string, ctx context.Context, name string, fnNil bool) error {
	switch {
	case ctx == nil:
		return fmt.Errorf("stopper: %s: ctx is nil", method)
	case name == "":
		return fmt.Errorf("stopper: %s: task name is empty", method)
	case fnNil:
		return fmt.Errorf("stopper: %s: task %q: function is nil", method, name)
	}
	return nil
}

// funcPtr returns the record a non-nil func value points to, whose first
// word is the entry of the code it runs: what reflect.Value.Pointer returns
// for a func, without reflect's cost. A task keeps it and reports read the
// entry only when they need it.
func funcPtr[F ~func(context.Context) | ~func(context.Context) error | ~func()](f F) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&f))
}

// funcPC returns the entry of the code a non-nil func value runs.
func funcPC[F ~func(context.Context) | ~func(context.Context) error | ~func()](f F) uintptr {
	return *(*uintptr)(funcPtr(f))
}

// RunTask runs f in the calling goroutine as a task of the stopper. It
// returns ErrUnavailable without calling f when the stopper is quiescing.
// f's context is ctx, also cancelled (cause ErrQuiescing) when the stopper
// quiesces. Under RecoverOnPanic a panic in f is returned as a
// *TaskPanicError.
func (s *Stopper) RunTask(ctx context.Context, name string, f func(context.Context)) error {
	if ctx == nil || name == "" || f == nil {
		return checkArgs("RunTask", ctx, name, f == nil)
	}
	if s.quiescing.Load() {
		return ErrUnavailable
	}
	return s.runSync(ctx, name, funcPtr(f), taskFn{plain: f})
}

// RunTaskWithErr is RunTask for a function that returns an error, which it
// returns.
func (s *Stopper) RunTaskWithErr(ctx context.Context, name string, f func(context.Context) error) error {
	if ctx == nil || name == "" || f == nil {
		return checkArgs("RunTaskWithErr", ctx, name, f == nil)
	}
	if s.quiescing.Load() {
		return ErrUnavailable
	}
	return s.runSync(ctx, name, funcPtr(f), taskFn{withErr: f})
}

// taskFn is a task's function in either of its forms, called without a
// wrapping closure.
type taskFn struct {
	plain   func(context.Context)
	withErr func(context.Context) error
}

func (f taskFn) call(ctx context.Context) error {
	if f.withErr != nil {
		return f.withErr(ctx)
	}
	f.plain(ctx)
	return nil
}

// runSync runs a synchronous task whose function is f, and fn its record
// (see funcPtr). Its callers have checked the arguments and, without a lock,
// that the stopper is not quiescing.
func (s *Stopper) runSync(ctx context.Context, name string, fn unsafe.Pointer, f taskFn) (err error) {
	ref, ok := s.admit(shardHint(), name, fn)
	if !ok {
		return ErrUnavailable
	}
	var tctx context.Context
	var lazy *lazyCtx
	if c := s.lastCtx.Load(); c != nil && c.neverDone && sameCtx(c.parent, ctx) {
		tctx = c // the common case: the caller's context can never be cancelled and is the previous task's
	} else {
		tctx, lazy = s.syncCtx(ctx)
	}
	defer func() {
		if lazy != nil {
			lazy.release()
		}
		s.release(ref)
		if v := recover(); v != nil {
			err = s.taskPanicked(ctx, name, v, debug.Stack())
		}
	}()
	if s.taskSpanObserved() {
		return s.spanned(tctx, name, false, f)
	}
	return f.call(tctx)
}

// syncCtx returns the context of a synchronous task: ctx, also cancelled
// at quiesce. When ctx can be cancelled it returns the lazyCtx to release
// when the task is done. runSync first tries the context shared with the
// previous task, which syncCtx stores when ctx can never be cancelled.
func (s *Stopper) syncCtx(ctx context.Context) (context.Context, *lazyCtx) {
	if ctx.Done() == nil {
		// ctx can never be cancelled, so the stopper's quiesce is the only
		// cancellation: the cheap shared context does.
		c := &taskCtx{parent: ctx, s: s, neverDone: true}
		s.lastCtx.Store(c)
		return c, nil
	}
	c := &lazyCtx{parent: ctx, s: s}
	return c, c
}

// lazyCtx is a synchronous task's context when the caller's context can be
// cancelled: cancelled by the caller or by quiesce, whichever comes first.
// Merging two cancellations costs a context, two registrations and a lock on
// the stopper's quiesce context, so it is built only when somebody needs a
// channel or a cause (Done, context.Cause, a derived context); Err alone is
// answered without it.
type lazyCtx struct {
	parent context.Context
	s      *Stopper
	mu     sync.Mutex
	merged atomic.Pointer[mergedCtx] // nil until built
	done   bool                      // the task returned
}

type mergedCtx struct {
	context.Context
	cancel context.CancelCauseFunc
	stop   func() bool
}

// cancelledCtx stands in for the merged context of a task that returned
// before anybody asked for it.
var cancelledCtx = func() *mergedCtx {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(context.Canceled)
	return &mergedCtx{Context: ctx, cancel: cancel, stop: func() bool { return false }}
}()

func (c *lazyCtx) build() *mergedCtx {
	if m := c.merged.Load(); m != nil {
		return m
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.merged.Load(); m != nil {
		return m
	}
	m := cancelledCtx
	if !c.done {
		ctx, cancel := context.WithCancelCause(c.parent)
		stop := func() bool { return false }
		if c.s.qctx.Err() != nil {
			cancel(ErrQuiescing) // now, not from AfterFunc's goroutine
		} else {
			stop = context.AfterFunc(c.s.qctx, func() { cancel(ErrQuiescing) })
		}
		m = &mergedCtx{Context: ctx, cancel: cancel, stop: stop}
	}
	c.merged.Store(m)
	return m
}

// release ends the context when the task returns.
func (c *lazyCtx) release() {
	c.mu.Lock()
	c.done = true
	m := c.merged.Load()
	if m == nil {
		c.merged.Store(cancelledCtx)
	}
	c.mu.Unlock()
	if m != nil {
		m.stop()
		m.cancel(context.Canceled)
	}
}

func (c *lazyCtx) Deadline() (time.Time, bool) { return c.parent.Deadline() }
func (c *lazyCtx) Done() <-chan struct{}       { return c.build().Done() }

func (c *lazyCtx) Err() error {
	if m := c.merged.Load(); m != nil {
		return m.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if c.s.qctx.Err() != nil {
		return context.Canceled
	}
	return nil
}

func (c *lazyCtx) Value(key any) any {
	switch {
	case key == (taskKey{}):
		return taskMark{s: c.s, outer: c.parent}
	case isCancelKey(key):
		// context.Cause and derived contexts look for the cancellation
		// behind this key; it is the merged one.
		return c.build().Value(key)
	}
	return c.parent.Value(key)
}

func (c *lazyCtx) String() string { return "stopper.lazyCtx(" + c.s.opts.Name + ")" }

// probe recognises the standard library's private key for "the cancelCtx
// behind this context": a cancelCtx answers that key, and only that key,
// with itself.
var probe, _ = context.WithCancel(context.Background())

func isCancelKey(key any) bool {
	v := probe.Value(key)
	return v != nil && v == any(probe)
}

// taskSpanObserved reports whether a handler listens to the task span.
func (s *Stopper) taskSpanObserved() bool {
	return s.tel != nil && (s.tel.Enabled(TaskSpan.Start) || s.tel.Enabled(TaskSpan.Stop) || s.tel.Enabled(TaskSpan.Exception))
}

// spanned runs f inside a task span.
func (s *Stopper) spanned(ctx context.Context, name string, async bool, f taskFn) error {
	meta := []slog.Attr{slog.String("stopper", s.opts.Name), slog.String("task", name), slog.Bool("async", async)}
	return s.tel.Span(ctx, TaskSpan, meta, func(ctx context.Context, _ *telemetry.Scope) error { return f.call(ctx) })
}

// taskPanicked reports a recovered task panic. Under RepanicOnPanic it
// re-panics; it must therefore be called from the deferred function that
// recovered, so the panicking frames are still on the stack.
func (s *Stopper) taskPanicked(ctx context.Context, name string, v any, stack []byte) error {
	perr := &TaskPanicError{Task: name, Value: v, Stack: stack}
	s.opts.Logger.LogAttrs(context.WithoutCancel(ctx), slog.LevelError, "stopper: task panicked",
		slog.String("stopper", s.opts.Name), slog.String("task", name), slog.Any("panic", v),
		slog.String("stack", string(stack)), slog.String("policy", string(s.opts.OnPanic)))
	if s.opts.OnPanic == RepanicOnPanic {
		panic(v)
	}
	s.mu.Lock()
	s.panics = append(s.panics, perr)
	s.mu.Unlock()
	s.beginAll(ctx)
	return perr
}

// RunAsyncTask runs f in a new goroutine as a task of the stopper. It
// returns ErrUnavailable without starting f when the stopper is quiescing.
//
// f's context keeps ctx's values but not its cancellation or deadline: a
// request that ends must not kill the work it started. It is cancelled, with
// cause ErrQuiescing, when the stopper quiesces. The goroutine carries the
// pprof label ecopatterns.stopper=<name>#<id>, so goroutine profiles can be
// filtered to the stopper's tasks.
func (s *Stopper) RunAsyncTask(ctx context.Context, name string, f func(context.Context)) error {
	if ctx == nil || name == "" || f == nil {
		return checkArgs("RunAsyncTask", ctx, name, f == nil)
	}
	if s.quiescing.Load() {
		return ErrUnavailable
	}
	return s.runAsync(ctx, name, nil, false, f)
}

// RunAsyncTaskEx is RunAsyncTask with options: a limiter bounding
// concurrency (ErrThrottled when it is full and WaitForLimiter is false; a
// wait ends with ctx's error when ctx is cancelled and with ErrUnavailable
// when the stopper quiesces), and opting out of quiesce cancellation.
func (s *Stopper) RunAsyncTaskEx(ctx context.Context, opts TaskOpts, f func(context.Context)) error {
	if ctx == nil || opts.Name == "" || f == nil {
		return checkArgs("RunAsyncTaskEx", ctx, opts.Name, f == nil)
	}
	if s.quiescing.Load() {
		return ErrUnavailable
	}
	if opts.Limiter != nil {
		if err := opts.Limiter.acquire(ctx, s, opts.WaitForLimiter); err != nil {
			return err
		}
	}
	err := s.runAsync(ctx, opts.Name, opts.Limiter, opts.NoCancelOnQuiesce, f)
	if err != nil && opts.Limiter != nil {
		opts.Limiter.release()
	}
	return err
}

func (s *Stopper) runAsync(ctx context.Context, name string, lim *Limiter, noCancel bool, f func(context.Context)) error {
	ref, ok := s.admit(rand.Uint32(), name, funcPtr(f))
	if !ok {
		return ErrUnavailable
	}
	var tctx *taskCtx
	if noCancel {
		tctx = &taskCtx{parent: context.WithoutCancel(ctx), s: s, inherit: true}
	} else {
		tctx = s.detachedCtx(ctx)
	}
	// The goroutine keeps three words, four with a limiter (the stopper is
	// tctx.s, and the name stays in the task's slot, read back only for a
	// span or a panic report), so that the one allocation a task costs
	// stays small.
	if lim == nil {
		go asyncTask(tctx, ref, nil, f)
	} else {
		go asyncTask(tctx, ref, lim, f)
	}
	return nil
}

// asyncTask is the body of an asynchronous task's goroutine: it runs f
// under the stopper's label and panic policy, then releases the task's
// limiter slot and its own.
func asyncTask(tctx *taskCtx, ref slotRef, lim *Limiter, f func(context.Context)) {
	s := tctx.s
	defer func() {
		v := recover()
		var name string
		if v != nil {
			name = s.slotName(ref)
		}
		// The limiter slot is freed first, so a drained stopper has
		// freed every slot its tasks held.
		if lim != nil {
			lim.release()
		}
		s.release(ref)
		if v != nil {
			_ = s.taskPanicked(tctx, name, v, debug.Stack())
		}
	}()
	pprof.SetGoroutineLabels(s.labels)
	if s.taskSpanObserved() {
		_ = s.spanned(tctx, s.slotName(ref), true, taskFn{plain: f})
		return
	}
	f(tctx)
}

// RunPeriodic runs fn every interval in an asynchronous task until the
// stopper quiesces. The first run is one interval after the call. A run that
// takes longer than interval delays the next one; runs never overlap. It
// returns ErrUnavailable when the stopper is quiescing and an error for a
// non-positive interval.
func (s *Stopper) RunPeriodic(ctx context.Context, name string, interval time.Duration, fn func(context.Context)) error {
	if err := checkArgs("RunPeriodic", ctx, name, fn == nil); err != nil {
		return err
	}
	if interval <= 0 {
		return fmt.Errorf("stopper: RunPeriodic: task %q: interval %s must be > 0", name, interval)
	}
	if s.quiescing.Load() {
		return ErrUnavailable
	}
	return s.runAsync(ctx, name, nil, false, func(ctx context.Context) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	})
}

// RunDelayed runs fn once, after delay, in an asynchronous task; when the
// stopper quiesces first, fn never runs. It returns ErrUnavailable when the
// stopper is quiescing and an error for a negative delay.
func (s *Stopper) RunDelayed(ctx context.Context, name string, delay time.Duration, fn func(context.Context)) error {
	if err := checkArgs("RunDelayed", ctx, name, fn == nil); err != nil {
		return err
	}
	if delay < 0 {
		return fmt.Errorf("stopper: RunDelayed: task %q: delay %s must be >= 0", name, delay)
	}
	if s.quiescing.Load() {
		return ErrUnavailable
	}
	return s.runAsync(ctx, name, nil, false, func(ctx context.Context) {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			fn(ctx)
		}
	})
}
