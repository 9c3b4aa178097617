package testmodetest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/testmodetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeT records failures and cleanups instead of acting on them.
type fakeT struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeT) Helper()                           {}
func (f *fakeT) Errorf(format string, args ...any) { f.errors = append(f.errors, format) }
func (f *fakeT) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *fakeT) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestNewMemoryEngine(t *testing.T) {
	f := &fakeT{}
	require.Nil(t, testmodetest.NewMemoryEngine(f, testmode.MemoryOptions{}))
	require.Len(t, f.errors, 1)

	f = &fakeT{}
	opts := testmode.DefaultMemoryOptions()
	require.NoError(t, testmode.AddWorker(opts.Workers, testmode.WorkerFunc[noopArgs](func(context.Context, *testmode.Job[noopArgs]) error { return nil })))
	e := testmodetest.NewMemoryEngine(f, opts)
	require.NotNil(t, e)
	f.end()
	require.Empty(t, f.errors)
	_, err := e.Insert(context.Background(), []*testmode.JobRow{{Queue: testmode.DefaultQueue}})
	require.ErrorIs(t, err, testmode.ErrEngineStopped, "stopped by the cleanup")
}

type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }
