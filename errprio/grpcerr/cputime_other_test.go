//go:build !unix

package grpcerr

import (
	"testing"
	"time"
)

// processCPU is not measured here: the benchmarks report no cpu-ns/op.
func processCPU(testing.TB) (time.Duration, bool) { return 0, false }
