package stoppertest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/stopper/stoppertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeT records failures and cleanups instead of acting on them.
type fakeT struct {
	testing.TB
	name     string
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Name() string { return f.name }
func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *fakeT) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestNewStopsAtCleanup(t *testing.T) {
	f := &fakeT{name: "TestFake"}
	s := stoppertest.New(f)
	require.Equal(t, "TestFake", s.Name())
	require.NoError(t, s.RunAsyncTask(context.Background(), "server", func(ctx context.Context) { <-ctx.Done() }))
	f.end()
	<-s.IsStopped()
	require.Empty(t, f.errors, "a task that honours its context ends at the cleanup's Stop")
}

func TestNewReportsStuckTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeT{name: "TestFake"}
		s := stoppertest.New(f)
		release := make(chan struct{})
		require.NoError(t, s.RunAsyncTask(context.Background(), "stubborn", func(context.Context) { <-release }))
		f.end() // waits StopTimeout of fake time
		require.Len(t, f.errors, 1)
		require.Contains(t, f.errors[0], `stoppertest: stopping "TestFake": stopper "TestFake": 1 task(s) still running: "stubborn"`)
		require.Contains(t, f.errors[0], "context deadline exceeded\nstacks of its tasks:\n")
		require.Contains(t, f.errors[0], "stoppertest_test.TestNewReportsStuckTasks")
		close(release)
		<-s.IsStopped()
	})
}

func TestNewCleanStop(t *testing.T) {
	f := &fakeT{name: "TestFake"}
	s := stoppertest.New(f)
	require.NoError(t, s.RunTask(context.Background(), "t", func(context.Context) {}))
	f.end()
	<-s.IsStopped()
	require.Empty(t, f.errors)
}

func TestNewReportsStopErrors(t *testing.T) {
	f := &fakeT{name: "TestFake"}
	o := stopper.DefaultOptions()
	o.OnPanic = stopper.RecoverOnPanic
	s := stoppertest.New(f, o)
	_ = s.RunTask(context.Background(), "t", func(context.Context) { panic("boom") })
	f.end()
	require.Equal(t, []string{`stoppertest: stopping "stopper": stopper: task "t" panicked: boom`}, f.errors)
}

func TestNewBadInput(t *testing.T) {
	f := &fakeT{name: "TestFake"}
	require.Nil(t, stoppertest.New(f, stopper.Options{}))
	require.Nil(t, stoppertest.New(f, stopper.DefaultOptions(), stopper.DefaultOptions()))
	require.Len(t, f.errors, 2)
	require.Contains(t, f.errors[0], `stoppertest: New: stopper: invalid options: options: Name = "": must not be empty`)
	require.Equal(t, "stoppertest: New: got 2 Options, want at most 1", f.errors[1])
}

func TestVerifyNoneFindsALeak(t *testing.T) {
	f := &fakeT{name: "TestFake"}
	stoppertest.VerifyNone(f)
	leaked, err := stopper.New(stopper.DefaultOptions())
	require.NoError(t, err)
	stopped, err := stopper.New(stopper.DefaultOptions())
	require.NoError(t, err)
	require.NoError(t, stopped.Stop(context.Background()))
	f.end()
	require.Len(t, f.errors, 1)
	require.Contains(t, f.errors[0], "stoppertest: 1 stopper(s) not stopped:\nstopper \"stopper\" created ")
	require.Contains(t, f.errors[0], "stoppertest_test.TestVerifyNoneFindsALeak")
	require.Contains(t, f.errors[0], "stoppertest_test.go:")
	require.NoError(t, leaked.Stop(context.Background()))
}

func TestVerifyNonePasses(t *testing.T) {
	stoppertest.VerifyNone(t)
	s := stoppertest.New(t) // stopped by its own cleanup, which runs first
	require.NoError(t, s.RunTask(context.Background(), "t", func(context.Context) {}))
	other, err := stopper.New(stopper.DefaultOptions())
	require.NoError(t, err)
	require.NoError(t, other.Stop(context.Background()))
}

// TestVerifyNoneParallel runs tests in parallel where one leaks for a while:
// the others are not blamed for it.
func TestVerifyNoneParallel(t *testing.T) {
	leakerCreated := make(chan struct{})
	othersDone := make(chan struct{})
	var leaked *stopper.Stopper
	results := make(chan []string, 2)
	t.Run("group", func(t *testing.T) {
		t.Run("clean", func(t *testing.T) {
			t.Parallel()
			<-leakerCreated // the leaker's stopper is live during this whole test
			f := &fakeT{name: "clean"}
			verifyAndRunClean(t, f)
			results <- f.errors
			close(othersDone)
		})
		t.Run("leaky", func(t *testing.T) {
			t.Parallel()
			f := &fakeT{name: "leaky"}
			stoppertest.VerifyNone(f)
			var err error
			leaked, err = stopper.New(stopper.DefaultOptions())
			require.NoError(t, err)
			close(leakerCreated)
			<-othersDone
			f.end()
			results <- f.errors
		})
	})
	require.Empty(t, <-results, "the clean test is not blamed for another test's stopper")
	leakErrs := <-results
	require.Len(t, leakErrs, 1)
	require.Contains(t, leakErrs[0], "TestVerifyNoneParallel")
	require.NoError(t, leaked.Stop(context.Background()))
}

func verifyAndRunClean(t *testing.T, f *fakeT) {
	stoppertest.VerifyNone(f)
	s, err := stopper.New(stopper.DefaultOptions())
	require.NoError(t, err)
	require.NoError(t, s.Stop(context.Background()))
	f.end()
}

// TestNewWithTheTestsOwnDeferredStop: a test may keep the defer s.Stop(ctx)
// idiom with a stopper from New; the cleanup's Stop then finds it stopped
// and reports nothing new.
func TestNewWithTheTestsOwnDeferredStop(t *testing.T) {
	f := &fakeT{name: "TestFake"}
	s := stoppertest.New(f)
	closes := 0
	func() {
		defer func() { require.NoError(t, s.Stop(context.Background())) }()
		s.AddCloser(stopper.CloserFn(func() { closes++ }))
		require.NoError(t, s.RunAsyncTask(context.Background(), "server", func(ctx context.Context) { <-ctx.Done() }))
	}()
	<-s.IsStopped()
	f.end()
	require.Empty(t, f.errors)
	require.Equal(t, 1, closes, "closers run once")
}
