package discoverytest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// An observation is what Run saw of a Config's discoverers, gathered
// before any rule is judged: one run that it cancels while nobody
// receives, and one run given a context cancelled before the call.
type observation struct {
	name string

	// built is why NewDiscoverer gave no discoverer for the first run; nil
	// when it gave one. Nothing else was observed when it is not nil.
	built error

	first  firstOutcome
	groups []*discovery.Group // the first send, when first is sentFirst

	// returned is whether Run returned within Timeout of its context being
	// cancelled. The fields below it were observed only when it did.
	returned bool
	after    afterOutcome // what the channel showed in the quiet after Run returned
	leaked   error        // goroutines left behind, or nil

	preBuilt    error // why NewDiscoverer gave no discoverer for the second run
	preReturned bool  // the second run returned within Timeout
}

// firstOutcome is how the wait for the first send ended.
type firstOutcome int

const (
	sentFirst     firstOutcome = iota // a send arrived
	closedFirst                       // the channel was closed
	returnedFirst                     // Run returned
	noFirst                           // Timeout passed
)

// afterOutcome is what the channel showed in the quiet after Run returned.
type afterOutcome int

const (
	silent      afterOutcome = iota // nothing
	sentAfter                       // a send
	closedFound                     // the channel is closed
)

// observe runs cfg's discoverers and records what they do. Reported errors
// are logged with t.Logf; whatever is still running when the test ends is
// cancelled and drained then.
func observe(t testing.TB, cfg discovery.Config) *observation {
	t.Helper()
	o := &observation{name: cfg.Name()}
	ignore := goleak.IgnoreCurrent()
	r, err := start(t, cfg, context.Background())
	if err != nil {
		o.built = err
		return o
	}
	o.first, o.groups = r.firstSend()
	r.cancel()
	o.returned = r.returnsWithin(Timeout)
	if o.returned {
		o.after = r.quiet()
		o.leaked = goleak.Find(ignore)
	}
	o.preBuilt, o.preReturned = runPreCancelled(t, cfg)
	return o
}

// running is one Run of a discoverer that the kit started.
type running struct {
	cancel   context.CancelFunc
	up       chan []*discovery.Group
	returned chan struct{} // closed when Run returned
}

// newDiscoverer builds a discoverer of cfg, or says why it could not.
func newDiscoverer(cfg discovery.Config) (discovery.Discoverer, error) {
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{
		Logger:   slog.New(slog.DiscardHandler),
		Provider: cfg.Name() + "/test",
	})
	if err != nil {
		return nil, fmt.Errorf("NewDiscoverer: %w", err)
	}
	if d == nil {
		return nil, errors.New("NewDiscoverer returned a nil Discoverer and no error")
	}
	return d, nil
}

// start builds a discoverer of cfg and runs it under a child of parent
// whose reported errors t logs.
func start(t testing.TB, cfg discovery.Config, parent context.Context) (*running, error) {
	t.Helper()
	d, err := newDiscoverer(cfg)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(parent)
	ctx = discovery.WithErrorReporter(ctx, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		t.Logf("discoverytest: %s reported: %v", cfg.Name(), err)
	})
	return launch(t, d, ctx, cancel), nil
}

// launch runs d under ctx, which cancel cancels.
func launch(t testing.TB, d discovery.Discoverer, ctx context.Context, cancel context.CancelFunc) *running {
	r := &running{cancel: cancel, up: make(chan []*discovery.Group), returned: make(chan struct{})}
	go func() {
		defer close(r.returned)
		d.Run(ctx, r.up)
	}()
	// If Run is still running when the test ends, receive until it
	// returns so that a broken discoverer does not also hang the test
	// binary.
	t.Cleanup(func() {
		cancel()
		drain(r.up, r.returned)
	})
	return r
}

// firstSend waits up to Timeout for the first send, and says how the wait
// ended.
func (r *running) firstSend() (firstOutcome, []*discovery.Group) {
	select {
	case groups, ok := <-r.up:
		if !ok {
			return closedFirst, nil
		}
		return sentFirst, groups
	case <-r.returned:
		return returnedFirst, nil
	case <-time.After(Timeout):
		return noFirst, nil
	}
}

// returnsWithin reports whether Run returns within d, with nobody
// receiving from the channel.
func (r *running) returnsWithin(d time.Duration) bool {
	select {
	case <-r.returned:
		return true
	case <-time.After(d):
		return false
	}
}

// quiet watches the channel of a Run that returned, for a send from a
// goroutine it left behind or for the channel being closed.
func (r *running) quiet() afterOutcome {
	select {
	case _, ok := <-r.up:
		if !ok {
			return closedFound
		}
		return sentAfter
	case <-time.After(quietFor):
		return silent
	}
}

// runPreCancelled runs a discoverer of cfg with a context cancelled before
// the call, and reports whether Run returned within Timeout.
func runPreCancelled(t testing.TB, cfg discovery.Config) (built error, returned bool) {
	t.Helper()
	d, err := newDiscoverer(cfg)
	if err != nil {
		return err, false
	}
	pre, cancel := context.WithCancel(context.Background())
	cancel()
	return nil, launch(t, d, pre, cancel).returnsWithin(Timeout)
}

// drain receives from up until returned is closed, so that a discoverer
// blocked on a send can return.
func drain(up chan []*discovery.Group, returned chan struct{}) {
	for {
		select {
		case <-returned:
			return
		case _, ok := <-up:
			if !ok {
				<-returned
				return
			}
		}
	}
}
