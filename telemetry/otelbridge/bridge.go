package otelbridge

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Span phase suffixes, as built by telemetry.NewSpanName.
const (
	startSuffix     = ".start"
	stopSuffix      = ".stop"
	exceptionSuffix = ".exception"
)

// Attribute keys the bridge adds itself.
const (
	// OutcomeKey is the metric attribute telling how a span ended: "stop" or
	// "exception". It overrides a metadata attribute of the same key.
	OutcomeKey = "outcome"
	// abandoned is the status description of spans ended by EndOpenSpans.
	abandoned = "otelbridge: span abandoned: its stop or exception event never reached the bridge"
)

// The values of OutcomeKey.
const (
	OutcomeStop      = "stop"
	OutcomeException = "exception"
)

// Bridge is a [telemetry.Handler] that turns telemetry spans into
// OpenTelemetry spans and measurements into OpenTelemetry metrics. Create
// it with [New] and attach it to a registry; one Bridge may be attached to
// several registries. It is safe for concurrent use.
type Bridge struct {
	tracer        trace.Tracer
	insts         *instruments
	spans         spanTable
	exceptionType func(error) string
}

var _ telemetry.StartHandler = (*Bridge)(nil)

// New returns a Bridge configured by opts. It returns an error naming every
// bad field when opts does not validate.
func New(opts Options) (*Bridge, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("otelbridge: invalid options: %w", err)
	}
	b := &Bridge{
		tracer: opts.TracerProvider.Tracer(opts.InstrumentationName),
		insts: newInstruments(opts.MeterProvider.Meter(opts.InstrumentationName),
			append([]float64(nil), opts.DurationBoundaries...), opts.ErrorHandler),
		exceptionType: opts.ExceptionType,
	}
	for i := range b.spans.shards {
		b.spans.shards[i].m = map[telemetry.SpanID]openSpan{}
	}
	return b, nil
}

// Handle turns one event into OpenTelemetry calls, as described in the
// package documentation. It never keeps e.
func (b *Bridge) Handle(ctx context.Context, e *telemetry.Event) {
	if ctx == nil {
		// Emit accepts a nil context; OpenTelemetry does not.
		ctx = context.Background()
	}
	name := e.Name.String()
	if e.SpanID != 0 {
		switch {
		case strings.HasSuffix(name, startSuffix):
			_ = b.start(ctx, e, name[:len(name)-len(startSuffix)])
			return
		case strings.HasSuffix(name, stopSuffix):
			b.end(ctx, e, name[:len(name)-len(stopSuffix)], false)
			return
		case strings.HasSuffix(name, exceptionSuffix):
			b.end(ctx, e, name[:len(name)-len(exceptionSuffix)], true)
			return
		}
	}
	b.point(ctx, e, name)
}

// parent returns the open span of id, or the span in ctx.
func (b *Bridge) parent(ctx context.Context, id telemetry.SpanID) (trace.Span, bool) {
	if id != 0 {
		if sp, ok := b.spans.get(id); ok {
			return sp.span, true
		}
	}
	return trace.SpanFromContext(ctx), false
}

func (b *Bridge) start(ctx context.Context, e *telemetry.Event, spanName string) context.Context {
	if p, ok := b.parent(ctx, e.ParentID); ok {
		ctx = trace.ContextWithSpan(ctx, p)
	}
	ctx, span := b.tracer.Start(ctx, spanName,
		trace.WithTimestamp(e.Time),
		trace.WithAttributes(appendAttrs(nil, e.Metadata, dropStack)...))
	b.spans.put(e.SpanID, openSpan{span: span, startMetadata: len(e.Metadata)})
	return ctx
}

// HandleStart implements [telemetry.StartHandler]: it starts the
// OpenTelemetry span of a span's start event and returns a context holding
// it, so that OpenTelemetry-instrumented code inside the span's function (an
// HTTP client, a database driver) records its spans as children. Any other
// event is handled as by Handle, and ctx is returned unchanged.
func (b *Bridge) HandleStart(ctx context.Context, e *telemetry.Event) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	name := e.Name.String()
	if e.SpanID != 0 && strings.HasSuffix(name, startSuffix) {
		return b.start(ctx, e, name[:len(name)-len(startSuffix)])
	}
	b.Handle(ctx, e)
	return ctx
}

func (b *Bridge) end(ctx context.Context, e *telemetry.Event, prefix string, exception bool) {
	if sp, ok := b.spans.take(e.SpanID); ok {
		span := sp.span
		if span.IsRecording() {
			// Metadata starts with the start event's, already set.
			added := e.Metadata
			if sp.startMetadata <= len(added) {
				added = added[sp.startMetadata:]
			}
			drop := dropStack
			if exception {
				drop |= dropError
			}
			attrs := appendAttrs(nil, added, drop)
			attrs = appendMeasurementAttrs(attrs, e.Measurements)
			if len(attrs) > 0 {
				span.SetAttributes(attrs...)
			}
			if exception {
				b.recordException(span, e)
			}
		}
		span.End(trace.WithTimestamp(e.Time))
		// Exemplars of the duration and measurements point at the span.
		ctx = trace.ContextWithSpan(ctx, span)
	}
	outcome := OutcomeStop
	if exception {
		outcome = OutcomeException
	}
	ei := b.insts.event(e.Name, prefix, true)
	set := lazySet{md: e.Metadata, outcome: outcome}
	if ei.duration.Enabled(ctx) {
		ei.duration.Record(ctx, e.Duration.Seconds(), set.option())
	}
	b.recordMeasurements(ctx, ei, e, &set)
}

// recordException marks span as failed with the error of an exception
// event, and records the error as an exception span event, as RecordError
// would, but with the exception.type that Options.ExceptionType gives.
func (b *Bridge) recordException(span trace.Span, e *telemetry.Event) {
	err := e.Error()
	if err == nil {
		kind := "exception"
		if v, ok := e.Attr(telemetry.KeyKind); ok {
			kind = v.String()
		}
		span.SetStatus(codes.Error, kind)
		return
	}
	attrs := []attribute.KeyValue{
		attribute.String(exceptionType, b.exceptionType(err)),
		attribute.String(exceptionMessage, err.Error()),
	}
	if v, ok := e.Attr(telemetry.KeyStack); ok {
		attrs = append(attrs, attribute.String(exceptionStacktrace, v.String()))
	}
	span.AddEvent(exceptionEvent, trace.WithTimestamp(e.Time), trace.WithAttributes(attrs...))
	span.SetStatus(codes.Error, err.Error())
}

func (b *Bridge) point(ctx context.Context, e *telemetry.Event, name string) {
	span, own := b.parent(ctx, e.ParentID)
	if span.IsRecording() {
		attrs := appendAttrs(nil, e.Metadata, dropStack)
		attrs = appendMeasurementAttrs(attrs, e.Measurements)
		span.AddEvent(name, trace.WithTimestamp(e.Time), trace.WithAttributes(attrs...))
	}
	if len(e.Measurements) == 0 {
		return
	}
	if own {
		ctx = trace.ContextWithSpan(ctx, span)
	}
	set := lazySet{md: e.Metadata}
	b.recordMeasurements(ctx, b.insts.event(e.Name, name, false), e, &set)
}

func (b *Bridge) recordMeasurements(ctx context.Context, ei *eventInstruments, e *telemetry.Event, set *lazySet) {
	for _, m := range e.Measurements {
		if m.Kind() == 0 {
			continue // the zero Measurement
		}
		b.insts.recordOne(ctx, b.insts.measurement(ei, m), m, set)
	}
}

// lazySet builds the metric attributes of one event once, and only if some
// instrument is enabled: the metadata without KeyError and KeyStack, then
// OutcomeKey for span ends.
type lazySet struct {
	md      []slog.Attr
	outcome string
	opt     metric.MeasurementOption
}

func (s *lazySet) option() metric.MeasurementOption {
	if s.opt == nil {
		kvs := appendAttrs(make([]attribute.KeyValue, 0, len(s.md)+1), s.md, dropStack|dropError)
		if s.outcome != "" {
			kvs = append(kvs, attribute.String(OutcomeKey, s.outcome))
		}
		s.opt = metric.WithAttributeSet(attribute.NewSet(kvs...))
	}
	return s.opt
}

// OpenSpans returns the number of spans started and not yet ended.
func (b *Bridge) OpenSpans() int {
	n := 0
	for i := range b.spans.shards {
		sh := &b.spans.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// EndOpenSpans ends every span whose start event the bridge saw but whose
// stop or exception event it has not, with status Error, and returns how
// many it ended. Spans are left open when the bridge is detached while they
// run, or attached to start events only. Call it after detaching
// the bridge: a stop or exception event arriving later for an ended span is
// ignored.
func (b *Bridge) EndOpenSpans() int {
	now := time.Now()
	n := 0
	for i := range b.spans.shards {
		sh := &b.spans.shards[i]
		sh.mu.Lock()
		m := sh.m
		sh.m = map[telemetry.SpanID]openSpan{}
		sh.mu.Unlock()
		for _, sp := range m {
			sp.span.SetStatus(codes.Error, abandoned)
			sp.span.End(trace.WithTimestamp(now))
			n++
		}
	}
	return n
}

// openSpan is a span whose start event was handled.
type openSpan struct {
	span trace.Span
	// startMetadata is the length of the start event's metadata, which
	// the stop or exception event's metadata repeats first.
	startMetadata int
}

const (
	spanShardBits = 5
	spanShards    = 1 << spanShardBits
)

// spanTable maps the SpanIDs of open spans to their OpenTelemetry spans. It
// is sharded so that concurrent spans rarely share a lock.
type spanTable struct {
	shards [spanShards]spanShard
}

type spanShard struct {
	mu sync.Mutex
	m  map[telemetry.SpanID]openSpan
	_  [48]byte // a shard fills a 64-byte cache line
}

func (t *spanTable) shard(id telemetry.SpanID) *spanShard {
	// Fibonacci hashing: well spread for random and sequential ids alike.
	return &t.shards[(uint64(id)*0x9e3779b97f4a7c15)>>(64-spanShardBits)]
}

func (t *spanTable) put(id telemetry.SpanID, sp openSpan) {
	sh := t.shard(id)
	sh.mu.Lock()
	sh.m[id] = sp
	sh.mu.Unlock()
}

func (t *spanTable) get(id telemetry.SpanID) (openSpan, bool) {
	sh := t.shard(id)
	sh.mu.Lock()
	sp, ok := sh.m[id]
	sh.mu.Unlock()
	return sp, ok
}

func (t *spanTable) take(id telemetry.SpanID) (openSpan, bool) {
	sh := t.shard(id)
	sh.mu.Lock()
	sp, ok := sh.m[id]
	if ok {
		delete(sh.m, id)
	}
	sh.mu.Unlock()
	return sp, ok
}
