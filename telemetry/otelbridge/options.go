package otelbridge

import (
	"math"
	"slices"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/ecopatterns/ecopatterns/options"
)

// DefaultInstrumentationName is the instrumentation scope name that
// [DefaultOptions] gives the bridge's tracer and meter.
const DefaultInstrumentationName = "github.com/ecopatterns/ecopatterns"

// Options configures a [Bridge].
type Options struct {
	// TracerProvider creates the tracer that turns telemetry spans into
	// OpenTelemetry spans. It must not be nil; to bridge metrics only, pass
	// the no-op provider of go.opentelemetry.io/otel/trace/noop.
	TracerProvider trace.TracerProvider `json:"-" options:"-"`
	// MeterProvider creates the meter that records span durations and
	// measurements. It must not be nil; to bridge traces only, pass the
	// no-op provider of go.opentelemetry.io/otel/metric/noop.
	MeterProvider metric.MeterProvider `json:"-" options:"-"`
	// InstrumentationName is the instrumentation scope name of the tracer and
	// the meter. It must not be empty.
	InstrumentationName string `usage:"instrumentation scope name of the OpenTelemetry tracer and meter"`
	// DurationBoundaries are the explicit bucket boundaries, in seconds, of
	// every duration histogram the bridge creates (span durations and
	// duration measurements). They must be finite and strictly increasing,
	// and there must be at least one: the SDK's own default boundaries are
	// meant for milliseconds and would put almost every duration in seconds
	// into the first bucket. A metric View configured in the SDK overrides
	// them.
	DurationBoundaries []float64 `options:"jsononly"`
	// ErrorHandler receives the errors the bridge cannot return to anyone:
	// instrument creation failures (an event name or measurement key that is
	// not a valid instrument name, an instrument name already used with
	// another kind) and negative values given to a counter. Each is reported
	// once per instrument, not once per event. It is called synchronously
	// from Handle, outside the bridge's locks, and must not be nil.
	ErrorHandler func(error) `json:"-" options:"-"`
	// ExceptionType names the type of a span's error in the exception.type
	// attribute of the span's exception event: what a reader of the trace
	// groups failures by and acts on. The default, [InnermostType], names the
	// innermost exported type in the error's chain; a program with its own
	// error taxonomy names that instead, such as errprio's code:
	//
	//	opts.ExceptionType = func(err error) string {
	//		if code := errprio.CodeOf(err); code != errprio.CodeUncategorized {
	//			return string(code)
	//		}
	//		return otelbridge.InnermostType(err)
	//	}
	//
	// It is called from Handle for every exception event, with a non-nil
	// error, and must not be nil.
	ExceptionType func(error) string `json:"-" options:"-"`
}

// DefaultOptions returns options that use the OpenTelemetry global tracer
// and meter providers (otel.GetTracerProvider and otel.GetMeterProvider),
// report errors to otel.Handle (the global OpenTelemetry error handler),
// name exception types with [InnermostType],
// name the instrumentation scope [DefaultInstrumentationName] and bucket
// durations with the boundaries the OpenTelemetry semantic conventions
// recommend for HTTP server durations (5ms to 10s).
//
// The global providers are read when DefaultOptions is called. They
// delegate to the providers a program installs later with
// otel.SetTracerProvider and otel.SetMeterProvider, so calling
// DefaultOptions before the SDK is configured is fine.
func DefaultOptions() Options {
	return Options{
		TracerProvider:      otel.GetTracerProvider(),
		MeterProvider:       otel.GetMeterProvider(),
		InstrumentationName: DefaultInstrumentationName,
		DurationBoundaries:  []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10},
		ErrorHandler:        otel.Handle,
		ExceptionType:       InnermostType,
	}
}

// Validate reports every field that is not usable, as an errors.Join of
// *options.FieldError values.
func (o Options) Validate() error {
	var c options.Collector
	options.Check(&c, o.TracerProvider != nil, "TracerProvider", o.TracerProvider, "must not be nil")
	options.Check(&c, o.MeterProvider != nil, "MeterProvider", o.MeterProvider, "must not be nil")
	options.NotEmpty(&c, "InstrumentationName", o.InstrumentationName)
	options.Check(&c, len(o.DurationBoundaries) > 0, "DurationBoundaries", o.DurationBoundaries, "must hold at least one boundary")
	options.Check(&c, increasing(o.DurationBoundaries), "DurationBoundaries", o.DurationBoundaries, "must be finite and strictly increasing")
	options.Check(&c, o.ErrorHandler != nil, "ErrorHandler", o.ErrorHandler, "must not be nil")
	options.Check(&c, o.ExceptionType != nil, "ExceptionType", o.ExceptionType, "must not be nil")
	return c.Err()
}

// increasing reports whether bs is finite and strictly increasing.
func increasing(bs []float64) bool {
	if slices.ContainsFunc(bs, func(b float64) bool { return math.IsNaN(b) || math.IsInf(b, 0) }) {
		return false
	}
	for i := 1; i < len(bs); i++ {
		if !(bs[i] > bs[i-1]) {
			return false
		}
	}
	return true
}
