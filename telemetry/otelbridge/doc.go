// Package otelbridge is a [telemetry.Handler] that turns telemetry spans
// into OpenTelemetry spans and telemetry measurements into OpenTelemetry
// metrics. It follows the Erlang/Elixir opentelemetry_telemetry library (and
// opentelemetry_oban built on it), which bridges :telemetry span events to
// OpenTelemetry in the same way.
//
// It is a nested module, so that programs which do not use OpenTelemetry
// compile none of it. Its go directive is go 1.26.0, above the go 1.25.0 of
// the root module, because OpenTelemetry v1.47.0 requires it.
//
// # Composing with it
//
// Configure the OpenTelemetry SDK (providers, exporters, samplers, views)
// as usual, build a Bridge and attach it to the registry your components
// report to:
//
//	opts := otelbridge.DefaultOptions() // the global providers
//	opts.TracerProvider, opts.MeterProvider = tp, mp
//	bridge, err := otelbridge.New(opts)
//	if err != nil { ... }
//	if err := reg.Attach("otel", []string{"ecopatterns"}, bridge); err != nil { ... }
//
// Every event under the attached prefixes is then translated:
//
//   - A span's start event starts an OpenTelemetry span named after the
//     span's prefix (ecopatterns.stopper.task for
//     ecopatterns.stopper.task.start), timestamped with the event's time and
//     carrying its metadata as attributes. Its parent is the open span of the
//     event's ParentID (a telemetry span started inside another one), else
//     the span in the emitter's context, so a telemetry span run inside an
//     OpenTelemetry span, such as an HTTP server span, becomes its child.
//   - The stop event ends the span at the event's time, after setting the
//     metadata the span's function added and the measurements as
//     attributes. The exception event does the same and also records the
//     error, as RecordError would, in an "exception" span event with
//     exception.message, exception.type and, for a panic,
//     exception.stacktrace; and it sets the status to Error with the error's
//     message. Its "kind" attribute says error, panic or exit. The type is
//     what Options.ExceptionType names: by default [InnermostType], the
//     innermost exported type in the error's chain (*io/fs.PathError), where
//     RecordError would name the outermost wrapper (*fmt.wrapError); a
//     program can name its own error codes instead.
//   - Both record the span's duration, in seconds, in a float64 histogram
//     named <prefix>.duration (unit "s", bucket boundaries from
//     Options.DurationBoundaries), with the metadata and [OutcomeKey]
//     ("stop" or "exception") as attributes.
//   - A point event becomes a span event, with its metadata and measurements
//     as attributes, on the open span of its ParentID, else on the span in
//     the emitter's context if that is recording; otherwise it leaves no
//     trace.
//   - Every measurement (on span ends and point events) is recorded in an
//     instrument named <base>.<key>, where base is the span's prefix for span
//     ends and the event name for point events: an int64 counter for
//     integers (the counter adds the value), a float64 histogram for floats,
//     and a float64 histogram in seconds (unit "s") for durations. Its
//     attributes are the event's metadata, plus [OutcomeKey] on span ends.
//
// Instruments are created at first use and cached. Errors nobody can
// return (an event name that is not a valid instrument name, one name used
// for two kinds of instrument, a negative count) go to
// Options.ErrorHandler, otel.Handle by default, once per instrument; the
// event itself is still handled.
//
// Metadata becomes attributes as follows: strings, integers, floats and
// booleans as themselves; unsigned integers above the int64 range as
// decimal strings; durations as float64 seconds (the unit of OpenTelemetry
// duration metrics, and what [telemetry.Measurement.Float64] returns), under
// the same key; times as RFC 3339 strings with nanoseconds; groups flattened
// into dotted keys (group.key; a group with an empty key is inlined, as in
// slog); []string, []int, []int64, []float64 and []bool as slice
// attributes; and any other value, errors and fmt.Stringers included, as the
// string fmt.Sprint makes of it. Attributes with an empty key are dropped,
// and so is the telemetry.KeyStack attribute, which only appears as the
// exception.stacktrace of a recorded exception. Metric attributes also
// leave out telemetry.KeyError, whose values are unbounded.
//
// Every other metadata attribute becomes a metric attribute. Metadata that
// identifies one operation (a job id, a path with ids in it) makes a new
// time series per value: drop such keys with an SDK View whose
// Stream.AttributeFilter is [attribute.NewDenyKeysFilter] (or
// [attribute.NewAllowKeysFilter]), or keep them out of the metadata.
//
// A span whose stop or exception event never reaches the bridge (it was
// detached while the span ran, or attached to start events only) stays
// open; [Bridge.EndOpenSpans] ends such spans, and [Bridge.OpenSpans] counts
// them. A stop or exception event whose start the bridge did not see (it is
// attached to stop and exception events only, or is fed events by hand)
// ends no span but still records metrics, whose values are complete. A
// registry resolves a span's handlers when the span starts, so a bridge
// attached while a span runs sees none of that span's events.
//
// # Extending it
//
// There is nothing to implement: everything the bridge does with the data
// is configured in the OpenTelemetry SDK, through span processors,
// samplers, views and exporters. To bridge only some events, attach the
// Bridge to narrower prefixes; to bridge traces or metrics only, pass the
// no-op provider of the other signal.
//
// The Bridge is a [telemetry.StartHandler]: it puts the OpenTelemetry span
// it starts into the context the span's function runs with, so
// OpenTelemetry-instrumented code inside the function (an HTTP client, a
// database driver) records its spans as children of the bridged span.
//
// # What it deliberately does not do
//
// It configures no exporter, processor or resource and installs no global
// provider: that is the program's job, and one it already does for its other
// OpenTelemetry instrumentation. It makes no sampling decision of its own;
// the tracer provider's sampler decides, and a span it drops still parents
// the spans nested in it. It does not propagate
// context across processes or read baggage; use OpenTelemetry propagators
// for that.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example: a job span with a failing nested fetch span, as two
//     OpenTelemetry spans with status Error.
//   - Example (metrics): span durations and measurements as OpenTelemetry
//     histograms and counters.
package otelbridge
