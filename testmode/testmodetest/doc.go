// Package testmodetest helps test code built on testmode: a MemoryEngine
// that stops when the test ends. The conformance suite for Engine
// implementations is package enginetest.
//
// It follows River's rivertest, whose helpers live in a package of their
// own beside the library, take a testing.TB and fail the test themselves,
// and Oban's testing setup (Oban.Testing), where an instance started for
// one test (with ExUnit's start_supervised) stops when the test ends. Like
// net/http/httptest, it is imported by tests only.
//
// # Composing with it
//
//	func TestCheckout(t *testing.T) {
//		engine := testmodetest.NewMemoryEngine(t, opts) // stopped when the test ends
//		...
//	}
//
// NewMemoryEngine fails the test at once when the options do not validate,
// and at the end when the engine's Stop reports jobs still running, named
// with their stacks.
//
// # Extending it
//
// There is nothing to implement. An engine author checks an Engine with
// enginetest.Run, and builds helpers like NewMemoryEngine for that engine
// (riverengine's tests do).
//
// # What it deliberately does not do
//
// It does not provide assertion helpers: those are testmode's, which take a
// minimal TB so that they live beside the code they test. It does not check
// engines against the Engine contract: enginetest does, so that a package
// testing its own engine does not compile this one's MemoryEngine helpers.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - NewMemoryEngine: a test's own MemoryEngine, stopped when the test ends.
package testmodetest
