package enginetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// Queues Run inserts into; the engine under test must serve both. Their
// names use lower-case letters, digits and '_' only, which every engine
// accepts (River's queue names allow nothing else).
const (
	// DefaultQueue is testmode.DefaultQueue, where jobs go by default.
	DefaultQueue = testmode.DefaultQueue
	// OtherQueue is a second queue, for uniqueness by queue.
	OtherQueue = "enginetest_other"
)

// Wait bounds every wait of Run: for a job to run, and for a job's final
// state to free its unique key.
const Wait = 10 * time.Second

// poll is how often Run repeats an insert while it waits for an engine to
// record a job's final state, which the Engine interface does not report.
// The wait itself ends on a context, not on a count of polls.
const poll = 20 * time.Millisecond

// ProbeArgs are the args of the jobs Run inserts.
type ProbeArgs struct {
	// Case names the subtest that inserted the job.
	Case string `json:"case"`
	// N tells jobs of one subtest apart.
	N int `json:"n"`
}

// Kind returns "enginetest.probe".
func (ProbeArgs) Kind() string { return "enginetest.probe" }

// attempt is what the probe worker saw of one attempt.
type attempt struct {
	id      int64
	args    ProbeArgs
	attempt int
	errors  []string
	at      time.Time
}

// probe is the worker Run registers: it reports each attempt on a
// channel and returns what the subtest's function decides.
type probe struct {
	mu      sync.Mutex
	outcome map[string]func(job *testmode.Job[ProbeArgs]) error
	seen    map[string]chan attempt
}

func (p *probe) channel(c string) chan attempt {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.seen[c]
	if !ok {
		ch = make(chan attempt, 100)
		p.seen[c] = ch
	}
	return ch
}

// Perform reports the attempt and returns the outcome its case chose.
func (p *probe) Perform(_ context.Context, job *testmode.Job[ProbeArgs]) error {
	a := attempt{id: job.ID, args: job.Args, attempt: job.Attempt, at: time.Now()}
	for _, e := range job.Errors {
		a.errors = append(a.errors, e.Message)
	}
	p.mu.Lock()
	f := p.outcome[job.Args.Case]
	p.mu.Unlock()
	var err error
	if f != nil {
		err = f(job)
	}
	select {
	case p.channel(job.Args.Case) <- a:
	default: // a subtest that stopped listening
	}
	return err
}

// Backoff retries after a millisecond.
func (*probe) Backoff(*testmode.Job[ProbeArgs], error) time.Duration { return time.Millisecond }

// Run checks that the engines newEngine builds keep the Engine contract,
// one subtest per rule of the contract; the rules, each named and explained
// in a sentence, are the table rules in this file.
// newEngine is called once per subtest with a fresh registry of workers; it
// returns an engine that serves DefaultQueue and OtherQueue, runs jobs with
// those workers, holds no job when it is returned, and is stopped when t
// ends (t.Cleanup). A durable engine meets "holds no job" by giving each
// subtest a store of its own (a fresh schema, say): the subtests leave
// unique jobs scheduled an hour ahead, which a later subtest, or a later
// run of the same test, would otherwise find as duplicates.
//
// The rows that Insert returns are checked for the fields given at insert,
// byte for byte for EncodedArgs; the jobs that workers receive are checked
// for their args, attempt numbers and previous errors, decoded, so an
// engine may store args in a normalized form (PostgreSQL's jsonb does).
//
// Each wait is bounded by Wait. The checks of final states see them
// through uniqueness, the one part of the contract that reveals a job's
// state: they repeat an insert of the job's unique twin, every few
// milliseconds, until the engine no longer reports it as a duplicate.
func Run(t *testing.T, newEngine func(t *testing.T, workers *testmode.Workers) testmode.Engine) {
	t.Helper()
	run(t, newEngine, Wait)
}

// run is Run with every wait bounded by wait: one subtest per rule.
func run(t *testing.T, newEngine func(t *testing.T, workers *testmode.Workers) testmode.Engine, wait time.Duration) {
	t.Helper()
	k := &kit{newEngine: newEngine, wait: wait}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) { r.check(t, k) })
	}
}

// A rule is one promise of the Engine contract: the subtest's name, the
// promise in one sentence, and the check that fails when it is broken.
type rule struct {
	name  string
	about string
	check func(t *testing.T, k *kit)
}

// rules is the Engine contract that Run checks, one subtest per row. A new
// promise is a new row; broken_internal_test.go holds, for each row it can
// reach, an engine that breaks it.
var rules = []rule{
	{"InsertStoresRows",
		"Insert gives each row an ID of its own, keeps the fields given at insert, and the engine runs available jobs' first attempts.",
		checkInsertStoresRows},
	{"InsertIsAllOrNothing",
		"An insert the engine refuses stores none of its rows.",
		checkInsertIsAllOrNothing},
	{"Unique",
		"A unique job's twin, within the batch or after it, is reported as a duplicate naming the stored job; another queue is another key.",
		checkUnique},
	{"ScheduledJobRunsWhenDue",
		"A job scheduled ahead runs no earlier than its ScheduledAt.",
		checkScheduledJobRunsWhenDue},
	{"RetryCarriesErrors",
		"A failed attempt is retried, each attempt numbered and carrying the errors of the attempts before it.",
		checkRetryCarriesErrors},
	{"SnoozeKeepsAttempt",
		"A snoozed job runs again with the same attempt number and no error recorded.",
		checkSnoozeKeepsAttempt},
	{"InsertHonoursCancelledContext",
		"Insert with a cancelled context returns an error wrapping context.Canceled and stores nothing.",
		checkInsertHonoursCancelledContext},
	{"CancelledIsFinal",
		"A job its worker cancels is final: it runs no more and frees its unique key.",
		checkCancelledIsFinal},
	{"DiscardedIsFinal",
		"A job that used up its attempts is final: it runs no more and frees its unique key.",
		checkDiscardedIsFinal},
}

// kit holds what every rule's check needs: the engine factory and the
// bound of every wait.
type kit struct {
	newEngine func(t *testing.T, workers *testmode.Workers) testmode.Engine
	wait      time.Duration
}

// outcomes maps a case to the outcome its jobs' attempts return.
type outcomes = map[string]func(*testmode.Job[ProbeArgs]) error

// setupEngine builds an engine with the probe worker, deciding attempts'
// outcomes by outcomes, and a Client over it.
func (k *kit) setupEngine(t *testing.T, outcomes outcomes) (*testmode.Client, *probe, testmode.Engine) {
	t.Helper()
	p := &probe{outcome: outcomes, seen: map[string]chan attempt{}}
	ws := testmode.NewWorkers()
	if err := testmode.AddWorker(ws, p); err != nil {
		t.Fatal(err)
	}
	e := k.newEngine(t, ws)
	if e == nil {
		t.Fatal("enginetest: newEngine returned nil")
	}
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = ws, e
	c, err := testmode.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, p, e
}

// setup is setupEngine for checks that use the engine through the Client
// only.
func (k *kit) setup(t *testing.T, outcomes outcomes) (*testmode.Client, *probe) {
	t.Helper()
	c, p, _ := k.setupEngine(t, outcomes)
	return c, p
}

// next returns the next attempt of case c, failing the test when none runs
// within the wait.
func (k *kit) next(t *testing.T, p *probe, c string) attempt {
	t.Helper()
	select {
	case a := <-p.channel(c):
		return a
	case <-time.After(k.wait):
		t.Fatalf("enginetest: case %q: no attempt ran within %s", c, k.wait)
		return attempt{}
	}
}

// freed inserts args with opts, a unique job's twin, until the engine
// stores it as a job of its own rather than returning the job with ID
// blocker as its duplicate, and returns the new job. The Engine interface
// reports no change of a job's state, so the insert is repeated on every
// tick of a poll-period ticker, and the wait ends when the twin is stored
// or when a context bounded by the kit's wait ends, which fails the test:
// blocker still blocks.
func (k *kit) freed(t *testing.T, c *testmode.Client, args ProbeArgs, opts *testmode.InsertOpts, blocker int64, state testmode.State) *testmode.JobRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), k.wait)
	defer cancel()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		row, err := c.Insert(ctx, args, opts)
		if err != nil && ctx.Err() != nil {
			k.stillBlocks(t, blocker, "", state)
		}
		switch {
		case err != nil:
			t.Fatal(err)
		case !row.Duplicate && row.ID == blocker:
			t.Fatalf("enginetest: a new job has the ID %d of the job it duplicates", row.ID)
		case !row.Duplicate:
			return row
		case row.ID != blocker:
			t.Fatalf("enginetest: a duplicate names job %d; want %d", row.ID, blocker)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			k.stillBlocks(t, blocker, row.State, state)
		}
	}
}

// stillBlocks fails the test once freed's wait ended with job blocker
// still blocking its twin: read is the state the last duplicate showed,
// "" when the insert itself ran out of time.
func (k *kit) stillBlocks(t *testing.T, blocker int64, read, state testmode.State) {
	t.Helper()
	shown := "an insert of the twin did not return in time"
	if read != "" {
		shown = "the duplicate reads state " + string(read)
	}
	t.Fatalf("enginetest: job %d still blocks its unique twin %s after its last attempt ended "+
		"(%s): a %s job must free its unique key", blocker, k.wait, shown, state)
}

func checkInsertStoresRows(t *testing.T, k *kit) {
	c, p := k.setup(t, nil)
	ctx := t.Context()
	before := time.Now()
	later := before.Add(time.Hour)
	rows, err := c.InsertMany(ctx, []testmode.InsertParams{
		{Args: ProbeArgs{Case: "insert", N: 1}},
		{Args: ProbeArgs{Case: "insert", N: 2}, Opts: &testmode.InsertOpts{Queue: OtherQueue, Priority: 3, MaxAttempts: 4, Tags: []string{"a"}, Meta: map[string]any{"k": "v"}}},
		{Args: ProbeArgs{Case: "insert-later", N: 3}, Opts: &testmode.InsertOpts{ScheduledAt: later}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("Insert returned %d rows for 3", len(rows))
	}
	ids := map[int64]bool{}
	for i, row := range rows {
		if row.ID == 0 || ids[row.ID] {
			t.Errorf("rows[%d].ID = %d: want a non-zero ID of its own", i, row.ID)
		}
		ids[row.ID] = true
		if row.InsertedAt.Before(before.Add(-time.Second)) || row.InsertedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("rows[%d].InsertedAt = %v: want about now", i, row.InsertedAt)
		}
		if row.Duplicate {
			t.Errorf("rows[%d].Duplicate is set", i)
		}
	}
	if rows[0].State != testmode.StateAvailable && rows[0].State != testmode.StateRunning && !rows[0].State.Final() {
		t.Errorf("rows[0].State = %s: want available (or later)", rows[0].State)
	}
	if rows[2].State != testmode.StateScheduled {
		t.Errorf("rows[2].State = %s: want scheduled", rows[2].State)
	}
	r := rows[1]
	if r.Kind != "enginetest.probe" || r.Queue != OtherQueue || r.Priority != 3 || r.MaxAttempts != 4 ||
		len(r.Tags) != 1 || r.Meta["k"] != "v" || string(r.EncodedArgs) != `{"case":"insert","n":2}` {
		t.Errorf("rows[1] lost fields given at insert: %+v", r)
	}
	for range 2 {
		if a := k.next(t, p, "insert"); a.attempt != 1 {
			t.Errorf("first attempt of job n=%d has Attempt %d", a.args.N, a.attempt)
		}
	}
}

func checkInsertIsAllOrNothing(t *testing.T, k *kit) {
	c, _ := k.setup(t, nil)
	ctx := t.Context()
	unique := &testmode.InsertOpts{UniquePeriod: time.Hour, ScheduledAt: time.Now().Add(time.Hour)}
	_, err := c.InsertMany(ctx, []testmode.InsertParams{
		{Args: ProbeArgs{Case: "atomic"}, Opts: unique},
		{Args: ProbeArgs{Case: "atomic", N: 1}, Opts: &testmode.InsertOpts{Queue: "enginetest_no_such_queue"}},
	})
	if err == nil {
		t.Fatal("an insert into a queue the engine does not serve succeeded")
	}
	row, err := c.Insert(ctx, ProbeArgs{Case: "atomic"}, unique)
	if err != nil {
		t.Fatal(err)
	}
	if row.Duplicate {
		t.Error("a row of a refused batch was stored: its unique twin is a duplicate")
	}
}

func checkUnique(t *testing.T, k *kit) {
	c, _ := k.setup(t, nil)
	ctx := t.Context()
	unique := &testmode.InsertOpts{UniquePeriod: time.Hour, ScheduledAt: time.Now().Add(time.Hour)}
	first, err := c.Insert(ctx, ProbeArgs{Case: "unique"}, unique)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.InsertMany(ctx, []testmode.InsertParams{
		{Args: ProbeArgs{Case: "unique"}, Opts: unique},
		{Args: ProbeArgs{Case: "unique", N: 1}, Opts: unique},
		{Args: ProbeArgs{Case: "unique", N: 1}, Opts: unique},
		{Args: ProbeArgs{Case: "unique"}, Opts: &testmode.InsertOpts{UniquePeriod: time.Hour, Queue: OtherQueue}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		dup bool
		id  int64
	}{{true, first.ID}, {false, 0}, {true, rows[1].ID}, {false, 0}}
	for i, w := range want {
		if rows[i].Duplicate != w.dup || w.dup && rows[i].ID != w.id {
			t.Errorf("rows[%d]: Duplicate = %v, ID = %d; want Duplicate = %v (ID %d)", i, rows[i].Duplicate, rows[i].ID, w.dup, w.id)
		}
	}
}

func checkScheduledJobRunsWhenDue(t *testing.T, k *kit) {
	c, p := k.setup(t, nil)
	due := time.Now().Add(50 * time.Millisecond)
	if _, err := c.Insert(t.Context(), ProbeArgs{Case: "scheduled"}, &testmode.InsertOpts{ScheduledAt: due}); err != nil {
		t.Fatal(err)
	}
	if a := k.next(t, p, "scheduled"); a.at.Before(due) {
		t.Errorf("ran at %v, before it was due (%v)", a.at, due)
	}
}

func checkRetryCarriesErrors(t *testing.T, k *kit) {
	c, p := k.setup(t, outcomes{
		"retry": func(job *testmode.Job[ProbeArgs]) error {
			if job.Attempt < 3 {
				return fmt.Errorf("attempt %d failed", job.Attempt)
			}
			return nil
		},
	})
	if _, err := c.Insert(t.Context(), ProbeArgs{Case: "retry"}, nil); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		a := k.next(t, p, "retry")
		if a.attempt != n || len(a.errors) != n-1 {
			t.Fatalf("attempt %d: got Attempt %d with %d previous errors %q", n, a.attempt, len(a.errors), a.errors)
		}
		if n > 1 && a.errors[n-2] != fmt.Sprintf("attempt %d failed", n-1) {
			t.Errorf("attempt %d: previous error %q", n, a.errors[n-2])
		}
	}
}

func checkSnoozeKeepsAttempt(t *testing.T, k *kit) {
	var snoozed atomic.Bool
	c, p := k.setup(t, outcomes{
		"snooze": func(*testmode.Job[ProbeArgs]) error {
			if snoozed.CompareAndSwap(false, true) {
				return testmode.Snooze(time.Millisecond)
			}
			return nil
		},
	})
	if _, err := c.Insert(t.Context(), ProbeArgs{Case: "snooze"}, nil); err != nil {
		t.Fatal(err)
	}
	a, b := k.next(t, p, "snooze"), k.next(t, p, "snooze")
	if a.attempt != 1 || b.attempt != 1 || len(b.errors) != 0 {
		t.Errorf("after a snooze: Attempt %d then %d, errors %q; want 1 then 1, none", a.attempt, b.attempt, b.errors)
	}
}

func checkInsertHonoursCancelledContext(t *testing.T, k *kit) {
	c, _, e := k.setupEngine(t, nil)
	args := ProbeArgs{Case: "cancelled-context"}
	opts := &testmode.InsertOpts{UniquePeriod: time.Hour, ScheduledAt: time.Now().Add(time.Hour)}
	// A Manual insert builds the row as the client would hand it over.
	built, err := c.Insert(testmode.WithMode(t.Context(), testmode.Manual), args, opts)
	if err != nil {
		t.Fatal(err)
	}
	row := &testmode.JobRow{
		Kind: built.Kind, EncodedArgs: built.EncodedArgs, Queue: built.Queue, Priority: built.Priority,
		MaxAttempts: built.MaxAttempts, ScheduledAt: built.ScheduledAt, Tags: built.Tags, Meta: built.Meta,
		UniqueKey: built.UniqueKey, UniquePeriod: built.UniquePeriod,
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.Insert(ctx, []*testmode.JobRow{row})
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(k.wait):
		t.Fatalf("enginetest: Insert with a cancelled context has not returned after %s", k.wait)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("enginetest: Insert with a cancelled context returned %v; want an error wrapping context.Canceled", err)
	}
	twin, err := c.Insert(t.Context(), args, opts)
	if err != nil {
		t.Fatal(err)
	}
	if twin.Duplicate {
		t.Errorf("enginetest: Insert with a cancelled context stored job %d", twin.ID)
	}
}

func checkCancelledIsFinal(t *testing.T, k *kit) {
	c, p := k.setup(t, outcomes{
		"cancel": func(job *testmode.Job[ProbeArgs]) error {
			if job.Attempt == 1 {
				return testmode.Cancel(errors.New("no longer wanted"))
			}
			// Retried after all: an hour's snooze keeps it enqueued,
			// blocking its twin, so the check below fails.
			return testmode.Snooze(time.Hour)
		},
	})
	args := ProbeArgs{Case: "cancel"}
	opts := &testmode.InsertOpts{UniquePeriod: time.Hour}
	first, err := c.Insert(t.Context(), args, opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate {
		t.Fatalf("enginetest: the first unique job is a duplicate of job %d", first.ID)
	}
	if a := k.next(t, p, "cancel"); a.id != first.ID || a.attempt != 1 {
		t.Fatalf("enginetest: ran job %d attempt %d; want job %d attempt 1", a.id, a.attempt, first.ID)
	}
	twin := k.freed(t, c, args, opts, first.ID, testmode.StateCancelled)
	if a := k.next(t, p, "cancel"); a.id != twin.ID || a.attempt != 1 {
		t.Errorf("enginetest: after job %d was cancelled, ran job %d attempt %d; want its twin %d, attempt 1", first.ID, a.id, a.attempt, twin.ID)
	}
}

func checkDiscardedIsFinal(t *testing.T, k *kit) {
	c, p := k.setup(t, outcomes{
		"discard": func(job *testmode.Job[ProbeArgs]) error {
			return fmt.Errorf("attempt %d failed", job.Attempt)
		},
	})
	args := ProbeArgs{Case: "discard"}
	opts := &testmode.InsertOpts{UniquePeriod: time.Hour, MaxAttempts: 2}
	first, err := c.Insert(t.Context(), args, opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate {
		t.Fatalf("enginetest: the first unique job is a duplicate of job %d", first.ID)
	}
	for n := 1; n <= 2; n++ {
		if a := k.next(t, p, "discard"); a.id != first.ID || a.attempt != n || len(a.errors) != n-1 {
			t.Fatalf("enginetest: ran job %d attempt %d with %d previous errors; want job %d attempt %d with %d", a.id, a.attempt, len(a.errors), first.ID, n, n-1)
		}
	}
	twin := k.freed(t, c, args, opts, first.ID, testmode.StateDiscarded)
	if a := k.next(t, p, "discard"); a.id != twin.ID || a.attempt != 1 {
		t.Errorf("enginetest: after job %d used up its 2 attempts, ran job %d attempt %d; want its twin %d, attempt 1", first.ID, a.id, a.attempt, twin.ID)
	}
}
