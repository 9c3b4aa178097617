package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// update makes TestGolden rewrite the golden files instead of comparing.
var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestMain fails the tests if any of them leaks a goroutine.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestGolden runs every testdata/*.txt recording of go test -bench output
// through run and compares the report with testdata/*.golden.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, input := range inputs {
		golden := strings.TrimSuffix(input, ".txt") + ".golden"
		t.Run(filepath.Base(input), func(t *testing.T) {
			in, err := os.ReadFile(input)
			require.NoError(t, err)
			var out bytes.Buffer
			require.NoError(t, run(bytes.NewReader(in), &out))
			if *update {
				require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), out.String())
		})
	}
}

// TestRunEvenCountMedian checks that with an even number of repeats the
// median is the mean of the two middle values, whatever the input order.
func TestRunEvenCountMedian(t *testing.T) {
	const in = `BenchmarkStopperSpawn/ecopatterns-2   100   40 ns/op   8 B/op   1 allocs/op
BenchmarkStopperSpawn/ecopatterns-2   100   10 ns/op   2 B/op   1 allocs/op
BenchmarkStopperSpawn/ecopatterns-2   100   1000 ns/op   4 B/op   2 allocs/op
BenchmarkStopperSpawn/ecopatterns-2   100   20 ns/op   6 B/op   2 allocs/op
BenchmarkStopperSpawn/floor-2   100   10 ns/op   0 B/op   0 allocs/op
BenchmarkStopperSpawn/floor-2   100   30 ns/op   0 B/op   0 allocs/op
`
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out))
	require.Equal(t, `| case         | impl        | ns/op | B/op | allocs/op | ecopatterns/impl |
| ------------ | ----------- | ----: | ---: | --------: | ---------------: |
| StopperSpawn | ecopatterns |    30 |    5 |     1.500 |                — |
| StopperSpawn | floor       |    20 |    0 |         0 |             1.50 |

RATIO StopperSpawn floor 1.500
`, out.String())
}

// TestRunWithoutBenchmem checks that B/op and allocs/op show as missing for
// benchmarks run without -benchmem, and that the ratio is still computed.
func TestRunWithoutBenchmem(t *testing.T) {
	const in = `goos: linux
goarch: amd64
pkg: github.com/ecopatterns/ecopatterns/benchmarks/lifecycle
BenchmarkStopperSpawn/ecopatterns-2         	   31728	       656.5 ns/op
BenchmarkStopperSpawn/floor-2               	   46498	       592.4 ns/op
PASS
ok  	github.com/ecopatterns/ecopatterns/benchmarks/lifecycle	0.918s
`
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out))
	require.Equal(t, `| case         | impl        | ns/op | B/op | allocs/op | ecopatterns/impl |
| ------------ | ----------- | ----: | ---: | --------: | ---------------: |
| StopperSpawn | ecopatterns | 656.5 |    — |         — |                — |
| StopperSpawn | floor       | 592.4 |    — |         — |             1.11 |

RATIO StopperSpawn floor 1.108
`, out.String())
}

// TestRunWithoutReference checks that a case without an ecopatterns impl is
// listed without ratios, and that no RATIO section is printed at all.
func TestRunWithoutReference(t *testing.T) {
	const in = "BenchmarkStopperSpawn/floor 100 10 ns/op\nBenchmarkStopperSpawn/errgroup 100 20 ns/op\n"
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out))
	require.Equal(t, `| case         | impl     | ns/op | B/op | allocs/op | ecopatterns/impl |
| ------------ | -------- | ----: | ---: | --------: | ---------------: |
| StopperSpawn | errgroup |    20 |    — |         — |                — |
| StopperSpawn | floor    |    10 |    — |         — |                — |
`, out.String())
}

// TestRunErrors checks that run reports input without benchmark results and
// malformed result lines, with the line number and text, and writes nothing.
func TestRunErrors(t *testing.T) {
	const header = "goos: linux\ngoarch: amd64\n"
	tests := []struct {
		name string
		in   string
		// want is the exact error message.
		want string
	}{{
		name: "empty",
		in:   "",
		want: "no benchmark lines on stdin",
	}, {
		name: "no results",
		in:   header + "pkg: example.com/p\nPASS\nok  \texample.com/p\t0.01s\n",
		want: "no benchmark lines on stdin",
	}, {
		name: "only names from -v",
		in:   "=== RUN   BenchmarkStopperSpawn\nBenchmarkStopperSpawn\nBenchmarkStopperSpawn/floor\n",
		want: "no benchmark lines on stdin",
	}, {
		name: "non-numeric ns/op",
		in:   header + "BenchmarkStopperSpawn/floor-2   \t  1000\t  fast ns/op\n",
		want: `line 3: ns/op value "fast" is not a finite number: "BenchmarkStopperSpawn/floor-2   \t  1000\t  fast ns/op"`,
	}, {
		name: "NaN",
		in:   "BenchmarkStopperSpawn/floor 1000 NaN ns/op\n",
		want: `line 1: ns/op value "NaN" is not a finite number: "BenchmarkStopperSpawn/floor 1000 NaN ns/op"`,
	}, {
		name: "infinite custom metric",
		in:   "BenchmarkStopperSpawn/floor 1000 1 ns/op +Inf MB/s\n",
		want: `line 1: MB/s value "+Inf" is not a finite number: "BenchmarkStopperSpawn/floor 1000 1 ns/op +Inf MB/s"`,
	}, {
		name: "negative B/op",
		in:   "BenchmarkStopperSpawn/floor 1000 1 ns/op -8 B/op\n",
		want: `line 1: B/op value "-8" is negative: "BenchmarkStopperSpawn/floor 1000 1 ns/op -8 B/op"`,
	}, {
		name: "value without unit",
		in:   "BenchmarkStopperSpawn/floor 1000 12.5\n",
		want: `line 1: value "12.5" has no unit: "BenchmarkStopperSpawn/floor 1000 12.5"`,
	}, {
		name: "duplicate unit",
		in:   "BenchmarkStopperSpawn/floor 1000 1 ns/op 2 ns/op\n",
		want: `line 1: ns/op is reported twice: "BenchmarkStopperSpawn/floor 1000 1 ns/op 2 ns/op"`,
	}, {
		name: "non-numeric iterations",
		in:   "BenchmarkStopperSpawn/floor many 1 ns/op\n",
		want: `line 1: iteration count "many" is not a positive integer: "BenchmarkStopperSpawn/floor many 1 ns/op"`,
	}, {
		name: "zero iterations",
		in:   "BenchmarkStopperSpawn/floor 0 1 ns/op\n",
		want: `line 1: iteration count "0" is not a positive integer: "BenchmarkStopperSpawn/floor 0 1 ns/op"`,
	}, {
		name: "failed benchmark",
		in:   "BenchmarkStopperSpawn/floor-2 1000 1 ns/op\nBenchmarkStopperSpawn/ecopatterns-2   \t--- FAIL: BenchmarkStopperSpawn/ecopatterns-2\n    stopper_test.go:12: boom\n",
		want: `line 2: benchmark failed instead of reporting a result: "BenchmarkStopperSpawn/ecopatterns-2   \t--- FAIL: BenchmarkStopperSpawn/ecopatterns-2"`,
	}, {
		name: "no case name",
		in:   "Benchmark/floor-2 1000 1 ns/op\n",
		want: `line 1: no case name after the Benchmark prefix: "Benchmark/floor-2 1000 1 ns/op"`,
	}, {
		name: "case in two packages",
		in:   "pkg: example.com/a\nBenchmarkStopperSpawn/floor 1000 1 ns/op\npkg: example.com/b\nBenchmarkStopperSpawn/floor 1000 1 ns/op\n",
		want: `line 4: case StopperSpawn is also in package "example.com/a" (line 2); a case must be in a single package: "BenchmarkStopperSpawn/floor 1000 1 ns/op"`,
	}, {
		name: "line too long",
		in:   "BenchmarkStopperSpawn/floor 1000 1 ns/op\n" + strings.Repeat("x", maxLineBytes+1) + "\n",
		want: "line 2: longer than 16777216 bytes",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(strings.NewReader(tt.in), &out)
			require.EqualError(t, err, tt.want)
			require.Empty(t, out.String())
		})
	}
}

// TestRunNoBenchmarksIs checks that the error for input without results can
// be recognized with errors.Is.
func TestRunNoBenchmarksIs(t *testing.T) {
	err := run(strings.NewReader("PASS\n"), &bytes.Buffer{})
	require.ErrorIs(t, err, errNoBenchmarks)
}

// errWriter is an io.Writer that always fails.
type errWriter struct{}

// errWrite is the error of errWriter.
var errWrite = errors.New("disk full")

// Write fails with errWrite.
func (errWriter) Write([]byte) (int, error) {
	return 0, errWrite
}

// TestRunWriteError checks that run returns the error of its writer.
func TestRunWriteError(t *testing.T) {
	err := run(strings.NewReader("BenchmarkStopperSpawn/floor 1000 1 ns/op\n"), errWriter{})
	require.ErrorIs(t, err, errWrite)
}
