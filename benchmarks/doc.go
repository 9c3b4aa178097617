// Package benchmarks holds side-by-side benchmarks of ecopatterns against
// peer libraries, run in one process so that every implementation of a case
// is measured on the same machine, under the same load, in the same run.
//
// # Convention
//
// Each case is one benchmark function named Benchmark<Package><Case>, for
// example BenchmarkStopperSpawn. It has one sub-benchmark per implementation,
// named /<impl>, where impl is one of:
//
//   - ecopatterns: the implementation under test;
//   - floor: the least code that does the job, with no library at all. It
//     marks the physical limit that no implementation can beat;
//   - the peer library's name, such as errgroup, renameio or prometheus.
//
// A case that is measured at several sizes nests the sizes below the
// implementation, for example BenchmarkEventsPublish/ecopatterns/handlers=10
// next to BenchmarkEventsPublish/floor/handlers=10, so that each size of each
// implementation is compared with the same size of ecopatterns.
//
// Peer libraries are imported only by this module, which has its own go.mod,
// so they never enter the dependency graph of the root ecopatterns module.
//
// # Running
//
// From this directory:
//
//	go test -run '^$' -bench . -count 10 ./... | go run ./cmd/ratios
//
// The ratios command turns the output into a Markdown table of medians and
// the ratio of ecopatterns' time to every other implementation's time; see
// its documentation for the output format.
package benchmarks
