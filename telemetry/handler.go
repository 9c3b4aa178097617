package telemetry

import "context"

// Handler receives the events it was attached to. Handle runs synchronously
// in the goroutine that emitted the event, after every handler attached
// before it and before every handler attached after it.
//
// Handle must not keep e or its slices after it returns (keep [Event.Clone]
// instead); it should be fast, because the emitter waits for it; and it may
// call Attach, Detach and emit other events. ctx is the emitter's context:
// read values from it, but do not expect it to outlive the call. A panic in
// Handle is recovered and handled by the registry's [FailurePolicy]; the
// emitter never sees it.
type Handler interface {
	Handle(ctx context.Context, e *Event)
}

// StartHandler is a Handler that also shapes the context a span's function
// runs with, the way a tracing bridge puts its span into that context so
// that instrumented code inside the function (an HTTP client, a database
// driver) becomes the span's child.
//
// For a span's start event the registry calls HandleStart instead of
// Handle. The context it returns must be derived from ctx (or be ctx); the
// next start handler receives it, and the span's function runs with the last
// one. Stop and exception events are delivered with the context the span
// started with, through Handle. If HandleStart panics, the context is left
// as it was before the call.
type StartHandler interface {
	Handler
	HandleStart(ctx context.Context, e *Event) context.Context
}

// HandlerFunc adapts a function to [Handler].
type HandlerFunc func(ctx context.Context, e *Event)

// Handle calls f(ctx, e).
func (f HandlerFunc) Handle(ctx context.Context, e *Event) { f(ctx, e) }

var (
	_ Handler = HandlerFunc(nil)
	_ Handler = (*slogHandler)(nil)
)
