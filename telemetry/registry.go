package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
)

// Errors returned by Attach and Detach.
var (
	// ErrHandlerExists is returned by Attach when the id is already attached.
	ErrHandlerExists = errors.New("telemetry: handler id already attached")
	// ErrHandlerNotFound is returned by Detach for an id that is not
	// attached.
	ErrHandlerNotFound = errors.New("telemetry: handler id not attached")
)

// Registry delivers emitted events to the handlers attached to them.
// Instances are independent; create one per process (or per test) with New.
//
// A nil *Registry is a valid registry with no handlers: every emit on it is
// a cheap no-op, so packages can emit unconditionally. Attach on a nil
// Registry returns an error.
//
// All methods are safe for concurrent use. Emits take no lock: Attach and
// Detach publish a new immutable snapshot of the handler list, and an emit
// delivers to the handlers of the snapshot it loaded when it began.
type Registry struct {
	opts  Options
	mu    sync.Mutex // serializes Attach and Detach
	snap  atomic.Pointer[snapshot]
	clock clock
}

// snapshot is an immutable handler list in attach order. A registry with
// no handlers holds a nil snapshot, which the emit fast path tests.
type snapshot struct {
	handlers []*attachment
}

type attachment struct {
	id       string
	patterns []string
	handle   func(context.Context, *Event)                 // the handler's method, bound once at Attach
	start    func(context.Context, *Event) context.Context // HandleStart of a StartHandler, or nil
	failures atomic.Int64
	detached atomic.Bool
}

// dispatch is the handlers of one snapshot that match one name, cached on
// the Name.
type dispatch struct {
	snap     *snapshot
	handlers []target
}

// target is one handler of a dispatch, with its methods copied beside it so
// that delivering calls them without first loading the attachment.
type target struct {
	a      *attachment
	handle func(context.Context, *Event)
	start  func(context.Context, *Event) context.Context
}

// New returns a Registry with no handlers. It returns an error naming every
// bad field when opts does not validate.
func New(opts Options) (*Registry, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("telemetry: invalid options: %w", err)
	}
	return &Registry{opts: opts}, nil
}

var defaultRegistry atomic.Pointer[Registry]

// SetDefault installs r as the process default registry returned by
// [Default]; nil removes it. It is opt-in: nothing is installed unless the
// program calls SetDefault.
func SetDefault(r *Registry) { defaultRegistry.Store(r) }

// Default returns the registry installed by [SetDefault], or nil (a no-op
// registry) when none is. ecopatterns packages call it exactly once per
// component, in their constructor, when their Options.Telemetry is nil; a
// registry installed later is not seen by components built earlier. Call
// SetDefault in main before building anything.
func Default() *Registry { return defaultRegistry.Load() }

// Attach registers h under id for every event whose name equals one of
// patterns or lies below it: pattern "ecopatterns.stopper" receives
// "ecopatterns.stopper.task.start" and every other stopper event. Handlers
// run in the order they were attached.
//
// Patterns are validated with the rules of [NewName], so a malformed one
// is refused rather than silently matching nothing. Build them from the
// typed names an emitter declares, with [Patterns], and a misspelled event
// name becomes a compile error:
//
//	err := reg.Attach("tasks", telemetry.Patterns(stopper.TaskSpan, stopper.DrainStalled), h)
//
// It returns ErrHandlerExists when id is in use, and an error when id is
// empty, patterns is empty or holds an invalid name, or h is nil.
func (r *Registry) Attach(id string, patterns []string, h Handler) error {
	if r == nil {
		return errors.New("telemetry: Attach on a nil Registry")
	}
	if id == "" {
		return errors.New("telemetry: Attach: handler id is empty")
	}
	if h == nil {
		return fmt.Errorf("telemetry: Attach %q: handler is nil", id)
	}
	if f, ok := h.(HandlerFunc); ok && f == nil {
		return fmt.Errorf("telemetry: Attach %q: handler is a nil HandlerFunc", id)
	}
	if len(patterns) == 0 {
		return fmt.Errorf("telemetry: Attach %q: no event names or prefixes to attach to", id)
	}
	for _, p := range patterns {
		if err := validName(p); err != nil {
			return fmt.Errorf("telemetry: Attach %q: %w", id, err)
		}
	}
	a := &attachment{id: id, patterns: slices.Clone(patterns), handle: h.Handle}
	if f, ok := h.(HandlerFunc); ok {
		a.handle = f // skips one indirect call per event
	}
	if sh, ok := h.(StartHandler); ok {
		a.start = sh.HandleStart
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	var hs []*attachment
	if s := r.snap.Load(); s != nil {
		hs = s.handlers
	}
	for _, other := range hs {
		if other.id == id {
			return fmt.Errorf("%w: %q", ErrHandlerExists, id)
		}
	}
	next := make([]*attachment, len(hs), len(hs)+1)
	copy(next, hs)
	r.snap.Store(&snapshot{handlers: append(next, a)})
	return nil
}

// Detach removes the handler attached under id. Emits already in progress
// may still deliver to it; later emits do not. It returns ErrHandlerNotFound
// when no handler has that id.
func (r *Registry) Detach(id string) error {
	if r == nil {
		return fmt.Errorf("%w: %q (nil Registry)", ErrHandlerNotFound, id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.snap.Load()
	if s != nil {
		for i, a := range s.handlers {
			if a.id != id {
				continue
			}
			a.detached.Store(true)
			if len(s.handlers) == 1 {
				r.snap.Store(nil)
				return nil
			}
			next := make([]*attachment, 0, len(s.handlers)-1)
			next = append(next, s.handlers[:i]...)
			next = append(next, s.handlers[i+1:]...)
			r.snap.Store(&snapshot{handlers: next})
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrHandlerNotFound, id)
}

// HandlerInfo describes an attached handler.
type HandlerInfo struct {
	// ID is the id the handler was attached under.
	ID string
	// Patterns are the event names and prefixes it receives.
	Patterns []string
	// Failures counts the handler's panics.
	Failures int64
}

// Handlers lists the attached handlers in attach order.
func (r *Registry) Handlers() []HandlerInfo {
	if r == nil {
		return nil
	}
	s := r.snap.Load()
	if s == nil {
		return nil
	}
	out := make([]HandlerInfo, len(s.handlers))
	for i, a := range s.handlers {
		out[i] = HandlerInfo{ID: a.id, Patterns: slices.Clone(a.patterns), Failures: a.failures.Load()}
	}
	return out
}

// ListHandlers lists, in attach order, the handlers attached under prefix:
// those with a pattern equal to prefix or below it, as :telemetry's
// list_handlers/1 does. prefix "ecopatterns.stopper" lists a handler
// attached to "ecopatterns.stopper.task.stop", not one attached to
// "ecopatterns" (which receives the stopper's events too; [Registry.Enabled]
// answers whether anyone receives an event). An empty prefix lists every
// handler. It returns an error naming prefix when prefix is not empty and
// not a valid name.
func (r *Registry) ListHandlers(prefix string) ([]HandlerInfo, error) {
	if prefix != "" {
		if err := validName(prefix); err != nil {
			return nil, fmt.Errorf("telemetry: ListHandlers: prefix: %w", err)
		}
	}
	var out []HandlerInfo
	for _, h := range r.Handlers() {
		if prefix == "" || slices.ContainsFunc(h.Patterns, func(p string) bool { return matches(p, prefix) }) {
			out = append(out, h)
		}
	}
	return out, nil
}

// Enabled reports whether any handler is attached to name, so an emitter can
// skip building metadata nobody receives. With no handler attached to the
// registry it costs one atomic load.
func (r *Registry) Enabled(name Name) bool {
	return len(r.handlersFor(name)) > 0
}

// handlersFor returns the handlers attached to name, in attach order.
func (r *Registry) handlersFor(name Name) []target {
	if r == nil || name.s == nil {
		return nil
	}
	s := r.snap.Load()
	if s == nil {
		return nil
	}
	if d := name.s.cache.Load(); d != nil && d.snap == s {
		return d.handlers
	}
	d := &dispatch{snap: s}
	for _, a := range s.handlers {
		for _, p := range a.patterns {
			if matches(name.s.name, p) {
				d.handlers = append(d.handlers, target{a: a, handle: a.handle, start: a.start})
				break
			}
		}
	}
	name.s.cache.Store(d)
	return d.handlers
}

// pooledEvent is the reusable memory of one emit.
type pooledEvent struct {
	ev   Event
	meas []Measurement
	meta []slog.Attr
}

var eventPool = sync.Pool{New: func() any { return new(pooledEvent) }}

// release returns p to its pool, clearing the caller's values so that the
// pool keeps none alive; the event points only to names, locations and p's
// own slices, and is overwritten whole before its next use.
func (p *pooledEvent) release() {
	clear(p.meas)
	clear(p.meta)
	p.meas, p.meta = p.meas[:0], p.meta[:0]
	eventPool.Put(p)
}

// Emit delivers a point event to the handlers attached to name. Use names in
// the past tense ("ecopatterns.discovery.target.added"). measurements and
// metadata are copied, so callers may reuse them; with no handler attached
// Emit returns at once and allocates nothing.
func (r *Registry) Emit(ctx context.Context, name Name, measurements []Measurement, metadata ...slog.Attr) {
	// Kept small enough to inline, so an emit with no handler attached costs
	// the caller one atomic load.
	if r != nil && r.snap.Load() != nil {
		r.emit(ctx, name, measurements, metadata)
	}
}

func (r *Registry) emit(ctx context.Context, name Name, measurements []Measurement, metadata []slog.Attr) {
	hs := r.handlersFor(name)
	if len(hs) == 0 {
		return
	}
	p := eventPool.Get().(*pooledEvent)
	wall, mono := r.clock.now()
	p.meas = append(p.meas, measurements...)
	p.meta = append(p.meta, metadata...)
	p.ev = Event{
		Name:         name,
		Time:         wallTime(wall),
		Monotonic:    mono,
		ParentID:     spanIDFrom(ctx),
		Measurements: p.meas,
		Metadata:     p.meta,
	}
	r.deliver(ctx, hs, &p.ev)
	p.release()
}

// deliverStart delivers a span's start event and returns the context the
// span's function runs with: ctx as shaped by the StartHandlers among hs.
func (r *Registry) deliverStart(ctx context.Context, hs []target, e *Event) context.Context {
	for i := 0; i < len(hs); {
		i, ctx = r.deliverFrom(ctx, hs, e, i, true)
	}
	return ctx
}

// deliver calls the handlers in order. A panicking handler is reported and
// delivery goes on with the next one; the emitter never sees the panic.
func (r *Registry) deliver(ctx context.Context, hs []target, e *Event) {
	for i := 0; i < len(hs); {
		i, _ = r.deliverFrom(ctx, hs, e, i, false)
	}
}

// deliverFrom calls hs[i:] and returns len(hs), or, when a handler panics,
// the index of the handler after it. One deferred recover covers the whole
// run instead of one per handler. With start set, e is a span's start
// event: StartHandlers may shape the context, which the later handlers get
// and deliverFrom returns; otherwise every handler gets ctx.
func (r *Registry) deliverFrom(ctx context.Context, hs []target, e *Event, i int, start bool) (next int, out context.Context) {
	out = ctx
	defer func() {
		if v := recover(); v != nil {
			r.handlerFailed(ctx, hs[next].a, e, v, debug.Stack())
			next++
		}
	}()
	for next = i; next < len(hs); next++ {
		t := &hs[next]
		switch {
		case t.a.detached.Load():
		case start && t.start != nil:
			if c := t.start(out, e); c != nil {
				out = c
			}
		default:
			t.handle(out, e)
		}
	}
	return next, out
}

func (r *Registry) handlerFailed(ctx context.Context, a *attachment, e *Event, v any, stack []byte) {
	n := a.failures.Add(1)
	detach := false
	switch r.opts.OnHandlerFailure {
	case DetachOnFailure:
		detach = true
	case DetachAfterFailures:
		detach = n >= int64(r.opts.MaxHandlerFailures)
	}
	if detach {
		// Another goroutine may have detached it concurrently; that is fine.
		_ = r.Detach(a.id)
	}
	perr := &PanicError{Value: v, Stack: stack}
	r.opts.Logger.LogAttrs(ctx, slog.LevelError, "telemetry: handler panicked",
		slog.String(KeyHandler, a.id), slog.String(KeyEvent, e.Name.String()),
		slog.Any(KeyError, perr), slog.Int64("failures", n), slog.Bool("detached", detach))
	if e.Name.s == HandlerFailed.s {
		return // never report a failure of a failure handler as an event
	}
	r.Emit(ctx, HandlerFailed, []Measurement{Int("failures", n)},
		slog.String(KeyHandler, a.id),
		slog.String(KeyEvent, e.Name.String()),
		slog.Any(KeyError, perr),
		slog.String(KeyStack, string(stack)))
}

// PanicError carries a recovered panic value and the stack of the goroutine
// that panicked.
//
// stopper, discovery and testmode each define a panic error of the same
// shape (the value, the stack, Unwrap to an error value) rather than share
// this one, deliberately: each names what panicked in its own terms (a
// stopper's task or closer, a discovery provider, a job's attempt), its
// message starts with its package's name as every error of the project
// does, and errors.As on it tells which layer recovered the panic. A shared
// type would make three packages import telemetry for an error type alone,
// and one errors.As target would match panics recovered anywhere.
type PanicError struct {
	Value any
	Stack []byte
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
