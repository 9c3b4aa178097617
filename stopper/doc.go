// Package stopper owns the goroutines of a component for their whole life:
// it admits tasks, refuses new ones once shutdown begins (quiesce), cancels
// and waits for the running ones, then runs closers in reverse order.
//
// It follows CockroachDB's pkg/util/stop Stopper and fixes what that
// package's history shows its users hit: task contexts that are not cancelled
// on quiesce, polling while draining, callbacks run under a lock, and a Stop
// without a deadline that cannot say which task is stuck.
//
// The package exports nothing yet; its API is being built.
package stopper
