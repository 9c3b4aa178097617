package riverengine

import (
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// queueNameRE is River's rule for queue names.
var queueNameRE = regexp.MustCompile(`^(?:[a-z0-9])+(?:[_|\-]?[a-z0-9]+)*$`)

// Options configures an Engine: one node of a group of engines that share a
// database.
type Options struct {
	// Name identifies the engine in events (testmode.KeyEngine). It must
	// not be empty.
	Name string `usage:"name of the engine in events"`
	// Queues are the queues this node works, by name, each with how many of
	// its jobs run at once on this node (Limit). There must be at least
	// one. Names are River's: lower-case letters and digits, separated by
	// single '_' or '-', at most 64 bytes.
	Queues map[string]testmode.QueueOptions `options:"jsononly"`
	// Workers runs the jobs. New registers with River the kinds it holds
	// when New runs; Insert refuses other kinds. It must not be nil.
	Workers *testmode.Workers `json:"-" options:"-"`
	// MaxAttempts is the number of attempts of jobs that InsertTx inserts
	// without InsertOpts.MaxAttempts (a Client uses its own
	// Config.MaxAttempts). It must be > 0.
	MaxAttempts int `usage:"attempts of a job inserted with InsertTx before it is discarded, unless the insert says otherwise"`
	// JobTimeout is the longest one attempt may run on this engine: then
	// its context is cancelled with a cause wrapping testmode.ErrJobTimeout
	// and, once Perform returns, the attempt fails with an error wrapping
	// testmode.ErrJobTimeout and what Perform returned (unless Perform
	// returned nil, Cancel or Snooze). A worker's own Timeout applies when
	// shorter.
	// It must be > 0: River rescues a job whose node died only once the
	// attempt has outlived its timeout.
	JobTimeout time.Duration `usage:"longest an attempt may run"`
	// RescueStuckJobsAfter is how long after its start an attempt still
	// running is taken for the attempt of a node that died: the job is
	// then retried after its worker's backoff (seeing ErrRescued), or
	// discarded if it has used up its attempts. It must not be shorter
	// than JobTimeout.
	RescueStuckJobsAfter time.Duration `usage:"how long after its start a running attempt is taken for lost and its job retried"`
	// ShutdownGrace is how long jobs still running when Stop begins may go
	// on before their context is cancelled with cause testmode.ErrShutdown.
	// 0 cancels them at once. It must not be negative.
	ShutdownGrace time.Duration `usage:"how long running jobs may go on once the engine stops, before their context is cancelled"`
	// FetchPollInterval is how often this node looks for due jobs when no
	// notification arrives: the longest a job scheduled for later, or
	// retried, waits past its time. It must be at least 1 ms.
	FetchPollInterval time.Duration `usage:"how often the node looks for due jobs without a notification"`
	// FetchCooldown is the shortest time between two fetches of a queue. It
	// must be at least 1 ms and at most FetchPollInterval.
	FetchCooldown time.Duration `usage:"shortest time between two fetches of a queue"`
	// UnworkedCheckInterval is how often the engine looks for jobs in its
	// queues that it has no worker for and that have been due for longer
	// than the interval, and reports them (UnworkedFound, and a warning on
	// Logger). It must be > 0.
	UnworkedCheckInterval time.Duration `usage:"how often to look for due jobs of kinds this node has no worker for"`
	// Logger receives River's records and the engine's warnings. It must
	// not be nil; the default discards.
	Logger *slog.Logger `json:"-" options:"-"`
	// Telemetry receives testmode.JobSpan for every attempt, the engine
	// spans and UnworkedFound. Nil means telemetry.Default() as it is when
	// New runs.
	Telemetry *telemetry.Registry `json:"-" options:"-"`
}

// DefaultOptions returns options for an engine named "testmode.river" that
// works testmode.DefaultQueue with 10 jobs at once, an empty Workers
// registry, 20 attempts per job, a 1 hour JobTimeout and
// RescueStuckJobsAfter, 15 seconds of shutdown grace, River's fetch timing
// (1 s poll, 100 ms cooldown), a check for unworked jobs every minute, and
// no logging.
func DefaultOptions() Options {
	return Options{
		Name:                  "testmode.river",
		Queues:                map[string]testmode.QueueOptions{testmode.DefaultQueue: {Limit: 10}},
		Workers:               testmode.NewWorkers(),
		MaxAttempts:           testmode.DefaultMaxAttempts,
		JobTimeout:            time.Hour,
		RescueStuckJobsAfter:  time.Hour,
		ShutdownGrace:         15 * time.Second,
		FetchPollInterval:     time.Second,
		FetchCooldown:         100 * time.Millisecond,
		UnworkedCheckInterval: time.Minute,
		Logger:                slog.New(slog.DiscardHandler),
	}
}

// Validate reports every field that is not usable.
func (o Options) Validate() error {
	var c options.Collector
	options.NotEmpty(&c, "Name", o.Name)
	options.Check(&c, len(o.Queues) > 0, "Queues", o.Queues, "must have at least one queue")
	for _, name := range slices.Sorted(maps.Keys(o.Queues)) {
		if len(name) > 64 || !queueNameRE.MatchString(name) {
			c.Add("Queues["+name+"]", name, "queue name must be lower-case letters and digits separated by single '_' or '-', at most 64 bytes (River's rule)")
		}
		c.NestedKey("Queues", name, o.Queues[name].Validate())
	}
	options.NotNil(&c, "Workers", o.Workers)
	options.Positive(&c, "MaxAttempts", o.MaxAttempts)
	options.Positive(&c, "JobTimeout", o.JobTimeout)
	options.Check(&c, o.RescueStuckJobsAfter >= o.JobTimeout && o.RescueStuckJobsAfter > 0, "RescueStuckJobsAfter", o.RescueStuckJobsAfter, "must be > 0 and at least JobTimeout")
	options.NonNegative(&c, "ShutdownGrace", o.ShutdownGrace)
	options.Check(&c, o.FetchPollInterval >= time.Millisecond, "FetchPollInterval", o.FetchPollInterval, "must be at least 1ms")
	options.Check(&c, o.FetchCooldown >= time.Millisecond && o.FetchCooldown <= o.FetchPollInterval, "FetchCooldown", o.FetchCooldown, "must be at least 1ms and at most FetchPollInterval")
	options.Positive(&c, "UnworkedCheckInterval", o.UnworkedCheckInterval)
	options.NotNil(&c, "Logger", o.Logger)
	return c.Err()
}
