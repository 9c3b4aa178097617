// Package discovery finds the targets a service talks to. A source of
// targets implements the one-method [Discoverer]; its configuration type is
// registered from init() with [RegisterConfig]; a [Manager] runs the
// discoverers of many target sets and sends their targets, as snapshots, to
// one consumer.
//
// It follows Prometheus's discovery package (Discoverer, Config,
// RegisterConfig, targetgroup.Group, the <name>_sd_configs keys) and keeps
// its contract, and it fixes what Prometheus's users report: a discoverer
// that dies is lost silently, the first update waits for a throttle of up to
// 5 s, every change rebuilds every target of every set, one global lock
// serializes the fan-in, and cancelled discoverers are never waited for.
//
// # Composing with it
//
// A program decodes its configuration, target sets by name, applies it, and
// consumes snapshots:
//
//	var cfg map[string]discovery.Configs
//	if err := yaml.Unmarshal(data, &cfg); err != nil { ... } // go.yaml.in/yaml/v3, or encoding/json
//	m, err := discovery.NewManager(discovery.DefaultManagerOptions())
//	...
//	if err := m.ApplyConfig(cfg); err != nil { ... } // all or nothing
//	go m.Run(ctx)
//	for snapshot := range m.SyncCh() {
//		for set, groups := range snapshot { ... } // the full state of every set
//	}
//
// YAML is decoded with go.yaml.in/yaml/v3 (the maintained successor of
// gopkg.in/yaml.v3), which gives every message the line of what is wrong.
// gopkg.in/yaml.v3 and gopkg.in/yaml.v2 decode Configs and Groups too,
// with the same strict checks and suggestions but without lines, and with
// the sections of a set in key order (Configs.UnmarshalYAML).
//
// Importing a mechanism's package registers it: discovery/file for
// file_sd_configs, discovery/dns for dns_sd_configs, discovery/http for
// http_sd_configs; static_configs is built in. What the Manager does beyond Prometheus's:
//
//   - The first change after a quiet UpdateInterval (default 100 ms) is sent
//     at once; a burst is coalesced into one more snapshot at the end of the
//     interval.
//   - An update that changes nothing (a discoverer re-sending what it sent)
//     produces no snapshot.
//   - A snapshot rebuilds only the sets that changed, shares the slices of
//     the others with the previous snapshot, and orders groups by the
//     position of their Config in the set, then by Source.
//   - Identical Configs, by canonical encoding, run once for all the sets
//     that hold them; ApplyConfig does not restart a Config that did not
//     change, and a removed Config's targets leave the next snapshot. A
//     set whose Configs a reload replaced keeps its old targets until the
//     new discoverers sent their first sets (at most SwapTimeout), then
//     changes in one snapshot, never passing through empty.
//   - Providers are supervised: a discoverer whose Run returns early, panics
//     or closes its channel is reported (ProviderFailed, state failed in
//     Manager.Providers) and restarted with backoff; its targets are kept or
//     dropped per KeepFailedTargets. A cancelled discoverer is waited for
//     up to StopTimeout and reported as leaked if it does not return.
//   - A discoverer reports a failure it survives with [ReportError], without
//     a second interface method.
//   - Every provider has its own mailbox where the latest update wins, so a
//     slow consumer or a flooding discoverer never blocks the others; the
//     fan-in takes no lock shared between providers.
//   - Telemetry events (events.go) report updates, snapshots, delays, set
//     sizes and provider state changes.
//
// # Extending it
//
// A new mechanism is a Config (data with json and yaml tags, plus
// NewDiscoverer) and a Discoverer (Run), registered from the init function
// of its package:
//
//	type Config struct {
//		Nodes []string `json:"nodes" yaml:"nodes"`
//	}
//
//	func init() { discovery.RegisterConfig(&Config{}) } // key: cluster_sd_configs
//
//	func (*Config) Name() string { return "cluster" }
//	func (c *Config) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) { ... }
//
// The contract is stated on [Discoverer.Run]. The discoverytest package
// checks it: discoverytest.Run(t, cfg) runs a Config's discoverer and fails
// the test where it breaks the contract; every mechanism of this module
// passes it. A mechanism that polls builds on discovery/refresh, which sends
// only what changed and keeps the last good groups when a refresh fails.
// [DiscovererFunc] turns a function into a Discoverer; discoverytest.Mock is
// a discoverer a test drives by hand.
//
// # Differences from Prometheus
//
// Deliberate, each pinned by the named test:
//
//	Prometheus                               here                                       test
//	removed set: sent with no groups,         sent empty once, then left out             TestPromPresentOnConfigRename
//	  then still absent
//	no-op update or reload: a sync            nothing sent                               TestNoOpUpdatesProduceNoSnapshot,
//	                                                                                     TestPromPresentOnStartupAndReload
//	first sync after up to 5 s                first change after a quiet interval        TestLeadingEdgeCoalescing
//	                                            sent at once
//	bad Config: logged, the rest runs         ApplyConfig refuses all, names each        TestApplyConfigIsAllOrNothing,
//	                                            (ConfigErrors)                           TestPromFailedConfigsAreRefused
//	reload swap: set may pass through empty   old targets kept until the new ones        TestReloadDoesNotFlap
//	                                            (SwapTimeout)
//	snapshot map shared with the manager      the receiver's own map                     TestReceivedSnapshotMapIsTheReceivers
//	discoverer that returns: groups kept,     reported, restarted with backoff           TestReturnedEarlyIsRestartedWithBackoff
//	  silently
//	YAML aliases expanded without bound       excessive aliasing refused                 TestYAMLAliasExpansionIsBounded
//
// # What it deliberately does not do
//
// It does not relabel, scrape or health-check targets: it hands groups to a
// consumer that does. It keeps no history and never buffers snapshots: a
// consumer that falls behind gets the latest state, not every step. It does
// not kill a discoverer that ignores its context (Go cannot); it reports
// it. It has no HTTP client options or per-mechanism metrics in the
// interface, which stays one method; mechanisms take what they need in their
// Config. It does not resolve relative paths against a configuration
// file's directory.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example: static targets decoded from YAML into Configs, applied, and
//     read once every provider has sent its first set.
//   - Example (customDiscoverer): a third-party discoverer registered from
//     init and configured under its own key, cluster_sd_configs.
//   - Manager.SyncCh: a consumer that keeps the latest groups of each set and
//     replaces them with every snapshot; a burst of changes arrives as one.
package discovery
