// Package testmodetest helps test code built on testmode: a conformance
// suite for Engine implementations, and a MemoryEngine that stops when the
// test ends.
//
// # Composing with it
//
//	func TestMyEngine(t *testing.T) {
//		testmodetest.RunEngine(t, func(t *testing.T, workers *testmode.Workers) testmode.Engine {
//			return newMyEngine(t, workers) // serves DefaultQueue and OtherQueue; stopped by t.Cleanup
//		})
//	}
//
//	func TestCheckout(t *testing.T) {
//		engine := testmodetest.NewMemoryEngine(t, opts) // stopped when the test ends
//		...
//	}
//
// RunEngine checks, in the way of testing/fstest.TestFS, what the Engine
// contract promises: IDs, states and fields of stored rows; all-or-nothing
// inserts; uniqueness within the period and the batch; jobs run when due,
// with their args; failed attempts retried with the worker's backoff and
// the previous errors; snoozes that keep the attempt number. It works in
// real time with delays of milliseconds, waiting on the workers' signals
// rather than polling, so it also suits engines backed by a database.
//
// # Extending it
//
// The suite drives the engine only through a testmode.Client in Disabled
// mode and the workers it registers, so an engine needs nothing beyond the
// Engine interface and running jobs with the workers it is given (with
// Workers.Work, for instance).
//
// # What it deliberately does not do
//
// It does not check concurrency limits, priorities between queues or
// shutdown behaviour: those are each engine's own promises, tested by its
// own tests (MemoryEngine's are in package testmode). It does not provide
// assertion helpers: those are testmode's, which take a minimal TB so that
// they live beside the code they test.
package testmodetest
