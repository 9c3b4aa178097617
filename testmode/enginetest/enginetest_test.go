package enginetest_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/enginetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestMemoryEngineConforms runs the conformance suite on MemoryEngine.
func TestMemoryEngineConforms(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, workers *testmode.Workers) testmode.Engine {
		return newMemoryEngine(t, workers)
	})
}

// TestProbeArgsRoundTrip pins the probe's kind and encoding, which the
// suite compares byte for byte with what engines return.
func TestProbeArgsRoundTrip(t *testing.T) {
	if got := (enginetest.ProbeArgs{}).Kind(); got != "enginetest.probe" {
		t.Fatalf("Kind() = %q", got)
	}
	res := testmode.PerformJob(t.Context(), t, testmode.WorkerFunc[enginetest.ProbeArgs](func(_ context.Context, job *testmode.Job[enginetest.ProbeArgs]) error {
		if job.Args != (enginetest.ProbeArgs{Case: "x", N: 2}) {
			t.Errorf("worker got %+v", job.Args)
		}
		return nil
	}), enginetest.ProbeArgs{Case: "x", N: 2}, nil)
	if string(res.Job.EncodedArgs) != `{"case":"x","n":2}` {
		t.Fatalf("EncodedArgs = %s", res.Job.EncodedArgs)
	}
}
