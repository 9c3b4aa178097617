// Package discoverytest checks that a discovery mechanism honours the
// Discoverer contract, and gives tests a discoverer they drive by hand. It
// is to discovery what testing/fstest is to io/fs and testing/slogtest to
// log/slog.
//
// # Composing with it
//
// A mechanism's test runs its Config through the conformance suite, which
// judges each rule of the contract in a subtest named after it, and
// asserts on the groups it found:
//
//	func TestConformance(t *testing.T) {
//		groups := discoverytest.Run(t, &Config{Nodes: []string{"a:1"}})
//		require.Len(t, groups, 1)
//	}
//
// A test that watches one discoverer over time, outside a Manager, starts
// a Recorder: it runs the discoverer until the test ends and returns every
// update and every reported error in order, with waits that end on a
// context:
//
//	r := discoverytest.Start(t, cfg)
//	first, err := r.NextUpdate(ctx)
//	... // change what the discoverer watches
//	reported, err := r.NextError(ctx)
//
// A test of code that consumes a Manager uses a Mock as one of its
// Configs and sends groups with Mock.Send.
//
// # Extending it
//
// Nothing to implement: Run and Start take any discovery.Config.
//
// # What it deliberately does not do
//
// Run cannot tell a full set from a partial one, nor make a discoverer
// change its mind; it checks the rules a single run shows. Its leak check
// looks at every goroutine of the process, so it must not run in parallel
// with other tests (no t.Parallel). It uses real time, with generous
// timeouts that only bound a failure; inside a testing/synctest bubble
// those are fake time.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Run: a mechanism's test: its Config through the conformance suite, then
//     checks of what it found.
//   - Start: a Recorder running one discoverer, showing what it sent.
//   - Mock: a Mock driving a Manager by hand, in a test of the code that
//     consumes the Manager.
package discoverytest
