package stopper

import (
	"log/slog"
	"time"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/telemetry"
)

// PanicPolicy decides what a panic in a task or a closer does.
type PanicPolicy string

// The panic policies.
const (
	// RepanicOnPanic reports the panic (log record and task exception event)
	// and then re-raises it from the panicking goroutine's own stack, so the
	// process crashes with the original trace. It is the default: a panic
	// means a bug, and state after a bug is suspect.
	RepanicOnPanic PanicPolicy = "repanic"
	// RecoverOnPanic reports the panic, turns it into a *TaskPanicError (the
	// error of RunTaskWithErr and RunTask for synchronous tasks, and part of
	// Stop's error), and starts quiescing the stopper so its owner shuts the
	// component down in order. A closer's panic becomes a *CloserPanicError
	// in Stop's error, and the remaining closers still run.
	RecoverOnPanic PanicPolicy = "recover"
)

// Options configures a [Stopper].
type Options struct {
	// Name identifies the stopper in logs, events, errors and goroutine
	// profiles. It must not be empty.
	Name string `usage:"name of the stopper in logs, events and errors"`
	// Logger receives the stopper's records: slow drains, panics. It must
	// not be nil; the default discards.
	Logger *slog.Logger `options:"-"`
	// Telemetry receives task and quiesce events. Nil means
	// telemetry.Default() as it is when New runs, which is itself nil (no
	// events) unless the program installed one.
	Telemetry *telemetry.Registry `options:"-"`
	// SlowQuiesceInterval is how often, while draining, the stopper reports
	// the tasks that are still running (their names and ages). It must be
	// > 0.
	SlowQuiesceInterval time.Duration `usage:"how often to report tasks still running while draining"`
	// OnPanic decides what a panic in a task or a closer does: "repanic"
	// or "recover".
	OnPanic PanicPolicy `usage:"what a task panic does: repanic or recover"`
}

// DefaultOptions returns options for a stopper named "stopper" that reports
// slow drains every 5 seconds, logs nothing and crashes on task panics.
func DefaultOptions() Options {
	return Options{
		Name:                "stopper",
		Logger:              slog.New(slog.DiscardHandler),
		SlowQuiesceInterval: 5 * time.Second,
		OnPanic:             RepanicOnPanic,
	}
}

// Validate reports every field that is not usable.
func (o Options) Validate() error {
	var c options.Collector
	options.NotEmpty(&c, "Name", o.Name)
	options.NotNil(&c, "Logger", o.Logger)
	options.Positive(&c, "SlowQuiesceInterval", o.SlowQuiesceInterval)
	options.Check(&c, o.OnPanic == RepanicOnPanic || o.OnPanic == RecoverOnPanic,
		"OnPanic", string(o.OnPanic), `must be "repanic" or "recover"`)
	return c.Err()
}
