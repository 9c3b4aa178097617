package otelbridge_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/otelbridge"
)

// A job span with a nested fetch span that fails becomes two OpenTelemetry
// spans, the fetch a child of the job, both with status Error.
func Example() {
	ctx := context.Background()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(ctx) }()

	opts := otelbridge.DefaultOptions()
	opts.TracerProvider = tp
	opts.MeterProvider = metricnoop.NewMeterProvider() // traces only
	bridge, err := otelbridge.New(opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, _ := telemetry.New(telemetry.DefaultOptions())
	if err := reg.Attach("otel", []string{"ecopatterns"}, bridge); err != nil {
		fmt.Println(err)
		return
	}

	jobRun := telemetry.MustSpanName("ecopatterns.example.job")
	fetch := telemetry.MustSpanName("ecopatterns.example.fetch")
	_ = reg.Span(ctx, jobRun, []slog.Attr{slog.String("queue", "mail")}, func(ctx context.Context, _ *telemetry.Scope) error {
		return reg.Span(ctx, fetch, nil, func(context.Context, *telemetry.Scope) error {
			return errors.New("connection refused")
		})
	})

	names := map[trace.SpanID]string{}
	for _, s := range exp.GetSpans() {
		names[s.SpanContext.SpanID()] = s.Name
	}
	for _, s := range exp.GetSpans() { // in the order they ended
		parent := names[s.Parent.SpanID()]
		if parent == "" {
			parent = "(root)"
		}
		fmt.Printf("%s parent=%s status=%s %q events=%d\n", s.Name, parent, s.Status.Code, s.Status.Description, len(s.Events))
	}
	// Output:
	// ecopatterns.example.fetch parent=ecopatterns.example.job status=Error "connection refused" events=1
	// ecopatterns.example.job parent=(root) status=Error "connection refused" events=1
}

// Span durations go to a histogram named after the span, measurements to
// instruments named after the span and their key.
func Example_metrics() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(ctx) }()

	opts := otelbridge.DefaultOptions()
	opts.TracerProvider = tracenoop.NewTracerProvider() // metrics only
	opts.MeterProvider = mp
	bridge, err := otelbridge.New(opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, _ := telemetry.New(telemetry.DefaultOptions())
	_ = reg.Attach("otel", []string{"ecopatterns"}, bridge)

	send := telemetry.MustSpanName("ecopatterns.example.mail.send")
	for _, rcpt := range []int64{3, 2} {
		_ = reg.Span(ctx, send, []slog.Attr{slog.String("queue", "mail")}, func(_ context.Context, s *telemetry.Scope) error {
			s.AddMeasurements(telemetry.Int("recipients", rcpt))
			return nil
		})
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
		return
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch data := m.Data.(type) {
		case metricdata.Histogram[float64]:
			dp := data.DataPoints[0]
			lines = append(lines, fmt.Sprintf("%s unit=%s count=%d %s", m.Name, m.Unit, dp.Count, dp.Attributes.Encoded(attribute.DefaultEncoder())))
		case metricdata.Sum[int64]:
			dp := data.DataPoints[0]
			lines = append(lines, fmt.Sprintf("%s sum=%d %s", m.Name, dp.Value, dp.Attributes.Encoded(attribute.DefaultEncoder())))
		}
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// ecopatterns.example.mail.send.duration unit=s count=2 outcome=stop,queue=mail
	// ecopatterns.example.mail.send.recipients sum=5 outcome=stop,queue=mail
}
