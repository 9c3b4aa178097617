package testmode

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// PerformJob runs one attempt of a job with args as an engine would, and
// returns the result: it validates the args and opts as Insert does (JSON
// round trip included), builds the job (ID 0, attempt 1, MaxAttempts from
// opts or DefaultMaxAttempts), runs w.Perform under w's Timeout with panics
// recovered, classifies the outcome and emits JobSpan on
// telemetry.Default(). It stores nothing. PerformJobWith runs a later
// attempt, at a given time.
//
// It fails the test (Errorf, then FailNow) when w is nil, when args' kind
// is empty or differs from the kind of T's zero value (the kind AddWorker
// would register w under), when args or opts are invalid, and when the
// worker's outcome is invalid (a negative Snooze).
func PerformJob[T Args](ctx context.Context, t TB, w Worker[T], args T, opts *InsertOpts) Result {
	t.Helper()
	return PerformJobWith(ctx, t, w, args, PerformOpts{Insert: opts})
}

// PerformOpts says which attempt of which job PerformJobWith runs, as
// Oban's perform_job takes attempt: and attempted_at:.
type PerformOpts struct {
	// Insert are the job's insert options (queue, priority, MaxAttempts,
	// tags, meta, ScheduledAt), validated as Insert validates them; nil
	// means the defaults.
	Insert *InsertOpts
	// Attempt is the number of the attempt to run, from 1; 0 means 1. It
	// must not exceed the job's MaxAttempts: Attempt == MaxAttempts runs
	// the last attempt, whose failure discards the job.
	Attempt int
	// AttemptedAt is when the attempt starts: the job's AttemptedAt, and
	// the clock of the attempt's outcome (the time of its error, the
	// backoff's and a snooze's NextRun, FinalizedAt). The zero time means
	// the wall clock.
	AttemptedAt time.Time
	// InsertedAt is the job's InsertedAt; the zero time means AttemptedAt.
	// It must not be after AttemptedAt.
	InsertedAt time.Time
	// Errors are the errors of the earlier attempts, which the job carries
	// (Job.Errors); at most Attempt-1 of them.
	Errors []AttemptError
}

// PerformJobWith is PerformJob for the attempt that opts describe: a
// given attempt number, at a given time, of a job inserted at a given
// time, so a worker's "last attempt" branch and its Backoff at attempt N
// are testable without running N attempts. It fails the test as PerformJob
// does, and for opts that no job could have (an Attempt beyond
// MaxAttempts, InsertedAt after AttemptedAt, more Errors than earlier
// attempts).
func PerformJobWith[T Args](ctx context.Context, t TB, w Worker[T], args T, opts PerformOpts) Result {
	t.Helper()
	fail := func(format string, a ...any) Result {
		t.Helper()
		t.Errorf("testmode: PerformJob: "+format, a...)
		t.FailNow()
		return Result{}
	}
	if ctx == nil {
		return fail("ctx is nil")
	}
	if w == nil {
		return fail("worker is nil")
	}
	if f, ok := w.(WorkerFunc[T]); ok && f == nil {
		return fail("worker is a nil WorkerFunc")
	}
	kind, err := kindOf(args)
	if err != nil {
		return fail("%v", err)
	}
	if want, err := zeroKind[T](); err != nil || want != kind {
		return fail("args have kind %q, but a worker of %T is registered under kind %q (%v)", kind, args, want, err)
	}
	e := &env{tel: telemetry.Default(), mode: runByPerform, jitter: randomJitter}
	now := time.Now()
	if !opts.AttemptedAt.IsZero() {
		now = opts.AttemptedAt
		e.fake, e.clock = true, now
	}
	row, err := buildRow(kind, args, opts.Insert, DefaultMaxAttempts, now)
	if err != nil {
		return fail("%v", err)
	}
	if err := prepareAttempt(row, opts, now); err != nil {
		return fail("%v", err)
	}
	r := &typedRunner[T]{k: kind, w: w}
	r.timeouter, _ = w.(Timeouter[T])
	r.backoffer, _ = w.(Backoffer[T])
	res := e.attempt(ctx, r, row, nil)
	if errors.Is(res.Err, ErrInvalidSnooze) {
		fail("the worker returned an invalid outcome: %v", res.Err)
	}
	return res
}

// prepareAttempt sets up row for the attempt opts describe, starting at
// now, or says why no job could be at that point.
func prepareAttempt(row *JobRow, opts PerformOpts, now time.Time) error {
	attempt := opts.Attempt
	if attempt == 0 {
		attempt = 1
	}
	var errs []error
	if attempt < 1 || attempt > row.MaxAttempts {
		errs = append(errs, fmt.Errorf("PerformOpts.Attempt = %d: must be between 1 and the job's MaxAttempts (%d)", opts.Attempt, row.MaxAttempts))
	}
	row.InsertedAt = now
	if !opts.InsertedAt.IsZero() {
		if opts.InsertedAt.After(now) {
			errs = append(errs, fmt.Errorf("PerformOpts.InsertedAt = %s: must not be after AttemptedAt (%s)",
				opts.InsertedAt.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano)))
		}
		row.InsertedAt = opts.InsertedAt
	}
	if len(opts.Errors) > attempt-1 {
		errs = append(errs, fmt.Errorf("PerformOpts.Errors holds %d errors, but attempt %d has only %d earlier attempt(s)", len(opts.Errors), attempt, max(attempt-1, 0)))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	row.Errors = opts.Errors
	row.Attempt = attempt - 1
	startAttempt(row, now)
	return nil
}
