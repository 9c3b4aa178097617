//go:build unix

package grpcerr

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time the process has used so far, user and
// system, on every thread.
func processCPU(tb testing.TB) (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
