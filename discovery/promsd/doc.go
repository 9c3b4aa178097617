// Package promsd runs Prometheus's service discovery mechanisms
// (Kubernetes, Consul, EC2, Azure, GCE, Nomad, Eureka and the rest) as
// ecopatterns discoverers, under ecopatterns's discovery.Manager, configured
// with the same <name>_sd_configs YAML that Prometheus reads.
//
// It is a module of its own (github.com/prometheus/prometheus is a heavy
// dependency that the root module never requires), and a program links
// only the mechanisms it registers.
//
// # Compose
//
// Register each Prometheus mechanism once, before decoding configurations,
// then decode and run as with any discovery mechanism:
//
//	promsd.Register(&consul.SDConfig{}, promsd.DefaultOptions())
//	promsd.Register(&kubernetes.SDConfig{}, promsd.DefaultOptions())
//
//	var sets map[string]discovery.Configs
//	yaml.Unmarshal(prometheusYAML, &sets) // consul_sd_configs, kubernetes_sd_configs, file_sd_configs, ...
//	m.ApplyConfig(sets)
//
// The subpackage all (a module of its own, as it links every cloud SDK)
// registers every mechanism Prometheus ships. New wraps one configuration
// built in code.
//
// What each mechanism finds arrives as discovery groups: a
// targetgroup.Group's Source, Targets and Labels become the Group's, label
// names and values unchanged (__meta_consul_*, __meta_kubernetes_*, ...).
// The adapter keeps the discovery.Discoverer contract even where a
// mechanism does not: it never sends after Run returns (mechanisms that
// leave goroutines behind send on a private channel), it returns only once
// the mechanism's Run returned (dropping what it still sends, so a send
// that ignores the context cannot hang it), drops nil groups, keeps the last of two
// groups with one Source, closes the idle HTTP connections a mechanism
// left open, and turns a panic of the mechanism into a panic of Run, which
// a Manager reports as a failed provider.
//
// Records the mechanism logs go to the Manager's logger; those at error
// level (failed refreshes and watches, which Prometheus's mechanisms log
// rather than return) are also reported with discovery.ReportError as a
// *LoggedError, so Manager.Providers shows the provider erroring while it
// keeps its last groups. A mechanism that sends nothing within
// Options.FirstUpdateTimeout (such as Kubernetes with an unreachable API
// server, whose client logs elsewhere) is reported with ErrNoFirstUpdate.
//
// Each running discoverer registers the mechanism's metrics on
// Options.Registerer, labelled with the provider's name, and unregisters
// them when it stops; by default they go to a private registry, never to
// the global one.
//
// # Configuration and secrets
//
// An entry decodes exactly as Prometheus decodes it: yaml.v2, strict, with
// the mechanism's own defaults, validation and unmarshalers (so yes is a
// boolean, as in Prometheus; a key with no value is a null, in block and
// flow style alike). Before that, each key is checked against the
// configuration's fields, so that a misspelt key fails with its line and
// the closest field name, as every discovery configuration does. Relative
// paths stay relative to the working directory; SetDirectory joins them
// with the configuration file's directory as Prometheus does.
//
// Secrets (config.Secret fields: password, bearer_token, credentials,
// token, client_secret, ...) are printed as <secret> by String, MarshalYAML
// and MarshalJSON, and their values of four bytes or more are replaced with
// <secret> in decoding errors, in every record the mechanism logs and in
// every error reported. MarshalJSON, by which a Manager compares
// configurations, carries a digest of the secrets keyed by a random key of
// the process, so that changing a password restarts the discoverer without
// the password being printed.
//
// # Extend
//
// Any type implementing Prometheus's discovery.Config (a mechanism of
// another module included) is registered with Register or RegisterAs.
//
// # Deliberately not done
//
// Names ecopatterns serves natively (NativeNames: static, file, dns, http)
// are never replaced: Register refuses them with ErrNative, and RegisterAs
// registers Prometheus's mechanism under an alias (the all package uses
// prometheus_file, prometheus_dns and prometheus_http). Options are set
// per registration, not per configuration entry, since Prometheus's YAML
// has no place for them.
//
// Differences from running the same mechanism under Prometheus's Manager,
// each pinned by a test:
//
//	| Prometheus                                       | promsd                                                  | test                            |
//	|--------------------------------------------------|---------------------------------------------------------|---------------------------------|
//	| updates reach consumers every 5 s at most         | the Manager's UpdateInterval (100 ms by default)         | BenchmarkChangeToSnapshot        |
//	| failed refreshes only logged                      | reported: provider erroring, last groups kept             | TestHTTPEndToEnd                 |
//	| unknown key: "field x not found in type y"        | line, key and closest field name                          | TestDecodeUnknownKeySuggests     |
//	| a stuck watch is silent                           | ErrNoFirstUpdate after FirstUpdateTimeout                 | TestKubernetesUnreachableIsReported |
//	| idle HTTP connections outlive the discoverer      | closed when Run returns                                   | TestHTTPConformance              |
//	| metrics registered once for the process           | per running discoverer, unregistered when it stops        | TestMetricsRegisteredWhileRunning |
//
// Prometheus's mechanisms do not promise a first full set: Consul, for
// one, sends one service at a time as its watches answer. The adapter
// forwards updates as they come rather than invent a full set, so a
// Manager's first snapshot may hold part of what the mechanism finds a
// moment later.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example: Prometheus's http_sd_configs, registered as prometheus_http,
//     run by an ecopatterns Manager.
//   - Config.UnmarshalYAML: a misspelt key with its line and the closest
//     field; Prometheus's defaults; secrets printed as <secret>.
//   - New: a Prometheus configuration built in code, run without a Manager.
package promsd
