package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Units of the metrics that the report summarizes.
const (
	unitNs     = "ns/op"
	unitBytes  = "B/op"
	unitAllocs = "allocs/op"
)

// benchPrefix starts the name of every benchmark function, and so every
// benchmark result line.
const benchPrefix = "Benchmark"

// maxLineBytes bounds the length of one input line, log lines included.
const maxLineBytes = 16 << 20

// errNoBenchmarks is returned by parse when its input holds no benchmark
// result line.
var errNoBenchmarks = errors.New("no benchmark lines on stdin")

// sample is one benchmark result line.
type sample struct {
	// line is the 1-based number of the line in the input.
	line int
	// pkg is the import path from the last pkg: line before this one, or
	// the empty string if there was none.
	pkg string
	// name is the case: the top-level benchmark name without benchPrefix.
	name string
	// impl is the sub-benchmark path after the first slash, nested names
	// included, or the empty string for a benchmark without sub-benchmarks.
	impl string
	// procs is the GOMAXPROCS value the benchmark ran with.
	procs int
	// metrics maps each unit on the line, such as ns/op, to its value.
	metrics map[string]float64
}

// lineError reports a malformed benchmark result line.
type lineError struct {
	// line is the 1-based number of the line in the input.
	line int
	// text is the line itself.
	text string
	// err says what is wrong with the line.
	err error
}

// Error names the line, says what is wrong with it and quotes it.
func (e *lineError) Error() string {
	return fmt.Sprintf("line %d: %v: %q", e.line, e.err, e.text)
}

// Unwrap returns what is wrong with the line.
func (e *lineError) Unwrap() error {
	return e.err
}

// parse reads go test -bench output from r and returns its benchmark
// results in input order. It returns errNoBenchmarks if there is none, and a
// *lineError for the first malformed result line.
func parse(r io.Reader) ([]sample, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	var (
		samples []sample
		pkg     string
		lineNo  int
		// first holds the first sample of each case, to detect a case that
		// appears in two packages.
		first = make(map[string]sample)
	)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "pkg:"); ok {
			pkg = strings.TrimSpace(rest)
			continue
		}
		if !isResultLine(line) {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 1 {
			// go test -v prints the bare name before running a benchmark.
			continue
		}
		s, err := parseResult(fields)
		if err != nil {
			return nil, &lineError{line: lineNo, text: strings.TrimSpace(line), err: err}
		}
		s.line, s.pkg = lineNo, pkg
		if f, ok := first[s.name]; !ok {
			first[s.name] = s
		} else if f.pkg != s.pkg {
			err := fmt.Errorf("case %s is also in package %q (line %d); a case must be in a single package", s.name, f.pkg, f.line)
			return nil, &lineError{line: lineNo, text: strings.TrimSpace(line), err: err}
		}
		samples = append(samples, s)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", lineNo+1, maxLineBytes)
		}
		return nil, fmt.Errorf("reading input: %w", err)
	}
	if len(samples) == 0 {
		return nil, errNoBenchmarks
	}
	return samples, nil
}

// isResultLine reports whether line starts with the name of a benchmark: the
// Benchmark prefix, not indented and not followed by a lower-case letter, the
// same rule by which go test recognizes benchmark functions.
func isResultLine(line string) bool {
	rest, ok := strings.CutPrefix(line, benchPrefix)
	if !ok {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}

// parseResult parses the whitespace-separated fields of a result line: the
// benchmark name, the iteration count and value-unit pairs. fields has at
// least two elements.
func parseResult(fields []string) (sample, error) {
	full, procs := splitProcs(strings.TrimPrefix(fields[0], benchPrefix))
	name, impl, _ := strings.Cut(full, "/")
	if name == "" {
		return sample{}, errors.New("no case name after the Benchmark prefix")
	}
	if strings.HasPrefix(fields[1], "---") {
		// go test prints "BenchmarkX-2 --- FAIL: BenchmarkX-2" when a
		// benchmark fails.
		return sample{}, errors.New("benchmark failed instead of reporting a result")
	}
	if n, err := strconv.ParseInt(fields[1], 10, 64); err != nil || n <= 0 {
		return sample{}, fmt.Errorf("iteration count %q is not a positive integer", fields[1])
	}
	pairs := fields[2:]
	if len(pairs)%2 != 0 {
		return sample{}, fmt.Errorf("value %q has no unit", pairs[len(pairs)-1])
	}
	metrics := make(map[string]float64, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		value, unit := pairs[i], pairs[i+1]
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return sample{}, fmt.Errorf("%s value %q is not a finite number", unit, value)
		}
		if v < 0 && isSummarized(unit) {
			return sample{}, fmt.Errorf("%s value %q is negative", unit, value)
		}
		if _, dup := metrics[unit]; dup {
			return sample{}, fmt.Errorf("%s is reported twice", unit)
		}
		metrics[unit] = v
	}
	return sample{name: name, impl: impl, procs: procs, metrics: metrics}, nil
}

// isSummarized reports whether the report shows the metric of the unit.
func isSummarized(unit string) bool {
	switch unit {
	case unitNs, unitBytes, unitAllocs:
		return true
	}
	return false
}

// splitProcs removes the -N GOMAXPROCS suffix that go test appends to the
// name of a benchmark run with GOMAXPROCS=N, N > 1, and returns the name
// without it and N. A name without such a suffix ran with GOMAXPROCS=1.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name, 1
	}
	digits := name[i+1:]
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return name, 1
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 {
		return name, 1
	}
	return name[:i], n
}
