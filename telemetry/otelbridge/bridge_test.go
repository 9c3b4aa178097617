package otelbridge_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/otelbridge"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	jobSpan   = telemetry.MustSpanName("ecopatterns.test.job")
	fetchSpan = telemetry.MustSpanName("ecopatterns.test.fetch")
	retried   = telemetry.MustName("ecopatterns.test.job.retried")
)

// fixture is a registry with a Bridge attached to "ecopatterns", an SDK
// tracer provider exporting synchronously to memory, a meter provider read
// manually, and a recorder of the events the bridge saw.
type fixture struct {
	reg    *telemetry.Registry
	bridge *otelbridge.Bridge
	exp    *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader

	mu     sync.Mutex
	events []telemetry.Event
	errs   []error
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newFixtureWith is newFixture with options changed by configure.
func newFixtureWith(t *testing.T, configure func(*otelbridge.Options)) *fixture {
	t.Helper()
	f := &fixture{exp: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.exp))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	t.Cleanup(func() {
		require.NoError(t, f.tp.Shutdown(context.Background()))
		require.NoError(t, mp.Shutdown(context.Background()))
	})

	opts := otelbridge.DefaultOptions()
	opts.TracerProvider = f.tp
	opts.MeterProvider = mp
	opts.ErrorHandler = func(err error) {
		f.mu.Lock()
		f.errs = append(f.errs, err)
		f.mu.Unlock()
	}
	if configure != nil {
		configure(&opts)
	}
	b, err := otelbridge.New(opts)
	require.NoError(t, err)
	f.bridge = b

	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	require.NoError(t, reg.Attach("otel", []string{"ecopatterns"}, b))
	require.NoError(t, reg.Attach("recorder", []string{"ecopatterns"}, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
		f.mu.Lock()
		f.events = append(f.events, e.Clone())
		f.mu.Unlock()
	})))
	f.reg = reg
	return f
}

// event returns the recorded event with the given name and span id (any
// span id when id is 0).
func (f *fixture) event(t *testing.T, name telemetry.Name, id telemetry.SpanID) telemetry.Event {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.events {
		if e.Name == name && (id == 0 || e.SpanID == id) {
			return e
		}
	}
	require.FailNow(t, "event not recorded", "%s", name)
	return telemetry.Event{}
}

func (f *fixture) errors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

// spans returns the ended spans, in the order they ended.
func (f *fixture) spans() tracetest.SpanStubs { return f.exp.GetSpans() }

func (f *fixture) span(t *testing.T, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range f.spans() {
		if s.Name == name {
			return s
		}
	}
	require.FailNow(t, "span not exported", "%s", name)
	return tracetest.SpanStub{}
}

// metric collects the metrics and returns the one called name.
func (f *fixture) metric(t *testing.T, name string) metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, f.reader.Collect(context.Background(), &rm))
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
			names = append(names, m.Name)
		}
	}
	require.FailNow(t, "metric not recorded", "%s not in %v", name, names)
	return metricdata.Metrics{}
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

func setMap(s attribute.Set) map[string]any { return attrMap(s.ToSlice()) }

func TestSpanStartStop(t *testing.T) {
	f := newFixture(t)
	var id telemetry.SpanID
	err := f.reg.Span(context.Background(), jobSpan, []slog.Attr{slog.String("queue", "mail")}, func(ctx context.Context, s *telemetry.Scope) error {
		id = s.ID()
		s.AddMetadata(slog.String("result", "sent"), slog.Duration("backoff", 1500*time.Millisecond))
		s.AddMeasurements(telemetry.Int("attempts", 2))
		return nil
	})
	require.NoError(t, err)

	spans := f.spans()
	require.Len(t, spans, 1)
	s := spans[0]
	require.Equal(t, "ecopatterns.test.job", s.Name)
	require.Equal(t, map[string]any{"queue": "mail", "result": "sent", "backoff": 1.5, "attempts": int64(2)}, attrMap(s.Attributes))
	require.Equal(t, codes.Unset, s.Status.Code)
	require.False(t, s.Parent.IsValid(), "a span with no parent is a root span")
	require.Equal(t, otelbridge.DefaultInstrumentationName, s.InstrumentationScope.Name)

	start, stop := f.event(t, jobSpan.Start, id), f.event(t, jobSpan.Stop, id)
	require.True(t, s.StartTime.Equal(start.Time), "start %v, event %v", s.StartTime, start.Time)
	require.True(t, s.EndTime.Equal(stop.Time), "end %v, event %v", s.EndTime, stop.Time)
	require.Zero(t, f.bridge.OpenSpans())
	require.Empty(t, f.errors())
}

func TestSpanError(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("connection refused")
	err := f.reg.Span(context.Background(), jobSpan, []slog.Attr{slog.String("queue", "mail")}, func(ctx context.Context, s *telemetry.Scope) error {
		return boom
	})
	require.ErrorIs(t, err, boom)

	s := f.span(t, "ecopatterns.test.job")
	require.Equal(t, codes.Error, s.Status.Code)
	require.Equal(t, "connection refused", s.Status.Description)
	attrs := attrMap(s.Attributes)
	require.Equal(t, telemetry.KindError, attrs[telemetry.KeyKind])
	require.NotContains(t, attrs, telemetry.KeyError, "the error is recorded as an exception event, not an attribute")
	require.NotContains(t, attrs, telemetry.KeyStack)

	require.Len(t, s.Events, 1)
	ev := s.Events[0]
	require.Equal(t, "exception", ev.Name)
	require.Equal(t, "connection refused", attrMap(ev.Attributes)["exception.message"])
	require.NotContains(t, attrMap(ev.Attributes), "exception.stacktrace", "an error has no stack")
	require.True(t, ev.Time.Equal(f.event(t, jobSpan.Exception, 0).Time))
	require.Zero(t, f.bridge.OpenSpans())
}

func TestSpanPanic(t *testing.T) {
	f := newFixture(t)
	func() {
		defer func() {
			require.Equal(t, "kaboom", recover(), "Span re-raises the panic")
		}()
		_ = f.reg.Span(context.Background(), jobSpan, nil, func(ctx context.Context, s *telemetry.Scope) error {
			panic("kaboom")
		})
	}()

	s := f.span(t, "ecopatterns.test.job")
	require.Equal(t, codes.Error, s.Status.Code)
	require.Equal(t, "panic: kaboom", s.Status.Description)
	require.Equal(t, telemetry.KindPanic, attrMap(s.Attributes)[telemetry.KeyKind])
	require.Len(t, s.Events, 1)
	ev := attrMap(s.Events[0].Attributes)
	require.Equal(t, "*github.com/ecopatterns/ecopatterns/telemetry.PanicError", ev["exception.type"])
	require.Equal(t, "panic: kaboom", ev["exception.message"])
	require.Contains(t, ev["exception.stacktrace"], "TestSpanPanic", "the stack is the panicking goroutine's")
	require.Zero(t, f.bridge.OpenSpans())
}

func TestNestedSpans(t *testing.T) {
	f := newFixture(t)
	err := f.reg.Span(context.Background(), jobSpan, nil, func(ctx context.Context, _ *telemetry.Scope) error {
		return f.reg.Span(ctx, fetchSpan, nil, func(ctx context.Context, _ *telemetry.Scope) error {
			return f.reg.Span(ctx, fetchSpan, []slog.Attr{slog.Int("depth", 2)}, func(context.Context, *telemetry.Scope) error { return nil })
		})
	})
	require.NoError(t, err)

	spans := f.spans()
	require.Len(t, spans, 3)
	inner, middle, outer := spans[0], spans[1], spans[2] // in the order they ended
	require.Equal(t, "ecopatterns.test.job", outer.Name)
	require.Equal(t, "ecopatterns.test.fetch", middle.Name)
	require.Equal(t, int64(2), attrMap(inner.Attributes)["depth"])
	require.False(t, outer.Parent.IsValid())
	require.Equal(t, outer.SpanContext.SpanID(), middle.Parent.SpanID())
	require.Equal(t, middle.SpanContext.SpanID(), inner.Parent.SpanID())
	require.Equal(t, outer.SpanContext.TraceID(), inner.SpanContext.TraceID())
}

func TestOTelSpanInContextIsParent(t *testing.T) {
	f := newFixture(t)
	ctx, server := f.tp.Tracer("test").Start(context.Background(), "GET /jobs")
	err := f.reg.Span(ctx, jobSpan, nil, func(ctx context.Context, _ *telemetry.Scope) error {
		return f.reg.Span(ctx, fetchSpan, nil, func(context.Context, *telemetry.Scope) error { return nil })
	})
	require.NoError(t, err)
	server.End()

	job, fetch, get := f.span(t, "ecopatterns.test.job"), f.span(t, "ecopatterns.test.fetch"), f.span(t, "GET /jobs")
	require.Equal(t, get.SpanContext.SpanID(), job.Parent.SpanID(), "the span in the emitter's context is the parent")
	require.Equal(t, job.SpanContext.SpanID(), fetch.Parent.SpanID(), "the open telemetry span beats the one in the context")
	require.Equal(t, get.SpanContext.TraceID(), fetch.SpanContext.TraceID())
}

func TestDurationHistogram(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.reg.Span(context.Background(), jobSpan, []slog.Attr{slog.String("queue", "mail")}, func(context.Context, *telemetry.Scope) error {
		return nil
	}))
	stop := f.event(t, jobSpan.Stop, 0)

	m := f.metric(t, "ecopatterns.test.job.duration")
	require.Equal(t, "s", m.Unit)
	h, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%T", m.Data)
	require.Len(t, h.DataPoints, 1)
	dp := h.DataPoints[0]
	require.Equal(t, uint64(1), dp.Count)
	require.Equal(t, stop.Duration.Seconds(), dp.Sum)
	require.Equal(t, otelbridge.DefaultOptions().DurationBoundaries, dp.Bounds)
	require.Equal(t, map[string]any{"queue": "mail", otelbridge.OutcomeKey: otelbridge.OutcomeStop}, setMap(dp.Attributes))

	// An exception lands in the same histogram, told apart by outcome and
	// kind; the error and the stack stay out of metric attributes.
	_ = f.reg.Span(context.Background(), jobSpan, []slog.Attr{slog.String("queue", "mail")}, func(context.Context, *telemetry.Scope) error {
		return errors.New("boom")
	})
	h = f.metric(t, "ecopatterns.test.job.duration").Data.(metricdata.Histogram[float64])
	require.Len(t, h.DataPoints, 2)
	var got []map[string]any
	for _, dp := range h.DataPoints {
		require.Equal(t, uint64(1), dp.Count)
		got = append(got, setMap(dp.Attributes))
	}
	require.ElementsMatch(t, []map[string]any{
		{"queue": "mail", otelbridge.OutcomeKey: otelbridge.OutcomeStop},
		{"queue": "mail", otelbridge.OutcomeKey: otelbridge.OutcomeException, telemetry.KeyKind: telemetry.KindError},
	}, got)
	require.Empty(t, f.errors())
}

func TestIntMeasurementCounter(t *testing.T) {
	f := newFixture(t)
	for _, n := range []int64{2, 3} {
		require.NoError(t, f.reg.Span(context.Background(), jobSpan, nil, func(_ context.Context, s *telemetry.Scope) error {
			s.AddMeasurements(telemetry.Int("attempts", n))
			return nil
		}))
	}
	m := f.metric(t, "ecopatterns.test.job.attempts")
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%T", m.Data)
	require.True(t, sum.IsMonotonic)
	require.Len(t, sum.DataPoints, 1)
	require.Equal(t, int64(5), sum.DataPoints[0].Value)
	require.Equal(t, map[string]any{otelbridge.OutcomeKey: otelbridge.OutcomeStop}, setMap(sum.DataPoints[0].Attributes))

	// A point event's instruments are named after the event.
	f.reg.Emit(context.Background(), retried, []telemetry.Measurement{telemetry.Int("jobs", 4)}, slog.String("queue", "mail"))
	sum = f.metric(t, "ecopatterns.test.job.retried.jobs").Data.(metricdata.Sum[int64])
	require.Equal(t, int64(4), sum.DataPoints[0].Value)
	require.Equal(t, map[string]any{"queue": "mail"}, setMap(sum.DataPoints[0].Attributes))
	require.Empty(t, f.errors())
}

func TestFloatAndDurationMeasurementHistograms(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.reg.Span(context.Background(), jobSpan, nil, func(_ context.Context, s *telemetry.Scope) error {
		s.AddMeasurements(telemetry.Float("ratio", 0.25), telemetry.Dur("queued", 250*time.Millisecond))
		return nil
	}))

	m := f.metric(t, "ecopatterns.test.job.ratio")
	require.Empty(t, m.Unit)
	h := m.Data.(metricdata.Histogram[float64])
	require.Len(t, h.DataPoints, 1)
	require.Equal(t, uint64(1), h.DataPoints[0].Count)
	require.Equal(t, 0.25, h.DataPoints[0].Sum)

	m = f.metric(t, "ecopatterns.test.job.queued")
	require.Equal(t, "s", m.Unit)
	h = m.Data.(metricdata.Histogram[float64])
	require.Equal(t, 0.25, h.DataPoints[0].Sum)
	require.Equal(t, otelbridge.DefaultOptions().DurationBoundaries, h.DataPoints[0].Bounds)
}

func TestConcurrentSpans(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := newFixture(t)
	const goroutines, perGoroutine = 16, 25
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				_ = f.reg.Span(context.Background(), jobSpan, []slog.Attr{slog.Int("g", g)}, func(ctx context.Context, s *telemetry.Scope) error {
					s.AddMeasurements(telemetry.Int("attempts", 1))
					f.reg.Emit(ctx, retried, nil)
					_ = f.reg.Span(ctx, fetchSpan, nil, func(context.Context, *telemetry.Scope) error {
						if i%5 == 0 {
							return errors.New("boom")
						}
						return nil
					})
					return nil
				})
			}
		})
	}
	wg.Wait()

	spans := f.spans()
	require.Len(t, spans, 2*goroutines*perGoroutine)
	ids := map[trace.SpanID]bool{}
	for _, s := range spans {
		ids[s.SpanContext.SpanID()] = true
	}
	for _, s := range spans {
		require.False(t, s.EndTime.IsZero())
		if s.Name == "ecopatterns.test.fetch" {
			require.True(t, ids[s.Parent.SpanID()], "every fetch span's parent is a job span")
		} else {
			require.Len(t, s.Events, 1, "the point event is a span event of its job span")
		}
	}
	require.Zero(t, f.bridge.OpenSpans())
	sum := f.metric(t, "ecopatterns.test.job.attempts").Data.(metricdata.Sum[int64])
	require.Len(t, sum.DataPoints, goroutines, "one series per value of the g attribute")
	var total int64
	for _, dp := range sum.DataPoints {
		total += dp.Value
	}
	require.Equal(t, int64(goroutines*perGoroutine), total)
}

func TestStopWithoutStartIsIgnored(t *testing.T) {
	f := newFixture(t)
	// As if the bridge were attached to stop and exception events only.
	f.bridge.Handle(context.Background(), &telemetry.Event{
		Name: jobSpan.Stop, Time: time.Now(), SpanID: 42, Duration: time.Second,
	})
	f.bridge.Handle(context.Background(), &telemetry.Event{
		Name: jobSpan.Exception, Time: time.Now(), SpanID: 43, Duration: time.Second,
		Metadata: []slog.Attr{slog.String(telemetry.KeyKind, telemetry.KindError), slog.Any(telemetry.KeyError, errors.New("boom"))},
	})
	require.Empty(t, f.spans())
	require.Zero(t, f.bridge.OpenSpans())
	h := f.metric(t, "ecopatterns.test.job.duration").Data.(metricdata.Histogram[float64])
	require.Len(t, h.DataPoints, 2, "the durations are complete, so they are recorded")
}

func TestPointEvents(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.reg.Span(context.Background(), jobSpan, nil, func(ctx context.Context, _ *telemetry.Scope) error {
		f.reg.Emit(ctx, retried, []telemetry.Measurement{telemetry.Int("jobs", 3)}, slog.String("reason", "timeout"))
		return nil
	}))
	s := f.span(t, "ecopatterns.test.job")
	require.Len(t, s.Events, 1)
	require.Equal(t, "ecopatterns.test.job.retried", s.Events[0].Name)
	require.Equal(t, map[string]any{"reason": "timeout", "jobs": int64(3)}, attrMap(s.Events[0].Attributes))
	require.True(t, s.Events[0].Time.Equal(f.event(t, retried, 0).Time))

	// Inside an OpenTelemetry span only.
	ctx, span := f.tp.Tracer("test").Start(context.Background(), "outer")
	f.reg.Emit(ctx, retried, nil)
	span.End()
	require.Len(t, f.span(t, "outer").Events, 1)

	// Outside any span: no trace at all.
	f.reg.Emit(context.Background(), retried, nil)
	require.Len(t, f.spans(), 2)

	// A span phase name emitted as a point event (no SpanID) is a point
	// event: it starts no span.
	f.reg.Emit(context.Background(), jobSpan.Start, nil)
	require.Zero(t, f.bridge.OpenSpans())
}

func TestEndOpenSpans(t *testing.T) {
	f := newFixture(t)
	// As if the bridge had been detached while the span ran.
	f.bridge.Handle(context.Background(), &telemetry.Event{Name: jobSpan.Start, Time: time.Now(), SpanID: 7})
	require.Equal(t, 1, f.bridge.OpenSpans())
	require.Empty(t, f.spans())

	require.Equal(t, 1, f.bridge.EndOpenSpans())
	require.Zero(t, f.bridge.OpenSpans())
	s := f.span(t, "ecopatterns.test.job")
	require.Equal(t, codes.Error, s.Status.Code)
	require.Contains(t, s.Status.Description, "abandoned")

	// The late stop event ends nothing more.
	f.bridge.Handle(context.Background(), &telemetry.Event{Name: jobSpan.Stop, Time: time.Now(), SpanID: 7})
	require.Len(t, f.spans(), 1)
}

func TestInstrumentErrors(t *testing.T) {
	f := newFixture(t)
	emit := func(ms ...telemetry.Measurement) { f.reg.Emit(context.Background(), retried, ms) }

	emit(telemetry.Int("bad key", 1))
	emit(telemetry.Int("bad key", 1))
	errs := f.errors()
	require.Len(t, errs, 1, "reported once per instrument: %v", errs)
	require.ErrorIs(t, errs[0], sdkmetric.ErrInstrumentName)
	require.ErrorContains(t, errs[0], `"ecopatterns.test.job.retried.bad key"`)

	emit(telemetry.Int("n", 1))
	emit(telemetry.Float("n", 1.5))
	emit(telemetry.Float("n", 1.5))
	errs = f.errors()
	require.Len(t, errs, 2, "%v", errs)
	require.ErrorIs(t, errs[1], otelbridge.ErrInstrumentConflict)

	emit(telemetry.Int("m", -1))
	emit(telemetry.Int("m", -2))
	emit(telemetry.Int("m", 5))
	errs = f.errors()
	require.Len(t, errs, 3, "%v", errs)
	require.ErrorIs(t, errs[2], otelbridge.ErrNegativeCount)
	sum := f.metric(t, "ecopatterns.test.job.retried.m").Data.(metricdata.Sum[int64])
	require.Equal(t, int64(5), sum.DataPoints[0].Value, "negative values are dropped")
}

func TestMetadataAttributes(t *testing.T) {
	f := newFixture(t)
	at := time.Date(2025, 3, 1, 12, 0, 0, 5, time.UTC)
	var nilErr *myError
	md := []slog.Attr{
		slog.String("s", "x"),
		slog.Int("i", -3),
		slog.Uint64("u", 7),
		slog.Uint64("big", 1<<63),
		slog.Float64("f", 0.5),
		slog.Bool("b", true),
		slog.Duration("d", 250*time.Millisecond),
		slog.Time("t", at),
		slog.Group("g", slog.String("a", "1"), slog.Group("h", slog.Int("b", 2))),
		slog.Group("", slog.String("inlined", "yes")),
		slog.Group("empty"),
		slog.Any("err", errors.New("bad")),
		slog.Any("nilerr", nilErr),
		slog.Any("stringer", color(1)),
		slog.Any("tags", []string{"a", "b"}),
		slog.Any("struct", struct{ A int }{1}),
		slog.Any("lazy", lazy{}),
		slog.String("", "no key"),
		slog.String(telemetry.KeyStack, "not a span attribute"),
	}
	require.NoError(t, f.reg.Span(context.Background(), jobSpan, md, func(context.Context, *telemetry.Scope) error { return nil }))
	require.Equal(t, map[string]any{
		"s":        "x",
		"i":        int64(-3),
		"u":        int64(7),
		"big":      "9223372036854775808",
		"f":        0.5,
		"b":        true,
		"d":        0.25,
		"t":        "2025-03-01T12:00:00.000000005Z",
		"g.a":      "1",
		"g.h.b":    int64(2),
		"inlined":  "yes",
		"err":      "bad",
		"nilerr":   "<nil>",
		"stringer": "red",
		"tags":     []string{"a", "b"},
		"struct":   "{1}",
		"lazy":     "resolved",
	}, attrMap(f.span(t, "ecopatterns.test.job").Attributes))
}

type myError struct{ msg string }

func (e *myError) Error() string { return e.msg } // panics on a nil *myError

type color int

func (color) String() string { return "red" }

type lazy struct{}

func (lazy) LogValue() slog.Value { return slog.StringValue("resolved") }

func TestOptionsValidate(t *testing.T) {
	require.NoError(t, otelbridge.DefaultOptions().Validate())

	opts := otelbridge.Options{DurationBoundaries: []float64{1, 1}}
	err := opts.Validate()
	require.Error(t, err)
	var paths []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *options.FieldError
		require.ErrorAs(t, e, &fe)
		paths = append(paths, fe.Path)
	}
	require.Equal(t, []string{"TracerProvider", "MeterProvider", "InstrumentationName", "DurationBoundaries", "ErrorHandler", "ExceptionType"}, paths)

	for _, bounds := range [][]float64{nil, {}, {2, 1}, {0, 1, 1}} {
		opts := otelbridge.DefaultOptions()
		opts.DurationBoundaries = bounds
		require.ErrorContains(t, opts.Validate(), "DurationBoundaries", "%v", bounds)
	}
	opts = otelbridge.DefaultOptions()
	opts.DurationBoundaries = []float64{0.1, 1, 10}
	opts.MeterProvider = metricnoop.NewMeterProvider()
	require.NoError(t, opts.Validate())
}

func TestNewRefusesBadOptions(t *testing.T) {
	opts := otelbridge.DefaultOptions()
	opts.TracerProvider = nil
	b, err := otelbridge.New(opts)
	require.Nil(t, b)
	require.ErrorContains(t, err, "otelbridge: invalid options")
	var fe *options.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "TracerProvider", fe.Path)
	require.Equal(t, "must not be nil", fe.Reason)
}

func TestNewCopiesBoundaries(t *testing.T) {
	f := newFixture(t)
	opts := otelbridge.DefaultOptions()
	opts.TracerProvider = f.tp
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { require.NoError(t, mp.Shutdown(context.Background())) }()
	opts.MeterProvider = mp
	opts.DurationBoundaries = []float64{1, 2}
	b, err := otelbridge.New(opts)
	require.NoError(t, err)
	opts.DurationBoundaries[0] = 100 // changing the caller's slice changes nothing
	b.Handle(context.Background(), &telemetry.Event{Name: jobSpan.Stop, SpanID: 1, Duration: time.Second})

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	h := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Histogram[float64])
	require.Equal(t, []float64{1, 2}, h.DataPoints[0].Bounds)
}

func TestOTelCodeInsideSpanIsChild(t *testing.T) {
	f := newFixture(t)
	err := f.reg.Span(context.Background(), jobSpan, nil, func(ctx context.Context, _ *telemetry.Scope) error {
		// OpenTelemetry-instrumented code inside the span's function, such
		// as an HTTP client, starts its span from the function's context.
		_, client := f.tp.Tracer("http").Start(ctx, "GET upstream")
		client.End()
		return nil
	})
	require.NoError(t, err)
	job, client := f.span(t, "ecopatterns.test.job"), f.span(t, "GET upstream")
	require.Equal(t, job.SpanContext.SpanID(), client.Parent.SpanID(), "the bridged span is in the function's context")
	require.Equal(t, job.SpanContext.TraceID(), client.SpanContext.TraceID())
}
