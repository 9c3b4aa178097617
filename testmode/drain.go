package testmode

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// DrainOpts selects the jobs Drain runs.
type DrainOpts struct {
	// Queue limits the drain to one queue; "" drains every queue.
	Queue string
	// WithScheduled also runs jobs that are not due yet: scheduled for
	// later, snoozed, or waiting for a retry.
	WithScheduled bool
	// DueBy, when not zero, runs the jobs due at or before DueBy instead of
	// those due now: a time ahead runs what will be due by then (a job
	// scheduled in an hour, a retry after its backoff) and nothing later.
	// The attempts still run on the wall clock, so a retry is due its
	// backoff after the attempt that failed. It must not be set with
	// WithScheduled, which runs every job.
	DueBy time.Time
	// WithRecursion drains again and again until no selected job is left,
	// so that jobs inserted by drained jobs, and retries when
	// WithScheduled is set, run too. Without it, each job enqueued when
	// Drain starts runs at most once.
	WithRecursion bool
	// Limit stops the drain after that many attempts; 0 means no limit.
	// With WithScheduled and WithRecursion, a job that always snoozes runs
	// until Limit (or ctx) stops it. It must not be negative.
	Limit int
}

// Drain runs, in the calling goroutine and one at a time, the enqueued jobs
// of the store that ctx selects (the one WithMode attached, else the
// client's own), due jobs by Priority, then ScheduledAt, then ID, and
// returns the result of every attempt in the order they ran: the job after
// the attempt, its outcome, its error and its next run. A failed attempt
// schedules a retry with the worker's backoff on the wall clock, as an
// engine would; run it with WithScheduled.
//
// Jobs that drained jobs insert under ctx follow ctx's mode: in Manual
// mode they are recorded and, with WithRecursion, drained too.
//
// Summarize counts results by outcome, as Oban's drain_queue does.
//
// Drain returns an error for a nil client or ctx, a negative Limit and
// DueBy set with WithScheduled, and ctx's cause, with the results so far,
// when ctx ends first.
func Drain(ctx context.Context, c *Client, opts DrainOpts) ([]Result, error) {
	switch {
	case ctx == nil:
		return nil, errors.New("testmode: Drain: ctx is nil")
	case c == nil:
		return nil, errors.New("testmode: Drain: client is a nil *Client: build it with testmode.NewClient")
	case opts.Limit < 0:
		return nil, fmt.Errorf("testmode: Drain: Limit = %d: must be >= 0", opts.Limit)
	case opts.WithScheduled && !opts.DueBy.IsZero():
		return nil, errors.New("testmode: Drain: DueBy is set with WithScheduled: set one (WithScheduled runs every job)")
	}
	_, st, err := c.route(ctx)
	if err != nil {
		return nil, err
	}
	e := &env{tel: c.tel, mode: runByDrain, jitter: randomJitter}
	var results []Result
	for {
		batch := st.due(opts, e.now())
		if len(batch) == 0 {
			return results, nil
		}
		for _, rec := range batch {
			if err := ctx.Err(); err != nil {
				return results, fmt.Errorf("testmode: Drain: %w", context.Cause(ctx))
			}
			if opts.Limit > 0 && len(results) >= opts.Limit {
				return results, nil
			}
			row := st.begin(rec, e.now())
			if row == nil {
				continue // ran or ended meanwhile
			}
			r, _ := c.cfg.Workers.lookup(row.Kind)
			res := e.attempt(ctx, r, row, nil)
			st.commit(rec, row)
			results = append(results, res)
		}
		if !opts.WithRecursion {
			return results, nil
		}
	}
}

// due returns the records Drain should run now, in running order.
func (s *Store) due(opts DrainOpts, now time.Time) []*record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*record
	for _, rec := range s.recs {
		row := rec.row
		if !rec.enq || opts.Queue != "" && row.Queue != opts.Queue {
			continue
		}
		if !opts.DueBy.IsZero() {
			now = opts.DueBy
		}
		if row.ScheduledAt.After(now) && !opts.WithScheduled {
			continue
		}
		out = append(out, rec)
	}
	slices.SortStableFunc(out, func(a, b *record) int {
		return cmp.Or(cmp.Compare(a.row.Priority, b.row.Priority),
			a.row.ScheduledAt.Compare(b.row.ScheduledAt),
			cmp.Compare(a.row.ID, b.row.ID))
	})
	return out
}

// DrainSummary counts the attempts of a drain by outcome. Each attempt
// counts in exactly one of Completed, Retried, Snoozed, Cancelled,
// Discarded and Returned; Panicked counts again those that panicked.
type DrainSummary struct {
	Completed int
	Retried   int
	Snoozed   int
	Cancelled int
	Discarded int
	// Returned counts attempts cut short by an engine's shutdown
	// (OutcomeReturned); a Drain has none.
	Returned int
	// Panicked counts the attempts whose Perform panicked: each is also
	// counted as Retried or Discarded.
	Panicked int
}

// Summarize counts results, such as a Drain's, by outcome.
func Summarize(results []Result) DrainSummary {
	var s DrainSummary
	for _, r := range results {
		switch r.Outcome {
		case OutcomeCompleted:
			s.Completed++
		case OutcomeRetry:
			s.Retried++
		case OutcomeSnoozed:
			s.Snoozed++
		case OutcomeCancelled:
			s.Cancelled++
		case OutcomeDiscarded:
			s.Discarded++
		case OutcomeReturned:
			s.Returned++
		}
		var p *PanicError
		if errors.As(r.Err, &p) {
			s.Panicked++
		}
	}
	return s
}

// String lists the counts, zeros included, in a fixed order.
func (s DrainSummary) String() string {
	return fmt.Sprintf("completed %d, retried %d, snoozed %d, cancelled %d, discarded %d, returned %d, panicked %d",
		s.Completed, s.Retried, s.Snoozed, s.Cancelled, s.Discarded, s.Returned, s.Panicked)
}
