package discovery

import "github.com/ecopatterns/ecopatterns/telemetry"

// The events a Manager emits. Metadata keys: "provider" (such as
// "file/2"), "config" (the mechanism's name), "set" (a target set),
// "state" and "previous" (ProviderState values), "error" (an error value).
var (
	// UpdateReceived is emitted for every update a discoverer sends.
	// Measurements: "groups" (in the update), "changed" (groups that
	// changed the provider's state; 0 for a no-op). Metadata: "provider".
	UpdateReceived = telemetry.MustName("ecopatterns.discovery.update.received")
	// SyncSent is emitted when a consumer received a snapshot from SyncCh.
	// Measurements: "sets" (sets that changed since the previous
	// snapshot), "latency" (from the first change it carries to its
	// delivery).
	SyncSent = telemetry.MustName("ecopatterns.discovery.sync.sent")
	// SyncDelayed is emitted when a snapshot waiting for the consumer is
	// replaced by a newer one because the consumer did not receive it
	// within UpdateInterval. Measurements: "waited" (how long it waited).
	SyncDelayed = telemetry.MustName("ecopatterns.discovery.sync.delayed")
	// SetSynced is emitted for every set that changed, when its snapshot
	// is built. Measurements: "groups", "targets". Metadata: "set".
	SetSynced = telemetry.MustName("ecopatterns.discovery.set.synced")
	// ProviderChanged is emitted at every change of a provider's state.
	// Metadata: "provider", "config", "state", "previous".
	ProviderChanged = telemetry.MustName("ecopatterns.discovery.provider.changed")
	// ProviderFailed is emitted when a discoverer's Run returned early,
	// panicked or closed its channel, or when restarting it failed.
	// Measurements: "restarts" (so far). Metadata: "provider", "config",
	// "error" (ErrReturnedEarly, ErrChannelClosed, a *PanicError or the
	// error of NewDiscoverer).
	ProviderFailed = telemetry.MustName("ecopatterns.discovery.provider.failed")
	// ProviderErrored is emitted when a discoverer called ReportError, or
	// sent a nil group (error ErrNilGroup). Metadata: "provider", "config",
	// "error".
	ProviderErrored = telemetry.MustName("ecopatterns.discovery.provider.errored")
	// ProviderRestarted is emitted when a failed discoverer is started
	// again. Measurements: "restarts" (including this one), "backoff" (the
	// wait before it). Metadata: "provider", "config".
	ProviderRestarted = telemetry.MustName("ecopatterns.discovery.provider.restarted")
	// ProviderLeaked is emitted when a cancelled discoverer's Run has not
	// returned within StopTimeout. Measurements: "leaked" (runs of the
	// provider still running). Metadata: "provider", "config".
	ProviderLeaked = telemetry.MustName("ecopatterns.discovery.provider.leaked")
)
