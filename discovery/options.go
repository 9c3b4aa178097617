package discovery

import (
	"log/slog"
	"time"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/telemetry"
)

// ManagerOptions configures a Manager.
type ManagerOptions struct {
	// UpdateInterval is the least time between two snapshots. The first
	// change after a quiet UpdateInterval is sent at once; changes that
	// follow within UpdateInterval are coalesced into one snapshot sent
	// when it ends. It must be > 0.
	UpdateInterval time.Duration `usage:"least time between two target snapshots"`
	// StopTimeout bounds the wait for a cancelled discoverer's Run to
	// return. A discoverer still running after it is reported as leaked.
	// It must be > 0.
	StopTimeout time.Duration `usage:"how long to wait for a cancelled discoverer to return"`
	// SwapTimeout bounds how long a target set keeps the groups of the
	// providers an ApplyConfig replaced, while the providers replacing
	// them have not sent their first full set. A reload that changes a
	// set's Configs then moves the set from the old targets to the new in
	// one snapshot, instead of sending it empty in between; a replacing
	// discoverer that sends nothing within SwapTimeout lets the old
	// groups go. It must be > 0.
	SwapTimeout time.Duration `usage:"how long a reloaded target set keeps its old targets while the new discoverers start"`
	// RestartFailed restarts a discoverer that failed (its Run returned
	// early, panicked or closed its channel) with a new Discoverer from
	// the same Config, after RestartBackoff, doubling up to
	// MaxRestartBackoff. When false, a failed provider stays failed until
	// ApplyConfig replaces its Config.
	RestartFailed bool `usage:"restart discoverers that fail"`
	// RestartBackoff is the wait before the first restart of a failed
	// discoverer. It must be > 0 when RestartFailed is true.
	RestartBackoff time.Duration `usage:"wait before restarting a failed discoverer"`
	// MaxRestartBackoff caps the doubling restart wait. A discoverer that
	// ran longer than MaxRestartBackoff before failing starts again from
	// RestartBackoff. It must be >= RestartBackoff when RestartFailed is
	// true.
	MaxRestartBackoff time.Duration `usage:"largest wait before restarting a failed discoverer"`
	// KeepFailedTargets keeps the groups of a failed discoverer in the
	// snapshots until it sends again; when false they are dropped at the
	// failure. Either way a restarted discoverer's first full set
	// replaces them.
	KeepFailedTargets bool `usage:"keep the targets of a failed discoverer until it recovers"`
	// Logger receives records of failures, reported errors and leaks. It
	// must not be nil; the default discards.
	Logger *slog.Logger `json:"-" options:"-"`
	// Telemetry receives the events of events.go. Nil means
	// telemetry.Default() as it is when NewManager runs, which is itself
	// nil (no events) unless the program installed one.
	Telemetry *telemetry.Registry `json:"-" options:"-"`
}

// DefaultManagerOptions returns options that coalesce updates within 100
// ms, wait 5 s for cancelled discoverers, keep a reloaded set's old
// targets up to 10 s while its new discoverers start, restart failed discoverers after
// 1 s doubling up to 1 min, keep a failed discoverer's targets, and log
// nothing.
func DefaultManagerOptions() ManagerOptions {
	return ManagerOptions{
		UpdateInterval:    100 * time.Millisecond,
		StopTimeout:       5 * time.Second,
		SwapTimeout:       10 * time.Second,
		RestartFailed:     true,
		RestartBackoff:    time.Second,
		MaxRestartBackoff: time.Minute,
		KeepFailedTargets: true,
		Logger:            slog.New(slog.DiscardHandler),
	}
}

// Validate reports every field that is not usable.
func (o ManagerOptions) Validate() error {
	var c options.Collector
	options.Positive(&c, "UpdateInterval", o.UpdateInterval)
	options.Positive(&c, "StopTimeout", o.StopTimeout)
	options.Positive(&c, "SwapTimeout", o.SwapTimeout)
	if o.RestartFailed {
		options.Positive(&c, "RestartBackoff", o.RestartBackoff)
		options.Check(&c, o.MaxRestartBackoff >= o.RestartBackoff, "MaxRestartBackoff", o.MaxRestartBackoff, "must be >= RestartBackoff")
	}
	options.NotNil(&c, "Logger", o.Logger)
	return c.Err()
}
