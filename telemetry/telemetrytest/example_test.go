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

// exampleT stands in for the *testing.T a test function receives, so the
// example can run outside a test.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Name() string                      { return "TestSend" }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }

// end runs the cleanups, as the testing package does when a test ends.
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

func ExampleCapture() {
	t := &exampleT{} // in a test: func TestSend(t *testing.T), which may call t.Parallel()
	defer t.end()

	reg, _ := telemetry.New(telemetry.DefaultOptions())
	rec := telemetrytest.Capture(t, reg, "ecopatterns.example")
	ctx := rec.Context(context.Background())

	if err := send(ctx, reg, "ops@example.com"); err != nil {
		t.Fatalf("%v", err)
	}
	e := rec.Require(t, sendSpan.Stop, slog.String("to", "ops@example.com"))
	v, _ := e.Attr("result")
	fmt.Println(e.Name, "result:", v)
	// Output:
	// ecopatterns.example.send.stop result: sent
}
