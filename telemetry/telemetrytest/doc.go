// Package telemetrytest captures the telemetry events a test's own code
// emitted, so tests can assert on them without sleeping and without seeing
// events of other tests running in parallel.
//
// # Composing with it
//
//	rec := telemetrytest.Capture(t, reg, "ecopatterns.stopper")
//	ctx := rec.Context(t.Context())
//	... run the code under test with ctx ...
//	rec.Require(t, stopper.TaskStop, slog.String("task", "worker"))
//
// A [Recorder] keeps only events whose emit context carries its token, which
// [Recorder.Context] places in a context. Code under test that passes its
// context along (as every ecopatterns package does, including to the
// goroutines it starts) therefore reports to the right recorder, and 64
// parallel tests emitting the same names each see only their own events:
// the cross-talk that Erlang's telemetry_test suffers from cannot happen.
// The recorder detaches itself in t.Cleanup.
//
// [Recorder.Wait] blocks until a matching event arrives or its context ends;
// it is woken by the event itself, never by polling.
//
// # Extending it
//
// Match on anything an [telemetry.Event] carries by filtering
// [Recorder.Events]; the helpers cover the common case of a name plus
// metadata attributes that must be present with equal values.
//
// # What it deliberately does not do
//
// It does not capture events emitted with a context that lacks the token
// (for example from context.Background in a goroutine that dropped the test's
// context): that is what keeps parallel tests apart. It does not install a
// default registry.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Capture: the events a test emitted, captured and asserted on.
package telemetrytest
