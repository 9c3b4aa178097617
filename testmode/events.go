package testmode

import "github.com/ecopatterns/ecopatterns/telemetry"

// The events this package emits. Like every ecopatterns emitter, it builds
// their metadata only while a handler is attached.
var (
	// JobSpan wraps each attempt of a job, whoever runs it (an engine,
	// Inline mode, Drain, PerformJob): start, then stop (completed or
	// snoozed) or exception (the attempt's error, including Cancel). The
	// span's Duration is how long the attempt ran.
	//
	// Metadata: KeyJobID, KeyJobKind, KeyQueue, KeyAttempt, KeyMode; stop
	// and exception add KeyOutcome. Measurements on stop and exception:
	// MeasureQueueTime.
	JobSpan = telemetry.MustSpanName("ecopatterns.testmode.job")
	// EngineInsertSpan wraps MemoryEngine.Insert. Metadata: KeyEngine.
	// Measurements on stop: MeasureJobs (rows given), MeasureDuplicates
	// (rows skipped as duplicates).
	EngineInsertSpan = telemetry.MustSpanName("ecopatterns.testmode.engine.insert")
	// EngineShutdownSpan covers a MemoryEngine's graceful stop, from the
	// moment it refuses inserts until every worker has returned.
	// Metadata: KeyEngine. Measurements on stop: MeasurePending (jobs left
	// waiting in the engine).
	EngineShutdownSpan = telemetry.MustSpanName("ecopatterns.testmode.engine.shutdown")
)

// Metadata keys. The job's kind is "job_kind", not "kind": exception events
// use "kind" for the kind of failure (telemetry.KeyKind).
const (
	// KeyJobID holds the job's ID (int64).
	KeyJobID = "job_id"
	// KeyJobKind holds the job's kind.
	KeyJobKind = "job_kind"
	// KeyQueue holds the job's queue.
	KeyQueue = "queue"
	// KeyAttempt holds the attempt's number (int), from 1.
	KeyAttempt = "attempt"
	// KeyMode says who ran the attempt: "engine", "inline", "drain" or
	// "perform".
	KeyMode = "mode"
	// KeyOutcome holds the attempt's Outcome.
	KeyOutcome = "outcome"
	// KeyEngine holds the engine's name (MemoryOptions.Name).
	KeyEngine = "engine"
)

// Measurement keys.
const (
	// MeasureQueueTime is how long the job waited between becoming due
	// (ScheduledAt) and the attempt's start.
	MeasureQueueTime = "queue_time"
	// MeasureJobs counts the rows an insert was given.
	MeasureJobs = "jobs"
	// MeasureDuplicates counts the rows an insert skipped as duplicates.
	MeasureDuplicates = "duplicates"
	// MeasurePending counts the jobs left waiting in a stopped engine.
	MeasurePending = "pending"
)
