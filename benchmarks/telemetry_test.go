package benchmarks

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Sinks that the benchmarks and their handlers write to, so that the
// compiler cannot drop the work whose result they hold.
var (
	sinkDuration time.Duration
	sinkErr      error
	sinkBool     bool
	sinkCtx      context.Context
)

// Names are built once, as the telemetry package asks: each carries the
// cache of its handlers.
var (
	telemetryBenchEvent = telemetry.MustName("ecopatterns.bench.queue.emptied")
	telemetryBenchSpan  = telemetry.MustSpanName("ecopatterns.bench.op")
)

// telemetryBenchPrefix is the pattern every benchmark handler is attached
// to; it receives the point event and the span's start and stop events.
const telemetryBenchPrefix = "ecopatterns.bench"

// The one metadata attribute of every emit and span, in each library's form.
const (
	telemetryAttrKey   = "queue"
	telemetryAttrValue = "q"
)

// durationHandler reads the event's duration into a sink. It is the handler
// of the single-handler cases.
func durationHandler(_ context.Context, e *telemetry.Event) { sinkDuration = e.Duration }

// quietHandler reads the event without writing shared memory (the metadata
// is never empty), so that parallel emits do not contend on a sink.
func quietHandler(_ context.Context, e *telemetry.Event) {
	if len(e.Metadata) == 0 {
		sinkBool = true
	}
}

// newTelemetryRegistry returns a registry with n copies of h attached to
// telemetryBenchPrefix.
func newTelemetryRegistry(tb testing.TB, n int, h telemetry.HandlerFunc) *telemetry.Registry {
	tb.Helper()
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(tb, err)
	for i := range n {
		require.NoError(tb, reg.Attach(fmt.Sprintf("bench-%d", i), []string{telemetryBenchPrefix}, h))
	}
	return reg
}

// floorHandlers stands for a registry's handler list in the floors: a
// snapshot published through an atomic pointer, nil when empty.
type floorHandlers struct {
	fns []func(context.Context, *telemetry.Event)
}

// floorAttrs is where the floors would copy their metadata if a handler
// were attached; it never is.
var floorAttrs []slog.Attr

// floorEmit is the least an emit API can do with no handler attached: one
// atomic load and a nil check, with Emit's signature. It is small enough to
// inline, so an Emit that is not inlined shows the cost of its call. Like
// Emit it copies the metadata when a handler is attached, so the compiler
// must build the metadata at the call site as it must for Emit.
func floorEmit(ctx context.Context, p *atomic.Pointer[floorHandlers], _ telemetry.Name, _ []telemetry.Measurement, metadata ...slog.Attr) {
	if h := p.Load(); h != nil {
		sinkCtx = ctx
		floorAttrs = append(floorAttrs[:0], metadata...)
	}
}

// floorSpan is the least a span API can do with no handler attached: one
// atomic load, a nil check and a direct call of fn, with Span's signature.
// It is small enough to inline, so a Span that is not inlined shows the cost
// of its call.
func floorSpan(ctx context.Context, p *atomic.Pointer[floorHandlers], _ telemetry.SpanName, metadata []slog.Attr, fn func(context.Context, *telemetry.Scope) error) error {
	if h := p.Load(); h != nil {
		sinkCtx = ctx
		floorAttrs = append(floorAttrs[:0], metadata...)
	}
	return fn(ctx, nil)
}

// floorClock is the cheapest clock an event can have: one monotonic clock
// read per event, with the wall time derived from a wall-clock reading taken
// once. Reading the wall clock on every event costs twice as much on
// virtual machines, and time.Unix builds the time.Time for a fraction of
// what time.Time.Add costs.
type floorClock struct {
	anchor time.Time // a time.Now reading, with its monotonic reading
	wall   int64     // the anchor in Unix nanoseconds
}

func newFloorClock() floorClock {
	now := time.Now()
	return floorClock{anchor: now, wall: now.UnixNano()}
}

// now returns the wall time and the monotonic offset from the anchor.
func (c floorClock) now() (time.Time, time.Duration) {
	d := time.Since(c.anchor) // monotonic only: c.anchor has a monotonic reading
	ns := c.wall + int64(d)
	return time.Unix(ns/1e9, ns%1e9), d
}

// The promised floor: the floor plus what Span's documented promises need
// at the least, written without a library. Each part is a promise:
//
//   - a random span id and the parent's id read from ctx (events carry
//     SpanID and ParentID);
//   - per-span memory the function can add metadata and measurements to
//     before the stop event (Scope), taken from and returned to a sync.Pool
//     (the function gets nil here: only the telemetry package can build a
//     Scope);
//   - a context for the function that carries the span's id, so events
//     emitted inside it name their parent. The function may keep it after
//     the span ends, so it cannot be pooled: one allocation;
//   - the stop event's handlers looked up again when the function returns
//     (Span's lookup rule): one more atomic load;
//   - a deferred recover around the function, so that its panic becomes an
//     exception event before it is re-raised;
//   - a recover around each delivery loop (a panicking handler never
//     reaches the emitter).
type promisedRecord struct {
	e    telemetry.Event
	meas []telemetry.Measurement
	meta []slog.Attr
}

var promisedPool = sync.Pool{New: func() any { return new(promisedRecord) }}

type promisedCtx struct {
	context.Context
	id telemetry.SpanID
}

type promisedKey struct{}

func (c *promisedCtx) Value(key any) any {
	if key == (promisedKey{}) {
		return c.id
	}
	return c.Context.Value(key)
}

func promisedDeliver(ctx context.Context, hs *floorHandlers, e *telemetry.Event) {
	defer func() {
		if v := recover(); v != nil {
			sinkBool = true
		}
	}()
	for _, h := range hs.fns {
		h(ctx, e)
	}
}

func promisedSpan(ctx context.Context, clk floorClock, p *atomic.Pointer[floorHandlers], attr slog.Attr, fn func(context.Context, *telemetry.Scope) error) error {
	hs := p.Load()
	if hs == nil {
		return fn(ctx, nil)
	}
	rec := promisedPool.Get().(*promisedRecord)
	rec.meta = append(rec.meta, attr)
	id := telemetry.SpanID(rand.Uint64() | 1)
	parent, _ := ctx.Value(promisedKey{}).(telemetry.SpanID)
	wall, begin := clk.now()
	// The event's fields are written one by one: while the garbage
	// collector marks, assigning a whole Event takes the slower bulk write
	// barrier.
	e := &rec.e
	e.Name, e.Time, e.Monotonic, e.SpanID, e.ParentID = telemetryBenchSpan.Start, wall, begin, id, parent
	e.Duration, e.Measurements, e.Metadata = 0, nil, rec.meta
	promisedDeliver(ctx, hs, e)
	returned := false
	defer func() {
		if !returned {
			v := recover()
			sinkBool = true // the exception event
			panic(v)
		}
	}()
	err := fn(&promisedCtx{Context: ctx, id: id}, nil)
	returned = true
	if hs := p.Load(); hs != nil {
		wall, end := clk.now()
		e.Name, e.Time, e.Monotonic, e.SpanID, e.ParentID = telemetryBenchSpan.Stop, wall, end, id, parent
		e.Duration, e.Measurements, e.Metadata = end-begin, rec.meas, rec.meta
		promisedDeliver(ctx, hs, e)
	}
	clear(rec.meas)
	clear(rec.meta)
	rec.meas, rec.meta = rec.meas[:0], rec.meta[:0]
	promisedPool.Put(rec)
	return err
}

// promisedHandlers returns n copies of h as the promised floor's handler
// list.
func promisedHandlers(n int, h func(context.Context, *telemetry.Event)) *atomic.Pointer[floorHandlers] {
	hs := &floorHandlers{}
	for range n {
		hs.fns = append(hs.fns, h)
	}
	var p atomic.Pointer[floorHandlers]
	p.Store(hs)
	return &p
}

// spanFn is the span function of every case: it does nothing, so the
// benchmarks measure the span machinery alone. It is a variable so that the
// compiler calls it as a real span's closure would be called, rather than
// inlining an empty body into an inlined floor.
var spanFn = func(context.Context, *telemetry.Scope) error { return nil }

// BenchmarkTelemetryEmitNoHandlers measures a point event that nobody
// listens to. Goal: a few nanoseconds and no allocation.
func BenchmarkTelemetryEmitNoHandlers(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		defer reportCPU(b)()
		reg := newTelemetryRegistry(b, 0, nil)
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			reg.Emit(ctx, telemetryBenchEvent, nil, slog.String(telemetryAttrKey, telemetryAttrValue))
		}
	})
	b.Run("floor", func(b *testing.B) {
		defer reportCPU(b)()
		var p atomic.Pointer[floorHandlers]
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			floorEmit(ctx, &p, telemetryBenchEvent, nil, slog.String(telemetryAttrKey, telemetryAttrValue))
		}
	})
	b.Run("nilregistry", func(b *testing.B) {
		defer reportCPU(b)()
		var reg *telemetry.Registry
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			reg.Emit(ctx, telemetryBenchEvent, nil, slog.String(telemetryAttrKey, telemetryAttrValue))
		}
	})
}

// BenchmarkTelemetrySpanNoHandlers measures a span that nobody listens to,
// against the OpenTelemetry no-op tracer.
func BenchmarkTelemetrySpanNoHandlers(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		defer reportCPU(b)()
		reg := newTelemetryRegistry(b, 0, nil)
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = reg.Span(ctx, telemetryBenchSpan, nil, spanFn)
		}
	})
	b.Run("floor", func(b *testing.B) {
		defer reportCPU(b)()
		var p atomic.Pointer[floorHandlers]
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = floorSpan(ctx, &p, telemetryBenchSpan, nil, spanFn)
		}
	})
	b.Run("otelnoop", func(b *testing.B) {
		defer reportCPU(b)()
		tracer := noop.NewTracerProvider().Tracer("x")
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			sctx, span := tracer.Start(ctx, "op")
			span.End()
			sinkCtx = sctx
		}
	})
}

// BenchmarkTelemetrySpan measures a span with one handler (which receives
// the start and the stop event) and one metadata attribute, against
// OpenTelemetry's no-op tracer and its SDK tracer sampling every span but
// with no span processor: the SDK records the span and drops it at End.
//
// Every implementation builds its attribute inside the loop, as a caller
// whose metadata varies does. Goal: 1.3× the floor, and no allocation where
// the floor has none; floor-promised adds to the floor what Span's
// documented promises cost at the least (see promisedSpan).
func BenchmarkTelemetrySpan(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		defer reportCPU(b)()
		reg := newTelemetryRegistry(b, 1, durationHandler)
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = reg.Span(ctx, telemetryBenchSpan, []slog.Attr{slog.String(telemetryAttrKey, telemetryAttrValue)}, spanFn)
		}
	})
	b.Run("floor", func(b *testing.B) {
		defer reportCPU(b)()
		// Two monotonic clock reads, the start and stop events delivered
		// by direct calls of the handler, and the function: the job of a
		// span with one handler, with no library.
		h := durationHandler
		clk := newFloorClock()
		ctx := b.Context()
		e := new(telemetry.Event) // reused, as a pool would
		var meta []slog.Attr      // reused, as a pool would
		b.ReportAllocs()
		for b.Loop() {
			meta = append(meta[:0], slog.String(telemetryAttrKey, telemetryAttrValue))
			wall, begin := clk.now()
			*e = telemetry.Event{Name: telemetryBenchSpan.Start, Time: wall, Monotonic: begin, Metadata: meta}
			h(ctx, e)
			sinkErr = spanFn(ctx, nil)
			wall, end := clk.now()
			*e = telemetry.Event{Name: telemetryBenchSpan.Stop, Time: wall, Monotonic: end, Duration: end - begin, Metadata: meta}
			h(ctx, e)
			*e = telemetry.Event{}
		}
	})
	b.Run("floor-promised", func(b *testing.B) {
		defer reportCPU(b)()
		hs := promisedHandlers(1, durationHandler)
		clk := newFloorClock()
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = promisedSpan(ctx, clk, hs, slog.String(telemetryAttrKey, telemetryAttrValue), spanFn)
		}
	})
	b.Run("otelnoop", func(b *testing.B) {
		defer reportCPU(b)()
		tracer := noop.NewTracerProvider().Tracer("x")
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			sctx, span := tracer.Start(ctx, "op", trace.WithAttributes(attribute.String(telemetryAttrKey, telemetryAttrValue)))
			span.End()
			sinkCtx = sctx
		}
	})
	b.Run("otelsdk", func(b *testing.B) {
		defer reportCPU(b)()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
		b.Cleanup(func() {
			// The benchmark's context is cancelled before cleanups run.
			require.NoError(b, tp.Shutdown(context.Background()))
		})
		tracer := tp.Tracer("x")
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			sctx, span := tracer.Start(ctx, "op", trace.WithAttributes(attribute.String(telemetryAttrKey, telemetryAttrValue)))
			span.End()
			sinkCtx = sctx
		}
	})
}

// BenchmarkTelemetrySpanHandlers measures how a span's cost grows with the
// number of handlers: linearly, with no allocation per handler. Each
// handler receives two events per span (start and stop), reported as
// calls/op.
func BenchmarkTelemetrySpanHandlers(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("ecopatterns/handlers=%d", n), func(b *testing.B) {
			defer reportCPU(b)()
			reg := newTelemetryRegistry(b, n, durationHandler)
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				sinkErr = reg.Span(ctx, telemetryBenchSpan, []slog.Attr{slog.String(telemetryAttrKey, telemetryAttrValue)}, spanFn)
			}
			b.ReportMetric(float64(2*n), "calls/op")
		})
	}
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("floor/handlers=%d", n), func(b *testing.B) {
			defer reportCPU(b)()
			// Two monotonic clock reads and a loop over n func values for
			// each of the start and stop events, with one reused Event and
			// metadata buffer.
			clk := newFloorClock()
			var p atomic.Pointer[floorHandlers]
			hs := &floorHandlers{}
			for range n {
				hs.fns = append(hs.fns, durationHandler)
			}
			p.Store(hs)
			ctx := b.Context()
			e := new(telemetry.Event) // reused, as a pool would
			var meta []slog.Attr      // reused, as a pool would
			b.ReportAllocs()
			for b.Loop() {
				meta = append(meta[:0], slog.String(telemetryAttrKey, telemetryAttrValue))
				hs := p.Load()
				wall, begin := clk.now()
				*e = telemetry.Event{Name: telemetryBenchSpan.Start, Time: wall, Monotonic: begin, Metadata: meta}
				for _, h := range hs.fns {
					h(ctx, e)
				}
				sinkErr = spanFn(ctx, nil)
				wall, end := clk.now()
				*e = telemetry.Event{Name: telemetryBenchSpan.Stop, Time: wall, Monotonic: end, Duration: end - begin, Metadata: meta}
				for _, h := range hs.fns {
					h(ctx, e)
				}
				*e = telemetry.Event{}
			}
			b.ReportMetric(float64(2*n), "calls/op")
		})
	}
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("floor-promised/handlers=%d", n), func(b *testing.B) {
			defer reportCPU(b)()
			hs := promisedHandlers(n, durationHandler)
			clk := newFloorClock()
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				sinkErr = promisedSpan(ctx, clk, hs, slog.String(telemetryAttrKey, telemetryAttrValue), spanFn)
			}
			b.ReportMetric(float64(2*n), "calls/op")
		})
	}
}

// BenchmarkTelemetryEmitParallel measures point events with one handler
// emitted from every P at once. The handler writes no shared memory, so any
// loss of scaling against the floor is the registry's own contention.
func BenchmarkTelemetryEmitParallel(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		reg := newTelemetryRegistry(b, 1, quietHandler)
		ctx := b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				reg.Emit(ctx, telemetryBenchEvent, nil, slog.String(telemetryAttrKey, telemetryAttrValue))
			}
		})
	})
	b.Run("floor", func(b *testing.B) {
		// A monotonic clock read (an event carries its time) and a direct
		// call of the handler, with one Event and metadata buffer per
		// goroutine.
		var h func(context.Context, *telemetry.Event) = quietHandler
		clk := newFloorClock()
		ctx := b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			e := new(telemetry.Event)
			var meta []slog.Attr
			for pb.Next() {
				meta = append(meta[:0], slog.String(telemetryAttrKey, telemetryAttrValue))
				wall, mono := clk.now()
				*e = telemetry.Event{Name: telemetryBenchEvent, Time: wall, Monotonic: mono, Metadata: meta}
				h(ctx, e)
				*e = telemetry.Event{}
			}
		})
	})
}

// TestTelemetryBenchmarkSetup checks that the benchmarks measure what they
// claim: the single handler receives a span's start and stop events with
// the metadata and a duration, and a registry with no handlers calls none.
func TestTelemetryBenchmarkSetup(t *testing.T) {
	var got []telemetry.Event
	reg := newTelemetryRegistry(t, 1, func(_ context.Context, e *telemetry.Event) { got = append(got, e.Clone()) })
	require.NoError(t, reg.Span(t.Context(), telemetryBenchSpan, []slog.Attr{slog.String(telemetryAttrKey, telemetryAttrValue)}, spanFn))
	reg.Emit(t.Context(), telemetryBenchEvent, nil, slog.String(telemetryAttrKey, telemetryAttrValue))
	require.Len(t, got, 3)
	require.Equal(t, telemetryBenchSpan.Start, got[0].Name)
	require.Equal(t, telemetryBenchSpan.Stop, got[1].Name)
	require.Equal(t, telemetryBenchEvent, got[2].Name)
	require.Positive(t, got[1].Duration)
	for _, e := range got {
		v, ok := e.Attr(telemetryAttrKey)
		require.True(t, ok, "event %s", e.Name)
		require.Equal(t, telemetryAttrValue, v.String())
	}

	empty := newTelemetryRegistry(t, 0, nil)
	require.False(t, empty.Enabled(telemetryBenchSpan.Start))
	require.False(t, empty.Enabled(telemetryBenchEvent))
	called := false
	require.NoError(t, empty.Span(t.Context(), telemetryBenchSpan, nil, func(_ context.Context, s *telemetry.Scope) error {
		called = true
		require.Nil(t, s)
		return nil
	}))
	require.True(t, called)

	ten := newTelemetryRegistry(t, 10, durationHandler)
	require.Len(t, ten.Handlers(), 10)

	// The promised floor delivers a start and a stop event sharing a span
	// id, and the function's context carries that id.
	got = nil
	record := func(_ context.Context, e *telemetry.Event) { got = append(got, e.Clone()) }
	var inner telemetry.SpanID
	require.NoError(t, promisedSpan(t.Context(), newFloorClock(), promisedHandlers(1, record),
		slog.String(telemetryAttrKey, telemetryAttrValue), func(ctx context.Context, _ *telemetry.Scope) error {
			inner, _ = ctx.Value(promisedKey{}).(telemetry.SpanID)
			return nil
		}))
	require.Len(t, got, 2)
	require.Equal(t, telemetryBenchSpan.Start, got[0].Name)
	require.Equal(t, telemetryBenchSpan.Stop, got[1].Name)
	require.NotZero(t, got[0].SpanID)
	require.Equal(t, got[0].SpanID, got[1].SpanID)
	require.Equal(t, got[0].SpanID, inner)
	v, ok := got[1].Attr(telemetryAttrKey)
	require.True(t, ok)
	require.Equal(t, telemetryAttrValue, v.String())
}
