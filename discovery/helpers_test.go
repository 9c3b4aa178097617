package discovery_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// group builds a group of targets at addrs.
func group(source string, addrs ...string) *discovery.Group {
	g := &discovery.Group{Source: source, Targets: []discovery.Labels{}}
	for _, a := range addrs {
		g.Targets = append(g.Targets, discovery.Labels{discovery.AddressLabel: a})
	}
	return g
}

// running is a Manager whose Run goroutine a test started.
type running struct {
	*discovery.Manager
	cancel context.CancelFunc
	done   chan error
}

// start creates a Manager with opts changed by mod and runs it until the
// test ends or stop is called.
func start(t *testing.T, mod func(*discovery.ManagerOptions)) *running {
	t.Helper()
	opts := discovery.DefaultManagerOptions()
	if mod != nil {
		mod(&opts)
	}
	m, err := discovery.NewManager(opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	r := &running{Manager: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	t.Cleanup(func() { r.stop() })
	return r
}

// stop cancels Run, drains SyncCh until it closes, and returns Run's
// error. It may be called more than once.
func (r *running) stop() error {
	r.cancel()
	for range r.SyncCh() {
	}
	err, ok := <-r.done
	if !ok {
		return errors.New("already stopped")
	}
	close(r.done)
	return err
}

// apply applies cfg, failing the test on error.
func (r *running) apply(t *testing.T, cfg map[string]discovery.Configs) {
	t.Helper()
	require.NoError(t, r.ApplyConfig(cfg))
}

// next returns the snapshot the Manager offers once every goroutine of the
// bubble is blocked, failing if there is none.
func (r *running) next(t *testing.T) map[string][]*discovery.Group {
	t.Helper()
	synctest.Wait()
	select {
	case s := <-r.SyncCh():
		return s
	default:
		t.Fatalf("no snapshot ready")
		return nil
	}
}

// none fails if the Manager offers a snapshot once every goroutine of the
// bubble is blocked.
func (r *running) none(t *testing.T) {
	t.Helper()
	synctest.Wait()
	select {
	case s := <-r.SyncCh():
		t.Fatalf("unexpected snapshot: %v", describe(s))
	default:
	}
}

// describe renders a snapshot as set -> sources and addresses, sorted, for
// messages and comparisons.
func describe(s map[string][]*discovery.Group) map[string][]string {
	out := make(map[string][]string, len(s))
	for set, groups := range s {
		lines := []string{}
		for _, g := range groups {
			line := g.Source + ":"
			for _, t := range g.Targets {
				line += " " + t[discovery.AddressLabel]
			}
			lines = append(lines, line)
		}
		out[set] = lines
	}
	return out
}

// send makes a mock send groups, failing the test on error.
func send(t *testing.T, m interface {
	Send(context.Context, ...*discovery.Group) error
}, groups ...*discovery.Group) {
	t.Helper()
	require.NoError(t, m.Send(t.Context(), groups...))
}

// provider returns the info of the provider named name.
func provider(t *testing.T, m *discovery.Manager, name string) discovery.ProviderInfo {
	t.Helper()
	for _, p := range m.Providers() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no provider %q in %v", name, m.Providers())
	return discovery.ProviderInfo{}
}
