// Package telemetry emits span and point events, each with measurements and
// metadata, to handlers attached by id. It is the observability seam of
// ecopatterns: every other package reports through it, and a program attaches
// one handler to see everything. It follows Erlang/Elixir's :telemetry
// (execute, span, attach, detach, list_handlers as [Registry.ListHandlers])
// and Oban's event catalogs.
//
// # Composing with it
//
// A program creates a [Registry], attaches handlers, and hands the registry
// to the components it builds through their Options.Telemetry field:
//
//	reg, _ := telemetry.New(telemetry.DefaultOptions())
//	_ = reg.Attach("log", []string{"ecopatterns"}, telemetry.SlogHandler(logger, slog.LevelInfo))
//
// A pattern such as "ecopatterns.stopper" receives every event below it.
// Patterns are checked at Attach with the rules of names; build them from
// the emitters' typed names with [Patterns] (telemetry.Patterns(
// stopper.TaskSpan)) so that a misspelled event does not compile.
// Handlers run synchronously in the emitting goroutine, in the order they
// were attached (unlike :telemetry, which leaves the order open). A handler
// that panics is recovered, reported as a [HandlerFailed] event and a log
// record, and detached (see [FailurePolicy]); the emitter never notices.
//
// Code that emits declares its names once, in its package's events.go, and
// wraps work in [Registry.Span]:
//
//	var jobRun = telemetry.MustSpanName("ecopatterns.jobs.job")
//
//	err := reg.Span(ctx, jobRun, []slog.Attr{slog.String("queue", q)}, func(ctx context.Context, s *telemetry.Scope) error {
//		s.AddMetadata(slog.String("result", "ok"))
//		return work(ctx)
//	})
//
// With no handler attached, Span and [Registry.Emit] cost a few nanoseconds
// and allocate nothing, and a nil *Registry is a valid no-op; emitters whose
// metadata is expensive to build ask [Registry.Enabled] first. A program that
// cannot pass a registry everywhere installs one with [SetDefault] before
// building its components; packages read [Default] once, in their
// constructors, when given no registry.
//
// Naming rules. A name is dotted segments, prefix first:
// ecopatterns.<package>.<noun>.<phase>. Spans use the phases start, stop and
// exception; point events use a past-tense verb
// (ecopatterns.discovery.target.added). Never generic names like "event" or
// "done". Measurements versus metadata: would you plot it or aggregate it?
// It is a measurement ([Int], [Float], [Dur]). Would you filter or group by
// it? It is metadata ([log/slog.Attr]).
//
// Tests capture the events their own code emitted, even under t.Parallel,
// with the telemetrytest package. The nested module telemetry/otelbridge
// turns spans into OpenTelemetry spans and measurements into metric
// instruments.
//
// # Extending it
//
// Implement [Handler] (one method) to send events anywhere; [HandlerFunc]
// adapts a function. The contract, stated on Handler.Handle: it runs
// synchronously, must not keep the event after it returns (keep
// [Event.Clone]), and may attach, detach and emit. A handler that must
// shape the context a span's function runs with (a tracing bridge putting its
// span there, so instrumented code inside becomes its child) also implements
// [StartHandler].
//
// # What it deliberately does not do
//
// It does not sample, export, buffer or batch: handlers run inline and
// bridges (OpenTelemetry, logs, metrics) decide what to keep. It has no
// global registry unless a program installs one, no wildcard patterns beyond
// name prefixes, and no asynchronous delivery, so an event is never lost and
// never reordered, and a slow handler slows its emitter, visibly.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Registry.Span: work wrapped in a span: start, then stop or exception,
//     with the duration and the measurements added.
//   - Registry.Attach: a handler attached by id under a prefix, and detached.
//   - SlogHandler: events written as log records.
//   - Registry.Enabled: an emitter whose metadata is costly asks first whether
//     anyone listens.
//   - Registry.ListHandlers: typed names as patterns, and the handlers
//     attached under a prefix.
package telemetry
