// Command ratios summarizes the output of go test -bench as a Markdown table
// that compares ecopatterns with the other implementations of each
// benchmark case, and prints one machine-readable line per comparison.
//
// Usage, from the benchmarks module:
//
//	go test -run '^$' -bench . -count 6 ./... | go run ./cmd/ratios
//
// # Input
//
// Standard input is the plain-text output of go test -bench, possibly for
// several packages and with any -count, -cpu and -benchmem settings. Lines
// that are not benchmark results, such as goos:, pkg:, PASS, ok and the
// indented log lines of --- BENCH: blocks, are ignored, and so are the bare
// benchmark names that go test -v prints before running a benchmark.
//
// A result line looks like
//
//	BenchmarkEventsPublish/floor/handlers=10-2   809289   29.95 ns/op   10.00 events/op   0 B/op   0 allocs/op
//
// Its name is split into
//
//   - the case: the top-level benchmark name without the Benchmark prefix
//     (EventsPublish above);
//   - the impl: everything after the first slash, with nested sub-benchmark
//     names kept as they are (floor/handlers=10 above), or the empty string
//     for a benchmark that has no sub-benchmarks;
//   - the GOMAXPROCS value, taken from a trailing -N suffix and removed from
//     the name (2 above). A name without such a suffix ran with GOMAXPROCS=1,
//     which is when go test omits it. As in benchstat, a sub-benchmark whose
//     own name ends in -N, such as size-1024, is indistinguishable from a
//     suffix when the benchmarks run with -cpu 1.
//
// The iteration count is followed by value-unit pairs. The ns/op, B/op and
// allocs/op metrics are summarized; any other metric, such as MB/s or a
// custom events/op, is checked but not reported. The case names must be
// unique across packages: the same case in two different pkg: sections is
// an error rather than silently merged.
//
// # Output
//
// For each case, GOMAXPROCS value and impl, the report shows the median
// ns/op, B/op and allocs/op over all the repeated lines (with an even number
// of lines, the median is the mean of the two middle values). A metric that
// no line reported, such as B/op without -benchmem, shows as —.
//
// The ecopatterns/impl column is the median ns/op of ecopatterns divided by
// the median ns/op of the row's impl: 1.25 means ecopatterns takes 25% longer
// than that impl, 0.80 that it takes 20% less time. An impl with nested
// names is paired with the ecopatterns impl of the same nesting, so that
// floor/handlers=10 is compared with ecopatterns/handlers=10, and the
// ratio of a plain impl such as floor uses plain ecopatterns. The ratio shows
// as — for ecopatterns itself, for benchmarks without sub-benchmarks and
// whenever either median is missing or the ratio is undefined.
//
// When a case ran at a single GOMAXPROCS value, the case column shows its
// bare name; when it ran at several (go test -cpu 1,4), each value is
// reported separately, as the case name suffixed with -N, and impls are
// only compared at the same value.
//
// After the table, every defined ratio is printed again on its own line as
//
//	RATIO <case> <impl> <ratio>
//
// with the ratio rounded to three decimal places, for example
// "RATIO StopperSpawn floor 1.042". Table rows and RATIO lines are sorted by
// case name, then GOMAXPROCS value, then impl, so that the output is the same
// for the same input.
//
// # Errors
//
// Ratios exits with status 1 and a message on standard error when standard
// input holds no benchmark result line, or when a result line is malformed:
// a non-numeric or non-finite value, a missing iteration count, a metric
// without a unit, a failed benchmark and so on. The message names the line
// number and quotes the line. It prints no partial report.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// main parses the command line, then reports on standard input.
func main() {
	flag.Usage = usage
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "ratios: unexpected argument %q; the benchmark output is read from standard input\n", flag.Arg(0))
		flag.Usage()
		os.Exit(2)
	}
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "ratios: %v\n", err)
		os.Exit(1)
	}
}

// usage prints the command-line help to standard error.
func usage() {
	fmt.Fprint(flag.CommandLine.Output(), `usage: go test -run '^$' -bench . -count 6 ./... | ratios

Ratios reads go test -bench output on standard input and prints a Markdown
table of median ns/op, B/op and allocs/op per case and implementation, with
the ratio of ecopatterns' median ns/op to each implementation's, followed by
one "RATIO <case> <impl> <ratio>" line per ratio.
`)
	flag.PrintDefaults()
}

// run reads go test -bench output from r and writes the report to w. It
// writes nothing when the input holds no benchmark results or a malformed
// one, and returns an error that describes the problem instead.
func run(r io.Reader, w io.Writer) error {
	samples, err := parse(r)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, formatReport(buildReport(samples))); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}
