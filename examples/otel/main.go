// Command otel bridges ecopatterns telemetry to OpenTelemetry: an
// otelbridge.Bridge attached to a telemetry.Registry turns every telemetry
// span into an OpenTelemetry span, exported here by the SDK's stdout trace
// exporter, and every span duration and measurement into a metric, read
// here with a manual reader.
//
// It runs one checkout of a made-up shop: a checkout span with two child
// spans, a stock reservation that succeeds and counts the items it reserved,
// and a payment that fails with an errprio code (an exception span, status
// Error, whose exception event names the code), plus a point
// event that becomes a span event of the checkout. It needs no network and
// exits 0 at once. It is a module of its own, so that the root module does
// not depend on the OpenTelemetry SDK:
//
//	cd examples/otel && go run .
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/otelbridge"
)

// The shop's telemetry names. A program names its own events under its own
// prefix; spans end in start, stop and exception.
var (
	checkoutSpan = telemetry.MustSpanName("shop.checkout")
	reserveSpan  = telemetry.MustSpanName("shop.stock.reserve")
	chargeSpan   = telemetry.MustSpanName("shop.payment.charge")
	// couponApplied is a point event: it becomes an event of the span it
	// happens in.
	couponApplied = telemetry.MustName("shop.coupon.applied")
)

// errDeclined is the payment provider's answer in the demo.
var errDeclined = errors.New("card declined")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is main without the process: it sets up the OpenTelemetry SDK and the
// bridge, runs one checkout, and writes the exported spans and the metrics
// to out.
func run(ctx context.Context, args []string, out io.Writer) (err error) {
	fs := flag.NewFlagSet("otel", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	// The SDK, configured as any program configures it. WithSyncer exports
	// each span as it ends, which suits a demo; a service uses
	// WithBatcher and an OTLP exporter.
	exporter, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	res := resource.NewSchemaless(attribute.String("service.name", "shop"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter), sdktrace.WithResource(res))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res))
	// Shutdown flushes what is buffered. It gets a context that is not
	// cancelled, so that an interrupted run still flushes.
	defer func() {
		err = errors.Join(err, tp.Shutdown(context.WithoutCancel(ctx)), mp.Shutdown(context.WithoutCancel(ctx)))
	}()

	// The bridge, attached to the registry the program's components
	// report to: here the shop's own spans, under the prefix "shop".
	opts := otelbridge.DefaultOptions()
	opts.TracerProvider, opts.MeterProvider = tp, mp
	opts.ExceptionType = exceptionType
	bridge, err := otelbridge.New(opts)
	if err != nil {
		return err
	}
	reg, err := telemetry.New(telemetry.DefaultOptions())
	if err != nil {
		return err
	}
	if err := reg.Attach("otel", []string{"shop"}, bridge); err != nil {
		return err
	}

	fmt.Fprintln(out, "== spans, as the stdout exporter writes them when they end")
	err = checkout(ctx, reg, []string{"book", "pen", "lamp"})
	fmt.Fprintf(out, "== checkout: %v\n", err)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return err
	}
	fmt.Fprintln(out, "== metrics")
	for _, line := range metricLines(rm) {
		fmt.Fprintln(out, line)
	}
	return nil
}

// checkout is the instrumented code: it knows telemetry only, not
// OpenTelemetry. Spans started inside the checkout's function get it as
// their parent through ctx.
func checkout(ctx context.Context, reg *telemetry.Registry, items []string) error {
	meta := []slog.Attr{slog.String("region", "eu")}
	return reg.Span(ctx, checkoutSpan, meta, func(ctx context.Context, _ *telemetry.Scope) error {
		err := reg.Span(ctx, reserveSpan, nil, func(_ context.Context, s *telemetry.Scope) error {
			s.AddMeasurements(telemetry.Int("items", int64(len(items))))
			return nil
		})
		if err != nil {
			return err
		}
		reg.Emit(ctx, couponApplied, nil, slog.String("code", "WELCOME10"))
		return reg.Span(ctx, chargeSpan, []slog.Attr{slog.String("provider", "demo-pay")}, func(context.Context, *telemetry.Scope) error {
			// Coded: the card will be declined again, whoever retries.
			return errprio.WithCode(fmt.Errorf("payment: %w", errDeclined), errprio.CodeInvalidInput)
		})
	})
}

// exceptionType names an exception, in the exception.type attribute, by
// its errprio code, which says what to do about it (retry, fix the request,
// fix a bug), and an error without a code by its innermost exported type,
// as the bridge does by default.
func exceptionType(err error) string {
	code := errprio.CodeOf(err)
	if code == errprio.CodeUncategorized {
		return otelbridge.InnermostType(err)
	}
	if spec, ok := errprio.Lookup(code); ok {
		return "errprio " + string(code) + " " + spec.Name
	}
	return "errprio " + string(code)
}

// metricLines describes the collected metrics compactly, one line per data
// point, sorted: name, kind, value, attributes.
func metricLines(rm metricdata.ResourceMetrics) []string {
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range data.DataPoints {
					lines = append(lines, fmt.Sprintf("%s histogram unit=%s count=%d {%s}", m.Name, m.Unit, dp.Count, dp.Attributes.Encoded(attribute.DefaultEncoder())))
				}
			case metricdata.Sum[int64]:
				for _, dp := range data.DataPoints {
					lines = append(lines, fmt.Sprintf("%s counter sum=%d {%s}", m.Name, dp.Value, dp.Attributes.Encoded(attribute.DefaultEncoder())))
				}
			default:
				lines = append(lines, fmt.Sprintf("%s %T", m.Name, data))
			}
		}
	}
	slices.SortFunc(lines, strings.Compare)
	return lines
}
