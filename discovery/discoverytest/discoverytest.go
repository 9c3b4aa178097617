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

// Timeout bounds every wait of Run: for the first send, and for Run to
// return after cancellation.
const Timeout = 10 * time.Second

// quiet is how long Run watches the channel after a discoverer returned,
// to catch a goroutine it left behind that still sends.
const quiet = 20 * time.Millisecond

// Run checks that the discoverers cfg builds honour the contract of
// discovery.Discoverer, failing t with a message naming each broken rule:
//
//   - NewDiscoverer succeeds and returns a non-nil Discoverer;
//   - Run sends a first full set, a non-nil slice, within Timeout, without
//     returning or closing the channel first;
//   - no update holds a nil group or two groups with the same Source, and
//     every target of a group with targets has a non-empty address label;
//   - once its context is cancelled, Run returns within Timeout without
//     anyone receiving from the channel (it selects on ctx.Done() around
//     its sends), has not closed the channel, sends nothing afterwards,
//     and leaves no goroutine behind;
//   - given a context cancelled before the call, Run returns within
//     Timeout.
//
// Errors the discoverer reports with discovery.ReportError are logged with
// t.Logf. Run returns the groups of the first send that have targets,
// sorted by Source, for the caller to check what was found.
func Run(t testing.TB, cfg discovery.Config) []*discovery.Group {
	t.Helper()
	if cfg == nil {
		t.Fatalf("discoverytest: config is nil")
		return nil
	}
	ignore := goleak.IgnoreCurrent()
	r := start(t, cfg, context.Background())
	first := r.firstSend(t)
	r.cancelUnreceived(t, ignore)
	checkPreCancelled(t, cfg)
	return withTargets(first)
}

// running is one Run of a discoverer that the kit started.
type running struct {
	name     string
	cancel   context.CancelFunc
	up       chan []*discovery.Group
	returned chan struct{} // closed when Run returned
}

// newDiscoverer builds a discoverer of cfg, failing t when it cannot.
func newDiscoverer(t testing.TB, cfg discovery.Config) discovery.Discoverer {
	t.Helper()
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{
		Logger:   slog.New(slog.DiscardHandler),
		Provider: cfg.Name() + "/test",
	})
	if err != nil {
		t.Fatalf("discoverytest: %s: NewDiscoverer: %v", cfg.Name(), err)
	}
	if d == nil {
		t.Fatalf("discoverytest: %s: NewDiscoverer returned a nil Discoverer and no error", cfg.Name())
	}
	return d
}

// start builds a discoverer of cfg and runs it under a child of parent
// whose reported errors t logs.
func start(t testing.TB, cfg discovery.Config, parent context.Context) *running {
	t.Helper()
	d := newDiscoverer(t, cfg)
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(parent)
	ctx = discovery.WithErrorReporter(ctx, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		t.Logf("discoverytest: %s reported: %v", cfg.Name(), err)
	})
	r := &running{name: cfg.Name(), cancel: cancel, up: make(chan []*discovery.Group), returned: make(chan struct{})}
	go func() {
		defer close(r.returned)
		d.Run(ctx, r.up)
	}()
	// If a check fails while Run is still running, receive until it
	// returns so that the failure does not also hang the test binary.
	t.Cleanup(func() {
		cancel()
		drain(r.up, r.returned)
	})
	return r
}

// firstSend checks the rule of the first full set: a non-nil slice of
// well-formed groups, sent within Timeout, before Run returns or closes
// the channel. It returns the set.
func (r *running) firstSend(t testing.TB) []*discovery.Group {
	t.Helper()
	select {
	case groups, ok := <-r.up:
		if !ok {
			t.Fatalf("discoverytest: %s: closed its channel instead of sending a first full set", r.name)
		}
		if groups == nil {
			t.Errorf("discoverytest: %s: the first send is a nil slice; send an empty, non-nil slice when nothing was found", r.name)
		}
		checkUpdate(t, r.name, 1, groups)
		return groups
	case <-r.returned:
		t.Fatalf("discoverytest: %s: Run returned before its context was cancelled, without sending a first full set", r.name)
	case <-time.After(Timeout):
		t.Fatalf("discoverytest: %s: no first send within %s", r.name, Timeout)
	}
	return nil
}

// cancelUnreceived checks the rule of cancellation: with nobody
// receiving, Run returns within Timeout, has not closed the channel,
// sends nothing afterwards and leaves no goroutine behind (beyond those
// ignore names).
func (r *running) cancelUnreceived(t testing.TB, ignore goleak.Option) {
	t.Helper()
	r.cancel()
	select {
	case <-r.returned:
	case <-time.After(Timeout):
		t.Fatalf("discoverytest: %s: Run did not return within %s of its context being cancelled while nobody received; select on ctx.Done() around every send", r.name, Timeout)
	}
	select {
	case _, ok := <-r.up:
		if !ok {
			t.Errorf("discoverytest: %s: closed its channel; the contract says never close it", r.name)
		} else {
			t.Errorf("discoverytest: %s: sent after Run returned", r.name)
		}
	case <-time.After(quiet):
	}
	if err := goleak.Find(ignore); err != nil {
		t.Errorf("discoverytest: %s: goroutines left behind after Run returned: %v", r.name, err)
	}
}

// checkPreCancelled checks that Run, given a context cancelled before the
// call, returns within Timeout.
func checkPreCancelled(t testing.TB, cfg discovery.Config) {
	t.Helper()
	pre, preCancel := context.WithCancel(context.Background())
	preCancel()
	preReturned := make(chan struct{})
	preUp := make(chan []*discovery.Group)
	d := newDiscoverer(t, cfg)
	go func() {
		defer close(preReturned)
		d.Run(pre, preUp)
	}()
	t.Cleanup(func() { drain(preUp, preReturned) })
	select {
	case <-preReturned:
	case <-time.After(Timeout):
		t.Fatalf("discoverytest: %s: Run given a cancelled context did not return within %s", cfg.Name(), Timeout)
	}
}

// withTargets returns the groups of groups that have targets, sorted by
// Source.
func withTargets(groups []*discovery.Group) []*discovery.Group {
	var found []*discovery.Group
	for _, g := range groups {
		if g != nil && len(g.Targets) > 0 {
			found = append(found, g)
		}
	}
	slices.SortFunc(found, func(a, b *discovery.Group) int { return strings.Compare(a.Source, b.Source) })
	return found
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

// checkUpdate checks the rules every update must follow.
func checkUpdate(t testing.TB, name string, n int, groups []*discovery.Group) {
	t.Helper()
	seen := make(map[string]int, len(groups))
	for i, g := range groups {
		if g == nil {
			t.Errorf("discoverytest: %s: update %d: group %d is nil", name, n, i)
			continue
		}
		if j, dup := seen[g.Source]; dup {
			t.Errorf("discoverytest: %s: update %d: groups %d and %d have the same Source %q", name, n, j, i, g.Source)
		}
		seen[g.Source] = i
		for k, target := range g.Targets {
			if target[discovery.AddressLabel] == "" {
				t.Errorf("discoverytest: %s: update %d: group %q: target %d has no %s", name, n, g.Source, k, discovery.AddressLabel)
			}
		}
	}
}

// String describes groups compactly, one per line, for failure messages
// and examples: Source, then addresses, then labels.
func String(groups []*discovery.Group) string {
	var b strings.Builder
	for i, g := range groups {
		if i > 0 {
			b.WriteByte('\n')
		}
		if g == nil {
			b.WriteString("<nil>")
			continue
		}
		addrs := make([]string, len(g.Targets))
		for j, t := range g.Targets {
			addrs[j] = t[discovery.AddressLabel]
		}
		fmt.Fprintf(&b, "%s: %s", g.Source, strings.Join(addrs, " "))
		keys := slices.Sorted(maps.Keys(g.Labels))
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%q", k, g.Labels[k])
		}
	}
	return b.String()
}
