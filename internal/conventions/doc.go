// Package conventions holds a test that enforces, mechanically, the
// repository rules that code review would otherwise have to remember.
//
// The package contains no production code. Its test walks every package
// directory of the root module (nested modules, testdata, vendor and hidden
// directories are skipped), parses the Go files with go/parser, and fails
// with one error per violation of these rules:
//
//   - "doc.go": every package directory outside internal/ and examples/
//     that contains non-test Go files has a doc.go whose package clause
//     carries the package comment ("// Package <name> ..."; main packages
//     may use any non-empty doc comment, such as "// Command tool ...").
//   - "TestMain": every package directory that has _test.go files defines
//     func TestMain(m *testing.M) that calls goleak.VerifyTestMain, so that
//     every test binary checks for leaked goroutines.
//   - "Example": every non-main package outside internal/ and examples/
//     that exports an identifier has at least one Example function, and
//     every Example function in such a package has an "// Output:" or
//     "// Unordered output:" comment, without which go test compiles the
//     example but never runs it.
//   - "examples listed": go doc does not print examples, so the package
//     comment of such a package names them: under a "# Examples" heading,
//     one list item per Example function, starting with its name as
//     pkg.go.dev shows it ("- Stopper.Stop: ...", "- Example (server): ..."
//     for Example_server), and no item for an example that does not exist.
//   - "function length": a non-test function longer than 80 lines, from
//     "func" to its closing brace, is split into named phases, or says why
//     it is not in a "// Not split: <why>" comment (in its doc comment or
//     its body). Long functions not yet split are listed, each with its
//     reason, in knownLong; the list only shrinks, as an entry whose
//     function is no longer long is itself a violation.
//
// Two more rules concern the repository's documents: CHANGELOG.md keeps the
// form of Keep a Changelog ([Unreleased] first, dated releases, the six kinds
// of change, each once per release), and README.md's Versioning section
// gives the tag prefix of every nested module that is released (all but
// examples/ and benchmarks/), so a new module cannot be added without saying
// how it is tagged.
//
// The checker itself is exercised against small fake module trees, so a
// passing run means the rules hold rather than that the checker is blind.
package conventions
