// Package enginetest is the conformance suite for testmode.Engine
// implementations: Run checks, in the way of testing/fstest.TestFS and
// testing/slogtest.Run, what the Engine contract promises, so the in-process
// MemoryEngine and a durable engine (testmode/riverengine, on River and
// PostgreSQL) pass the same checks.
//
// # Composing with it
//
//	func TestMyEngine(t *testing.T) {
//		enginetest.Run(t, func(t *testing.T, workers *testmode.Workers) testmode.Engine {
//			return newMyEngine(t, workers) // serves DefaultQueue and OtherQueue; empty; stopped by t.Cleanup
//		})
//	}
//
// Run checks IDs, states and fields of stored rows; all-or-nothing inserts;
// an insert under a cancelled context, which returns the context's error
// and stores nothing; uniqueness within the period and the batch; jobs run
// when due, with their args; failed attempts retried with the worker's
// backoff and the previous errors; snoozes that keep the attempt number;
// cancelled jobs that are never retried and discarded ones that stop at
// MaxAttempts, both freeing their unique key. It works in real time with
// delays of milliseconds and waits on the workers' signals, each wait
// bounded by Wait, so it also suits engines that keep jobs in a database and
// pick them up a poll interval late. Only a final state, which the Engine
// interface does not report, is polled for: by inserting the job's unique
// twin until the engine stores it rather than calling it a duplicate.
//
// # Extending it
//
// The suite drives the engine only through a testmode.Client in Disabled
// mode and the workers it registers (one worker, for ProbeArgs), so an
// engine needs nothing beyond the Engine interface and running jobs with
// the workers it is given (with Workers.Work, for instance). An engine
// that needs a fresh store per subtest creates it in newEngine.
//
// # What it deliberately does not do
//
// It does not check concurrency limits, priorities, timeouts or shutdown
// behaviour: how an engine honours them differs (River has four priority
// levels where testmode has ten) and each engine tests its own promises
// (MemoryEngine's are in package testmode, River's in riverengine). It does
// not check durability across crashes, which needs a database and two
// processes; riverengine's reliability tests do. It provides no assertion
// helpers: those are testmode's.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Run: what the conformance suite expects of the engines it is given, and
//     the one call that runs it in a test.
package enginetest
