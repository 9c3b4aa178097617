package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"
)

// spanContext carries the id of the running span to the span's function, so
// events it emits name their parent. It holds no reference to pooled memory,
// so a function may keep it after the span ends.
type spanContext struct {
	context.Context
	id SpanID
}

type spanKey struct{}

func (c *spanContext) Value(key any) any {
	if key == (spanKey{}) {
		return c.id
	}
	return c.Context.Value(key)
}

// spanIDFrom returns the id of the innermost span running in ctx, or zero.
func spanIDFrom(ctx context.Context) SpanID {
	if ctx == nil {
		return 0
	}
	if c, ok := ctx.(*spanContext); ok {
		return c.id
	}
	id, _ := ctx.Value(spanKey{}).(SpanID)
	return id
}

// SpanIDFromContext returns the id of the innermost span whose function
// received ctx (or a context derived from it), or zero when there is none or
// no handler was attached to that span.
func SpanIDFromContext(ctx context.Context) SpanID { return spanIDFrom(ctx) }

// Scope lets a span's function add measurements and metadata to the span's
// stop or exception event. A nil *Scope (what the function receives when no
// handler is attached to the span) accepts and drops everything, so the
// function never needs to check.
//
// A Scope is valid only until the function returns; it must not be kept or
// used from other goroutines.
type Scope struct {
	id     SpanID
	parent SpanID        // the id of the span whose function started this one, or zero
	wall   int64         // when the span started, in Unix nanoseconds
	begin  time.Duration // when the span started, on the monotonic clock
	meas   []Measurement
	meta   []slog.Attr
	start  int // len(meta) holding the start metadata
	ev     Event
}

var scopePool = sync.Pool{New: func() any { return new(Scope) }}

// ID returns the span's id, or zero for a nil Scope.
func (s *Scope) ID() SpanID {
	if s == nil {
		return 0
	}
	return s.id
}

// AddMetadata appends attributes to the stop or exception event's metadata,
// after the start metadata.
func (s *Scope) AddMetadata(attrs ...slog.Attr) {
	if s != nil {
		s.meta = append(s.meta, attrs...)
	}
}

// AddMeasurements appends measurements to the stop or exception event.
func (s *Scope) AddMeasurements(ms ...Measurement) {
	if s != nil {
		s.meas = append(s.meas, ms...)
	}
}

// release returns s to its pool. The metadata and measurements are cleared
// so that the pool keeps no caller's values alive; the event is left as it
// is, since it points only to names, locations and s's own slices, and is
// overwritten whole before its next use.
func (s *Scope) release() {
	clear(s.meas)
	clear(s.meta)
	s.meas, s.meta = s.meas[:0], s.meta[:0]
	scopePool.Put(s)
}

// event fills s's event: name, at dur after the span's start, with the
// measurements and metadata given. The fields are written one by one:
// while the garbage collector marks, assigning a whole Event takes the
// slower bulk write barrier.
func (s *Scope) event(name Name, dur time.Duration, meas []Measurement, meta []slog.Attr) *Event {
	e := &s.ev
	e.Name = name
	e.Time = wallTime(s.wall + int64(dur))
	e.Monotonic = s.begin + dur
	e.SpanID, e.ParentID = s.id, s.parent
	e.Duration = dur
	e.Measurements, e.Metadata = meas, meta
	return e
}

// errNilSpanFunc is returned by Span for a nil function.
var errNilSpanFunc = errors.New("telemetry: Span: fn is nil")

// Span runs fn and reports it as a span:
//
//   - name.Start before fn, with metadata;
//   - name.Stop after fn returns nil, with the duration, what fn added
//     through its Scope, and metadata followed by fn's additions;
//   - name.Exception instead of Stop when fn returns an error (KeyKind
//     "error", KeyError the error) or panics (KeyKind "panic", KeyError a
//     *PanicError, KeyStack the stack); a panic is re-raised after the event,
//     from the panicking goroutine's own stack.
//
// Span returns fn's error. All three events carry the same SpanID. fn's
// context carries the SpanID as the parent of events emitted inside it; it
// keeps ctx's values, deadline and cancellation, plus what [StartHandler]s
// added.
//
// Whether a span is observed is decided when it starts: when no handler is
// attached to any of the three names then, Span calls fn(ctx, nil) and
// nothing else (no clock reads, no allocation), and the span stays
// unobserved even if handlers are attached while fn runs. An observed span
// delivers its start event to the handlers attached to Start when it
// starts, and looks up the handlers of Stop or Exception when fn ends, as
// :telemetry does: a handler attached while fn runs receives the span's end
// (with the start metadata and the whole duration), and one detached while
// fn runs does not. With handlers, metadata is copied, so callers may reuse
// it.
func (r *Registry) Span(ctx context.Context, name SpanName, metadata []slog.Attr, fn func(ctx context.Context, s *Scope) error) error {
	// With no handler attached to the registry the cost is one atomic load
	// on top of calling fn.
	if r != nil && r.snap.Load() != nil || fn == nil {
		return r.span(ctx, name, metadata, fn)
	}
	return fn(ctx, nil)
}

func (r *Registry) span(ctx context.Context, name SpanName, metadata []slog.Attr, fn func(ctx context.Context, s *Scope) error) error {
	if fn == nil {
		return errNilSpanFunc
	}
	start := r.handlersFor(name.Start)
	if len(start) == 0 && !r.Enabled(name.Stop) && !r.Enabled(name.Exception) {
		return fn(ctx, nil)
	}
	s := scopePool.Get().(*Scope)
	s.id = SpanID(rand.Uint64() | 1) // never zero
	s.meta = append(s.meta, metadata...)
	s.start = len(s.meta)
	s.parent = spanIDFrom(ctx)
	s.wall, s.begin = r.clock.now()
	fnCtx := ctx
	if len(start) > 0 {
		fnCtx = r.deliverStart(ctx, start, s.event(name.Start, 0, nil, s.meta[:s.start:s.start]))
	}

	returned := false
	defer func() {
		if returned {
			return
		}
		v := recover()
		o := outcome{kind: KindPanic, stack: debug.Stack()}
		o.err = &PanicError{Value: v, Stack: o.stack}
		if v == nil {
			// Only runtime.Goexit ends fn without a return or a
			// recoverable panic; it keeps unwinding after this function.
			o.kind, o.err = KindExit, errors.New("telemetry: span function called runtime.Goexit")
		}
		r.end(ctx, s, name, o)
		if v != nil {
			panic(v)
		}
	}()
	err := fn(&spanContext{Context: fnCtx, id: s.id}, s)
	returned = true
	r.end(ctx, s, name, outcome{kind: KindError, err: err})
	return err
}

// An outcome is how a span's function ended: with err nil it returned nil
// (kind is then ignored); otherwise kind says how it failed, and stack is
// the stack of a panic.
type outcome struct {
	kind  string
	err   error
	stack []byte
}

// end emits the span's stop event, or its exception event when o holds an
// error, to the handlers attached to it now, and returns s to its pool. The
// end time is the start's wall time plus the monotonic duration, so
// Time(stop) - Time(start) is exactly Duration.
func (r *Registry) end(ctx context.Context, s *Scope, span SpanName, o outcome) {
	name := span.Stop
	if o.err != nil {
		name = span.Exception
	}
	if hs := r.handlersFor(name); len(hs) > 0 {
		dur := time.Since(processStart) - s.begin
		if o.err != nil {
			s.meta = append(s.meta, slog.String(KeyKind, o.kind), slog.Any(KeyError, o.err))
			if o.stack != nil {
				s.meta = append(s.meta, slog.String(KeyStack, string(o.stack)))
			}
		}
		r.deliver(ctx, hs, s.event(name, dur, s.meas, s.meta))
	}
	s.release()
}
