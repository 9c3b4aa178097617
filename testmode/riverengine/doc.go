// Package riverengine is a durable, multi-node testmode.Engine on River
// (github.com/riverqueue/river) and PostgreSQL: the same testmode workers,
// clients and testing modes, with jobs that survive a crash and are shared
// by every node that runs the engine over the same database.
//
// # Composing with it
//
// Migrate the database (every node may do it at startup: concurrent
// migrations of a schema take turns under an advisory lock), then start an
// engine on each node and hand it to a testmode.Client:
//
//	if err := riverengine.Migrate(ctx, pool); err != nil { ... }
//	opts := riverengine.DefaultOptions()
//	opts.Workers, opts.Queues = workers, map[string]testmode.QueueOptions{"mail": {Limit: 10}}
//	engine, err := riverengine.New(ctx, pool, opts)
//	cfg := testmode.DefaultConfig()
//	cfg.Workers, cfg.Engine = workers, engine
//	client, err := testmode.NewClient(cfg)
//	row, err := client.Insert(ctx, WelcomeArgs{UserID: 42}, &testmode.InsertOpts{Queue: "mail"})
//	...
//	err = engine.Stop(ctx) // running jobs finish (ShutdownGrace) or go back for another node
//
// Stop reports the shutdown once (testmode.EngineShutdownSpan, with the
// jobs left waiting), as MemoryEngine does, even when a first Stop's
// context ends before River has stopped and a later Stop waits for the
// rest.
//
// To enqueue a job only if a transaction commits, insert it in that
// transaction: engine.InsertTx(ctx, tx, args, opts). Tests keep using
// Inline and Manual modes, which need no database; InsertTx honours them
// too. The worker code is the same on MemoryEngine and here: Cancel,
// Snooze, errors retried after testmode's backoff (which sees the error),
// MaxAttempts, Timeout, priorities, queues, scheduled and unique jobs.
// Telemetry uses testmode's event names and shapes (see events.go).
//
// # Extending it
//
// There is no interface of its own: workers implement testmode.Worker (and
// Timeouter, Backoffer). Engine.Client returns River's client for what this
// package does not wrap (River's UI, listing jobs, pausing queues).
// enginetest.Run checks this engine against testmode's Engine contract.
//
// # What it deliberately does not do
//
// It does not build a queue: River fetches, locks, retries, rescues and
// prunes jobs; this package only translates. Where River cannot express
// what testmode promises, it does this instead:
//
//   - Priorities: River has four levels. testmode's 0–9 map to them as
//     0–2 → 1, 3–4 → 2, 5–7 → 3, 8–9 → 4; within a level, jobs run by
//     ScheduledAt and ID. Rows keep the priority they were inserted with.
//   - Args that no longer decode (or a kind unknown to testmode's Workers
//     though registered with River) end cancelled, not discarded at once:
//     River lets a worker discard a job only on its last attempt.
//   - AttemptError.Stack is empty and Err nil: River keeps an error's text.
//     A panic's text is kept ("testmode: job panicked: ...").
//   - Scheduled jobs due more than 5 s ahead become available when River's
//     scheduler next runs on the leader (every 5 s), so they may start up
//     to about 5 s late; jobs due sooner, retries and snoozes start within
//     FetchPollInterval of their time.
//   - Unique jobs: the duplicate check is this package's (a lock on the
//     key, then a lookup), with testmode's rule, not River's unique jobs,
//     whose periods are fixed time buckets. Rows read back carry a hash of
//     the unique key, not the key.
//   - EncodedArgs read back from PostgreSQL are jsonb's normal form (key
//     order, spacing); they decode to the same value.
//   - Every attempt is bounded by Options.JobTimeout (River needs a bound
//     to rescue jobs of a node that died); a Worker's Timeout applies when
//     shorter. An attempt that outlives JobTimeout fails as one that
//     outlives a Worker's Timeout does: its context's cause and its error
//     wrap testmode.ErrJobTimeout ("testmode: job timed out after 1h0m0s:
//     context canceled"), and the retry waits the backoff for that error.
//     Unlike a Worker's Timeout, JobTimeout waits for Perform to return.
//   - A job cancelled through River while it runs (River's JobCancel,
//     from any node or River's UI) has its attempt's context cancelled
//     with cause river.ErrJobCancelledRemotely. Unless Perform then returns
//     nil, the job ends cancelled, never retried, whatever Perform
//     returned, a Snooze included; the attempt is reported with outcome
//     cancelled and a testmode.CancelError wrapping River's error, and
//     River stores its own text ("job cancelled remotely") as the
//     attempt's error.
//   - A job inserted to run at once is due at the database's clock when
//     read back, a few milliseconds from the ScheduledAt Insert returned.
//   - A job whose kind this node has no worker for is not fetched; it waits,
//     with no attempt used, for a node that has one, and is reported
//     (UnworkedFound, Unworked). A job rescued by a node that lacks its
//     worker is discarded by River.
//   - Workers added to Options.Workers after New are not run: River's
//     workers are fixed when its client starts.
//
// New takes a context, unlike MemoryEngine's constructor, because it checks
// the database; the context bounds the checks only.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Options.Validate: every bad option reported at once, before New touches
//     the database.
package riverengine
