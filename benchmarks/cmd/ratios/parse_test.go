package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParse checks how result lines are recognized and their names split.
func TestParse(t *testing.T) {
	const in = `goos: linux
pkg: example.com/lifecycle
=== RUN   BenchmarkEventsPublish
BenchmarkEventsPublish
BenchmarkEventsPublish/ecopatterns/handlers=10-8   100   12.5 ns/op   10.00 events/op   8 B/op   1 allocs/op
Benchmarks are run below.
    BenchmarkIndented 100 1 ns/op
--- BENCH: BenchmarkStopperZero-8
BenchmarkStopperZero-8   200   3 ns/op
BenchmarkStopperSpawn/floor   300   4 ns/op
BenchmarkStopperSpawn/size-1024-16   300   5 ns/op
PASS
`
	samples, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	require.Equal(t, []sample{{
		line: 5, pkg: "example.com/lifecycle", name: "EventsPublish", impl: "ecopatterns/handlers=10", procs: 8,
		metrics: map[string]float64{"ns/op": 12.5, "events/op": 10, "B/op": 8, "allocs/op": 1},
	}, {
		line: 9, pkg: "example.com/lifecycle", name: "StopperZero", impl: "", procs: 8,
		metrics: map[string]float64{"ns/op": 3},
	}, {
		line: 10, pkg: "example.com/lifecycle", name: "StopperSpawn", impl: "floor", procs: 1,
		metrics: map[string]float64{"ns/op": 4},
	}, {
		line: 11, pkg: "example.com/lifecycle", name: "StopperSpawn", impl: "size-1024", procs: 16,
		metrics: map[string]float64{"ns/op": 5},
	}}, samples)
}

// TestSplitProcs checks the removal of the GOMAXPROCS suffix.
func TestSplitProcs(t *testing.T) {
	tests := []struct {
		in    string
		name  string
		procs int
	}{
		{"StopperSpawn/floor-2", "StopperSpawn/floor", 2},
		{"StopperSpawn/floor", "StopperSpawn/floor", 1},
		{"StopperZero-128", "StopperZero", 128},
		{"Copy/size-1024-4", "Copy/size-1024", 4},
		{"Copy/a-b", "Copy/a-b", 1},
		{"Copy/trailing-", "Copy/trailing-", 1},
		{"Copy/zero-0", "Copy/zero-0", 1},
		{"Copy/sign-+4", "Copy/sign-+4", 1},
		{"Copy/huge-99999999999999999999999", "Copy/huge-99999999999999999999999", 1},
	}
	for _, tt := range tests {
		name, procs := splitProcs(tt.in)
		require.Equal(t, tt.name, name, tt.in)
		require.Equal(t, tt.procs, procs, tt.in)
	}
}

// TestMedian checks medians of odd and even counts, and that the input is
// left unsorted.
func TestMedian(t *testing.T) {
	require.Equal(t, stat{}, median(nil))
	require.Equal(t, stat{value: 7, ok: true}, median([]float64{7}))
	require.Equal(t, stat{value: 2, ok: true}, median([]float64{3, 1, 2}))
	xs := []float64{4, 1, 100, 2}
	require.Equal(t, stat{value: 3, ok: true}, median(xs))
	require.Equal(t, []float64{4, 1, 100, 2}, xs)
	require.Equal(t, stat{value: 1.5, ok: true}, median([]float64{2, 1}))
	const big = 1.5e308
	require.Equal(t, stat{value: big, ok: true}, median([]float64{big, big}))
}

// TestReferenceFor checks which ecopatterns impl each impl is compared with.
func TestReferenceFor(t *testing.T) {
	tests := []struct {
		impl string
		ref  string
		ok   bool
	}{
		{"floor", "ecopatterns", true},
		{"errgroup", "ecopatterns", true},
		{"floor/handlers=10", "ecopatterns/handlers=10", true},
		{"floor/a/b", "ecopatterns/a/b", true},
		{"ecopatterns", "", false},
		{"ecopatterns/handlers=10", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		ref, ok := referenceFor(tt.impl)
		require.Equal(t, tt.ref, ref, tt.impl)
		require.Equal(t, tt.ok, ok, tt.impl)
	}
}

// TestBuildReportPairsNestedImpls checks that nested impls are compared
// with the ecopatterns impl of the same nesting, and that a missing
// counterpart or a zero time leaves the ratio undefined.
func TestBuildReportPairsNestedImpls(t *testing.T) {
	const in = `BenchmarkEventsPublish/ecopatterns/handlers=1   100   20 ns/op
BenchmarkEventsPublish/ecopatterns/handlers=10   100   200 ns/op
BenchmarkEventsPublish/floor/handlers=1   100   10 ns/op
BenchmarkEventsPublish/floor/handlers=10   100   50 ns/op
BenchmarkEventsPublish/floor/handlers=100   100   500 ns/op
BenchmarkEventsPublish/zero/handlers=1   100   0 ns/op
BenchmarkEventsPublish/untimed/handlers=1   100   3 events/op
`
	samples, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	ratios := make(map[string]stat)
	for _, r := range buildReport(samples) {
		ratios[r.key.impl] = r.ratio
	}
	require.Equal(t, map[string]stat{
		"ecopatterns/handlers=1":  {},
		"ecopatterns/handlers=10": {},
		"floor/handlers=1":        {value: 2, ok: true},
		"floor/handlers=10":       {value: 4, ok: true},
		"floor/handlers=100":      {},
		"zero/handlers=1":         {},
		"untimed/handlers=1":      {},
	}, ratios)
}

// TestFormatReportEscapesPipes checks that a pipe in a name cannot break
// the table.
func TestFormatReportEscapesPipes(t *testing.T) {
	samples, err := parse(strings.NewReader("BenchmarkOr/a|b 100 1 ns/op\n"))
	require.NoError(t, err)
	require.Equal(t, `| case | impl | ns/op | B/op | allocs/op | ecopatterns/impl |
| ---- | ---- | ----: | ---: | --------: | ---------------: |
| Or   | a\|b |     1 |    — |         — |                — |
`, formatReport(buildReport(samples)))
}

// TestFormatValue checks that medians are formatted like go test formats
// metrics.
func TestFormatValue(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{64, "64"},
		{847031, "847031"},
		{1042.5, "1042"},
		{711.5, "711.5"},
		{13.79, "13.79"},
		{1.5, "1.500"},
		{0.5441, "0.5441"},
		{0.00012346, "0.0001235"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, formatValue(tt.in), tt.in)
	}
}
