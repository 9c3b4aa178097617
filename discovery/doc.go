// Package discovery finds the targets a service talks to through a
// one-method Discoverer interface, with discoverer configurations registered
// from init() and a Manager that multiplexes their updates.
//
// It follows Prometheus's discovery package (Discoverer, RegisterConfig,
// targetgroup.Group) and fixes what its users report: silent loss when a
// discoverer dies, a throttle on every first update, a full rebuild of all
// targets on every change, and one global lock for fan-in.
//
// The package exports nothing yet; its API is being built.
package discovery
