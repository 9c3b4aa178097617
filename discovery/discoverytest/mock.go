package discoverytest

import (
	"context"
	"encoding/json"
	"sync/atomic"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// Mock is a discovery.Config and the discovery.Discoverer it builds, in
// one value, driven by the test: Send hands groups to the running
// discoverer, which sends them on. It runs any number of times, one at a
// time, so a Manager can restart it.
//
// Mocks are compared by id: a Manager runs two Mocks with the same id as
// one provider. Mock is not registered under a configuration key.
type Mock struct {
	id    string
	sends chan send
	runs  atomic.Int64
}

type send struct {
	groups []*discovery.Group
	done   chan struct{}
}

// NewMock returns a Mock identified by id.
func NewMock(id string) *Mock {
	return &Mock{id: id, sends: make(chan send)}
}

// Name returns "mock".
func (m *Mock) Name() string { return "mock" }

// NewDiscoverer returns m itself.
func (m *Mock) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	return m, nil
}

// MarshalJSON encodes the Mock's id, which is what a Manager compares.
func (m *Mock) MarshalJSON() ([]byte, error) { return json.Marshal(map[string]string{"id": m.id}) }

// Run forwards every Send to up until ctx is cancelled.
func (m *Mock) Run(ctx context.Context, up chan<- []*discovery.Group) {
	m.runs.Add(1)
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-m.sends:
			select {
			case up <- s.groups:
				close(s.done)
			case <-ctx.Done():
				return
			}
		}
	}
}

// Send makes the running discoverer send groups as one update (an empty,
// non-nil slice when there are none) and returns once the send completed
// (a Manager may still be applying it: in a testing/synctest bubble,
// synctest.Wait lets it finish), or with ctx's error. If no Run is active
// it waits for one.
func (m *Mock) Send(ctx context.Context, groups ...*discovery.Group) error {
	s := send{groups: append([]*discovery.Group{}, groups...), done: make(chan struct{})}
	select {
	case m.sends <- s:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Runs reports how many times Run has been called.
func (m *Mock) Runs() int { return int(m.runs.Load()) }

var (
	_ discovery.Config     = (*Mock)(nil)
	_ discovery.Discoverer = (*Mock)(nil)
)
