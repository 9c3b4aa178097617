// Package dns discovers targets from DNS: SRV records, which carry their
// ports, or A and AAAA records with a configured port. Importing it
// registers the key dns_sd_configs, as in Prometheus:
//
//	dns_sd_configs:
//	  - names: [_metrics._tcp.example.com]
//	  - names: [db.example.com]
//	    type: A
//	    port: 5432
//	    refresh_interval: 1m
//
// # Composing with it
//
// Import the package for its side effect in the program that decodes
// discovery.Configs. Each name becomes one group whose Source is the name;
// its targets are sorted by address and carry the labels __meta_dns_name
// and, for SRV, __meta_dns_srv_record_target and
// __meta_dns_srv_record_port. Names are looked up concurrently, every
// RefreshInterval (default 30 s), through discovery/refresh, so only
// changes are sent.
//
// A lookup that fails keeps the name's last good group and is reported
// with discovery.ReportError; an authoritative "no such name" deletes the
// group.
//
// # Extending it
//
// Config.Resolver takes any Resolver, such as a *net.Resolver dialing a
// specific server, or a fake in tests.
//
// # What it deliberately does not do
//
// It does not query MX or NS records, which name mail and name servers
// rather than services, and it does not speak DNS itself: the Go resolver
// does, with the system's configuration.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Config: A records with a port, decoded from YAML, with the resolver
//     replaced so that no network is needed.
package dns
