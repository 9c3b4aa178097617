package testmode_test

import (
	"context"
	"errors"
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
