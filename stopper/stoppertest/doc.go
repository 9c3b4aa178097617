// Package stoppertest helps tests that use stoppers: it stops them when the
// test ends and finds the ones a test forgot.
//
// # Composing with it
//
//	func TestWorker(t *testing.T) {
//		t.Parallel()
//		stoppertest.VerifyNone(t)      // fails the test if it leaves a Stopper running
//		s := stoppertest.New(t)        // stopped in t.Cleanup; the test fails if that errs
//		...
//	}
//
// VerifyNone works with t.Parallel: a stopper is blamed on the test whose
// function (or a function literal inside it) created it, read from the
// creation stack the stopper package records, and only if it was created
// after VerifyNone was called. Parallel subtests that share one function
// literal (table-driven tests) cannot be told apart this way; call
// VerifyNone in the parent test instead, which waits for its subtests.
//
// # Extending it
//
// stopper.LiveStoppers lists every stopper not yet stopped with its creation
// stack, for checks of your own.
//
// # What it deliberately does not do
//
// It does not stop leaked stoppers for you: a leak is reported so the test
// is fixed, and the stopper is left as it was.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - New: a stopper that is stopped, and checked for stuck tasks, when the
//     test ends.
package stoppertest
