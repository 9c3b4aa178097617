package promsd

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	promdisc "github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// NewDiscoverer builds the Prometheus discoverer of c with a logger that
// forwards its records to o.Logger and its errors to discovery.ReportError,
// and with metrics for Options.Registerer. As Prometheus's constructors do
// not start goroutines, nothing runs until Run.
func (c *Config[T]) NewDiscoverer(o discovery.DiscovererOptions) (discovery.Discoverer, error) {
	if isNil(c.prom) {
		return nil, fmt.Errorf("%w (%s)", ErrNoConfig, c.Name())
	}
	opts := c.options()
	provider := o.Provider
	if provider == "" {
		provider = c.Name()
	}
	var reg prometheus.Registerer = prometheus.NewRegistry()
	if opts.Registerer != nil {
		reg = prometheus.WrapRegistererWith(prometheus.Labels{"provider": provider}, opts.Registerer)
	}
	secrets := collectSecrets(reflect.ValueOf(c.prom))
	bridge := newBridge(c.Name(), o.Logger, secrets)
	refresh := promdisc.NewRefreshMetrics(reg)
	mech := c.prom.NewDiscovererMetrics(reg, refresh)
	conns := newConnTracker()
	// The tracking dialer comes first, so that a dialer of the caller's
	// HTTPClientOptions replaces it.
	httpOpts := append([]config.HTTPClientOption{config.WithDialContextFunc(conns.dial)}, opts.HTTPClientOptions...)
	d, err := c.prom.NewDiscoverer(promdisc.DiscovererOptions{
		Logger:            bridge.logger(),
		Metrics:           mech,
		HTTPClientOptions: httpOpts,
		SetName:           provider,
	})
	if err != nil {
		return nil, fmt.Errorf("promsd: %s: %s", c.Name(), scrub(err.Error(), secrets))
	}
	if d == nil {
		return nil, fmt.Errorf("promsd: %s: the mechanism returned no discoverer", c.Name())
	}
	return &discoverer{
		name:         c.Name(),
		prom:         d,
		metrics:      []promdisc.DiscovererMetrics{refresh, mech},
		bridge:       bridge,
		conns:        conns,
		firstTimeout: opts.FirstUpdateTimeout,
	}, nil
}

// discoverer runs a Prometheus discoverer under the contract of
// discovery.Discoverer.
type discoverer struct {
	name         string
	prom         promdisc.Discoverer
	metrics      []promdisc.DiscovererMetrics
	bridge       *bridge
	conns        *connTracker
	firstTimeout time.Duration
	ran          atomic.Bool
}

// Run registers the mechanism's metrics, runs the Prometheus discoverer on
// a channel of its own and forwards what it sends, converted, until ctx is
// cancelled. It returns only after the Prometheus discoverer's Run
// returned (receiving and dropping what it sends meanwhile, in case its
// sends ignore ctx), and never sends after returning even if goroutines the
// mechanism left behind still try to send: they send on the private
// channel, which nobody reads any more, and give up when they see ctx
// cancelled. The metrics are unregistered before Run returns.
func (d *discoverer) Run(ctx context.Context, up chan<- []*discovery.Group) {
	if !d.ran.CompareAndSwap(false, true) {
		discovery.ReportError(ctx, fmt.Errorf("promsd: %s: Run called twice on one discoverer", d.name))
		<-ctx.Done()
		return
	}
	d.registerMetrics(ctx)
	defer d.unregisterMetrics()
	d.bridge.start(ctx)
	defer d.bridge.stop()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan []*targetgroup.Group)
	done := make(chan struct{})
	var panicked atomic.Pointer[panicValue]
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				panicked.Store(&panicValue{r})
			}
		}()
		d.prom.Run(ctx, in)
	}()
	d.forward(ctx, in, done, up)
	cancel()
	drain(in, done)
	d.conns.closeAll()
	if p := panicked.Load(); p != nil {
		// Panic on Run's goroutine, where a Manager recovers it and
		// reports the provider failed.
		panic(p.v)
	}
}

type panicValue struct{ v any }

// drain discards what the mechanism still sends until its Run returns
// (done), so that a mechanism whose sends do not watch its context (Run
// then blocks in a send nobody receives) still returns.
func drain(in <-chan []*targetgroup.Group, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case _, ok := <-in:
			if !ok {
				in = nil
			}
		}
	}
}

// forward converts and forwards the updates of in to up until ctx is
// cancelled or the Prometheus discoverer returns (done).
func (d *discoverer) forward(ctx context.Context, in <-chan []*targetgroup.Group, done <-chan struct{}, up chan<- []*discovery.Group) {
	var first <-chan time.Time
	if d.firstTimeout > 0 {
		t := time.NewTimer(d.firstTimeout)
		defer t.Stop()
		first = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-first:
			first = nil
			discovery.ReportError(ctx, fmt.Errorf("%w: %s sent nothing within %s of starting; its log says why",
				ErrNoFirstUpdate, d.name, d.firstTimeout))
		case tgs, ok := <-in:
			if !ok {
				// A mechanism that closes its channel (Prometheus's
				// own static discoverer does) is done sending; keep
				// running until ctx is cancelled or it returns.
				in = nil
				continue
			}
			first = nil
			groups := convert(tgs)
			select {
			case up <- groups:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (d *discoverer) registerMetrics(ctx context.Context) {
	for _, m := range d.metrics {
		if err := m.Register(); err != nil {
			discovery.ReportError(ctx, fmt.Errorf("promsd: %s: registering metrics: %w", d.name, err))
		}
	}
}

func (d *discoverer) unregisterMetrics() {
	for _, m := range d.metrics {
		m.Unregister()
	}
}

// convert returns the groups of tgs as discovery groups: nil groups are
// dropped and a Source given twice keeps its last group. Label sets are
// shared with the mechanism's groups, not copied (see labels).
func convert(tgs []*targetgroup.Group) []*discovery.Group {
	out := make([]*discovery.Group, 0, len(tgs))
	var index map[string]int
	if len(tgs) > 8 {
		index = make(map[string]int, len(tgs))
	}
	for _, tg := range tgs {
		if tg == nil {
			continue
		}
		g := convertGroup(tg)
		if i, ok := findSource(out, index, g.Source); ok {
			out[i] = g
			continue
		}
		if index != nil {
			index[g.Source] = len(out)
		}
		out = append(out, g)
	}
	return out
}

func findSource(out []*discovery.Group, index map[string]int, source string) (int, bool) {
	if index != nil {
		i, ok := index[source]
		return i, ok
	}
	for i, g := range out {
		if g.Source == source {
			return i, true
		}
	}
	return 0, false
}

func convertGroup(tg *targetgroup.Group) *discovery.Group {
	g := &discovery.Group{Source: tg.Source, Labels: labels(tg.Labels)}
	if len(tg.Targets) > 0 {
		g.Targets = make([]discovery.Labels, len(tg.Targets))
		for i, t := range tg.Targets {
			g.Targets[i] = labels(t)
		}
	}
	return g
}

// labels returns ls as Labels without copying it. model.LabelSet is a map
// from a string type to a string type, as Labels is, so both are the same
// map at run time (keys hashed and compared as strings). Sharing is safe
// because neither side writes a label set once it is sent: Prometheus's
// Manager keeps the groups its mechanisms send as ecopatterns's does.
func labels(ls model.LabelSet) discovery.Labels {
	if len(ls) == 0 {
		return nil
	}
	return *(*discovery.Labels)(unsafe.Pointer(&ls))
}

var (
	_ discovery.Config     = (*Config[promdisc.StaticConfig])(nil)
	_ discovery.Discoverer = (*discoverer)(nil)
)
