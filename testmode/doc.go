// Package testmode runs background jobs whose tests need no sleeps: the same
// Client hands jobs to an engine in production (Disabled), runs them in the
// caller at insert (Inline), or records them for assertions without running
// them (Manual).
//
// It follows Oban's testing modes and Oban.Testing assertions (Elixir), and
// River's typed job args and rivertest helpers (Go), and goes further where
// their users hit limits: Inline mode runs retries too, on a fake clock;
// uniqueness holds in every mode; the mode travels on the context into the
// goroutines a test starts; assertions match args as a deep subset and
// print the closest jobs when they fail.
//
// # Composing with it
//
// Define args (JSON-encodable, with a Kind) and a worker, register it, and
// insert jobs through a Client:
//
//	type WelcomeArgs struct{ UserID int64 }
//
//	func (WelcomeArgs) Kind() string { return "welcome_email" }
//
//	type WelcomeWorker struct{ mail Mailer }
//
//	func (w WelcomeWorker) Perform(ctx context.Context, job *testmode.Job[WelcomeArgs]) error {
//		return w.mail.Send(ctx, job.Args.UserID)
//	}
//
//	workers := testmode.NewWorkers()
//	err := testmode.AddWorker(workers, WelcomeWorker{mail})
//
// In production the client is in Disabled mode and hands jobs to an Engine,
// normally the in-process MemoryEngine, whose workers run under a
// stopper.Stopper:
//
//	opts := testmode.DefaultMemoryOptions()
//	opts.Workers, opts.Queues = workers, map[string]testmode.QueueOptions{"mail": {Limit: 10}}
//	engine, err := testmode.NewMemoryEngine(opts)
//	cfg := testmode.DefaultConfig()
//	cfg.Workers, cfg.Engine = workers, engine
//	client, err := testmode.NewClient(cfg)
//	row, err := client.Insert(ctx, WelcomeArgs{UserID: 42}, &testmode.InsertOpts{Queue: "mail"})
//	...
//	err = engine.Stop(ctx) // running jobs finish or return to available; nothing is lost
//
// An engine refuses what it could never run rather than keep it:
// NewMemoryEngine refuses options whose Workers holds no worker (as
// DefaultMemoryOptions' own empty registry), and Insert refuses a queue
// missing from Queues (ErrUnknownQueue) or a kind the engine's workers
// lack (ErrUnknownKind), each error saying what to configure.
//
// A worker's return value is the attempt's outcome (see Outcome): nil
// completes the job; Cancel(err) cancels it for good; Snooze(d) runs it
// again after d without using up an attempt; any other error, a panic or an
// expired Timeout fails the attempt, which is retried after a backoff until
// MaxAttempts (20 by default) is used up, and the job is then discarded.
//
// A unit test runs the code under test in Inline mode: the job runs during
// Insert, and retries run at once on a fake clock with deterministic
// jitter, so the returned row holds the whole attempt history:
//
//	ctx := testmode.WithMode(t.Context(), testmode.Inline)
//	row, err := client.Insert(ctx, WelcomeArgs{UserID: 42}, nil)
//	// row.State, row.Attempt, row.Errors; err is a *JobError unless it completed
//
// An integration test records jobs in Manual mode, asserts on them and
// drains them:
//
//	ctx := testmode.WithMode(t.Context(), testmode.Manual)
//	signup(ctx, "ada@example.com") // inserts through any client, in any goroutine
//	testmode.AssertEnqueued(t, testmode.StoreFrom(ctx), testmode.Match{
//		Kind: "welcome_email",
//		Args: map[string]any{"UserID": testmode.Any},
//	})
//	results, err := testmode.Drain(ctx, client, testmode.DrainOpts{WithRecursion: true})
//
// WithMode gives the context a Store of its own, so parallel tests never
// see each other's jobs even when they share one client; inserts under a
// context without WithMode use the client's Config.Mode and its own store
// (Client.Store). A test client needs no Engine: in Manual or Inline mode
// Config.Engine may stay nil. The helpers take a minimal TB interface, so
// code that imports this package does not import testing:
//
//   - AssertEnqueued, RefuteEnqueued and AllEnqueued, by Match: kind,
//     args and meta as deep subsets (integers compared exactly), queue,
//     priority, schedule, tags (a subset, or exact with ExactTags),
//     Attempt, MaxAttempts, and State for jobs no longer enqueued;
//   - AssertEnqueuedOnce (exactly one job, returned with typed args) and
//     AssertEnqueuedInOrder (these jobs, in this order, nothing else);
//   - AssertEnqueuedArgs (typed, by a function of the args);
//   - the waiting forms through Within (AssertEnqueuedArgsWithin for the
//     typed one);
//   - PerformJob and PerformJobWith (one attempt of one worker, no client;
//     the latter at a given attempt and time);
//   - Drain (with DueBy to run what is due by a given time) and Summarize
//     (its attempts by outcome).
//
// Given a nil source (a nil *Store from StoreFrom without WithMode, a nil
// *Client) every helper fails the test, saying so.
//
// Attempts are reported as JobSpan telemetry spans with the queue time, the
// job's kind, queue and attempt, and the outcome; MemoryEngine also reports
// its inserts and its shutdown (see events.go).
//
// # Extending it
//
// A worker implements Worker[T] (one method); it may add Timeouter[T] for a
// per-job deadline and Backoffer[T], whose Backoff sees the job and the
// error, for its own retry delays (a rate limit's retry-after, say).
// Without it, DefaultBackoff applies: 15 s + 2^attempt s, the exponent
// capped at 16, plus up to 10% jitter. Args may implement
// ArgsWithInsertOpts to carry their own queue, priority or uniqueness.
//
// A durable engine implements Engine (engine.go: one method, Insert, whose
// contract includes uniqueness), runs due jobs with Workers.Work and stores
// the result, and checks itself with enginetest.Run. Package riverengine
// (a module of its own) is such an engine, on River and PostgreSQL.
//
// # What it deliberately does not do
//
// MemoryEngine is not durable: jobs live in the process's memory and a
// crash loses those not yet final. Durability belongs to an Engine
// implementation, not to this package. There is no cron, no pruning of
// final jobs in a Store (a Store lives as long as a test), no
// cross-process uniqueness beyond what an engine provides, no uniqueness
// by a subset of the args (the key is the kind, the whole args and the
// queue), and no "retry forever": MaxAttempts is always finite. Go cannot stop a goroutine, so a
// worker that ignores its context past its Timeout fails the attempt but
// keeps running in the background, where its engine's Stop names it as a
// stuck task. Inline mode does not simulate concurrency: jobs run one at a
// time, in the caller, as Oban's inline mode does.
//
// # Deliberate differences from Oban and River
//
// Each is pinned by the test named after it.
//
//	Oban or River                                testmode                                            pinned by
//	Oban all_enqueued: newest first              AllEnqueued: oldest first (insertion order)         TestObanAllEnqueued
//	Oban inline: retries never run, attempt 1    Inline: retries run to a final state, fake clock    TestInlineOutcomes
//	Oban inline: uniqueness not checked          uniqueness holds in every mode                      TestUniqueEveryMode
//	Oban: mode in the process dictionary         mode and store travel on the context                TestWithModeTravelsToGoroutines
//	Oban assert_enqueued timeout: polls 10 ms    Within: waits on store changes, no polling          TestObanEventuallyEnqueued
//	River: max attempts 25, priority 1..4        20 attempts (Oban's), priority 0..9                 TestDefaultMaxAttempts
//	River RequireInserted: kind, any state       Match: args too; enqueued unless Match.State        TestMatchState
//	River RequireInsertedOpts.Tags: exact        Tags: a subset (Oban); ExactTags for River's        TestMatchTagsSubsetOrExact
//	River ScheduledAt: equal to the µs           ScheduledAt within Delta, 1 s by default (Oban)     TestObanAssertEnqueuedScheduledAtDelta
//	both: a missing source errors or panics      every helper fails the test, saying what was nil    TestNilSourceFailsEveryHelper
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example (inlineUnitTest): a unit test in Inline mode: the job runs
//     during Insert, and its failure fails the call.
//   - Example (manualIntegrationTest): an integration test in Manual mode:
//     jobs recorded, asserted on with a wildcard, then drained; the test's
//     context switches a shared client to Manual.
//   - MemoryEngine: the production engine: jobs run in the background, and
//     Stop lets running ones finish.
//   - Example (contextualBackoff): a worker whose backoff depends on the
//     error; Inline mode runs the retries at once on a fake clock.
//   - PerformJob: one attempt of a worker without a client: a unit test of the
//     worker alone.
//   - PerformJobWith: attempt N at a given time, to test the last-attempt
//     branch and its backoff without N attempts.
//   - NewClient (withoutEngine): a test client with no engine, and the error
//     of an insert that would need one.
//   - AssertEnqueuedOnce: exactly one matching job, returned with its args
//     typed (River's RequireInserted).
//   - AssertEnqueuedInOrder: these jobs, in this order, and nothing else
//     (River's RequireManyInserted).
//   - Match (state): jobs that are no longer enqueued, such as one a drain
//     completed.
//   - Match (largeIntegers): integers in Match.Args compared exactly at any
//     size, so a 64-bit ID never matches its neighbour.
//   - Match (tags): Match.Tags as a subset, as in Oban, and ExactTags as
//     River's exact, ordered comparison.
//   - Summarize: a drain's attempts counted by outcome, and DueBy running what
//     will be due by a given time.
//   - DefaultBackoff: the default retry delays by attempt.
package testmode
