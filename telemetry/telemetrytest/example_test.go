package telemetrytest_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
)

var sendSpan = telemetry.MustSpanName("ecopatterns.example.send")

// send is the code under test: it reports a span through reg.
func send(ctx context.Context, reg *telemetry.Registry, to string) error {
	return reg.Span(ctx, sendSpan, []slog.Attr{slog.String("to", to)}, func(ctx context.Context, s *telemetry.Scope) error {
		s.AddMetadata(slog.String("result", "sent"))
		return nil
	})
}

func ExampleCapture() {
	// In a real test the function below is a TestXxx function; here it is run
	// by hand so the example can print.
	testing.RunTests(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{
		Name: "TestSend",
		F: func(t *testing.T) {
			t.Parallel() // safe: the recorder sees only this test's events
			reg, _ := telemetry.New(telemetry.DefaultOptions())
			rec := telemetrytest.Capture(t, reg, "ecopatterns.example")
			ctx := rec.Context(context.Background())

			if err := send(ctx, reg, "ops@example.com"); err != nil {
				t.Fatal(err)
			}
			e := rec.Require(t, sendSpan.Stop, slog.String("to", "ops@example.com"))
			v, _ := e.Attr("result")
			fmt.Println(e.Name, "result:", v)
		},
	}})
	// Output:
	// ecopatterns.example.send.stop result: sent
}
