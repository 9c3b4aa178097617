package telemetry

// The events this package emits itself.
var (
	// HandlerFailed is emitted after a handler panicked. Metadata:
	// KeyHandler (the handler's id), KeyEvent (the event it was handling),
	// KeyError (a *PanicError holding the panic value) and KeyStack.
	// Measurements: "failures", the handler's panics so far. Panics of
	// handlers of HandlerFailed itself are logged, not re-emitted.
	HandlerFailed = MustName("ecopatterns.telemetry.handler.failed")
)
