package discovery

import (
	"context"
	"log/slog"
	"maps"
)

// The contract of the package: what a discoverer sends (Group, Labels), the
// one interface it implements (Discoverer), how it is configured (Config,
// DiscovererOptions), and how it reports a failure without stopping
// (ReportError). Everything else in the package is built on these.

// AddressLabel is the label every target carries: the address to reach it,
// usually host:port.
const AddressLabel = "__address__"

// MetaLabelPrefix starts the names of labels that a discoverer attaches to
// describe where a target came from, such as __meta_filepath. Consumers use
// them to relabel and then drop them.
const MetaLabelPrefix = "__meta_"

// Labels is a set of label names and values. A nil Labels is empty.
type Labels map[string]string

// Group is a set of targets that share labels and come from one place (a
// file entry, a DNS name, a service), identified by Source.
//
// A Group is a value that a discoverer builds, sends, and never touches
// again: the receiver keeps it, shares it between snapshots and hands it to
// consumers, all of whom must treat it, its Targets and its maps as
// read-only.
type Group struct {
	// Source identifies the group among the groups of its discoverer. A
	// later group with the same Source replaces it; one with the same
	// Source and no targets deletes it.
	Source string
	// Targets are the group's targets. Each carries at least AddressLabel.
	Targets []Labels
	// Labels apply to every target of the group; a target's own label of
	// the same name wins.
	Labels Labels
}

// Equal reports whether g and o have the same Source, the same targets in
// the same order, and the same labels. Nil and empty label sets are equal;
// two nil groups are equal.
func (g *Group) Equal(o *Group) bool {
	if g == o {
		return true
	}
	if g == nil || o == nil || g.Source != o.Source || len(g.Targets) != len(o.Targets) || !maps.Equal(g.Labels, o.Labels) {
		return false
	}
	for i := range g.Targets {
		if !targetEqual(g.Targets[i], o.Targets[i]) {
			return false
		}
	}
	return true
}

// String returns the group's Source, as Prometheus's groups print, so
// that groups in messages and logs say where they came from; a nil group
// prints as <nil>.
func (g *Group) String() string {
	if g == nil {
		return "<nil>"
	}
	return g.Source
}

// targetEqual is maps.Equal with a fast path for the common target that
// carries only its address: two lookups instead of a map iteration.
func targetEqual(a, b Labels) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 1 {
		if va, ok := a[AddressLabel]; ok {
			vb, ok := b[AddressLabel]
			return ok && va == vb
		}
	}
	return maps.Equal(a, b)
}

// clone returns a deep copy of g.
func (g *Group) clone() *Group {
	c := &Group{Source: g.Source, Labels: maps.Clone(g.Labels)}
	if g.Targets != nil {
		c.Targets = make([]Labels, len(g.Targets))
		for i, t := range g.Targets {
			c.Targets[i] = maps.Clone(t)
		}
	}
	return c
}

// Discoverer finds targets and sends them as groups. Implement it to add a
// source of targets; register a Config that builds it to make it
// configurable by name.
type Discoverer interface {
	// Run sends groups on up until ctx is cancelled, then returns. Every
	// implementation must:
	//
	//   - send the full set of its groups first (an empty, non-nil slice
	//     when it found nothing), then only the groups that changed;
	//   - delete a group by sending a group with the same Source and no
	//     targets;
	//   - select on ctx.Done() around every send, and return promptly once
	//     ctx is cancelled, leaving no goroutine behind;
	//   - never close up, and never send after Run returns;
	//   - never send a nil group, and never modify a group, its Targets or
	//     its maps after sending it;
	//   - report a failure it recovers from with ReportError(ctx, err) and
	//     keep running, keeping the groups it last sent for the part that
	//     failed.
	//
	// Returning before ctx is cancelled means the discoverer has failed:
	// a Manager reports it and, if configured to, restarts it with a new
	// Discoverer from the same Config. Run is called at most once on each
	// Discoverer.
	Run(ctx context.Context, up chan<- []*Group)
}

// DiscovererFunc adapts a function to the Discoverer interface.
type DiscovererFunc func(ctx context.Context, up chan<- []*Group)

// Run calls f(ctx, up).
func (f DiscovererFunc) Run(ctx context.Context, up chan<- []*Group) { f(ctx, up) }

// Config is the configuration of one discoverer: data that can be decoded,
// compared and printed, plus the constructor of the discoverer it
// describes.
//
// A Manager compares Configs by type, Name and JSON encoding: two Configs
// with equal encodings share one running discoverer, and a Config whose
// encoding did not change is not restarted by ApplyConfig. A field that
// changes what the discoverer finds must therefore be part of the JSON
// encoding.
type Config interface {
	// Name names the mechanism, such as "file". It is the prefix of the
	// configuration key <name>_sd_configs and the label of its providers.
	// It must be constant for a type.
	Name() string
	// NewDiscoverer returns a discoverer for the configuration, or an
	// error naming what is wrong with it. It must not start goroutines or
	// hold resources that need releasing: that is Run's job, so that a
	// discoverer that is built but never run costs nothing.
	NewDiscoverer(DiscovererOptions) (Discoverer, error)
}

// DiscovererOptions is what a Manager passes to Config.NewDiscoverer.
type DiscovererOptions struct {
	// Logger is the logger the discoverer should use. It is never nil; a
	// Manager's logger carries the provider's name.
	Logger *slog.Logger
	// Provider names the provider the discoverer runs for, such as
	// "file/3", for messages.
	Provider string
}

// ReportError records a failure of the discoverer that received ctx in its
// Run: the Manager running it marks its provider erroring, keeps the error
// and when it happened (see Manager.Providers) and emits a ProviderErrored
// event. A later update from the discoverer marks it running again. The
// discoverer keeps running and should keep its last good groups for what
// failed.
//
// A Manager handles the error in order with the discoverer's updates: an
// update sent before the call does not clear it. ReportError returns once
// the Manager took the error, or at once when ctx is cancelled. It does
// nothing when err is nil or when ctx comes from neither a Manager nor
// WithErrorReporter. It is safe to call from any goroutine of the
// discoverer.
func ReportError(ctx context.Context, err error) {
	if err == nil || ctx == nil {
		return
	}
	if r, ok := ctx.Value(reporterKey{}).(errorReporter); ok {
		r.reportError(ctx, err)
	}
}

// WithErrorReporter returns a context under which ReportError calls fn. It
// lets a program or a test run a discoverer without a Manager and still see
// the errors it reports. fn may be called from any goroutine of the
// discoverer, concurrently.
func WithErrorReporter(ctx context.Context, fn func(error)) context.Context {
	return context.WithValue(ctx, reporterKey{}, funcReporter(fn))
}

// reporterKey is the context key under which ReportError finds its
// reporter.
type reporterKey struct{}

// errorReporter receives the errors passed to ReportError.
type errorReporter interface {
	reportError(ctx context.Context, err error)
}

// funcReporter is the reporter installed by WithErrorReporter.
type funcReporter func(error)

func (f funcReporter) reportError(_ context.Context, err error) {
	if f != nil {
		f(err)
	}
}

// Every implementation of the contract in this package.
var (
	_ Discoverer    = DiscovererFunc(nil)
	_ Discoverer    = (*staticDiscoverer)(nil)
	_ Config        = StaticConfig(nil)
	_ errorReporter = funcReporter(nil)
	_ errorReporter = (*run)(nil)
)
