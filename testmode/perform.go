package testmode

import (
	"context"
	"errors"
	"time"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// PerformJob runs one attempt of a job with args as an engine would, and
// returns the result: it validates the args and opts as Insert does (JSON
// round trip included), builds the job (ID 0, attempt 1, MaxAttempts from
// opts or DefaultMaxAttempts), runs w.Perform under w's Timeout with panics
// recovered, classifies the outcome and emits JobSpan on
// telemetry.Default(). It stores nothing.
//
// It fails the test (Errorf, then FailNow) when w is nil, when args' kind
// is empty or differs from the kind of T's zero value (the kind AddWorker
// would register w under), when args or opts are invalid, and when the
// worker's outcome is invalid (a negative Snooze).
func PerformJob[T Args](ctx context.Context, t TB, w Worker[T], args T, opts *InsertOpts) Result {
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
	now := time.Now()
	row, err := buildRow(kind, args, opts, DefaultMaxAttempts, now)
	if err != nil {
		return fail("%v", err)
	}
	row.InsertedAt = now
	startAttempt(row, now)
	r := &typedRunner[T]{k: kind, w: w}
	r.timeouter, _ = w.(Timeouter[T])
	r.backoffer, _ = w.(Backoffer[T])
	e := &env{tel: telemetry.Default(), mode: runByPerform, jitter: randomJitter}
	res := e.attempt(ctx, r, row, nil)
	if errors.Is(res.Err, ErrInvalidSnooze) {
		fail("the worker returned an invalid outcome: %v", res.Err)
	}
	return res
}
