package testmode_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

type retryAfterArgs struct {
	Wait time.Duration `json:"wait"`
}

func (retryAfterArgs) Kind() string { return "retry_after" }

// retryAfterWorker waits what its args say, doubled when the error says so.
type retryAfterWorker struct{}

func (retryAfterWorker) Perform(context.Context, *testmode.Job[retryAfterArgs]) error { return nil }

func (retryAfterWorker) Backoff(job *testmode.Job[retryAfterArgs], err error) time.Duration {
	if errors.Is(err, errSlowDown) {
		return 2 * job.Args.Wait
	}
	return job.Args.Wait
}

var errSlowDown = errors.New("slow down")

func TestWorkersBackoff(t *testing.T) {
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, retryAfterWorker{}))
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[emailArgs](func(context.Context, *testmode.Job[emailArgs]) error { return nil })))

	row := &testmode.JobRow{Kind: "retry_after", EncodedArgs: []byte(`{"wait":3000000000}`), Attempt: 2}
	require.Equal(t, 3*time.Second, ws.Backoff(row, errors.New("x")), "the worker's Backoff, with the args decoded")
	require.Equal(t, 6*time.Second, ws.Backoff(row, errSlowDown), "the worker's Backoff sees the error")
	require.Equal(t, time.Duration(0), ws.Backoff(&testmode.JobRow{Kind: "retry_after", EncodedArgs: []byte(`{"wait":-1}`)}, nil), "negative waits count as 0")

	for _, r := range []*testmode.JobRow{
		{Kind: "email", EncodedArgs: []byte(`{"to":"a"}`), Attempt: 2},            // no Backoffer
		{Kind: "nobody", EncodedArgs: []byte(`{}`), Attempt: 2},                   // no worker
		{Kind: "retry_after", EncodedArgs: []byte(`"not an object"`), Attempt: 2}, // args no longer decode
	} {
		d := ws.Backoff(r, errors.New("x"))
		require.GreaterOrEqual(t, d, testmode.DefaultBackoff(2, 0), r.Kind)
		require.LessOrEqual(t, d, testmode.DefaultBackoff(2, 1), r.Kind)
	}
	require.Equal(t, 2, row.Attempt, "row is not modified")
}

// TestDefaultBackoffClamps: every input gives a wait between the
// formula's bounds; out-of-range attempts and jitters are clamped, never
// a panic or a wild value.
func TestDefaultBackoffClamps(t *testing.T) {
	require.Equal(t, 17*time.Second, testmode.DefaultBackoff(1, 0))
	require.Equal(t, 17*time.Second+1700*time.Millisecond, testmode.DefaultBackoff(1, 1), "a jitter of 1 adds 10%")
	require.Equal(t, 15*time.Second+(1<<16)*time.Second, testmode.DefaultBackoff(testmode.BackoffMaxExponent, 0))
	for _, attempt := range []int{0, -1, -64, math.MinInt} {
		require.NotPanics(t, func() { testmode.DefaultBackoff(attempt, 0.5) })
		require.Equal(t, testmode.DefaultBackoff(1, 0.5), testmode.DefaultBackoff(attempt, 0.5), "attempt %d counts as 1", attempt)
	}
	for _, attempt := range []int{17, 64, 1000, math.MaxInt} {
		require.Equal(t, testmode.DefaultBackoff(testmode.BackoffMaxExponent, 0.5), testmode.DefaultBackoff(attempt, 0.5), "attempt %d: the exponent is capped", attempt)
	}
	for jitter, as := range map[float64]float64{-1: 0, math.Inf(-1): 0, math.NaN(): 0, math.Copysign(0, -1): 0, 1.5: 1, math.Inf(1): 1, math.MaxFloat64: 1} {
		require.Equal(t, testmode.DefaultBackoff(3, as), testmode.DefaultBackoff(3, jitter), "jitter %v counts as %v", jitter, as)
	}
	// Within the range, jitter grows the wait monotonically.
	prev := time.Duration(0)
	for _, jitter := range []float64{0, 0.25, 0.5, 0.999999, 1} {
		d := testmode.DefaultBackoff(3, jitter)
		require.GreaterOrEqual(t, d, prev)
		require.LessOrEqual(t, d, testmode.DefaultBackoff(3, 0)+testmode.DefaultBackoff(3, 0)/10)
		prev = d
	}
}
