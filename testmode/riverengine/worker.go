package riverengine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// rawArgs are the args River sees: testmode has already encoded (and
// validated) the args, so they travel as the JSON they are, under the kind
// they were inserted with. River registers a worker under the kind of the
// rawArgs value given to AddWorkerArgs, and inserts under the kind of each
// value, so one type serves every kind.
type rawArgs struct {
	kind string
	enc  []byte
	// retryAt is when a job whose attempt failed runs again, as Work
	// computed it, for NextRetry: River asks NextRetry, after Work has
	// returned, with the Job it gave Work. A job rescued from a node that
	// died is a Job of its own, without it.
	retryAt time.Time
}

func (a rawArgs) Kind() string { return a.kind }

// MarshalJSON returns the encoded args.
func (a rawArgs) MarshalJSON() ([]byte, error) { return a.enc, nil }

// UnmarshalJSON ignores the args: the worker reads them from the job row,
// where River already holds them, and testmode decodes them into their
// type.
func (*rawArgs) UnmarshalJSON([]byte) error { return nil }

// kindWorker runs the jobs of every kind with the testmode worker
// registered for it, and turns the attempt's outcome into River's terms.
type kindWorker struct {
	river.WorkerDefaults[rawArgs]
	e *Engine
}

// Work runs one attempt with testmode's Workers.Work and reports the
// outcome to River:
//
//   - completed: nil.
//   - cancelled: River's JobCancel. Also for a job whose args no longer
//     decode, which testmode discards at once: River has no way for a
//     worker to discard a job before its last attempt.
//   - snoozed: River's JobSnooze, which gives the attempt back.
//   - retry: the error, with the time of the next attempt, computed by
//     testmode's backoff (which sees the error), left for NextRetry.
//   - discarded after the last attempt: the error; River discards the job
//     because the attempt numbers agree.
//   - returned at shutdown: an error wrapping context.Canceled, which River
//     takes for an attempt interrupted by its stop and gives back.
func (w *kindWorker) Work(ctx context.Context, job *river.Job[rawArgs]) error {
	e := w.e
	row := fromRiver(job.JobRow, time.Now())
	row.Attempt-- // River counted the attempt; Work counts it again
	// The attempt's context says why it ended in testmode's terms: River
	// cancels it with causes of its own.
	jctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	stop := context.AfterFunc(ctx, func() { cancel(e.cause(ctx)) })
	defer stop()

	res := e.opts.Workers.Work(jctx, e.tel, row)
	switch res.Outcome {
	case testmode.OutcomeCompleted:
		return nil
	case testmode.OutcomeCancelled:
		return river.JobCancel(res.Err)
	case testmode.OutcomeSnoozed:
		return river.JobSnooze(max(time.Until(res.NextRun), 0))
	case testmode.OutcomeRetry:
		job.Args.retryAt = res.NextRun
		return res.Err
	case testmode.OutcomeReturned:
		return fmt.Errorf("riverengine: attempt interrupted by shutdown: %w (the worker returned: %w)", context.Canceled, res.Err)
	default: // discarded
		if res.Job.Attempt < res.Job.MaxAttempts {
			return river.JobCancel(res.Err)
		}
		return res.Err
	}
}

// cause translates why River ended an attempt's context into the causes
// testmode's Workers.Work settles an attempt by: an attempt that outlived
// Options.JobTimeout fails as at a worker's own Timeout, and one whose job
// was cancelled remotely (River's JobCancel, from any node) is cancelled.
func (e *Engine) cause(ctx context.Context) error {
	c := context.Cause(ctx)
	switch {
	case errors.Is(c, context.DeadlineExceeded):
		return fmt.Errorf("%w after %s", testmode.ErrJobTimeout, e.opts.JobTimeout)
	case errors.Is(c, rivertype.ErrJobCancelledRemotely):
		return testmode.Cancel(c)
	default: // River stops only when the engine stops
		return testmode.ErrShutdown
	}
}

// Timeout is Options.JobTimeout: River needs one to rescue jobs.
func (w *kindWorker) Timeout(*river.Job[rawArgs]) time.Duration { return w.e.opts.JobTimeout }

// NextRetry returns the time that Work computed for the job's retry. River
// also asks when it rescues a job from a node that died; then the worker's
// backoff sees ErrRescued.
func (w *kindWorker) NextRetry(job *river.Job[rawArgs]) time.Time {
	now := time.Now()
	if at := job.Args.retryAt; !at.IsZero() {
		// River refuses a time before its own reading of the clock, taken
		// before this call, and falls back to its own policy.
		if at.After(now) {
			return at
		}
		return now
	}
	return w.e.rescueRetry(job.JobRow, now)
}

// rescueRetry is the time of the retry of a job whose attempt ended
// without a result.
func (e *Engine) rescueRetry(jr *rivertype.JobRow, now time.Time) time.Time {
	return now.Add(e.opts.Workers.Backoff(fromRiver(jr, now), ErrRescued))
}

// retryPolicy is River's client-wide retry policy, for the rare retries
// that no kindWorker decides (args that River itself cannot read).
type retryPolicy struct{ e *Engine }

func (p retryPolicy) NextRetry(jr *rivertype.JobRow) time.Time {
	return p.e.rescueRetry(jr, time.Now())
}
