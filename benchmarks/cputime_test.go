package benchmarks

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time the process has used so far, user and
// system, on every thread.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU starts counting the process's CPU time; the function it
// returns reports it per operation as the metric cpu-ns/op. Call it first
// in a benchmark function and defer the result:
//
//	defer reportCPU(b)()
//
// On a machine shared with other busy processes, ns/op counts the time the
// benchmark waited for a core as well; cpu-ns/op counts only the time it
// ran, so ratios of cpu-ns/op stay meaningful under load. It includes the
// benchmark's setup (small next to millions of operations) and the work of
// every thread: the goroutines a spawn benchmark starts, and the garbage
// collector.
func reportCPU(b *testing.B) func() {
	start := processCPU(b)
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
