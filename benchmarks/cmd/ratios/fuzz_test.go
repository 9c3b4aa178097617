package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse feeds arbitrary input to the parser and checks that it does not
// panic, and that every ratio of a successful parse is a finite,
// non-negative number that the report renders.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	require.NoError(f, err)
	require.NotEmpty(f, seeds)
	for _, seed := range seeds {
		data, err := os.ReadFile(seed)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("BenchmarkX/ecopatterns-2 1 1e308 ns/op\nBenchmarkX/floor-2 1 1e-308 ns/op\n"))
	f.Add([]byte("BenchmarkX/ecopatterns 1 0 ns/op\nBenchmarkX/floor 1 0 ns/op\n"))
	f.Add([]byte("BenchmarkX/ecopatterns/n=1 1 2 ns/op\nBenchmarkX/floor/n=1 1 0x1p-2 ns/op\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		samples, err := parse(bytes.NewReader(data))
		if err != nil {
			require.Nil(t, samples)
			return
		}
		require.NotEmpty(t, samples)
		rows := buildReport(samples)
		for _, r := range rows {
			if !r.ratio.ok {
				continue
			}
			require.False(t, math.IsNaN(r.ratio.value), "ratio of %+v", r)
			require.False(t, math.IsInf(r.ratio.value, 0), "ratio of %+v", r)
			require.GreaterOrEqual(t, r.ratio.value, 0.0, "ratio of %+v", r)
		}
		require.NotEmpty(t, formatReport(rows))
	})
}
