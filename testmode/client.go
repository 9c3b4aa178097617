package testmode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Mode decides what Insert does with a job.
type Mode string

// The modes.
const (
	// Disabled is production: Insert hands jobs to the Engine, which runs
	// them in the background. (The name is Oban's: testing is disabled.)
	Disabled Mode = "disabled"
	// Inline runs the job in the caller during Insert, retries and
	// snoozes included, on a fake clock, and returns when it has reached a
	// final state.
	Inline Mode = "inline"
	// Manual records the job and runs nothing, until Drain or a test
	// performs it.
	Manual Mode = "manual"
)

func (m Mode) valid() bool { return m == Disabled || m == Inline || m == Manual }

// Defaults used by Insert.
const (
	// DefaultQueue is the queue of jobs inserted without one.
	DefaultQueue = "default"
	// DefaultMaxAttempts is Config.MaxAttempts in DefaultConfig.
	DefaultMaxAttempts = 20
	// MaxPriority is the largest (last to run) priority; 0 runs first.
	MaxPriority = 9
)

// Config configures a Client.
type Config struct {
	// Mode is what Insert does with jobs, unless the context says
	// otherwise (WithMode): Disabled, Inline or Manual.
	Mode Mode `usage:"what inserts do: disabled (hand jobs to the engine), inline (run them at once) or manual (record them)"`
	// Workers holds the worker of every kind the client may insert;
	// Insert refuses other kinds in every mode. It must not be nil.
	Workers *Workers `json:"-" options:"-"`
	// Engine receives the jobs in Disabled mode. It must not be nil when
	// Mode is Disabled; with another Mode it may be nil, and inserts under
	// WithMode(ctx, Disabled) then fail with ErrNoEngine.
	Engine Engine `json:"-" options:"-"`
	// MaxAttempts is the number of attempts of jobs inserted without
	// InsertOpts.MaxAttempts. It must be > 0: there is no "retry forever".
	MaxAttempts int `usage:"attempts of a job before it is discarded, unless the insert says otherwise"`
	// MaxInlineSnoozes is how many times in a row an Inline job may
	// snooze before Insert gives up with ErrSnoozeLimit. It must be > 0.
	MaxInlineSnoozes int `usage:"snoozes in a row after which an inline insert gives up"`
	// Telemetry receives JobSpan for the attempts the client runs (Inline
	// mode, Drain). Nil means telemetry.Default() as it is when NewClient
	// runs.
	Telemetry *telemetry.Registry `json:"-" options:"-"`
}

// DefaultConfig returns a configuration in Disabled mode with an empty
// Workers registry, 20 attempts per job and 100 inline snoozes. It does
// not validate until Engine is set or Mode changed: the engine is the one
// thing that has no sensible default. A test client needs no engine: with
// Mode Manual or Inline, Engine may stay nil, and an insert that would
// need it (under WithMode(ctx, Disabled)) fails with ErrNoEngine, saying
// so.
func DefaultConfig() Config {
	return Config{
		Mode:             Disabled,
		Workers:          NewWorkers(),
		MaxAttempts:      DefaultMaxAttempts,
		MaxInlineSnoozes: 100,
	}
}

// Validate reports every field that is not usable.
func (c Config) Validate() error {
	var col options.Collector
	options.Check(&col, c.Mode.valid(), "Mode", string(c.Mode), `must be "disabled", "inline" or "manual"`)
	options.NotNil(&col, "Workers", c.Workers)
	options.Check(&col, c.Mode != Disabled || c.Engine != nil, "Engine", c.Engine, "must not be nil in Disabled mode")
	options.Positive(&col, "MaxAttempts", c.MaxAttempts)
	options.Positive(&col, "MaxInlineSnoozes", c.MaxInlineSnoozes)
	return col.Err()
}

// InsertOpts tunes one insert. A nil *InsertOpts and the zero value mean
// the defaults; for args implementing ArgsWithInsertOpts, the args' options
// are the defaults and each non-zero field here overrides one of them.
type InsertOpts struct {
	// Queue is the queue to run in; "" means the args' queue or else
	// DefaultQueue.
	Queue string
	// Priority orders the jobs of a queue, 0 (first, the default) to 9.
	Priority int
	// MaxAttempts is the number of attempts before a failing job is
	// discarded; 0 means Config.MaxAttempts. It must not be negative.
	MaxAttempts int
	// ScheduledAt is when the job becomes due; the zero time means now.
	// Inline mode runs scheduled jobs at once.
	ScheduledAt time.Time
	// Tags are free-form labels, for filtering; none may be empty.
	Tags []string
	// Meta is free-form data; it must encode as JSON and is stored as
	// JSON decodes it (numbers become float64), so an integer that a
	// float64 cannot hold exactly (beyond 2^53, such as most 64-bit IDs)
	// is refused rather than rounded: put such values in the args.
	Meta map[string]any
	// UniquePeriod, when > 0, makes the job unique: the insert is skipped,
	// in every mode, while a job with the same kind, args and queue
	// inserted less than that job's own UniquePeriod ago is neither
	// cancelled nor discarded, and Insert returns that job with Duplicate
	// set. It must not be negative.
	UniquePeriod time.Duration
}

// merge returns base with every non-zero field of o applied.
func (o *InsertOpts) merge(base InsertOpts) InsertOpts {
	if o == nil {
		return base
	}
	if o.Queue != "" {
		base.Queue = o.Queue
	}
	if o.Priority != 0 {
		base.Priority = o.Priority
	}
	if o.MaxAttempts != 0 {
		base.MaxAttempts = o.MaxAttempts
	}
	if !o.ScheduledAt.IsZero() {
		base.ScheduledAt = o.ScheduledAt
	}
	if o.Tags != nil {
		base.Tags = o.Tags
	}
	if o.Meta != nil {
		base.Meta = o.Meta
	}
	if o.UniquePeriod != 0 {
		base.UniquePeriod = o.UniquePeriod
	}
	return base
}

// Validate reports every field that is not usable.
func (o InsertOpts) Validate() error {
	var c options.Collector
	options.InRange(&c, "Priority", o.Priority, 0, MaxPriority)
	options.NonNegative(&c, "MaxAttempts", o.MaxAttempts)
	options.NonNegative(&c, "UniquePeriod", o.UniquePeriod)
	for i, tag := range o.Tags {
		if tag == "" {
			c.Add("Tags["+strconv.Itoa(i)+"]", tag, "must not be empty")
		}
	}
	return c.Err()
}

// InsertParams is one job of InsertMany.
type InsertParams struct {
	// Args are the job's args.
	Args Args
	// Opts tunes the insert; nil means the defaults.
	Opts *InsertOpts
}

// Client inserts jobs and, depending on the mode, hands them to its
// engine, runs them at once, or records them. Create one with NewClient;
// it is safe for concurrent use.
type Client struct {
	cfg   Config
	tel   *telemetry.Registry
	store Store
	clock clock
}

// NewClient returns a client, or an error naming every bad field of cfg.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("testmode: invalid config: %w", err)
	}
	tel := cfg.Telemetry
	if tel == nil {
		tel = telemetry.Default()
	}
	return &Client{cfg: cfg, tel: tel}, nil
}

// Store returns the client's own store: where Manual and Inline jobs go
// when the insert's context carries no store from WithMode.
func (c *Client) Store() *Store { return &c.store }

func (c *Client) recorded() *Store { return &c.store }

// route returns the mode and the store for an insert under ctx.
func (c *Client) route(ctx context.Context) (Mode, *Store, error) {
	if mv, ok := ctx.Value(modeKey{}).(*modeValue); ok {
		if !mv.mode.valid() {
			return "", nil, fmt.Errorf(`testmode: the context carries mode %q, want "disabled", "inline" or "manual"`, mv.mode)
		}
		return mv.mode, mv.store, nil
	}
	return c.cfg.Mode, &c.store, nil
}

// Insert inserts one job and returns it, according to the mode (see
// WithMode): in Disabled mode the engine's stored job; in Manual mode the
// recorded job, available or scheduled; in Inline mode the job after it
// ran to a final state, with the errors of every attempt. When the job is
// a duplicate of a unique job (InsertOpts.UniquePeriod), Insert returns
// that job with Duplicate set, and runs nothing.
//
// Insert returns an error, and inserts nothing, for nil args, an empty or
// unregistered kind, args that do not survive a JSON round trip, invalid
// InsertOpts (naming the field), Meta that is not JSON, or the engine's
// refusal. In Inline mode a job that did not complete also returns a
// *JobError with the row, unwrapping to the last attempt's error (a
// *PanicError when it panicked), or to ctx's cause when ctx ended between
// two attempts.
func (c *Client) Insert(ctx context.Context, args Args, opts *InsertOpts) (*JobRow, error) {
	mode, st, now, err := c.begin(ctx, "Insert")
	if err != nil {
		return nil, err
	}
	row, r, err := c.build(args, opts, now)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("testmode: Insert: %w", context.Cause(ctx))
	}
	switch mode {
	case Disabled:
		if c.cfg.Engine == nil {
			return nil, c.noEngine("Insert")
		}
		var out *JobRow
		if ai, ok := c.cfg.Engine.(argsInserter); ok && r.takes(args) {
			out, err = ai.insertOneArgs(ctx, row, args)
		} else {
			var rows []*JobRow
			if rows, err = c.cfg.Engine.Insert(ctx, []*JobRow{row}); err == nil {
				out = rows[0]
			}
		}
		if err != nil {
			return nil, fmt.Errorf("testmode: Insert: %w", err)
		}
		return out, nil
	case Manual:
		out, _ := st.insertOne(row, now)
		return out, nil
	default: // Inline
		out, rec := st.insertOne(row, now)
		if rec == nil {
			return out, nil // a duplicate: nothing runs
		}
		return c.runInline(ctx, st, rec, now)
	}
}

// InsertMany inserts jobs as Insert does, all or none: when any job is
// invalid it returns an error naming each bad one (jobs[i]) and inserts
// nothing. In Inline mode the jobs run one after another, in order; the
// error then joins the *JobError of every job that did not complete, and
// the rows are returned all the same.
func (c *Client) InsertMany(ctx context.Context, jobs []InsertParams) ([]*JobRow, error) {
	mode, st, now, err := c.begin(ctx, "InsertMany")
	if err != nil {
		return nil, err
	}
	rows := make([]*JobRow, len(jobs))
	var asIs []Args // the args the engine's workers take as they are
	var errs []error
	for i, p := range jobs {
		row, r, err := c.build(p.Args, p.Opts, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("jobs[%d]: %w", i, err))
			continue
		}
		rows[i] = row
		if mode == Disabled && c.takesAsIs(r, p.Args) {
			if asIs == nil {
				asIs = make([]Args, len(jobs))
			}
			asIs[i] = p.Args
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("testmode: InsertMany: %w", errors.Join(errs...))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("testmode: InsertMany: %w", context.Cause(ctx))
	}
	switch mode {
	case Disabled:
		return c.engineInsert(ctx, "InsertMany", rows, asIs)
	case Manual:
		out, _ := st.insert(rows, now)
		return out, nil
	default: // Inline
		out, recs := st.insert(rows, now)
		for i, rec := range recs {
			if rec == nil {
				continue // a duplicate: nothing runs
			}
			row, err := c.runInline(ctx, st, rec, now)
			out[i] = row
			if err != nil {
				errs = append(errs, err)
			}
		}
		return out, errors.Join(errs...)
	}
}

// argsInserter is what an engine offers when its workers can take a job's
// args as the Client built them, saving their decoding at each attempt:
// MemoryEngine offers it. args is nil, or args[i] is nil or the args of
// rows[i], which the client checked that the worker takes as they are
// (runner.takes).
//
// insertOneArgs is insertArgs for one row, whose slices the engine builds
// itself: built by the Client, they would escape through the interface
// call, two allocations per insert.
type argsInserter interface {
	insertArgs(ctx context.Context, rows []*JobRow, args []Args) ([]*JobRow, error)
	insertOneArgs(ctx context.Context, row *JobRow, args Args) (*JobRow, error)
}

// begin starts the insert named op under ctx: it returns the mode, the
// store and the time of the insert.
func (c *Client) begin(ctx context.Context, op string) (Mode, *Store, time.Time, error) {
	if ctx == nil {
		return "", nil, time.Time{}, fmt.Errorf("testmode: %s: ctx is nil", op)
	}
	mode, st, err := c.route(ctx)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	return mode, st, c.clock.now(), nil
}

// takesAsIs reports whether the engine's worker for r can take args as
// they are (a Disabled-mode insert only).
func (c *Client) takesAsIs(r runner, args Args) bool {
	_, ok := c.cfg.Engine.(argsInserter)
	return ok && r.takes(args)
}

// engineInsert stores rows in the engine, the Disabled mode of the insert
// named op; asIs is nil or holds the args the engine's workers take as
// they are (see argsInserter).
func (c *Client) engineInsert(ctx context.Context, op string, rows []*JobRow, asIs []Args) ([]*JobRow, error) {
	if c.cfg.Engine == nil {
		return nil, c.noEngine(op)
	}
	var out []*JobRow
	var err error
	if ai, ok := c.cfg.Engine.(argsInserter); ok && asIs != nil {
		out, err = ai.insertArgs(ctx, rows, asIs)
	} else {
		out, err = c.cfg.Engine.Insert(ctx, rows)
	}
	if err != nil {
		return nil, fmt.Errorf("testmode: %s: %w", op, err)
	}
	return out, nil
}

// noEngine is the error of an insert in Disabled mode by a client built
// without an Engine.
func (c *Client) noEngine(op string) error {
	return fmt.Errorf("testmode: %s: %w: the client was built without Config.Engine (for %s mode), and the "+
		"insert's context selects Disabled through WithMode; insert under WithMode(ctx, testmode.Manual) "+
		"or Inline, or give the client an Engine", op, ErrNoEngine, c.cfg.Mode)
}

// build validates one job and returns its row, not yet stored, and the
// runner of its kind.
func (c *Client) build(args Args, opts *InsertOpts, now time.Time) (*JobRow, runner, error) {
	kind, err := kindOf(args)
	if err != nil {
		return nil, nil, err
	}
	r, ok := c.cfg.Workers.lookup(kind)
	if !ok {
		return nil, nil, fmt.Errorf("%w %q (registered: %q)", ErrUnknownKind, kind, c.cfg.Workers.Kinds())
	}
	row, err := buildRow(kind, args, opts, c.cfg.MaxAttempts, now)
	return row, r, err
}

// buildRow validates the args and options of one job of a known kind and
// returns its row, not yet stored.
func buildRow(kind string, args Args, opts *InsertOpts, maxAttempts int, now time.Time) (*JobRow, error) {
	var base InsertOpts
	if wo, ok := args.(ArgsWithInsertOpts); ok {
		base = wo.InsertOpts()
	}
	o := opts.merge(base)
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("testmode: kind %q: invalid InsertOpts: %w", kind, err)
	}
	enc, err := encodeArgs(kind, args)
	if err != nil {
		return nil, err
	}
	row := &JobRow{
		Kind:        kind,
		EncodedArgs: enc,
		Queue:       o.Queue,
		Priority:    o.Priority,
		MaxAttempts: o.MaxAttempts,
		ScheduledAt: o.ScheduledAt,
		Tags:        o.Tags,
	}
	if row.Queue == "" {
		row.Queue = DefaultQueue
	}
	if row.MaxAttempts == 0 {
		row.MaxAttempts = maxAttempts
	}
	if row.ScheduledAt.IsZero() {
		row.ScheduledAt = now
	}
	if o.Meta != nil {
		b, err := json.Marshal(o.Meta)
		if err == nil {
			err = json.Unmarshal(b, &row.Meta)
		}
		if err != nil {
			return nil, fmt.Errorf("testmode: kind %q: InsertOpts.Meta is not JSON: %w", kind, err)
		}
		if err := floatExactIntegers(b); err != nil {
			return nil, fmt.Errorf("testmode: kind %q: InsertOpts.Meta%w", kind, err)
		}
	}
	if o.UniquePeriod > 0 {
		row.UniqueKey = uniqueKey(kind, row.Queue, enc)
		row.UniquePeriod = o.UniquePeriod
	}
	return row, nil
}

// runInline runs rec's job to a final state on a fake clock that starts at
// now and jumps to each retry's or snooze's ScheduledAt.
func (c *Client) runInline(ctx context.Context, st *Store, rec *record, now time.Time) (*JobRow, error) {
	e := &env{tel: c.tel, mode: runByInline, fake: true, clock: now, jitter: fixedJitter}
	r, _ := c.cfg.Workers.lookup(rec.row.Kind)
	snoozes := 0
	for {
		if err := ctx.Err(); err != nil && rec.row.Attempt > 0 {
			// Cancelled between attempts: the job stays as it is, retryable
			// or scheduled, in the store.
			st.mu.Lock()
			defer st.mu.Unlock()
			return rec.row, &JobError{Job: rec.row, Err: context.Cause(ctx)}
		}
		row := st.begin(rec, e.clock)
		if row == nil { // taken by a concurrent Drain
			st.mu.Lock()
			defer st.mu.Unlock()
			return rec.row, nil
		}
		res := e.attempt(ctx, r, row, nil)
		st.commit(rec, row)
		switch res.Outcome {
		case OutcomeCompleted:
			return row, nil
		case OutcomeRetry:
			snoozes = 0
			e.clock = res.NextRun
		case OutcomeSnoozed:
			snoozes++
			if snoozes >= c.cfg.MaxInlineSnoozes {
				return row, &JobError{Job: row, Err: fmt.Errorf("%w (%d)", ErrSnoozeLimit, snoozes)}
			}
			e.clock = res.NextRun
		default: // cancelled, discarded
			return row, &JobError{Job: row, Err: res.Err}
		}
	}
}
