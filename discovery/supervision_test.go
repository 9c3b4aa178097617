package discovery_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
)

// funcConfig is a Config whose discoverers run fn. Configs with the same
// ID are identical to a Manager.
type funcConfig struct {
	ID string `json:"id"`
	// fn is the discoverer; run counts the calls, from 1.
	fn func(ctx context.Context, up chan<- []*discovery.Group, run int)
	// fail, when set, makes NewDiscoverer fail for the calls it returns
	// true for, counted from 1.
	fail func(call int) bool

	calls atomic.Int64
}

func (c *funcConfig) Name() string { return "func" }

func (c *funcConfig) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	n := int(c.calls.Add(1))
	if c.fail != nil && c.fail(n) {
		return nil, errors.New("cannot build")
	}
	return discovery.DiscovererFunc(func(ctx context.Context, up chan<- []*discovery.Group) {
		c.fn(ctx, up, n)
	}), nil
}

// recorded starts a Manager whose events a recorder captures; the
// recorder's context is the Manager's.
func recorded(t *testing.T, mod func(*discovery.ManagerOptions)) (*running, *telemetrytest.Recorder) {
	t.Helper()
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	rec := telemetrytest.Capture(t, reg, "ecopatterns.discovery")
	opts := discovery.DefaultManagerOptions()
	opts.Telemetry = reg
	if mod != nil {
		mod(&opts)
	}
	m, err := discovery.NewManager(opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(rec.Context(t.Context()))
	r := &running{Manager: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	t.Cleanup(func() { r.stop() })
	return r, rec
}

// Rule 5: a discoverer whose Run returns early is reported, keeps its
// targets, and is restarted with a doubling backoff.
func TestReturnedEarlyIsRestartedWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec := recorded(t, func(o *discovery.ManagerOptions) { o.MaxRestartBackoff = 4 * time.Second })
		begin := time.Now()
		var mu sync.Mutex
		var starts []time.Duration
		lasting := make(chan struct{})
		cfg := &funcConfig{ID: "early", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			mu.Lock()
			starts = append(starts, time.Since(begin))
			mu.Unlock()
			select {
			case up <- []*discovery.Group{group("g", "a:"+itoa(run))}:
			case <-ctx.Done():
				return
			}
			if run == 6 {
				select { // runs long enough to reset the backoff
				case <-time.After(10 * time.Second):
				case <-ctx.Done():
					return
				}
			}
			if run == 8 {
				<-lasting
				<-ctx.Done()
			}
		}}
		m.apply(t, map[string]discovery.Configs{"web": {cfg}})
		synctest.Wait()
		s := <-m.SyncCh()
		require.Equal(t, []string{"g: a:1"}, describe(s)["web"])
		p := provider(t, m.Manager, "func/0")
		require.Equal(t, discovery.StateFailed, p.State)
		require.ErrorIs(t, p.LastError, discovery.ErrReturnedEarly)
		require.Equal(t, []string{"g: a:1"}, describe(s)["web"], "failed targets are kept")
		rec.Require(t, discovery.ProviderFailed, slog.String("provider", "func/0"))

		time.Sleep(time.Minute)
		close(lasting)
		synctest.Wait()
		mu.Lock()
		require.Equal(t, []time.Duration{0, 1 * time.Second, 3 * time.Second, 7 * time.Second, 11 * time.Second, 15 * time.Second, 26 * time.Second, 28 * time.Second}, starts,
			"waits 1, 2, 4, 4 (the cap), 4 s; run 6 lasts 10 s, so the wait starts again from 1 s, then 2 s")
		mu.Unlock()
		p = provider(t, m.Manager, "func/0")
		require.Equal(t, discovery.StateRunning, p.State)
		require.Equal(t, 7, p.Restarts)
		require.Len(t, rec.Matching(discovery.ProviderRestarted), 7)
		s = <-m.SyncCh()
		require.Equal(t, []string{"g: a:8"}, describe(s)["web"])
	})
}

func TestFailedTargetsDroppedWhenConfigured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, func(o *discovery.ManagerOptions) {
			o.KeepFailedTargets = false
			o.RestartFailed = false
		})
		cfg := &funcConfig{ID: "x", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			up <- []*discovery.Group{group("g", "a:1")}
		}}
		other := discoverytest.NewMock("other")
		m.apply(t, map[string]discovery.Configs{"web": {cfg, other}})
		send(t, other, group("o", "o:1"))
		time.Sleep(time.Second)
		s := m.next(t)
		require.Equal(t, []string{"o: o:1"}, describe(s)["web"], "only the other provider's groups remain")
		time.Sleep(time.Hour)
		m.none(t)
		require.Equal(t, 1, int(cfg.calls.Load()), "no restart")
		require.Equal(t, discovery.StateFailed, provider(t, m.Manager, "func/0").State)
	})
}

// A panic is contained to its provider; the others keep their targets and
// keep being served.
func TestPanicIsContained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec := recorded(t, func(o *discovery.ManagerOptions) { o.RestartFailed = false })
		cfg := &funcConfig{ID: "p", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			up <- []*discovery.Group{group("g", "p:1")}
			panic("boom")
		}}
		other := discoverytest.NewMock("other")
		m.apply(t, map[string]discovery.Configs{"web": {cfg}, "db": {other}})
		send(t, other, group("o", "o:1"))
		time.Sleep(time.Second)
		s := m.next(t)
		require.Equal(t, []string{"g: p:1"}, describe(s)["web"])
		require.Equal(t, []string{"o: o:1"}, describe(s)["db"])

		// Sets are configured in name order: db's mock is mock/0.
		p := provider(t, m.Manager, "func/1")
		require.Equal(t, discovery.StateFailed, p.State)
		var pe *discovery.PanicError
		require.ErrorAs(t, p.LastError, &pe)
		require.Equal(t, "boom", pe.Value)
		require.Equal(t, "func/1", pe.Provider)
		require.Contains(t, string(pe.Stack), "supervision_test.go")
		e := rec.Require(t, discovery.ProviderFailed, slog.String("provider", "func/1"))
		require.ErrorAs(t, e.Error(), &pe)

		send(t, other, group("o", "o:2"))
		time.Sleep(time.Second)
		s = m.next(t)
		require.Equal(t, []string{"o: o:2"}, describe(s)["db"])
		require.Equal(t, []string{"g: p:1"}, describe(s)["web"])
	})
}

// A discoverer that closes its channel and keeps running is failed,
// cancelled, waited for, and restarted; one that closes and returns, as
// Prometheus's static discoverer does, too.
func TestClosedChannel(t *testing.T) {
	for _, keepRunning := range []bool{true, false} {
		t.Run(map[bool]string{true: "keeps running", false: "returns"}[keepRunning], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := start(t, nil)
				returned := make(chan int, 10)
				cfg := &funcConfig{ID: "c", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
					defer func() { returned <- run }()
					up <- []*discovery.Group{group("g", "c:"+itoa(run))}
					close(up)
					if keepRunning {
						<-ctx.Done()
					}
				}}
				m.apply(t, map[string]discovery.Configs{"web": {cfg}})
				synctest.Wait()
				require.Equal(t, 1, <-returned)
				p := provider(t, m.Manager, "func/0")
				require.Equal(t, discovery.StateFailed, p.State)
				require.ErrorIs(t, p.LastError, discovery.ErrChannelClosed)
				require.Zero(t, p.Leaked)
				time.Sleep(time.Second)
				synctest.Wait()
				require.Equal(t, 2, <-returned, "restarted after 1 s")
				s := m.next(t)
				require.Equal(t, []string{"g: c:2"}, describe(s)["web"])
			})
		})
	}
}

// Rule 6: ReportError marks the provider erroring; its next update marks
// it running again.
func TestReportError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec := recorded(t, nil)
		boom := errors.New("lookup failed")
		again := make(chan struct{})
		cfg := &funcConfig{ID: "r", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			up <- []*discovery.Group{group("g", "a:1")}
			discovery.ReportError(ctx, boom)
			discovery.ReportError(ctx, nil) // ignored
			<-again
			up <- []*discovery.Group{group("g", "a:2")}
			<-ctx.Done()
		}}
		m.apply(t, map[string]discovery.Configs{"web": {cfg}})
		begin := time.Now()
		synctest.Wait()
		p := provider(t, m.Manager, "func/0")
		require.Equal(t, discovery.StateErroring, p.State)
		require.Equal(t, boom, p.LastError)
		require.Equal(t, begin, p.LastErrorAt)
		e := rec.Require(t, discovery.ProviderErrored, slog.String("provider", "func/0"))
		require.Equal(t, boom, e.Error())
		rec.Require(t, discovery.ProviderChanged, slog.String("state", "erroring"), slog.String("previous", "running"))

		close(again)
		synctest.Wait()
		p = provider(t, m.Manager, "func/0")
		require.Equal(t, discovery.StateRunning, p.State)
		require.Equal(t, boom, p.LastError, "the last error stays")
	})
}

// An error reported before the first send counts as started for Ready.
func TestReportErrorSettlesReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		cfg := &funcConfig{ID: "r", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			discovery.ReportError(ctx, errors.New("not reachable"))
			<-ctx.Done()
		}}
		m.apply(t, map[string]discovery.Configs{"web": {cfg}})
		time.Sleep(time.Second)
		synctest.Wait()
		<-m.Ready()
		s := m.next(t)
		require.Empty(t, s["web"])
	})
}

// Nil slices and nil groups are tolerated and reported.
func TestNilGroupsAndSlices(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		cfg := &funcConfig{ID: "n", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			up <- nil
			up <- []*discovery.Group{nil, group("g", "a:1"), nil}
			<-ctx.Done()
		}}
		m.apply(t, map[string]discovery.Configs{"web": {cfg}})
		time.Sleep(time.Second)
		s := m.next(t)
		require.Equal(t, []string{"g: a:1"}, describe(s)["web"])
		p := provider(t, m.Manager, "func/0")
		require.Equal(t, discovery.StateErroring, p.State)
		require.ErrorIs(t, p.LastError, discovery.ErrNilGroup)
		require.ErrorContains(t, p.LastError, "discovery: discoverer sent a nil group (provider func/0, 2 in ")
	})
}

// Rule 7: a flooding discoverer neither blocks nor delays the others, and
// costs at most one snapshot per UpdateInterval.
func TestFloodDoesNotStarveOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		const floods = 20000
		flood := &funcConfig{ID: "flood", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			for i := range floods {
				select {
				case up <- []*discovery.Group{group("g", "f:"+itoa(i))}:
				case <-ctx.Done():
					return
				}
			}
			<-ctx.Done()
		}}
		quiet := discoverytest.NewMock("quiet")
		m.apply(t, map[string]discovery.Configs{"flood": {flood}, "quiet": {quiet}})
		send(t, quiet, group("q", "q:1"))
		time.Sleep(time.Second)
		snapshots := 0
		var last map[string][]*discovery.Group
		synctest.Wait()
	drain:
		for {
			select {
			case s := <-m.SyncCh():
				snapshots++
				last = s
			default:
				break drain
			}
		}
		require.LessOrEqual(t, snapshots, 2, "a flood in one instant costs a leading and a trailing snapshot")
		require.Equal(t, []string{"q: q:1"}, describe(last)["quiet"])
		require.Equal(t, []string{"g: f:19999"}, describe(last)["flood"])
	})
}

// A discoverer that blocks forever and ignores its context does not hold
// up the others; at shutdown it is reported as leaked, and it stops
// counting once it returns.
func TestBlockedDiscovererIsReportedAsLeaked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec := recorded(t, nil)
		release := make(chan struct{})
		blocked := &funcConfig{ID: "b", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			<-release // ignores ctx
		}}
		other := discoverytest.NewMock("other")
		m.apply(t, map[string]discovery.Configs{"web": {blocked, other}})
		send(t, other, group("o", "o:1"))
		s := m.next(t)
		require.Equal(t, []string{"o: o:1"}, describe(s)["web"])
		select {
		case <-m.Ready():
			t.Fatal("ready although a provider never sent")
		default:
		}

		begin := time.Now()
		var le *discovery.LeakedError
		require.ErrorAs(t, m.stop(), &le)
		require.Equal(t, 5*time.Second, time.Since(begin), "waits StopTimeout")
		require.Equal(t, []string{"func/0"}, le.Providers)
		require.ErrorContains(t, le, "1 discoverer(s) still running 5s after cancellation: func/0")
		p := provider(t, m.Manager, "func/0")
		require.Equal(t, discovery.StateLeaked, p.State)
		require.Equal(t, 1, p.Leaked)
		rec.Require(t, discovery.ProviderLeaked, slog.String("provider", "func/0"))

		close(release)
		synctest.Wait()
		p = provider(t, m.Manager, "func/0")
		require.Equal(t, discovery.StateStopped, p.State)
		require.Zero(t, p.Leaked)
	})
}

// A provider whose discoverer cannot be built again stays failed and
// keeps trying.
func TestRestartWhoseNewDiscovererFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec := recorded(t, nil)
		cfg := &funcConfig{
			ID:   "f",
			fail: func(call int) bool { return call == 2 || call == 3 },
			fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
				up <- []*discovery.Group{group("g", "a:"+itoa(run))}
				if run == 4 {
					<-ctx.Done()
				}
			},
		}
		m.apply(t, map[string]discovery.Configs{"web": {cfg}})
		time.Sleep(time.Minute)
		synctest.Wait()
		require.EqualValues(t, 4, cfg.calls.Load())
		p := provider(t, m.Manager, "func/0")
		require.Equal(t, discovery.StateRunning, p.State)
		require.Equal(t, 3, p.Restarts)
		failures := rec.Matching(discovery.ProviderFailed, slog.String("provider", "func/0"))
		require.Len(t, failures, 3)
		require.ErrorContains(t, failures[1].Error(), "discovery: provider func/0: restart: cannot build")
		s := <-m.SyncCh()
		require.Equal(t, []string{"g: a:4"}, describe(s)["web"])
	})
}

// A restarted discoverer's first full set replaces what the failed run
// left.
func TestRestartReplacesState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		cfg := &funcConfig{ID: "r", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			if run == 1 {
				up <- []*discovery.Group{group("a", "a:1"), group("b", "b:1")}
				return
			}
			up <- []*discovery.Group{group("b", "b:1"), group("c", "c:1")}
			<-ctx.Done()
		}}
		m.apply(t, map[string]discovery.Configs{"web": {cfg}})
		s := m.next(t)
		require.Equal(t, []string{"a: a:1", "b: b:1"}, describe(s)["web"])
		time.Sleep(time.Second)
		s2 := m.next(t)
		require.Equal(t, []string{"b: b:1", "c: c:1"}, describe(s2)["web"])
		require.Same(t, s["web"][1], s2["web"][0], "an equal group keeps its pointer")
	})
}

// No goroutine of the Manager outlives Run.
func TestRunLeavesNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ignore := goleak.IgnoreCurrent()
		m := start(t, nil)
		m.apply(t, map[string]discovery.Configs{
			"a": {discovery.StaticConfig{group("", "a:1")}, discoverytest.NewMock("m")},
			"b": {&funcConfig{ID: "x", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
				up <- []*discovery.Group{}
				<-ctx.Done()
			}}},
		})
		synctest.Wait()
		require.NoError(t, m.stop())
		goleak.VerifyNone(t, ignore)
	})
}
