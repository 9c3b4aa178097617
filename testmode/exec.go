package testmode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"time"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Values of the "mode" metadata of JobSpan: who ran the attempt.
const (
	runByEngine  = "engine"
	runByInline  = "inline"
	runByDrain   = "drain"
	runByPerform = "perform"
)

// env is how attempts run: with which clock, jitter and telemetry, and how
// a Perform with a deadline is started.
type env struct {
	tel  *telemetry.Registry
	mode string
	// fake selects the fake clock of Inline mode, which reads clock; the
	// wall clock otherwise.
	fake  bool
	clock time.Time
	// wall reads the wall clock when not nil; time.Now otherwise.
	wall   *clock
	jitter func(*JobRow) float64
	// spawn starts fn in a goroutine of its own, or returns false (the
	// caller then runs fn itself). Nil means a plain go statement.
	spawn func(fn func()) bool
}

// now reads the env's clock.
func (e *env) now() time.Time {
	if e.fake {
		return e.clock
	}
	return e.wallNow()
}

// wallNow reads the wall clock.
func (e *env) wallNow() time.Time {
	if e.wall != nil {
		return e.wall.now()
	}
	return time.Now()
}

// startAttempt turns row (a private copy) into the row of a running
// attempt.
func startAttempt(row *JobRow, now time.Time) {
	row.State = StateRunning
	row.Attempt++
	row.AttemptedAt = now
}

// Work performs one attempt of the job in row with the worker registered
// for its kind, as an engine does, and returns the result: Result.Job is
// the job after the attempt (row itself is not modified), ready for the
// engine to store. It counts the attempt, runs Perform under the worker's
// Timeout with panics recovered, classifies the outcome, computes the
// backoff (DefaultBackoff with random jitter unless the worker implements
// Backoffer) on the wall clock, and emits JobSpan on reg (which may be nil).
//
// It is the building block of engines other than MemoryEngine: a durable
// engine fetches a due row, calls Work, and stores Result.Job. An unknown
// kind or args that no longer decode discard the job at once, as no retry
// could succeed.
//
// The engine tells Work why it ended an attempt early by the cause it
// cancels ctx with (context.WithCancelCause): ErrShutdown returns the job
// to available without using up the attempt; a *CancelError (from Cancel:
// the job was cancelled from elsewhere) cancels the job when Perform
// returns an error or a Snooze; an error wrapping ErrJobTimeout (the
// engine's own bound on an attempt) fails the attempt with an error that
// wraps it, which the worker's Backoff sees, as at the worker's own
// Timeout. A Perform that returns nil completes the job whatever the
// cause.
func (ws *Workers) Work(ctx context.Context, reg *telemetry.Registry, row *JobRow) Result {
	e := &env{tel: reg, mode: runByEngine, jitter: randomJitter}
	r := row.clone()
	startAttempt(r, e.now())
	run, _ := ws.lookup(r.Kind)
	return e.attempt(ctx, run, r, nil)
}

// traced reports whether a handler wants JobSpan.
func (e *env) traced() bool {
	return e.tel != nil && (e.tel.Enabled(JobSpan.Start) || e.tel.Enabled(JobSpan.Stop) || e.tel.Enabled(JobSpan.Exception))
}

// attempt runs the attempt that row (State running, Attempt counted)
// describes and updates row to the job's state after it. r may be nil for a
// kind without a worker. args is nil or, for MemoryEngine, the args the job
// was inserted with (see runner.prepare).
func (e *env) attempt(ctx context.Context, r runner, row *JobRow, args Args) Result {
	if !e.traced() {
		return e.attemptUntraced(ctx, r, row, args)
	}
	meta := []slog.Attr{
		slog.Int64(KeyJobID, row.ID),
		slog.String(KeyJobKind, row.Kind),
		slog.String(KeyQueue, row.Queue),
		slog.Int(KeyAttempt, row.Attempt),
		slog.String(KeyMode, e.mode),
	}
	var res Result
	_ = e.tel.Span(ctx, JobSpan, meta, func(ctx context.Context, sc *telemetry.Scope) error {
		queueTime := max(row.AttemptedAt.Sub(row.ScheduledAt), 0)
		res = e.attemptUntraced(ctx, r, row, args)
		sc.AddMeasurements(telemetry.Dur(MeasureQueueTime, queueTime))
		sc.AddMetadata(slog.String(KeyOutcome, string(res.Outcome)))
		if res.Outcome == OutcomeSnoozed {
			return nil
		}
		return res.Err
	})
	return res
}

func (e *env) attemptUntraced(ctx context.Context, r runner, row *JobRow, args Args) Result {
	if r == nil {
		return e.settle(ctx, nil, row, fmt.Errorf("%w %q", ErrUnknownKind, row.Kind), 0, e.wallNow())
	}
	// On the wall clock the attempt started at AttemptedAt, which saves a
	// clock read: on some virtual machines a read costs 100 ns. MemoryEngine
	// relies on this: the attempt ended at AttemptedAt + Duration.
	start := row.AttemptedAt
	if e.fake {
		start = e.wallNow()
	}
	p, err := r.prepare(row, args)
	if err == nil {
		err = e.run(ctx, p)
	}
	end := e.wallNow()
	return e.settle(ctx, p, row, err, end.Sub(start), end)
}

// run calls Perform, under the attempt's timeout when it has one.
func (e *env) run(ctx context.Context, p prepared) error {
	d := p.timeout()
	if d <= 0 {
		return callPerform(ctx, p)
	}
	tctx, cancel := context.WithTimeoutCause(ctx, d, ErrJobTimeout)
	defer cancel()
	done := make(chan error, 1)
	fn := func() { done <- callPerform(tctx, p) }
	if e.spawn == nil {
		go fn()
	} else if !e.spawn(fn) {
		fn()
	}
	select {
	case err := <-done:
		if err != nil && errors.Is(context.Cause(tctx), ErrJobTimeout) {
			return fmt.Errorf("%w after %s: %w", ErrJobTimeout, d, err)
		}
		return err
	case <-tctx.Done():
		if errors.Is(context.Cause(tctx), ErrJobTimeout) {
			select {
			case err := <-done: // returned at the deadline
				if err != nil {
					return fmt.Errorf("%w after %s: %w", ErrJobTimeout, d, err)
				}
				return nil
			default:
			}
			return fmt.Errorf("%w after %s (Perform has not returned)", ErrJobTimeout, d)
		}
		// The engine is shutting down: Perform was told, wait for it.
		return <-done
	}
}

// callPerform calls Perform and turns a panic into a *PanicError.
func callPerform(ctx context.Context, p prepared) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return p.perform(ctx)
}

// settle classifies an attempt that returned err at end (wall clock) and
// updates row. p is nil when the job could not even be built; it is then
// discarded.
func (e *env) settle(ctx context.Context, p prepared, row *JobRow, err error, dur time.Duration, end time.Time) Result {
	now := end
	if e.fake {
		now = e.clock
	}
	res := Result{Job: row, Err: err, Duration: dur}
	switch {
	case err == nil:
		row.State, row.FinalizedAt = StateCompleted, now
		res.Outcome = OutcomeCompleted
	case p == nil:
		recordError(row, now, err)
		row.State, row.FinalizedAt = StateDiscarded, now
		res.Outcome = OutcomeDiscarded
	default:
		e.settleError(ctx, p, &res, now)
	}
	return res
}

// settleError is settle for an attempt that failed. It is apart because the
// targets of errors.As escape: the success path allocates nothing.
func (e *env) settleError(ctx context.Context, p prepared, res *Result, now time.Time) {
	row, err := res.Job, res.Err
	var snooze *SnoozeError
	var cancel *CancelError
	if ctx.Err() != nil {
		err = settleCause(context.Cause(ctx), err)
		res.Err = err
	}
	switch {
	case errors.As(err, &cancel):
		recordError(row, now, err)
		row.State, row.FinalizedAt = StateCancelled, now
		res.Outcome = OutcomeCancelled
		return
	case errors.As(err, &snooze) && snooze.Duration >= 0:
		row.Attempt--
		row.Snoozes++
		row.State, row.ScheduledAt = StateScheduled, now.Add(snooze.Duration)
		res.Outcome, res.NextRun = OutcomeSnoozed, row.ScheduledAt
		return
	case errors.Is(context.Cause(ctx), ErrShutdown):
		row.Attempt--
		row.State = StateAvailable
		res.Outcome = OutcomeReturned
		return
	}
	if snooze != nil {
		err = fmt.Errorf("%w: Snooze(%s)", ErrInvalidSnooze, snooze.Duration)
		res.Err = err
	}
	recordError(row, now, err)
	if row.Attempt >= row.MaxAttempts {
		row.State, row.FinalizedAt = StateDiscarded, now
		res.Outcome = OutcomeDiscarded
		return
	}
	wait, ok := p.backoff(err)
	if !ok {
		wait = DefaultBackoff(row.Attempt, e.jitter(row))
	}
	row.State, row.ScheduledAt = StateRetryable, now.Add(wait)
	res.Outcome, res.NextRun = OutcomeRetry, row.ScheduledAt
}

// settleCause returns the error of an attempt that failed with err after
// its engine ended the attempt's context with cause: a *CancelError cause
// (the job was cancelled from elsewhere) makes the attempt a cancellation,
// whatever Perform returned, a Snooze included; a cause wrapping
// ErrJobTimeout (the engine's own bound on attempts) makes err wrap it, as
// a worker's Timeout does, unless Perform snoozed. Any other cause leaves
// err as it is.
func settleCause(cause, err error) error {
	var cancel *CancelError
	var snooze *SnoozeError
	switch {
	case errors.As(err, &cancel):
		return err
	case errors.As(cause, &cancel):
		return fmt.Errorf("%w (Perform returned: %w)", cause, err)
	case errors.As(err, &snooze) && snooze.Duration >= 0:
		return err
	case errors.Is(cause, ErrJobTimeout) && !errors.Is(err, ErrJobTimeout):
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// recordError appends the attempt's error to row.Errors without touching
// the array that earlier snapshots share.
func recordError(row *JobRow, now time.Time, err error) {
	ae := AttemptError{Attempt: row.Attempt, At: now, Message: err.Error(), Err: err}
	var perr *PanicError
	if errors.As(err, &perr) {
		ae.Stack = string(perr.Stack)
	}
	row.Errors = append(slices.Clip(row.Errors), ae)
}

// Backoff returns how long to wait before retrying the job in row after an
// attempt that failed with err and that Work did not run: the Backoff of
// the worker registered for row's kind when it implements Backoffer (a
// negative wait counts as 0), otherwise DefaultBackoff for row.Attempt
// with random jitter, as Work computes it. row.Attempt is the failed
// attempt's number; row is not modified.
//
// Engines call it when an attempt ended without Work's result, such as a
// job rescued from a node that stopped responding mid-attempt.
func (ws *Workers) Backoff(row *JobRow, err error) time.Duration {
	if r, ok := ws.lookup(row.Kind); ok {
		if p, perr := r.prepare(row, nil); perr == nil {
			if d, ok := p.backoff(err); ok {
				return d
			}
		}
	}
	return DefaultBackoff(row.Attempt, randomJitter(row))
}
