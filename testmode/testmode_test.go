package testmode_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/testmode"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// emailArgs is a plain args type: the fast JSON round trip applies.
type emailArgs struct {
	To      string `json:"to"`
	Subject string `json:"subject,omitempty"`
}

func (emailArgs) Kind() string { return "email" }

// taskArgs are the args of the programmable worker.
type taskArgs struct {
	N int `json:"n"`
}

func (taskArgs) Kind() string { return "task" }

// taskWorker runs fn for each attempt, and records the attempts it saw.
type taskWorker struct {
	fn      func(ctx context.Context, job *testmode.Job[taskArgs]) error
	timeout func(job *testmode.Job[taskArgs]) time.Duration
	backoff func(job *testmode.Job[taskArgs], err error) time.Duration

	mu   sync.Mutex
	seen []int // job.Args.N of each attempt, in order
}

func (w *taskWorker) Perform(ctx context.Context, job *testmode.Job[taskArgs]) error {
	w.mu.Lock()
	w.seen = append(w.seen, job.Args.N)
	w.mu.Unlock()
	if w.fn == nil {
		return nil
	}
	return w.fn(ctx, job)
}

func (w *taskWorker) attempts() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int(nil), w.seen...)
}

// timedWorker adds Timeout and Backoff to taskWorker.
type timedWorker struct{ *taskWorker }

func (w timedWorker) Timeout(job *testmode.Job[taskArgs]) time.Duration { return w.timeout(job) }

func (w timedWorker) Backoff(job *testmode.Job[taskArgs], err error) time.Duration {
	return w.backoff(job, err)
}

// newWorkers registers an email worker that does nothing and w for task.
func newWorkers(t testing.TB, w testmode.Worker[taskArgs]) *testmode.Workers {
	t.Helper()
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[emailArgs](func(context.Context, *testmode.Job[emailArgs]) error { return nil })))
	if w != nil {
		require.NoError(t, testmode.AddWorker(ws, w))
	}
	return ws
}

// newClient returns a client in mode with the workers of newWorkers.
func newClient(t testing.TB, mode testmode.Mode, w testmode.Worker[taskArgs]) *testmode.Client {
	t.Helper()
	cfg := testmode.DefaultConfig()
	cfg.Mode = mode
	cfg.Workers = newWorkers(t, w)
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	return c
}

// fakeTB records what the helpers report instead of failing the test.
type fakeTB struct {
	mu     sync.Mutex
	errors []string
	failed bool
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) FailNow() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
}

func (f *fakeTB) message() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errors, "\n")
}

var _ testmode.TB = (*fakeTB)(nil)
var _ testmode.TB = (*testing.T)(nil)
