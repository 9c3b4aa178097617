package otelbridge_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/otelbridge"
)

// BenchmarkBridgeSpan measures one telemetry span with two metadata
// attributes and one measurement, bridged to an SDK tracer that samples
// everything and exports nothing, with and without SDK metrics. It is a
// reference for what the bridge adds to a span, not a goal.
func BenchmarkBridgeSpan(b *testing.B) {
	for _, bc := range []struct {
		name string
		mp   func() metric.MeterProvider
	}{
		{"traces", func() metric.MeterProvider { return metricnoop.NewMeterProvider() }},
		{"traces+metrics", func() metric.MeterProvider {
			return sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			opts := otelbridge.DefaultOptions()
			opts.TracerProvider = tp
			opts.MeterProvider = bc.mp()
			bridge, err := otelbridge.New(opts)
			require.NoError(b, err)
			reg, err := telemetry.New(telemetry.DefaultOptions())
			require.NoError(b, err)
			require.NoError(b, reg.Attach("otel", []string{"ecopatterns"}, bridge))

			ctx := context.Background()
			md := []slog.Attr{slog.String("queue", "mail"), slog.Int("priority", 1)}
			fn := func(_ context.Context, s *telemetry.Scope) error {
				s.AddMeasurements(telemetry.Int("attempts", 1))
				return nil
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = reg.Span(ctx, jobSpan, md, fn)
			}
		})
	}
}
