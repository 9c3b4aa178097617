package testmode

import (
	"fmt"
	"time"
)

// Outcome is what one attempt of a job came to. A worker chooses it by what
// Perform returns:
//
//   - nil: OutcomeCompleted.
//   - Cancel(err): OutcomeCancelled, never retried.
//   - Snooze(d): OutcomeSnoozed, run again after d without using up an
//     attempt.
//   - any other error, a panic (as a *PanicError) or an expired Timeout
//     (ErrJobTimeout): OutcomeRetry while attempts remain, then
//     OutcomeDiscarded.
//
// Cancel and Snooze are found with errors.As, so they may be wrapped.
type Outcome string

// The outcomes of an attempt.
const (
	// OutcomeCompleted: Perform returned nil. The job is completed.
	OutcomeCompleted Outcome = "completed"
	// OutcomeRetry: the attempt failed and attempts remain; the job is
	// retryable, scheduled after its backoff.
	OutcomeRetry Outcome = "retry"
	// OutcomeDiscarded: the last allowed attempt failed. The job is
	// discarded.
	OutcomeDiscarded Outcome = "discarded"
	// OutcomeCancelled: Perform returned Cancel. The job is cancelled.
	OutcomeCancelled Outcome = "cancelled"
	// OutcomeSnoozed: Perform returned Snooze. The job is scheduled again.
	OutcomeSnoozed Outcome = "snoozed"
	// OutcomeReturned: the engine shut down during the attempt and Perform
	// returned an error after its context was cancelled. The attempt does
	// not count; the job is available again.
	OutcomeReturned Outcome = "returned"
)

// CancelError is what Cancel returns: the worker's way of saying that the
// job must never be retried.
type CancelError struct {
	// Err is why the job was cancelled; it may be nil.
	Err error
}

// Cancel returns an error that cancels the job: it is recorded as the
// attempt's error and the job is never retried. err says why and may be nil.
func Cancel(err error) error { return &CancelError{Err: err} }

// Error returns "testmode: job cancelled" and the reason.
func (e *CancelError) Error() string {
	if e.Err == nil {
		return "testmode: job cancelled"
	}
	return "testmode: job cancelled: " + e.Err.Error()
}

// Unwrap returns the reason.
func (e *CancelError) Unwrap() error { return e.Err }

// SnoozeError is what Snooze returns.
type SnoozeError struct {
	// Duration is how long to wait before the next run.
	Duration time.Duration
}

// Snooze returns an error that reschedules the job d from now without using
// up an attempt: the job runs again with the same Attempt number. d must be
// >= 0; a negative d makes the attempt fail with ErrInvalidSnooze.
func Snooze(d time.Duration) error { return &SnoozeError{Duration: d} }

// Error returns "testmode: job snoozed for" and the duration.
func (e *SnoozeError) Error() string {
	return "testmode: job snoozed for " + e.Duration.String()
}

// PanicError is the error of an attempt whose Perform panicked.
type PanicError struct {
	// Value is the panic value.
	Value any
	// Stack is the panicking goroutine's stack.
	Stack []byte
}

// Error returns "testmode: job panicked:" and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("testmode: job panicked: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Result is what one attempt of a job produced, as Drain, PerformJob and
// Workers.Work report it.
type Result struct {
	// Job is the job after the attempt: its State, Attempt, Errors and
	// ScheduledAt reflect the outcome.
	Job *JobRow
	// Outcome is what the attempt came to.
	Outcome Outcome
	// Err is the attempt's error: what Perform returned, a *PanicError, or
	// an error wrapping ErrJobTimeout. It is nil for OutcomeCompleted.
	Err error
	// NextRun is when the job runs again (OutcomeRetry and OutcomeSnoozed),
	// otherwise zero.
	NextRun time.Time
	// Duration is how long Perform ran.
	Duration time.Duration
}
