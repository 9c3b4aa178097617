package stopper_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/stopper"
)

// TestStorm starts 1,000,000 tasks from 8 goroutines while another goroutine
// calls Stop. Each producer keeps at most 256 of its tasks in flight, which
// bounds live goroutines (the race detector allows 8128).
func TestStorm(t *testing.T) {
	const producers, total, inFlight = 8, 1_000_000, 256
	s := newStopper(t)
	var admitted, rejected, ran, ranTwice, lateStarts atomic.Int64
	var stopReturned atomic.Bool
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			sem := make(chan struct{}, inFlight)
			for i := range total / producers {
				sem <- struct{}{}
				var once atomic.Bool
				body := func(context.Context) {
					defer func() { <-sem }()
					if stopReturned.Load() {
						lateStarts.Add(1)
					}
					if once.Swap(true) {
						ranTwice.Add(1)
					}
					ran.Add(1)
				}
				var err error
				if (p+i)%4 == 0 {
					err = s.RunTask(context.Background(), "storm: sync", body)
				} else {
					err = s.RunAsyncTask(context.Background(), "storm: async", body)
				}
				switch {
				case err == nil:
					admitted.Add(1)
				case errors.Is(err, stopper.ErrUnavailable):
					rejected.Add(1)
					<-sem
				default:
					t.Errorf("unexpected error: %v", err)
					<-sem
				}
			}
		})
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		// Stop once about a tenth of the storm has been offered.
		for admitted.Load()+rejected.Load() < total/10 {
			runtimeGosched()
		}
		stop(t, s)
		stopReturned.Store(true)
	}()
	wg.Wait()
	<-stopped
	require.Equal(t, int64(total), admitted.Load()+rejected.Load())
	require.Positive(t, rejected.Load(), "Stop came during the storm")
	require.Positive(t, admitted.Load())
	require.Equal(t, admitted.Load(), ran.Load(), "every admitted task ran")
	require.Zero(t, ranTwice.Load())
	require.Zero(t, lateStarts.Load(), "no task body starts after Stop returns")
	require.Zero(t, s.NumTasks())
}

// runPanicChild runs in a child process started by TestRepanicPolicyAsync:
// an async task panics under the default policy and must crash the process.
func runPanicChild() bool {
	switch os.Getenv("STOPPER_PANIC_CHILD") {
	case "1":
	case "closer":
		runCloserPanicChild()
		return true
	default:
		return false
	}
	s, err := stopper.New(stopper.DefaultOptions())
	if err != nil {
		panic(err)
	}
	_ = s.RunAsyncTask(context.Background(), "crasher", func(context.Context) { panicInAsyncTask() })
	<-s.IsStopped() // never: the panic ends the process
	return true
}

func panicInAsyncTask() { panic("async boom") }

func TestRepanicPolicyAsync(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STOPPER_PANIC_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the process must crash; output:\n%s", out)
	require.Equal(t, 2, exit.ExitCode())
	require.Contains(t, string(out), "panic: async boom")
	require.Contains(t, string(out), "panicInAsyncTask", "the crash shows the original panicking frame")
}

func runtimeGosched() { runtime.Gosched() }
