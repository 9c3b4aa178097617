package riverengine

import "github.com/ecopatterns/ecopatterns/telemetry"

// The events of an Engine. The job and engine spans are testmode's own, with
// the same names, metadata and measurements as MemoryEngine's, so
// dashboards built on MemoryEngine keep working:
//
//   - testmode.JobSpan wraps every attempt this node runs (KeyMode
//     "engine").
//   - testmode.EngineInsertSpan wraps Insert, InsertTx and InsertManyTx
//     (KeyEngine; MeasureJobs, MeasureDuplicates).
//   - testmode.EngineShutdownSpan covers the stop, once per engine, from
//     the first Stop until River has stopped, whether or not the Stop that
//     began it waited that long; it ends with stop, never exception
//     (KeyEngine; MeasurePending, the jobs left waiting in this node's
//     queues, which other nodes may still run).
//
// An attempt cancelled through River (River's JobCancel) while it runs is
// reported with KeyOutcome cancelled when River cancels the job, and one
// that outlived Options.JobTimeout with an error wrapping
// testmode.ErrJobTimeout.
//
// UnworkedFound is this package's only event of its own.
var (
	// UnworkedFound reports, once per check (Options.UnworkedCheckInterval)
	// and per kind and queue, jobs in this node's queues whose kind it has
	// no worker for and that have been due for longer than the interval:
	// no node appears to work them. The jobs stay where they are, with no
	// attempt used, until a node with a worker for the kind takes them.
	//
	// Metadata: testmode.KeyEngine, testmode.KeyJobKind, testmode.KeyQueue.
	// Measurements: testmode.MeasureJobs (how many) and MeasureOldestDue
	// (how long the oldest has been due).
	UnworkedFound = telemetry.MustName("ecopatterns.riverengine.unworked.found")
)

// MeasureOldestDue is how long the oldest job of an UnworkedFound report has
// been due.
const MeasureOldestDue = "oldest_due"
