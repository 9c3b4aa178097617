package riverengine

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrNotMigrated is returned by New when the database lacks River's
	// tables or has an older version of them: run Migrate first.
	ErrNotMigrated = errors.New("riverengine: the database is not migrated to River's current schema; run riverengine.Migrate")
	// ErrUnreachable is returned by New and Migrate when the database
	// cannot be reached or refuses the connection (wrong address, wrong
	// credentials, database missing).
	ErrUnreachable = errors.New("riverengine: cannot use the database")
	// ErrRescued is the error that a worker's Backoff sees for a job
	// rescued after its attempt outlived Options.RescueStuckJobsAfter (its
	// node most likely died mid-attempt).
	ErrRescued = errors.New("riverengine: attempt lost (its node stopped responding); job rescued")
)

// scheduleSoon is River's scheduler interval: jobs due sooner than this
// are stored available with a future ScheduledAt, as River itself does for
// short snoozes and retries, so that they start when due (within
// FetchPollInterval) rather than when the leader's scheduler next runs.
const scheduleSoon = 5 * time.Second

// Engine is a testmode.Engine that keeps jobs in PostgreSQL and runs them
// with River: every Engine over the same database (and search_path) is a
// node, and a job inserted through any of them runs once on a node that
// works its queue and has a worker for its kind. Create one with New and
// stop it with Stop.
type Engine struct {
	opts   Options
	tel    *telemetry.Registry
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	queues []string
	kinds  []string
	known  map[string]bool

	kill      context.CancelFunc // hard-stops River, as if the node died
	stopOnce  sync.Once
	stopping  chan struct{} // closed when the first Stop begins; ends watchUnworked
	stopDone  chan struct{} // closed when the stop has ended
	stopErr   error         // why River's stop failed; set before stopDone closes
	watchDone chan struct{}
}

var _ testmode.Engine = (*Engine)(nil)

// New checks that the database behind pool is reachable and migrated
// (Migrate), starts a River client that works opts.Queues with the workers
// of opts.Workers, and returns the engine. ctx bounds these checks only;
// the engine runs until Stop. New returns an error naming every bad field
// of opts, ErrUnreachable or ErrNotMigrated (wrapped, with the cause), or
// River's refusal of the configuration.
//
// The engine registers with River the kinds opts.Workers holds when New
// runs. It fetches only jobs of those kinds: jobs of other kinds in its
// queues wait for a node that has their worker (see UnworkedFound).
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("riverengine: invalid options: %w", err)
	}
	if pool == nil {
		return nil, errors.New("riverengine: New: pool is nil")
	}
	if err := checkMigrated(ctx, pool); err != nil {
		return nil, err
	}
	e := &Engine{
		opts:      opts,
		tel:       opts.Telemetry,
		pool:      pool,
		queues:    slices.Sorted(maps.Keys(opts.Queues)),
		kinds:     opts.Workers.Kinds(),
		known:     map[string]bool{},
		stopDone:  make(chan struct{}),
		stopping:  make(chan struct{}),
		watchDone: make(chan struct{}),
	}
	if e.tel == nil {
		e.tel = telemetry.Default()
	}
	if len(e.kinds) == 0 {
		return nil, errors.New("riverengine: New: Options.Workers has no worker; add workers before New")
	}
	rw := river.NewWorkers()
	w := &kindWorker{e: e}
	for _, k := range e.kinds {
		e.known[k] = true
		if err := addWorker(rw, k, w); err != nil {
			return nil, fmt.Errorf("riverengine: New: kind %q: %w", k, err)
		}
	}
	queues := make(map[string]river.QueueConfig, len(opts.Queues))
	for name, q := range opts.Queues {
		queues[name] = river.QueueConfig{MaxWorkers: q.Limit}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		FetchCooldown:        opts.FetchCooldown,
		FetchOnlyKnownKinds:  true,
		FetchPollInterval:    opts.FetchPollInterval,
		JobTimeout:           opts.JobTimeout,
		Logger:               opts.Logger,
		MaxAttempts:          opts.MaxAttempts,
		Queues:               queues,
		RescueStuckJobsAfter: opts.RescueStuckJobsAfter,
		RetryPolicy:          retryPolicy{e},
		SoftStopTimeout:      opts.ShutdownGrace,
		Workers:              rw,
	})
	if err != nil {
		return nil, fmt.Errorf("riverengine: New: River refused the configuration: %w", err)
	}
	e.client = client
	// The engine outlives New's ctx: only Stop (or kill, in tests) ends
	// River's run, so its context keeps ctx's values and drops its end.
	runCtx, kill := context.WithCancel(context.WithoutCancel(ctx))
	e.kill = kill
	if err := client.Start(runCtx); err != nil {
		kill()
		return nil, fmt.Errorf("riverengine: New: starting River: %w", err)
	}
	go e.watchUnworked(runCtx)
	return e, nil
}

// addWorker registers w under kind, turning River's panic on a bad kind
// into an error.
func addWorker(rw *river.Workers, kind string, w *kindWorker) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	river.AddWorkerArgs(rw, rawArgs{kind: kind}, river.Worker[rawArgs](w))
	return nil
}

// Client returns the River client the engine runs, for what this package
// does not wrap: River's UI, job listing, queue pausing. Inserting through
// it bypasses testmode's validation, uniqueness and fields.
func (e *Engine) Client() *river.Client[pgx.Tx] { return e.client }

// Stop stops the engine gracefully: Insert starts returning
// testmode.ErrEngineStopped, the node takes no new jobs, and the jobs
// running go on for ShutdownGrace; then their context is cancelled with
// cause testmode.ErrShutdown. A job that returns nil then is completed; one
// that returns Cancel or Snooze gets that outcome; any other error returns
// the job to available without using up an attempt, for any node to run.
// Jobs that are waiting stay in the database.
//
// Stop waits until River has stopped, or until ctx ends: then it returns an
// error wrapping ctx's, and the stop goes on in the background; a later
// Stop waits for the same stop. Stop is idempotent. The stop is reported
// once, by testmode.EngineShutdownSpan, from the first Stop until River has
// stopped, as MemoryEngine reports its own.
func (e *Engine) Stop(ctx context.Context) error {
	if ctx == nil {
		return errors.New("riverengine: Stop: ctx is nil")
	}
	e.stopOnce.Do(func() {
		close(e.stopping)
		// The stop outlives this call when ctx ends first; it keeps
		// ctx's values only.
		go e.shutdown(context.WithoutCancel(ctx))
	})
	select {
	case <-e.stopDone:
		return e.stopErr
	case <-ctx.Done():
		select {
		case <-e.stopDone: // ended meanwhile
			return e.stopErr
		default:
		}
		return fmt.Errorf("riverengine: stopping engine %q: River has not stopped yet: %w", e.opts.Name, ctx.Err())
	}
}

// pendingTimeout bounds the count of the jobs left after a stop, which runs
// under a context that does not end.
const pendingTimeout = 10 * time.Second

// shutdown stops River under EngineShutdownSpan, then closes stopDone. ctx
// does not end: River's stop is bounded by ShutdownGrace and by the jobs'
// returning once their context is cancelled.
func (e *Engine) shutdown(ctx context.Context) {
	defer close(e.stopDone)
	meta := []slog.Attr{slog.String(testmode.KeyEngine, e.opts.Name)}
	e.stopErr = e.tel.Span(ctx, testmode.EngineShutdownSpan, meta, func(ctx context.Context, sc *telemetry.Scope) error {
		var err error
		if e.opts.ShutdownGrace == 0 {
			err = e.client.StopAndCancel(ctx)
		} else {
			err = e.client.Stop(ctx) // River cancels the jobs after SoftStopTimeout
		}
		<-e.watchDone
		e.kill()
		if err != nil {
			return fmt.Errorf("riverengine: stopping engine %q: %w", e.opts.Name, err)
		}
		if sc != nil {
			pctx, cancel := context.WithTimeout(ctx, pendingTimeout)
			defer cancel()
			n, err := e.pending(pctx)
			if err != nil {
				e.opts.Logger.WarnContext(ctx, "riverengine: counting the jobs left after stop", slog.String("engine", e.opts.Name), slog.Any("error", err))
			}
			sc.AddMeasurements(telemetry.Int(testmode.MeasurePending, n))
		}
		return nil
	})
}

// pending counts the jobs waiting in the engine's queues.
func (e *Engine) pending(ctx context.Context) (int64, error) {
	var n int64
	err := e.pool.QueryRow(ctx, `SELECT count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable') AND queue = ANY($1)`, e.queues).Scan(&n)
	return n, err
}

// Insert stores rows as testmode.Engine says, in one transaction of its
// own. It refuses, storing nothing, a nil row, a queue not in
// Options.Queues (testmode.ErrUnknownQueue), a kind without a worker on
// this node (testmode.ErrUnknownKind), and any row once the engine has
// begun to stop (testmode.ErrEngineStopped). It returns the rows it was
// given, with ID, InsertedAt (the database's clock) and State set.
func (e *Engine) Insert(ctx context.Context, rows []*testmode.JobRow) ([]*testmode.JobRow, error) {
	if ctx == nil {
		return nil, errors.New("riverengine: Insert: ctx is nil")
	}
	return e.traced(ctx, rows, func(ctx context.Context) ([]*testmode.JobRow, int, error) {
		if err := e.refuse(rows); err != nil {
			return nil, 0, err
		}
		if !needsTx(rows, time.Now()) {
			// River inserts a batch atomically on its own: no transaction
			// of ours, and two round trips fewer.
			return e.insertTx(ctx, nil, rows)
		}
		var out []*testmode.JobRow
		var dups int
		err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			var err error
			out, dups, err = e.insertTx(ctx, tx, rows)
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		return out, dups, nil
	})
}

// needsTx reports whether inserting rows takes more than River's insert:
// a duplicate check, or making jobs due soon available.
func needsTx(rows []*testmode.JobRow, now time.Time) bool {
	for _, row := range rows {
		if row.UniqueKey != "" || row.ScheduledAt.After(now) && row.ScheduledAt.Before(now.Add(scheduleSoon)) {
			return true
		}
	}
	return false
}

// InsertTx inserts one job as Client.Insert does, in tx: the job exists, and
// runs, only if tx commits. Args and opts are validated as Client.Insert
// validates them; jobs without InsertOpts.MaxAttempts get
// Options.MaxAttempts. A unique job's duplicate check sees the jobs that tx
// sees, and locks its key until tx ends, so two transactions cannot both
// insert the same unique job.
//
// The mode on ctx applies as it does to Client.Insert: under
// testmode.WithMode(ctx, testmode.Manual) the job is recorded in the
// context's Store and tx is not touched, so code that enqueues in its
// transaction is tested without a database.
func (e *Engine) InsertTx(ctx context.Context, tx pgx.Tx, args testmode.Args, opts *testmode.InsertOpts) (*testmode.JobRow, error) {
	c, err := e.txClient(tx)
	if err != nil {
		return nil, err
	}
	return c.Insert(ctx, args, opts)
}

// InsertManyTx is InsertTx for several jobs, all or none, as
// Client.InsertMany.
func (e *Engine) InsertManyTx(ctx context.Context, tx pgx.Tx, jobs []testmode.InsertParams) ([]*testmode.JobRow, error) {
	c, err := e.txClient(tx)
	if err != nil {
		return nil, err
	}
	return c.InsertMany(ctx, jobs)
}

// txClient returns a client whose engine inserts in tx. A client is a
// small value: building one per call costs less than one database round
// trip.
func (e *Engine) txClient(tx pgx.Tx) (*testmode.Client, error) {
	if tx == nil {
		return nil, errors.New("riverengine: InsertTx: tx is nil")
	}
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine, cfg.MaxAttempts, cfg.Telemetry = e.opts.Workers, txEngine{e: e, tx: tx}, e.opts.MaxAttempts, e.tel
	return testmode.NewClient(cfg)
}

// txEngine is the engine of InsertTx: the Engine's Insert, inside tx.
type txEngine struct {
	e  *Engine
	tx pgx.Tx
}

func (t txEngine) Insert(ctx context.Context, rows []*testmode.JobRow) ([]*testmode.JobRow, error) {
	return t.e.traced(ctx, rows, func(ctx context.Context) ([]*testmode.JobRow, int, error) {
		if err := t.e.refuse(rows); err != nil {
			return nil, 0, err
		}
		// A savepoint keeps the caller's transaction usable when the
		// insert fails.
		var out []*testmode.JobRow
		var dups int
		err := pgx.BeginFunc(ctx, t.tx, func(tx pgx.Tx) error {
			var err error
			out, dups, err = t.e.insertTx(ctx, tx, rows)
			return err
		})
		return out, dups, err
	})
}

// traced runs an insert under EngineInsertSpan when a handler wants it.
func (e *Engine) traced(ctx context.Context, rows []*testmode.JobRow, fn func(ctx context.Context) ([]*testmode.JobRow, int, error)) ([]*testmode.JobRow, error) {
	if !e.tel.Enabled(testmode.EngineInsertSpan.Start) && !e.tel.Enabled(testmode.EngineInsertSpan.Stop) && !e.tel.Enabled(testmode.EngineInsertSpan.Exception) {
		out, _, err := fn(ctx)
		return out, err
	}
	var out []*testmode.JobRow
	err := e.tel.Span(ctx, testmode.EngineInsertSpan, []slog.Attr{slog.String(testmode.KeyEngine, e.opts.Name)}, func(ctx context.Context, sc *telemetry.Scope) error {
		var dups int
		var err error
		out, dups, err = fn(ctx)
		sc.AddMeasurements(telemetry.Int(testmode.MeasureJobs, int64(len(rows))), telemetry.Int(testmode.MeasureDuplicates, int64(dups)))
		return err
	})
	return out, err
}

// refuse returns why rows cannot be inserted, naming every bad row, or nil.
func (e *Engine) refuse(rows []*testmode.JobRow) error {
	select {
	case <-e.stopping:
		return fmt.Errorf("%w: %q", testmode.ErrEngineStopped, e.opts.Name)
	default:
	}
	var errs []error
	for i, row := range rows {
		switch {
		case row == nil:
			errs = append(errs, fmt.Errorf("rows[%d] is nil", i))
		case !slices.Contains(e.queues, row.Queue):
			errs = append(errs, fmt.Errorf("rows[%d]: %w: %q (engine %q serves %q)", i, testmode.ErrUnknownQueue, row.Queue, e.opts.Name, e.queues))
		case !e.known[row.Kind]:
			errs = append(errs, fmt.Errorf("rows[%d]: %w %q", i, testmode.ErrUnknownKind, row.Kind))
		}
	}
	return errors.Join(errs...)
}

// insertTx inserts rows in tx and returns the result rows and how many
// were duplicates. A nil tx is for rows that need no transaction of their
// own (needsTx).
func (e *Engine) insertTx(ctx context.Context, tx pgx.Tx, rows []*testmode.JobRow) ([]*testmode.JobRow, int, error) {
	now := time.Now()
	blockers, err := e.findBlockers(ctx, tx, rows)
	if err != nil {
		return nil, 0, err
	}
	// One allocation each for every row's args and options: River takes
	// them by pointer (a *rawArgs is a JobArgs, and json.Marshal calls its
	// MarshalJSON without boxing a copy).
	args := make([]rawArgs, len(rows))
	ropts := make([]river.InsertOpts, len(rows))
	params := make([]river.InsertManyParams, 0, len(rows))
	stored := make([]int, 0, len(rows)) // indexes of the rows inserted
	firstOf := map[string]int{}         // unique key → index of its row in this call
	dupOf := make(map[int]int)          // index of a duplicate → index of the row it duplicates
	dupIDs := make(map[int]int64)       // index of a duplicate → ID of the stored job it duplicates
	for i, row := range rows {
		if row.UniqueKey != "" {
			if id, ok := blockers[row.UniqueKey]; ok {
				dupIDs[i] = id
				continue
			}
			if j, ok := firstOf[row.UniqueKey]; ok {
				dupOf[i] = j
				continue
			}
			firstOf[row.UniqueKey] = i
		}
		meta, err := encodeMeta(row)
		if err != nil {
			return nil, 0, err
		}
		o := &ropts[i]
		*o = river.InsertOpts{
			MaxAttempts: row.MaxAttempts,
			Metadata:    meta,
			Priority:    riverPriority(row.Priority),
			Queue:       row.Queue,
			Tags:        riverTags(row.Tags),
		}
		if row.ScheduledAt.After(now) {
			o.ScheduledAt = row.ScheduledAt
		}
		args[i] = rawArgs{kind: row.Kind, enc: row.EncodedArgs}
		params = append(params, river.InsertManyParams{Args: &args[i], InsertOpts: o})
		stored = append(stored, i)
	}
	var soon []int64
	if len(params) > 0 {
		var res []*rivertype.JobInsertResult
		if tx != nil {
			res, err = e.client.InsertManyTx(ctx, tx, params)
		} else {
			res, err = e.client.InsertMany(ctx, params)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("riverengine: inserting %d job(s): %w", len(params), err)
		}
		for n, i := range stored {
			row, job := rows[i], res[n].Job
			row.ID, row.InsertedAt, row.State = job.ID, job.CreatedAt, testmode.StateAvailable
			if row.ScheduledAt.After(now) {
				row.State = testmode.StateScheduled
				if row.ScheduledAt.Before(now.Add(scheduleSoon)) {
					soon = append(soon, job.ID)
				}
			}
		}
	}
	if len(soon) > 0 {
		const q = `UPDATE river_job SET state = 'available' WHERE id = ANY($1) AND state = 'scheduled'`
		var err error
		if tx != nil {
			_, err = tx.Exec(ctx, q, soon)
		} else { // a row became due soon since needsTx looked; the update only hastens it
			_, err = e.pool.Exec(ctx, q, soon)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("riverengine: making jobs due soon available: %w", err)
		}
	}
	if len(dupOf)+len(dupIDs) == 0 {
		return rows, 0, nil
	}
	out := slices.Clone(rows) // the caller's slice keeps its rows
	for i, j := range dupOf {
		dup := *rows[j]
		dup.Duplicate = true
		out[i] = &dup
	}
	for i, id := range dupIDs {
		jr, err := e.client.JobGetTx(ctx, tx, id)
		if err != nil {
			return nil, 0, fmt.Errorf("riverengine: reading job %d, which rows[%d] duplicates: %w", id, i, err)
		}
		dup := fromRiver(jr, now)
		dup.Duplicate = true
		out[i] = dup
	}
	return out, len(dupOf) + len(dupIDs), nil
}

// findBlockers locks the unique keys of rows until tx ends, in a fixed
// order so that concurrent inserts cannot deadlock, and returns the ID of
// the stored job that blocks each key, if any: one not cancelled or
// discarded, inserted less than its own UniquePeriod ago.
func (e *Engine) findBlockers(ctx context.Context, tx pgx.Tx, rows []*testmode.JobRow) (map[string]int64, error) {
	var keys []string
	for _, row := range rows {
		if row.UniqueKey != "" {
			keys = append(keys, row.UniqueKey)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	hashed := map[string]string{}
	for _, k := range keys {
		hashed[hashKey(k)] = k
	}
	order := slices.Sorted(maps.Keys(hashed))
	var b pgx.Batch
	for _, h := range order {
		sum, _ := hex.DecodeString(h) // 32 bytes: hashKey's output
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, int64(binary.BigEndian.Uint64(sum[:8])))
	}
	for _, h := range order {
		b.Queue(`SELECT id FROM river_job
			WHERE metadata @> $1::jsonb
			AND state NOT IN ('cancelled', 'discarded')
			AND created_at + (metadata #>> '{testmode,unique_period_us}')::bigint * interval '1 microsecond' > now()
			ORDER BY id LIMIT 1`,
			`{"testmode":{"unique_key":"`+h+`"}}`)
	}
	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	for range order {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("riverengine: locking unique keys: %w", err)
		}
	}
	out := map[string]int64{}
	for _, h := range order {
		var id int64
		err := br.QueryRow().Scan(&id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("riverengine: looking up unique jobs: %w", err)
		default:
			out[hashed[h]] = id
		}
	}
	return out, br.Close()
}
