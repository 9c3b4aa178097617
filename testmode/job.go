package testmode

import (
	"encoding/json"
	"time"
)

// Args is the payload of a job: a value whose Kind names the worker that
// runs it. Args must survive a JSON round trip: Insert encodes them, decodes
// the encoding into a fresh value of the same type and compares the two, and
// refuses args that come back different (ErrArgsNotJSON), so a worker never
// receives something other than what was inserted.
type Args interface {
	// Kind names the worker of the args. It must return the same non-empty
	// string for every value of the type, including the zero value (a
	// pointer to a zero value, for a pointer type), because AddWorker reads
	// it from the zero value and refuses a type whose Kind panics there or
	// returns "". Insert refuses an empty kind (ErrEmptyKind) and a kind
	// without a worker (ErrUnknownKind).
	Kind() string
}

// ArgsWithInsertOpts is implemented by args types that carry their own
// insert options, such as a queue.
type ArgsWithInsertOpts interface {
	Args
	// InsertOpts returns the options of every insert of these args. Insert
	// starts from them and lets every non-zero field of the caller's
	// InsertOpts override them; the merged options are validated as the
	// caller's are, so invalid ones make the insert fail. It is called once
	// per insert, on the args being inserted, so it may depend on their
	// value.
	InsertOpts() InsertOpts
}

// State is where a job is in its life.
type State string

// The job states. Available, Scheduled and Retryable jobs are enqueued:
// they will run. Completed, Cancelled and Discarded are final.
const (
	// StateAvailable: ready to run now.
	StateAvailable State = "available"
	// StateScheduled: waits for its ScheduledAt (inserted for later, or
	// snoozed).
	StateScheduled State = "scheduled"
	// StateRetryable: failed, waits for its ScheduledAt to be retried.
	StateRetryable State = "retryable"
	// StateRunning: an attempt is in progress.
	StateRunning State = "running"
	// StateCompleted: an attempt returned nil.
	StateCompleted State = "completed"
	// StateCancelled: an attempt returned Cancel(err); never retried.
	StateCancelled State = "cancelled"
	// StateDiscarded: the last allowed attempt failed; never retried.
	StateDiscarded State = "discarded"
)

// Final reports whether s is a final state: completed, cancelled or
// discarded.
func (s State) Final() bool {
	return s == StateCompleted || s == StateCancelled || s == StateDiscarded
}

// valid reports whether s is one of the job states.
func (s State) valid() bool {
	switch s {
	case StateAvailable, StateScheduled, StateRetryable, StateRunning, StateCompleted, StateCancelled, StateDiscarded:
		return true
	}
	return false
}

// enqueued reports whether a job in state s will run.
func (s State) enqueued() bool {
	return s == StateAvailable || s == StateScheduled || s == StateRetryable
}

// AttemptError records one failed attempt.
type AttemptError struct {
	// Attempt is the attempt's number, from 1.
	Attempt int
	// At is when the attempt ended (on the fake clock in Inline mode).
	At time.Time
	// Message is the error's text.
	Message string
	// Stack is the panicking goroutine's stack when the attempt panicked,
	// otherwise empty.
	Stack string
	// Err is the error value itself. It is kept in process only; an engine
	// that stores jobs elsewhere keeps Message and Stack and may return nil
	// here.
	Err error `json:"-"`
}

// Job is what a worker receives: the job's fields with its args decoded
// into their type. A Job belongs to one attempt; the worker must not modify
// its slices and maps, which may be shared with the engine's copy.
type Job[T Args] struct {
	// ID identifies the job in its engine or store; 0 for a job built by
	// PerformJob, which stores nothing.
	ID int64
	// Kind is Args.Kind().
	Kind string
	// Args are the job's args, decoded from their JSON encoding. Plain
	// args (of a type made of strings, numbers and booleans only, in
	// structs and arrays, whose JSON form is lossless) inserted through
	// a Client into a MemoryEngine are handed over as a copy of the
	// inserted value instead: the value decoding would give, without the
	// decoding.
	Args T
	// Queue is the queue the job runs in.
	Queue string
	// Priority orders jobs of a queue: 0 runs first, 9 last.
	Priority int
	// Attempt is the number of this attempt, from 1. Snoozing does not use
	// up an attempt, so a snoozed job runs again with the same number.
	Attempt int
	// MaxAttempts is the number of attempts after which a failing job is
	// discarded.
	MaxAttempts int
	// InsertedAt is when the job was inserted.
	InsertedAt time.Time
	// ScheduledAt is when the job became due for this attempt.
	ScheduledAt time.Time
	// AttemptedAt is when this attempt started.
	AttemptedAt time.Time
	// Tags are free-form labels given at insert.
	Tags []string
	// Meta is free-form JSON data given at insert.
	Meta map[string]any
	// Errors are the errors of the previous attempts, oldest first.
	Errors []AttemptError
}

// JobRow is a job as an engine or a test store holds it, with its args
// still encoded. The JobRows that this package returns are snapshots: a
// later change to the job produces a new JobRow, and the returned one is
// shared, so treat it as read-only.
type JobRow struct {
	// ID identifies the job in its engine or store, from 1.
	ID int64
	// Kind is the args' kind, which selects the worker.
	Kind string
	// EncodedArgs is the JSON encoding of the args.
	EncodedArgs json.RawMessage
	// Queue is the queue the job runs in.
	Queue string
	// Priority orders jobs of a queue: 0 runs first, 9 last.
	Priority int
	// State is where the job is in its life.
	State State
	// Attempt is the number of attempts started, snoozes excluded.
	Attempt int
	// MaxAttempts is the number of attempts after which a failing job is
	// discarded.
	MaxAttempts int
	// Snoozes counts the attempts that ended in Snooze.
	Snoozes int
	// InsertedAt is when the job was inserted.
	InsertedAt time.Time
	// ScheduledAt is when the job is (or was) due to run.
	ScheduledAt time.Time
	// AttemptedAt is when the latest attempt started; zero before the first.
	AttemptedAt time.Time
	// FinalizedAt is when the job reached a final state; zero before.
	FinalizedAt time.Time
	// Tags are free-form labels given at insert.
	Tags []string
	// Meta is free-form JSON data given at insert, as JSON decodes it
	// (numbers are float64).
	Meta map[string]any
	// Errors are the errors of the failed attempts, oldest first.
	Errors []AttemptError
	// UniqueKey identifies the job's duplicates: jobs with the same kind,
	// args and queue. It is empty for a job inserted without UniquePeriod.
	UniqueKey string
	// UniquePeriod is how long after its insert the job blocks duplicates.
	UniquePeriod time.Duration
	// Duplicate is set on the row that Insert returns when the insert was
	// skipped because an earlier job is unique for it: the row is that
	// earlier job's.
	Duplicate bool
}

// clone returns a shallow copy of r: slices and maps are shared, which is
// safe because this package never modifies them in place.
func (r *JobRow) clone() *JobRow {
	c := *r
	c.Duplicate = false
	return &c
}
