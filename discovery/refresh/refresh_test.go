package refresh_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/refresh"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func group(source string, addrs ...string) *discovery.Group {
	g := &discovery.Group{Source: source, Targets: []discovery.Labels{}}
	for _, a := range addrs {
		g.Targets = append(g.Targets, discovery.Labels{discovery.AddressLabel: a})
	}
	return g
}

// script is a refresh function that returns its steps in turn, repeating
// the last one, and records when it was called.
type script struct {
	mu    sync.Mutex
	steps []step
	calls []time.Time
}

type step struct {
	groups []*discovery.Group
	err    error
}

func (s *script) refresh(ctx context.Context) ([]*discovery.Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, time.Now())
	st := s.steps[min(len(s.calls), len(s.steps))-1]
	return st.groups, st.err
}

// harness runs a Discoverer over s and collects what it sends and
// reports.
type harness struct {
	up       chan []*discovery.Group
	mu       sync.Mutex
	reported []error
	cancel   context.CancelFunc
	done     chan struct{}
}

func runScript(t *testing.T, interval time.Duration, s *script) *harness {
	t.Helper()
	d, err := refresh.New(interval, s.refresh)
	require.NoError(t, err)
	h := &harness{up: make(chan []*discovery.Group), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	h.cancel = cancel
	ctx = discovery.WithErrorReporter(ctx, func(err error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.reported = append(h.reported, err)
	})
	go func() {
		defer close(h.done)
		d.Run(ctx, h.up)
	}()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	return h
}

// next returns the update ready once every goroutine is blocked, or nil if
// there is none.
func (h *harness) next() []*discovery.Group {
	synctest.Wait()
	select {
	case g := <-h.up:
		return g
	default:
		return nil
	}
}

func TestRefreshesAtOnceThenEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		s := &script{steps: []step{{groups: []*discovery.Group{group("a", "a:1")}}}}
		h := runScript(t, 30*time.Second, s)
		require.Equal(t, "a: a:1", discoverytest.String(h.next()))
		time.Sleep(95 * time.Second)
		require.Nil(t, h.next(), "unchanged refreshes send nothing")
		s.mu.Lock()
		defer s.mu.Unlock()
		require.Equal(t, []time.Time{begin, begin.Add(30 * time.Second), begin.Add(60 * time.Second), begin.Add(90 * time.Second)}, s.calls)
	})
}

func TestSendsOnlyChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []step{
			{groups: []*discovery.Group{group("a", "a:1"), group("b", "b:1"), group("c", "c:1")}},
			{groups: []*discovery.Group{group("a", "a:1"), group("b", "b:2"), group("d", "d:1")}},
			{groups: []*discovery.Group{group("a", "a:1"), group("b"), group("d", "d:1")}},
		}}
		h := runScript(t, time.Second, s)
		require.Equal(t, "a: a:1\nb: b:1\nc: c:1", discoverytest.String(h.next()))
		time.Sleep(time.Second)
		require.Equal(t, "b: b:2\nc: \nd: d:1", discoverytest.String(h.next()), "changed b, deleted c, added d")
		time.Sleep(time.Second)
		require.Equal(t, "b: ", discoverytest.String(h.next()), "an empty group deletes")
		time.Sleep(time.Second)
		require.Nil(t, h.next())
	})
}

func TestFailedRefreshKeepsLastGoodGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("backend down")
		s := &script{steps: []step{
			{err: boom},
			{groups: []*discovery.Group{group("a", "a:1"), group("b", "b:1")}},
			{groups: []*discovery.Group{group("b", "b:2")}, err: boom}, // partial
			{err: boom},
			{groups: []*discovery.Group{group("b", "b:2")}},
		}}
		h := runScript(t, time.Second, s)
		require.Nil(t, h.next(), "nothing known yet: no first send")
		time.Sleep(time.Second)
		require.Equal(t, "a: a:1\nb: b:1", discoverytest.String(h.next()), "the first success is the full set")
		time.Sleep(time.Second)
		require.Equal(t, "b: b:2", discoverytest.String(h.next()), "a partial failure applies what it found, deletes nothing")
		time.Sleep(time.Second)
		require.Nil(t, h.next())
		time.Sleep(time.Second)
		require.Equal(t, "a: ", discoverytest.String(h.next()), "the next success deletes what is gone")
		h.mu.Lock()
		defer h.mu.Unlock()
		require.Len(t, h.reported, 3)
		require.ErrorIs(t, h.reported[0], boom)
		require.ErrorContains(t, h.reported[0], "refresh: backend down")
	})
}

func TestFirstSendIsFullEvenWhenEmpty(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []step{{groups: nil}}}
		h := runScript(t, time.Second, s)
		got := h.next()
		require.NotNil(t, got)
		require.Empty(t, got)
	})
}

func TestNilGroupsAreReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []step{{groups: []*discovery.Group{nil, group("a", "a:1")}}}}
		h := runScript(t, time.Second, s)
		require.Equal(t, "a: a:1", discoverytest.String(h.next()))
		synctest.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		require.Len(t, h.reported, 1)
		require.ErrorContains(t, h.reported[0], "nil group (1)")
	})
}

func TestNewRejectsBadArguments(t *testing.T) {
	_, err := refresh.New(0, nil)
	require.ErrorContains(t, err, "refresh: interval = 0s: must be > 0")
	require.ErrorContains(t, err, "refresh: refresh function is nil")
}

// config wraps a refresh function as a discovery.Config for the
// conformance suite.
type config struct {
	fn refresh.Func
}

func (config) Name() string { return "refreshtest" }

func (c config) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	return refresh.New(time.Minute, c.fn)
}

func TestConformance(t *testing.T) {
	groups := discoverytest.Run(t, config{fn: func(ctx context.Context) ([]*discovery.Group, error) {
		return []*discovery.Group{group("b", "b:1"), group("a", "a:1")}, nil
	}})
	require.Equal(t, "a: a:1\nb: b:1", discoverytest.String(groups))
}
