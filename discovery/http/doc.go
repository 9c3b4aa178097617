// Package http discovers targets from an HTTP endpoint that lists them,
// the way Prometheus's HTTP service discovery does. Importing it registers
// the key http_sd_configs:
//
//	http_sd_configs:
//	  - url: https://inventory.example.com/targets
//	    refresh_interval: 1m
//	    bearer_token_file: /etc/secrets/inventory-token
//
// The endpoint answers a GET with status 200, Content-Type
// application/json, and a JSON list of groups in the targets/labels form:
//
//	[{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"env": "prod"}}]
//
// # Composing with it
//
// Import the package for its side effect in the program that decodes
// discovery.Configs. The URL is requested at once and then every
// RefreshInterval (default 60 s) through discovery/refresh, so only changes
// are sent. The group at index i of the list gets the Source url:i and the
// label __meta_url (the URL without its password); a list that shrinks
// deletes the groups it no longer has, and an empty list deletes them all.
//
// A request that fails keeps the last good groups and is reported with
// discovery.ReportError: a connection error, a status other than 200, a
// content type other than application/json, a body larger than
// MaxBodySize, a body that is not a valid list of groups, more than
// MaxTargets targets, more than MaxRedirects redirects, a request that
// outlasts Timeout. A request in flight is cancelled with the discoverer's
// context. Each discoverer has its own connection pool, closed when it
// returns.
//
// Credentials come from files (BearerTokenFile, BasicAuth.PasswordFile),
// read at every request so that rotation needs no reload, and never appear
// in messages or labels.
//
// # Extending it
//
// Nothing to implement: serve the list. A server may read the
// X-Prometheus-Refresh-Interval-Seconds header, sent as Prometheus sends
// it, to size its caches.
//
// # What it deliberately does not do
//
// It has no TLS, proxy or OAuth options: point it at an endpoint the
// default transport reaches (system roots), or put a local proxy in
// front. Secrets are read from files only, never written inline in the
// configuration, whose encoding a Manager compares and may print. It
// does not retry within a refresh: the next refresh is the retry.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example: targets served by an HTTP endpoint, decoded from
//     http_sd_configs and run under a Manager.
package http
