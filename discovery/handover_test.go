package discovery_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

func static(addrs ...string) discovery.StaticConfig {
	return discovery.StaticConfig{group("", addrs...)}
}

// After Prometheus's TestTargetSetRecreatesTargetGroupsOnConfigChange: a
// reload from [foo, bar] to [foo] never shows the set empty to a consumer
// that is always receiving; the first snapshot after it holds foo alone.
func TestReloadDoesNotFlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090", "bar:9090")}})
		require.Equal(t, []string{"0: foo:9090 bar:9090"}, describe(m.next(t))["prometheus"])
		time.Sleep(time.Second) // past UpdateInterval: the next change is sent at once

		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090")}})
		require.Equal(t, []string{"0: foo:9090"}, describe(m.next(t))["prometheus"])
		m.none(t)
		time.Sleep(time.Minute)
		m.none(t)
	})
}

// A set whose Config is replaced keeps the old provider's groups, in
// snapshots built meanwhile for other reasons too, until the new provider
// sends its first full set; then the set moves to the new groups in one
// snapshot. Another set sharing the new provider is not held back.
func TestReplacedProviderKeepsGroupsUntilTheNewOneSends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		old, next, other := discoverytest.NewMock("old"), discoverytest.NewMock("new"), discoverytest.NewMock("other")
		m.apply(t, map[string]discovery.Configs{"web": {old}, "db": {other}})
		send(t, old, group("g", "old:1"))
		send(t, other, group("o", "o:1"))
		time.Sleep(time.Second)
		m.next(t)

		m.apply(t, map[string]discovery.Configs{"web": {next}, "db": {other}})
		time.Sleep(time.Second)
		m.none(t)
		send(t, other, group("o", "o:2"))
		time.Sleep(time.Second)
		s := m.next(t)
		require.Equal(t, map[string][]string{"web": {"g: old:1"}, "db": {"o: o:2"}}, describe(s), "the old groups are still shown")

		send(t, next, group("n", "new:1"))
		time.Sleep(time.Second)
		s = m.next(t)
		require.Equal(t, []string{"n: new:1"}, describe(s)["web"])
		m.none(t)
	})
}

// A replacing provider whose first set is empty ends the handover too: the
// set becomes empty because the new configuration finds nothing.
func TestHandoverEndsOnAnEmptyFirstSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		old, next := discoverytest.NewMock("old"), discoverytest.NewMock("new")
		m.apply(t, map[string]discovery.Configs{"web": {old}})
		send(t, old, group("g", "old:1"))
		m.next(t)
		m.apply(t, map[string]discovery.Configs{"web": {next}})
		m.none(t)
		send(t, next)
		time.Sleep(time.Second)
		s := m.next(t)
		require.NotNil(t, s["web"])
		require.Empty(t, s["web"])
	})
}

// A replacing discoverer that sends nothing within SwapTimeout lets the old
// groups go then, not before.
func TestHandoverIsBoundedBySwapTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, func(o *discovery.ManagerOptions) { o.SwapTimeout = 3 * time.Second })
		old, silent := discoverytest.NewMock("old"), discoverytest.NewMock("silent")
		m.apply(t, map[string]discovery.Configs{"web": {old}})
		send(t, old, group("g", "old:1"))
		m.next(t)
		began := time.Now()
		m.apply(t, map[string]discovery.Configs{"web": {silent}})
		time.Sleep(3*time.Second - time.Millisecond)
		m.none(t)
		time.Sleep(time.Millisecond)
		s := m.next(t)
		require.Empty(t, s["web"])
		require.Equal(t, 3*time.Second, time.Since(began))
	})
}

// A reload during a handover keeps showing what the consumer saw before
// the first reload; a reload back to the shown Config ends it at once.
func TestReloadDuringHandover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		a, b, c := discoverytest.NewMock("a"), discoverytest.NewMock("b"), discoverytest.NewMock("c")
		m.apply(t, map[string]discovery.Configs{"web": {a}})
		send(t, a, group("g", "a:1"))
		m.next(t)
		m.apply(t, map[string]discovery.Configs{"web": {b}})
		m.none(t)
		m.apply(t, map[string]discovery.Configs{"web": {c}})
		m.none(t)
		send(t, c, group("g", "c:1"))
		time.Sleep(time.Second)
		require.Equal(t, []string{"g: c:1"}, describe(m.next(t))["web"])
	})
}

func TestSwapTimeoutIsValidated(t *testing.T) {
	opts := discovery.DefaultManagerOptions()
	opts.SwapTimeout = 0
	_, err := discovery.NewManager(opts)
	require.ErrorContains(t, err, "SwapTimeout")
}
