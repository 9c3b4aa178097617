// Package telemetry emits span and point events with measurements and
// metadata to handlers attached by id, in the way of Erlang/Elixir's
// :telemetry library. Every other ecopatterns package reports through it.
//
// The package exports nothing yet; its API is being built.
package telemetry
