package discoverytest

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// Event is one thing a running discoverer did: an update it sent, or an
// error it reported with discovery.ReportError. Exactly one of Groups and
// Err is set (Groups may be an empty, non-nil slice).
type Event struct {
	Groups []*discovery.Group
	Err    error
}

// String renders the event as String renders groups, or as "error: " and
// the error.
func (e Event) String() string {
	if e.Err != nil {
		return "error: " + e.Err.Error()
	}
	return String(e.Groups)
}

// Recorder runs one Config's discoverer outside a Manager and records every
// update it sends and every error it reports, in the order the discoverer
// made them. Build it with Start.
type Recorder struct {
	t      testing.TB
	name   string
	cancel context.CancelFunc
	runCtx context.Context
	errs   chan error    // from ReportError, handled in order with updates
	ran    chan struct{} // closed when Run returned
	early  bool          // Run returned before its context was cancelled; read after ran
	loop   chan struct{} // closed when the recording goroutine ended
	ignore goleak.Option
	once   sync.Once

	mu      sync.Mutex
	events  []Event
	read    int           // events returned by Next so far
	changed chan struct{} // closed and replaced on every event
	state   map[string]*discovery.Group
}

// Start builds cfg's discoverer, runs it and records what it does until
// Stop, which runs at the end of the test if the test did not call it.
// Every update is checked against the rules of the contract that Run
// checks (no nil group, no duplicate Source, every target addressed), and
// a Run that returns before Stop fails the test. It fails the test at once
// if NewDiscoverer fails.
func Start(t testing.TB, cfg discovery.Config) *Recorder {
	t.Helper()
	if cfg == nil {
		t.Fatalf("discoverytest: config is nil")
		return nil
	}
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{Logger: slog.New(slog.DiscardHandler), Provider: cfg.Name() + "/test"})
	if err != nil {
		t.Fatalf("discoverytest: %s: NewDiscoverer: %v", cfg.Name(), err)
	}
	if d == nil {
		t.Fatalf("discoverytest: %s: NewDiscoverer returned a nil Discoverer and no error", cfg.Name())
	}
	r := &Recorder{
		t: t, name: cfg.Name(), ignore: goleak.IgnoreCurrent(),
		errs: make(chan error), ran: make(chan struct{}), loop: make(chan struct{}),
		changed: make(chan struct{}), state: make(map[string]*discovery.Group),
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.runCtx = ctx
	ctx = discovery.WithErrorReporter(ctx, r.report)
	up := make(chan []*discovery.Group)
	go func() {
		defer func() {
			r.early = ctx.Err() == nil
			close(r.ran)
		}()
		d.Run(ctx, up)
	}()
	go r.record(up)
	t.Cleanup(r.Stop)
	return r
}

// report hands an error to the recording goroutine, so that it lands after
// the updates sent before it.
func (r *Recorder) report(err error) {
	select {
	case r.errs <- err:
	case <-r.runCtx.Done():
	}
}

// record receives updates and errors until Run returns.
func (r *Recorder) record(up chan []*discovery.Group) {
	defer close(r.loop)
	n := 0
	for {
		select {
		case groups, ok := <-up:
			if !ok {
				r.t.Errorf("discoverytest: %s: closed its channel; the contract says never close it", r.name)
				<-r.ran
				return
			}
			n++
			if n == 1 && groups == nil {
				r.t.Errorf("discoverytest: %s: the first send is a nil slice; send an empty, non-nil slice when nothing was found", r.name)
			}
			for _, p := range updateProblems(n, groups) {
				r.t.Errorf("discoverytest: %s: %s", r.name, p)
			}
			r.add(Event{Groups: groups})
		case err := <-r.errs:
			r.add(Event{Err: err})
		case <-r.ran:
			if r.early {
				r.t.Errorf("discoverytest: %s: Run returned before its context was cancelled", r.name)
			}
			return
		}
	}
}

// add records an event and wakes the waiters.
func (r *Recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	for _, g := range e.Groups {
		if g == nil {
			continue
		}
		if len(g.Targets) == 0 {
			delete(r.state, g.Source)
		} else {
			r.state[g.Source] = g
		}
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// Next returns the first event that Next, NextUpdate and NextError have
// not returned yet, waiting for it until ctx is done (then it returns
// ctx's error).
func (r *Recorder) Next(ctx context.Context) (Event, error) {
	for {
		r.mu.Lock()
		if r.read < len(r.events) {
			e := r.events[r.read]
			r.read++
			r.mu.Unlock()
			return e, nil
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("discoverytest: %s: waiting for an event: %w", r.name, ctx.Err())
		}
	}
}

// NextUpdate is Next for the next update, passing over reported errors
// (which Events still holds).
func (r *Recorder) NextUpdate(ctx context.Context) ([]*discovery.Group, error) {
	for {
		e, err := r.Next(ctx)
		if err != nil {
			return nil, err
		}
		if e.Err == nil {
			return e.Groups, nil
		}
	}
}

// NextError is Next for the next reported error, passing over updates
// (which Events still holds). The second result is ctx's error if it was
// done first.
func (r *Recorder) NextError(ctx context.Context) (reported, err error) {
	for {
		e, err := r.Next(ctx)
		if err != nil {
			return nil, err
		}
		if e.Err != nil {
			return e.Err, nil
		}
	}
}

// Events returns every event recorded so far, in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Groups returns the discoverer's current groups, the updates so far
// merged as a Manager merges them, sorted by Source.
func (r *Recorder) Groups() []*discovery.Group {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Collect(maps.Values(r.state))
	slices.SortFunc(out, func(a, b *discovery.Group) int { return strings.Compare(a.Source, b.Source) })
	return out
}

// Stop cancels the discoverer's context and fails the test if Run does
// not return within Timeout or leaves goroutines behind. It may be called
// more than once; the test's cleanup calls it.
func (r *Recorder) Stop() {
	r.once.Do(func() {
		r.cancel()
		select {
		case <-r.ran:
		case <-time.After(Timeout):
			r.t.Errorf("discoverytest: %s: Run did not return within %s of its context being cancelled; select on ctx.Done() around every send", r.name, Timeout)
			return
		}
		<-r.loop
		if err := goleak.Find(r.ignore); err != nil {
			r.t.Errorf("discoverytest: %s: goroutines left behind after Run returned: %v", r.name, err)
		}
	})
}
