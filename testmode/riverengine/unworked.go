package riverengine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// Unworked describes the jobs of one kind in one queue that no node seems
// to work.
type Unworked struct {
	// Kind is the jobs' kind, which this node has no worker for.
	Kind string
	// Queue is one of this node's queues.
	Queue string
	// Jobs counts the jobs.
	Jobs int64
	// OldestDueAt is when the oldest of them became due.
	OldestDueAt time.Time
}

// Unworked returns, by kind and queue, the jobs in this node's queues that
// are waiting, have been due for longer than dueFor, and are of a kind this
// node has no worker for. Such jobs are not lost: they wait, with no
// attempt used, for a node that has their worker. The engine reports them
// every Options.UnworkedCheckInterval (UnworkedFound). Its errors start with
// "riverengine: Unworked" and wrap the database's, or ctx's when it ends.
func (e *Engine) Unworked(ctx context.Context, dueFor time.Duration) ([]Unworked, error) {
	rows, err := e.pool.Query(ctx, `SELECT kind, queue, count(*), min(scheduled_at) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable')
		AND queue = ANY($1) AND NOT kind = ANY($2)
		AND scheduled_at < now() - $3 * interval '1 microsecond'
		GROUP BY kind, queue ORDER BY kind, queue`, e.queues, e.kinds, dueFor.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("riverengine: Unworked: looking for jobs no node works: %w", err)
	}
	defer rows.Close()
	var out []Unworked
	for rows.Next() {
		var u Unworked
		if err := rows.Scan(&u.Kind, &u.Queue, &u.Jobs, &u.OldestDueAt); err != nil {
			return nil, fmt.Errorf("riverengine: Unworked: reading the jobs no node works: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("riverengine: Unworked: reading the jobs no node works: %w", err)
	}
	return out, nil
}

// watchUnworked reports unworked jobs every UnworkedCheckInterval until
// Stop, or until ctx ends.
func (e *Engine) watchUnworked(ctx context.Context) {
	defer close(e.watchDone)
	interval := e.opts.UnworkedCheckInterval
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-e.stopping:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.reportUnworked(ctx, interval)
	}
}

func (e *Engine) reportUnworked(ctx context.Context, dueFor time.Duration) {
	found, err := e.Unworked(ctx, dueFor)
	if err != nil {
		if ctx.Err() == nil {
			e.opts.Logger.WarnContext(ctx, "riverengine: looking for unworked jobs", slog.String("engine", e.opts.Name), slog.Any("error", err))
		}
		return
	}
	now := time.Now()
	for _, u := range found {
		e.opts.Logger.WarnContext(ctx, "riverengine: jobs wait for a worker that no node seems to have",
			slog.String("engine", e.opts.Name), slog.String("kind", u.Kind), slog.String("queue", u.Queue),
			slog.Int64("jobs", u.Jobs), slog.Time("oldest_due_at", u.OldestDueAt))
		e.tel.Emit(ctx, UnworkedFound,
			[]telemetry.Measurement{telemetry.Int(testmode.MeasureJobs, u.Jobs), telemetry.Dur(MeasureOldestDue, now.Sub(u.OldestDueAt))},
			slog.String(testmode.KeyEngine, e.opts.Name), slog.String(testmode.KeyJobKind, u.Kind), slog.String(testmode.KeyQueue, u.Queue))
	}
}
