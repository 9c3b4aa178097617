package discovery_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
)

func TestNewManagerRejectsBadOptions(t *testing.T) {
	opts := discovery.DefaultManagerOptions()
	opts.UpdateInterval = 0
	opts.StopTimeout = -1
	opts.RestartBackoff = 2 * time.Second
	opts.MaxRestartBackoff = time.Second
	opts.Logger = nil
	m, err := discovery.NewManager(opts)
	require.Nil(t, m)
	for _, field := range []string{"UpdateInterval", "StopTimeout", "MaxRestartBackoff", "Logger"} {
		require.ErrorContains(t, err, field)
	}

	opts = discovery.DefaultManagerOptions()
	opts.RestartFailed = false
	opts.RestartBackoff = 0
	opts.MaxRestartBackoff = 0
	require.NoError(t, opts.Validate(), "backoffs are not checked without restarts")
}

// Rule 1: the first change after a quiet UpdateInterval is sent at once,
// and a burst is coalesced into one snapshot at the end of the interval.
func TestLeadingEdgeCoalescing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		mock := discoverytest.NewMock("a")
		m.apply(t, map[string]discovery.Configs{"web": {mock}})

		begin := time.Now()
		send(t, mock, group("g", "a:1"))
		s := m.next(t)
		require.Zero(t, time.Since(begin), "the first update waits for nothing")
		require.Equal(t, []string{"g: a:1"}, describe(s)["web"])

		// A burst right after: one snapshot, 100 ms after the previous.
		for i := range 5 {
			time.Sleep(10 * time.Millisecond)
			send(t, mock, group("g", "a:1", "b:"+string(rune('0'+i))))
		}
		m.none(t)
		time.Sleep(50*time.Millisecond - time.Nanosecond)
		m.none(t)
		time.Sleep(time.Nanosecond)
		s = m.next(t)
		require.Equal(t, 100*time.Millisecond, time.Since(begin))
		require.Equal(t, []string{"g: a:1 b:4"}, describe(s)["web"])
		m.none(t)

		// After a quiet interval, the next change is immediate again.
		time.Sleep(time.Second)
		at := time.Now()
		send(t, mock, group("g", "c:1"))
		s = m.next(t)
		require.Zero(t, time.Since(at))
		require.Equal(t, []string{"g: c:1"}, describe(s)["web"])
	})
}

func TestUpdateIntervalIsConfigurable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, func(o *discovery.ManagerOptions) { o.UpdateInterval = 2 * time.Second })
		mock := discoverytest.NewMock("a")
		m.apply(t, map[string]discovery.Configs{"web": {mock}})
		send(t, mock, group("g", "a:1"))
		m.next(t)
		begin := time.Now()
		send(t, mock, group("g", "a:2"))
		time.Sleep(2*time.Second - time.Nanosecond)
		m.none(t)
		time.Sleep(time.Nanosecond)
		m.next(t)
		require.Equal(t, 2*time.Second, time.Since(begin))
	})
}

// A consumer that does not receive gets the latest state, and the
// discoverers never wait for it.
func TestSlowConsumerGetsLatestState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		mock := discoverytest.NewMock("a")
		m.apply(t, map[string]discovery.Configs{"web": {mock}})
		for i := range 1000 {
			send(t, mock, group("g", "a:"+itoa(i)))
		}
		time.Sleep(time.Second)
		s := m.next(t)
		require.Equal(t, []string{"g: a:999"}, describe(s)["web"])
		m.none(t)
	})
}

// Rule 2: an update that changes nothing produces no snapshot.
func TestNoOpUpdatesProduceNoSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		rec := telemetrytest.Capture(t, reg, "ecopatterns.discovery")
		m, err := discovery.NewManager(func() discovery.ManagerOptions {
			o := discovery.DefaultManagerOptions()
			o.Telemetry = reg
			return o
		}())
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(rec.Context(t.Context()))
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		mock := discoverytest.NewMock("a")
		require.NoError(t, m.ApplyConfig(map[string]discovery.Configs{"web": {mock}}))
		send(t, mock, group("g1", "a:1"), group("g2", "b:1"))
		synctest.Wait()
		<-m.SyncCh()

		for range 100 {
			// Equal content in new values, and deletions of unknown groups.
			send(t, mock, group("g1", "a:1"), group("g2", "b:1"), group("gone"))
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case s := <-m.SyncCh():
			t.Fatalf("no-op updates produced a snapshot: %v", describe(s))
		default:
		}
		require.Len(t, rec.Matching(discovery.UpdateReceived, slog.String("provider", "mock/0")), 101)
		require.Len(t, rec.Matching(discovery.SyncSent), 1)
		cancel()
		require.NoError(t, <-done)
	})
}

// Rule 3: unchanged sets keep their slices; groups are ordered by Config
// position, then Source.
func TestSnapshotsShareUnchangedSetsAndOrderGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		first, second, other := discoverytest.NewMock("first"), discoverytest.NewMock("second"), discoverytest.NewMock("other")
		m.apply(t, map[string]discovery.Configs{"web": {first, second}, "db": {other}})
		send(t, second, group("b", "s:1"), group("a", "s:2"))
		send(t, first, group("z", "f:1"), group("m", "f:2"))
		send(t, other, group("x", "o:1"))
		time.Sleep(time.Second)
		s1 := m.next(t)
		require.Equal(t, []string{"m: f:2", "z: f:1", "a: s:2", "b: s:1"}, describe(s1)["web"])

		send(t, other, group("x", "o:2"))
		time.Sleep(time.Second)
		s2 := m.next(t)
		require.Equal(t, []string{"x: o:2"}, describe(s2)["db"])
		require.Same(t, &s1["web"][0], &s2["web"][0], "the unchanged set shares its slice")
		require.Equal(t, []string{"x: o:1"}, describe(s1)["db"], "an earlier snapshot is never modified")
	})
}

// A set with no targets arrives as an empty, non-nil slice.
func TestEmptySetIsAnEmptySlice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		a, b := discoverytest.NewMock("a"), discoverytest.NewMock("b")
		m.apply(t, map[string]discovery.Configs{"web": {a}, "db": {b}})
		send(t, a, group("g", "a:1"))
		send(t, b)
		time.Sleep(time.Second)
		s := m.next(t)
		require.NotNil(t, s["db"])
		require.Empty(t, s["db"])

		send(t, a, group("g")) // deletes the only group
		time.Sleep(time.Second)
		s = m.next(t)
		require.NotNil(t, s["web"])
		require.Empty(t, s["web"])
		require.Contains(t, s, "db")
	})
}

// Rule 4: identical Configs share a provider, unchanged Configs are not
// restarted, and removed Configs' targets leave the next snapshot.
func TestIdenticalConfigsShareOneProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		static := func() discovery.StaticConfig {
			return discovery.StaticConfig{group("", "a:1", "b:1")}
		}
		shared := discoverytest.NewMock("shared")
		m.apply(t, map[string]discovery.Configs{
			"web": {static(), shared},
			"api": {static(), shared, static()},
		})
		ps := m.Providers()
		require.Len(t, ps, 2)
		require.Equal(t, []string{"api", "web"}, ps[0].Sets)
		require.Equal(t, []string{"api", "web"}, ps[1].Sets)
		send(t, shared, group("m", "m:1"))
		time.Sleep(time.Second)
		s := m.next(t)
		require.Equal(t, []string{"0: a:1 b:1", "m: m:1"}, describe(s)["web"])
		require.Equal(t, []string{"0: a:1 b:1", "m: m:1"}, describe(s)["api"])

		// The same configuration again, as new values: nothing restarts,
		// nothing changes.
		names := []string{ps[0].Name, ps[1].Name}
		m.apply(t, map[string]discovery.Configs{
			"web": {static(), discoverytest.NewMock("shared")},
			"api": {static(), discoverytest.NewMock("shared")},
		})
		time.Sleep(time.Second)
		m.none(t)
		require.Equal(t, 1, shared.Runs())
		ps = m.Providers()
		require.Equal(t, names, []string{ps[0].Name, ps[1].Name})

		// A removed Config's targets leave at once; a removed set comes
		// once, empty.
		begin := time.Now()
		m.apply(t, map[string]discovery.Configs{"web": {static()}})
		s = m.next(t)
		require.Zero(t, time.Since(begin))
		require.Equal(t, []string{"0: a:1 b:1"}, describe(s)["web"])
		require.NotNil(t, s["api"])
		require.Empty(t, s["api"])
		require.Len(t, m.Providers(), 1)

		m.apply(t, map[string]discovery.Configs{"web": {static()}, "new": {static()}})
		time.Sleep(time.Second)
		s = m.next(t)
		require.NotContains(t, s, "api", "a removed set is left out after its empty snapshot")
		require.Equal(t, []string{"0: a:1 b:1"}, describe(s)["new"])
	})
}

func TestReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		a, b := discoverytest.NewMock("a"), discoverytest.NewMock("b")
		m.apply(t, map[string]discovery.Configs{"web": {a, discovery.StaticConfig{group("s", "s:1")}}, "db": {b}})
		send(t, a, group("g", "a:1"))
		synctest.Wait()
		select {
		case <-m.Ready():
			t.Fatal("ready before every provider sent")
		default:
		}
		send(t, b)
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case <-m.Ready():
		default:
			t.Fatal("not ready after every provider sent")
		}
		s := m.next(t)
		require.Equal(t, []string{"g: a:1", "s: s:1"}, describe(s)["web"])
		require.Empty(t, s["db"])
	})
}

// A consumer that waits for Ready and then takes a snapshot gets one even
// when the last provider's first set changed nothing.
func TestReadySendsASnapshotWhenTheLastFirstSetChangesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		a, b := discoverytest.NewMock("a"), discoverytest.NewMock("b")
		m.apply(t, map[string]discovery.Configs{"web": {a, b}})
		send(t, a, group("g", "a:1"))
		s := m.next(t)
		require.Equal(t, []string{"g: a:1"}, describe(s)["web"])
		send(t, b)
		time.Sleep(time.Second)
		synctest.Wait()
		<-m.Ready()
		again := m.next(t)
		require.Equal(t, []string{"g: a:1"}, describe(again)["web"])
		again["web"] = nil
		require.NotNil(t, s["web"], "each snapshot is a map of its own")
		time.Sleep(time.Second)
		m.none(t)
	})
}

func TestReadyWithEmptyConfiguration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		m.apply(t, map[string]discovery.Configs{})
		synctest.Wait()
		<-m.Ready()
	})
}

func TestApplyConfigBeforeRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := discovery.NewManager(discovery.DefaultManagerOptions())
		require.NoError(t, err)
		require.NoError(t, m.ApplyConfig(map[string]discovery.Configs{"web": {discovery.StaticConfig{group("", "a:1")}}}))
		require.Equal(t, discovery.StateStarting, m.Providers()[0].State)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		synctest.Wait()
		s := <-m.SyncCh()
		require.Equal(t, []string{"0: a:1"}, describe(s)["web"])
		<-m.Ready()
		require.Equal(t, discovery.StateRunning, m.Providers()[0].State)
		require.ErrorIs(t, m.Run(ctx), discovery.ErrRunTwice)
		cancel()
		require.NoError(t, <-done)
		_, open := <-m.SyncCh()
		require.False(t, open)
		require.ErrorIs(t, m.ApplyConfig(nil), discovery.ErrStopped)
		require.Equal(t, discovery.StateStopped, m.Providers()[0].State)
	})
}

func TestApplyConfigIsAllOrNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		good := discovery.StaticConfig{group("", "a:1")}
		m.apply(t, map[string]discovery.Configs{"web": {good}})
		time.Sleep(time.Second)
		m.next(t)

		err := m.ApplyConfig(map[string]discovery.Configs{
			"web": {discovery.StaticConfig{group("", "b:1")}, discovery.StaticConfig{nil}, nil},
		})
		var ce *discovery.ConfigError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "web", ce.Set)
		require.ErrorContains(t, err, `set "web": config 2 (nil): config is nil`)
		// A nil Config is found before any discoverer is built; with it
		// gone, the failing NewDiscoverer is reported.
		err = m.ApplyConfig(map[string]discovery.Configs{
			"web": {discovery.StaticConfig{group("", "b:1")}, discovery.StaticConfig{nil}},
		})
		require.ErrorContains(t, err, `set "web": config 1 (static): discovery: static config: group 0 is nil`)
		time.Sleep(time.Second)
		m.none(t)
		ps := m.Providers()
		require.Len(t, ps, 1)
		require.Equal(t, "static/0", ps[0].Name)

		m.apply(t, map[string]discovery.Configs{"web": {discovery.StaticConfig{group("", "b:1")}}})
		require.Equal(t, "static/1", m.Providers()[0].Name, "failed attempts use no provider numbers")
	})
}

func TestTelemetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		rec := telemetrytest.Capture(t, reg, "ecopatterns.discovery")
		opts := discovery.DefaultManagerOptions()
		opts.Telemetry = reg
		m, err := discovery.NewManager(opts)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(rec.Context(t.Context()))
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		mock := discoverytest.NewMock("a")
		require.NoError(t, m.ApplyConfig(map[string]discovery.Configs{"web": {mock}}))
		send(t, mock, group("g", "a:1", "b:1"))
		synctest.Wait()
		<-m.SyncCh()
		synctest.Wait()

		e := rec.Require(t, discovery.UpdateReceived, slog.String("provider", "mock/0"))
		n, _ := e.Measurement("changed")
		require.EqualValues(t, 1, n.Int64())
		e = rec.Require(t, discovery.SetSynced, slog.String("set", "web"))
		n, _ = e.Measurement("targets")
		require.EqualValues(t, 2, n.Int64())
		e = rec.Require(t, discovery.SyncSent)
		n, _ = e.Measurement("sets")
		require.EqualValues(t, 1, n.Int64())
		rec.Require(t, discovery.ProviderChanged, slog.String("provider", "mock/0"), slog.String("state", "running"), slog.String("previous", "starting"))

		// A snapshot the consumer leaves waiting past UpdateInterval and
		// then replaced is reported as delayed.
		send(t, mock, group("g", "a:2"))
		time.Sleep(time.Second)
		send(t, mock, group("g", "a:3"))
		time.Sleep(time.Second)
		synctest.Wait()
		e = rec.Require(t, discovery.SyncDelayed)
		w, _ := e.Measurement("waited")
		require.Equal(t, 900*time.Millisecond, w.Duration(), "built 100 ms after the first snapshot, replaced 1 s after it")
		cancel()
		require.NoError(t, <-done)
		rec.Require(t, discovery.ProviderChanged, slog.String("provider", "mock/0"), slog.String("state", "stopped"))
	})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
