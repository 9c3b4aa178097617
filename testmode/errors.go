package testmode

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with [errors.Is].
var (
	// ErrNilArgs is returned by Insert for nil args, including a nil
	// pointer of an args type.
	ErrNilArgs = errors.New("testmode: args are nil")
	// ErrEmptyKind is returned by Insert and AddWorker when an args type's
	// Kind method returns "".
	ErrEmptyKind = errors.New("testmode: Kind() returned an empty string")
	// ErrUnknownKind is returned by Insert when no worker is registered for
	// the args' kind.
	ErrUnknownKind = errors.New("testmode: no worker registered for kind")
	// ErrDuplicateKind is returned by AddWorker when a worker is already
	// registered for the kind.
	ErrDuplicateKind = errors.New("testmode: a worker is already registered for kind")
	// ErrArgsNotJSON is returned by Insert when args do not survive a JSON
	// round trip: they fail to encode or to decode, or decode to a value
	// that differs from the one inserted.
	ErrArgsNotJSON = errors.New("testmode: args do not survive a JSON round trip")
	// ErrNoEngine is returned by Insert in Disabled mode when the client has
	// no Engine.
	ErrNoEngine = errors.New("testmode: Disabled mode needs an Engine")
	// ErrUnknownQueue is returned by an engine's Insert for a queue it does
	// not serve.
	ErrUnknownQueue = errors.New("testmode: queue not configured in the engine")
	// ErrEngineStopped is returned by an engine's Insert once it has begun
	// to stop.
	ErrEngineStopped = errors.New("testmode: engine stopped")
	// ErrJobTimeout is the error of an attempt that outlived the worker's
	// Timeout, and the cause (context.Cause) of its cancelled context.
	ErrJobTimeout = errors.New("testmode: job timed out")
	// ErrShutdown is the cause (context.Cause) of the context of a job
	// still running when its engine's ShutdownGrace ran out.
	ErrShutdown = errors.New("testmode: engine shutting down")
	// ErrSnoozeLimit is the error of an Inline insert whose job snoozed more
	// than Config.MaxInlineSnoozes times in a row; the job is left
	// scheduled.
	ErrSnoozeLimit = errors.New("testmode: inline snooze limit reached")
	// ErrInvalidSnooze is the error of an attempt whose worker returned
	// Snooze with a negative duration. The attempt counts as failed.
	ErrInvalidSnooze = errors.New("testmode: Snooze duration must be >= 0")
)

// JobError is returned by an Inline insert whose job did not complete: it
// was discarded after its last attempt, cancelled, or left scheduled by
// ErrSnoozeLimit. It unwraps to the error of the last attempt, so
// errors.Is and errors.As see what the worker returned (a *PanicError for a
// panic).
type JobError struct {
	// Job is the job as it ended, with the errors of every attempt.
	Job *JobRow
	// Err is the error of the last attempt.
	Err error
}

// Error names the job, its final state and the last attempt's error.
func (e *JobError) Error() string {
	return fmt.Sprintf("testmode: job %d (kind %q) %s after %d attempt(s): %v",
		e.Job.ID, e.Job.Kind, e.Job.State, e.Job.Attempt, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *JobError) Unwrap() error { return e.Err }
