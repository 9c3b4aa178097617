package telemetry

import (
	"log/slog"

	"github.com/ecopatterns/ecopatterns/options"
)

// FailurePolicy decides what happens to a handler that panics.
type FailurePolicy string

// The failure policies.
const (
	// DetachOnFailure detaches a handler at its first panic, as :telemetry
	// does. It is the default: a broken handler costs every emit a recover.
	DetachOnFailure FailurePolicy = "detach"
	// KeepOnFailure keeps a handler however often it panics; every panic is
	// still reported.
	KeepOnFailure FailurePolicy = "keep"
	// DetachAfterFailures detaches a handler at its MaxHandlerFailures-th
	// panic.
	DetachAfterFailures FailurePolicy = "detach-after"
)

// Options configures a [Registry].
type Options struct {
	// OnHandlerFailure decides what happens to a handler that panics. Every
	// panic is reported with a HandlerFailed event and a log record whatever
	// the policy.
	OnHandlerFailure FailurePolicy `usage:"what to do with a handler that panics: detach, keep or detach-after"`
	// MaxHandlerFailures is the number of panics after which
	// DetachAfterFailures detaches a handler. It must be > 0 with that
	// policy and is ignored with the others.
	MaxHandlerFailures int `usage:"panics before a handler is detached, with detach-after"`
	// Logger receives a record for each handler panic. It must not be nil;
	// the default discards.
	Logger *slog.Logger `json:"-" options:"-"`
}

// DefaultOptions returns options that detach a handler at its first panic
// and log nothing.
func DefaultOptions() Options {
	return Options{
		OnHandlerFailure:   DetachOnFailure,
		MaxHandlerFailures: 3,
		Logger:             slog.New(slog.DiscardHandler),
	}
}

// Validate reports every field that is not usable.
func (o Options) Validate() error {
	var c options.Collector
	switch o.OnHandlerFailure {
	case DetachOnFailure, KeepOnFailure:
	case DetachAfterFailures:
		options.Positive(&c, "MaxHandlerFailures", o.MaxHandlerFailures)
	default:
		c.Add("OnHandlerFailure", string(o.OnHandlerFailure), `must be "detach", "keep" or "detach-after"`)
	}
	options.NotNil(&c, "Logger", o.Logger)
	return c.Err()
}
