package testmode_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

type interruptedArgs struct {
	// Then is what Perform returns once its context ends: "error",
	// "snooze", "nil" or "cancel".
	Then string `json:"then"`
}

func (interruptedArgs) Kind() string { return "interrupted" }

// interruptedWorker waits for its context to end, then returns what its
// args say, and records the errors its Backoff saw.
type interruptedWorker struct {
	mu  sync.Mutex
	saw []error
}

func (w *interruptedWorker) Perform(ctx context.Context, job *testmode.Job[interruptedArgs]) error {
	<-ctx.Done()
	switch job.Args.Then {
	case "snooze":
		return testmode.Snooze(time.Hour)
	case "nil":
		return nil
	case "cancel":
		return testmode.Cancel(errors.New("gave up"))
	}
	return ctx.Err()
}

func (w *interruptedWorker) Backoff(_ *testmode.Job[interruptedArgs], err error) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.saw = append(w.saw, err)
	return time.Minute
}

// An engine ends an attempt early with a cause: Work settles the outcome
// by it, so every engine reports a remote cancellation and its own bound on
// attempts as testmode does.
func TestWorkSettlesTheEnginesCause(t *testing.T) {
	remote := errors.New("cancelled by an operator")
	bound := fmt.Errorf("%w after 30s", testmode.ErrJobTimeout)
	for _, tc := range []struct {
		name, then string
		cause      error
		outcome    testmode.Outcome
		err        string
		attempt    int
	}{
		{"cancel cause, error", "error", testmode.Cancel(remote), testmode.OutcomeCancelled,
			"testmode: job cancelled: cancelled by an operator (Perform returned: context canceled)", 1},
		{"cancel cause, snooze", "snooze", testmode.Cancel(remote), testmode.OutcomeCancelled,
			"testmode: job cancelled: cancelled by an operator (Perform returned: testmode: job snoozed for 1h0m0s)", 1},
		{"cancel cause, its own cancel", "cancel", testmode.Cancel(remote), testmode.OutcomeCancelled,
			"testmode: job cancelled: gave up", 1},
		{"cancel cause, nil", "nil", testmode.Cancel(remote), testmode.OutcomeCompleted, "", 1},
		{"timeout cause, error", "error", bound, testmode.OutcomeRetry,
			"testmode: job timed out after 30s: context canceled", 1},
		{"timeout cause, snooze", "snooze", bound, testmode.OutcomeSnoozed, "testmode: job snoozed for 1h0m0s", 0},
		{"shutdown", "error", testmode.ErrShutdown, testmode.OutcomeReturned, "context canceled", 0},
		{"other cause", "error", errors.New("why not"), testmode.OutcomeRetry, "context canceled", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := testmode.NewWorkers()
			w := &interruptedWorker{}
			require.NoError(t, testmode.AddWorker(ws, w))
			row := &testmode.JobRow{ID: 7, Kind: "interrupted", Queue: "default", MaxAttempts: 3,
				EncodedArgs: []byte(`{"then":"` + tc.then + `"}`)}
			ctx, cancel := context.WithCancelCause(t.Context())
			cancel(tc.cause)

			before := time.Now()
			res := ws.Work(ctx, nil, row)
			require.Equal(t, tc.outcome, res.Outcome)
			require.Equal(t, tc.attempt, res.Job.Attempt)
			if tc.err == "" {
				require.NoError(t, res.Err)
				return
			}
			require.EqualError(t, res.Err, tc.err)
			switch tc.outcome {
			case testmode.OutcomeCancelled:
				require.Equal(t, testmode.StateCancelled, res.Job.State)
				require.Len(t, res.Job.Errors, 1)
				require.Equal(t, tc.err, res.Job.Errors[0].Message)
				require.Empty(t, w.saw, "a cancelled job is not backed off")
			case testmode.OutcomeRetry:
				require.Equal(t, testmode.StateRetryable, res.Job.State)
				require.Len(t, w.saw, 1)
				require.Equal(t, tc.err, w.saw[0].Error(), "the backoff sees the settled error")
				require.Equal(t, errors.Is(tc.cause, testmode.ErrJobTimeout), errors.Is(w.saw[0], testmode.ErrJobTimeout))
				require.WithinRange(t, res.NextRun, before.Add(time.Minute), time.Now().Add(time.Minute))
			}
		})
	}
}
