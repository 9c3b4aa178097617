package stopper_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
)

// panicCloser is a Closer type whose Close panics with its value.
type panicCloser struct{ v any }

func (c panicCloser) Close() { panic(c.v) }

// TestCloserPanicRecovered: under RecoverOnPanic a panicking closer is
// reported in Stop's error, in a log record and a CloserPanicked event, and
// the closers registered before it still run.
func TestCloserPanicRecovered(t *testing.T) {
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	rec := telemetrytest.Capture(t, reg, stopper.CloserPanicked.String())
	var logs bytes.Buffer
	s := newStopper(t, func(o *stopper.Options) {
		o.OnPanic = stopper.RecoverOnPanic
		o.Telemetry = reg
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	var mu sync.Mutex
	var ran []string
	record := func(name string) func() {
		return func() {
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, name)
		}
	}
	boom := errors.New("closer boom")
	s.AddCloser(stopper.CloserFn(record("first")))
	s.AddCloser(panicCloser{v: "type boom"})
	s.AddCloser(stopper.CloserFn(record("middle")))
	s.AddCloser(stopper.CloserFn(func() { panic(boom) }))
	s.AddCloser(stopper.CloserFn(record("last")))

	err = s.Stop(rec.Context(context.Background()))
	require.Error(t, err)
	require.Equal(t, []string{"last", "middle", "first"}, ran, "every closer after a panicking one still runs, newest first")

	var cerr *stopper.CloserPanicError
	require.ErrorAs(t, err, &cerr)
	require.ErrorIs(t, err, boom, "a panic value that is an error is reachable with errors.Is")
	require.Contains(t, err.Error(), `stopper "TestCloserPanicRecovered": closer stopper_test.TestCloserPanicRecovered.func3 panicked: closer boom`)
	require.Contains(t, err.Error(), `stopper "TestCloserPanicRecovered": closer stopper_test.panicCloser panicked: type boom`)
	require.Contains(t, string(cerr.Stack), "TestCloserPanicRecovered")

	ev := rec.Require(t, stopper.CloserPanicked, slog.String("closer", "stopper_test.panicCloser"))
	v, ok := ev.Attr("stopper")
	require.True(t, ok)
	require.Equal(t, "TestCloserPanicRecovered", v.String())
	require.ErrorAs(t, ev.Error(), &cerr)
	require.Equal(t, "type boom", cerr.Value)
	require.Len(t, rec.Matching(stopper.CloserPanicked), 2)
	require.Contains(t, logs.String(), `msg="stopper: closer panicked"`)

	// Every later Stop returns the same error.
	require.Equal(t, err.Error(), s.Stop(context.Background()).Error())

	// A closer added after the stop runs at once, in the caller's
	// goroutine, under the same policy.
	require.NotPanics(t, func() { s.AddCloser(panicCloser{v: "late boom"}) })
	require.ErrorContains(t, s.Stop(context.Background()), "closer stopper_test.panicCloser panicked: late boom")
}

// TestCloserPanicInChildIsReportedByParent: a child's closer panic is part
// of its parent's Stop error.
func TestCloserPanicInChildIsReportedByParent(t *testing.T) {
	s := newStopper(t, func(o *stopper.Options) { o.OnPanic = stopper.RecoverOnPanic })
	child, err := s.NewChild("db")
	require.NoError(t, err)
	child.AddCloser(panicCloser{v: "child boom"})
	err = s.Stop(context.Background())
	var cerr *stopper.CloserPanicError
	require.ErrorAs(t, err, &cerr)
	require.Equal(t, "TestCloserPanicInChildIsReportedByParent/db", cerr.Stopper)
}

// runCloserPanicChild runs in a child process started by
// TestCloserPanicRepanics: a closer panics under the default policy.
func runCloserPanicChild() {
	s, err := stopper.New(stopper.DefaultOptions())
	if err != nil {
		panic(err)
	}
	s.AddCloser(stopper.CloserFn(func() { fmt.Fprintln(os.Stderr, "earlier closer ran") }))
	s.AddCloser(stopper.CloserFn(panicInCloser))
	_ = s.Stop(context.Background()) // never returns: the panic ends the process
	fmt.Fprintln(os.Stderr, "Stop returned")
}

func panicInCloser() { panic("closer boom") }

// TestCloserPanicRepanics: under RepanicOnPanic a closer's panic crashes the
// process from the closer's own frames, after a log record, and the closers
// registered before it do not run.
func TestCloserPanicRepanics(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STOPPER_PANIC_CHILD=closer")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the process must crash; output:\n%s", out)
	require.Equal(t, 2, exit.ExitCode())
	require.Contains(t, string(out), "panic: closer boom")
	require.Contains(t, string(out), "panicInCloser", "the crash shows the original panicking frame")
	require.NotContains(t, string(out), "earlier closer ran")
	require.NotContains(t, string(out), "Stop returned")
}

// TestCloserGoexitDoesNotHangStop: a closer that calls runtime.Goexit (as
// t.FailNow does) cannot be stopped from ending its goroutine, but the
// remaining closers still run, Stop returns and reports it, under either
// policy.
func TestCloserGoexitDoesNotHangStop(t *testing.T) {
	for _, policy := range []stopper.PanicPolicy{stopper.RecoverOnPanic, stopper.RepanicOnPanic} {
		t.Run(string(policy), func(t *testing.T) {
			s := newStopper(t, func(o *stopper.Options) { o.OnPanic = policy })
			var ran []string
			s.AddCloser(stopper.CloserFn(func() { ran = append(ran, "first") }))
			s.AddCloser(stopper.CloserFn(runtime.Goexit))
			s.AddCloser(stopper.CloserFn(func() { ran = append(ran, "last") }))
			err := s.Stop(context.Background())
			var cerr *stopper.CloserPanicError
			require.ErrorAs(t, err, &cerr)
			require.Contains(t, err.Error(), "runtime.Goexit")
			<-s.IsStopped()
			require.Equal(t, []string{"last", "first"}, ran)
		})
	}
}
