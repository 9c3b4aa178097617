package stopper

import "github.com/ecopatterns/ecopatterns/telemetry"

// The events a Stopper emits. Every event's metadata has "stopper", the
// stopper's name.
var (
	// TaskSpan wraps each task's function: start, then stop or exception
	// (a panic). Metadata: "stopper", "task" (the task's name), "async"
	// (bool). Emitted only while a handler is attached to one of its names.
	TaskSpan = telemetry.MustSpanName("ecopatterns.stopper.task")
	// QuiesceSpan covers a drain, from the moment the stopper starts
	// refusing tasks until the last running task has returned. Measurements
	// on start: "tasks", the tasks running then.
	QuiesceSpan = telemetry.MustSpanName("ecopatterns.stopper.quiesce")
	// DrainStalled is emitted every SlowQuiesceInterval while a drain waits.
	// Measurements: "tasks" (still running), "oldest" (age of the oldest
	// task). Metadata: "stopper", "running" (names and ages as text).
	DrainStalled = telemetry.MustName("ecopatterns.stopper.drain.stalled")
	// CloserPanicked is emitted when a closer panics, before the panic
	// policy applies. Metadata: "stopper", "closer" (the closer's function
	// or type), telemetry.KeyError (a *CloserPanicError) and
	// telemetry.KeyStack.
	CloserPanicked = telemetry.MustName("ecopatterns.stopper.closer.panicked")
)
