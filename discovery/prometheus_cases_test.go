package discovery_test

// Behaviours of Prometheus's discovery/manager_test.go and
// discovery/targetgroup/targetgroup_test.go, ported as cases and expected
// outcomes. Where this package deliberately differs, the test says so and
// the package doc's table names it.

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

// TestTargetSetTargetGroupsPresentOnStartup and ...OnConfigReload: the
// first snapshot holds the static targets; applying the same configuration
// again keeps them. Deliberate difference: the reload that changes nothing
// sends no snapshot (Prometheus sends the same targets again).
func TestPromPresentOnStartupAndReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		c := map[string]discovery.Configs{"prometheus": {static("foo:9090")}}
		m.apply(t, c)
		require.Equal(t, map[string][]string{"prometheus": {"0: foo:9090"}}, describe(m.next(t)))
		time.Sleep(time.Second)
		m.apply(t, c)
		m.none(t)
		require.Equal(t, "static/0", m.Providers()[0].Name, "not restarted")
	})
}

// TestTargetSetTargetGroupsPresentOnConfigRename: a set renamed keeps its
// targets under the new name, from the same running provider. Deliberate
// difference: the old name comes once, empty, so that a consumer drops it.
func TestPromPresentOnConfigRename(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090")}})
		m.next(t)
		time.Sleep(time.Second)
		m.apply(t, map[string]discovery.Configs{"prometheus2": {static("foo:9090")}})
		require.Equal(t, map[string][]string{"prometheus": {}, "prometheus2": {"0: foo:9090"}}, describe(m.next(t)))
		require.Len(t, m.Providers(), 1)
	})
}

// TestTargetSetTargetGroupsPresentOnConfigDuplicateAndDeleteOriginal and
// TestIdenticalConfigurationsAreCoalesced: a duplicated set shares the
// provider, and deleting the original leaves the copy's targets in place.
func TestPromDuplicateAndDeleteOriginal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090")}})
		m.next(t)
		time.Sleep(time.Second)
		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090")}, "prometheus2": {static("foo:9090")}})
		require.Equal(t, map[string][]string{"prometheus": {"0: foo:9090"}, "prometheus2": {"0: foo:9090"}}, describe(m.next(t)))
		require.Len(t, m.Providers(), 1)
		time.Sleep(time.Second)
		m.apply(t, map[string]discovery.Configs{"prometheus2": {static("foo:9090")}})
		require.Equal(t, map[string][]string{"prometheus": {}, "prometheus2": {"0: foo:9090"}}, describe(m.next(t)))
	})
}

// TestTargetSetTargetGroupsPresentOnConfigChange: a new set whose
// discoverer has not sent yet comes empty, the existing set keeps its
// targets at once, and the new set fills when its discoverer sends;
// deleting it leaves the original set alone.
func TestPromPresentOnConfigChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090")}})
		m.next(t)
		slow := discoverytest.NewMock("slow")
		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090")}, "prometheus2": {slow}})
		time.Sleep(time.Second)
		require.Equal(t, map[string][]string{"prometheus": {"0: foo:9090"}, "prometheus2": {}}, describe(m.next(t)))
		send(t, slow, group("0", "bar:9090"))
		time.Sleep(time.Second)
		require.Equal(t, map[string][]string{"prometheus": {"0: foo:9090"}, "prometheus2": {"0: bar:9090"}}, describe(m.next(t)))
		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090")}})
		time.Sleep(time.Second)
		require.Equal(t, map[string][]string{"prometheus": {"0: foo:9090"}, "prometheus2": {}}, describe(m.next(t)))
	})
}

// TestTargetSetRecreatesEmptyStaticConfigs: replacing a set's targets with
// an empty static group sends the set empty, and keeps no groups for it.
func TestPromRecreatesEmptyStaticConfigs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		m.apply(t, map[string]discovery.Configs{"prometheus": {static("foo:9090")}})
		m.next(t)
		time.Sleep(time.Second)
		m.apply(t, map[string]discovery.Configs{"prometheus": {discovery.StaticConfig{{}}}})
		s := m.next(t)
		require.Len(t, s, 1, "an update with no groups is still sent")
		require.NotNil(t, s["prometheus"])
		require.Empty(t, s["prometheus"])
		require.Zero(t, m.Providers()[0].Groups)
	})
}

// TestApplyConfigDoesNotModifyStaticTargets: the Configs passed in are not
// changed by running them (Sources are set on copies).
func TestPromApplyConfigDoesNotModifyStaticTargets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		cfg := map[string]discovery.Configs{"prometheus": {static("foo:9090", "bar:9090", "baz:9090")}}
		m.apply(t, cfg)
		m.next(t)
		require.Equal(t, map[string]discovery.Configs{"prometheus": {static("foo:9090", "bar:9090", "baz:9090")}}, cfg)
	})
}

// TestGaugeFailedConfigs. Deliberate difference: a Config whose
// NewDiscoverer fails makes ApplyConfig return an error naming each one
// and change nothing (Prometheus logs it, counts it in a gauge and runs
// the rest).
func TestPromFailedConfigsAreRefused(t *testing.T) {
	m, err := discovery.NewManager(discovery.DefaultManagerOptions())
	require.NoError(t, err)
	bad := func() discovery.StaticConfig { return discovery.StaticConfig{nil} }
	err = m.ApplyConfig(map[string]discovery.Configs{"prometheus": {bad(), bad(), static("foo:9090")}})
	require.Len(t, discovery.ConfigErrors(err), 1, "identical bad Configs are one provider, refused once")
	require.Empty(t, m.Providers())
}

// TestTargetSetTargetGroupsUpdateDuringApplyConfig and
// TestConfigReloadAndShutdownRace: configuration changes racing with
// discoverers' updates and with shutdown neither race (under -race) nor
// deadlock; ApplyConfig after Run returned is refused.
func TestPromApplyConfigRacesUpdatesAndShutdown(t *testing.T) {
	m := start(t, func(o *discovery.ManagerOptions) { o.UpdateInterval = time.Millisecond })
	mocks := []*discoverytest.Mock{discoverytest.NewMock("a"), discoverytest.NewMock("b")}
	sendCtx, stopSending := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, mock := range mocks {
		wg.Go(func() {
			for i := range 200 {
				if mock.Send(sendCtx, group("g", "h:"+itoa(i))) != nil {
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range m.SyncCh() {
		}
	})
	for i := range 50 {
		cfg := map[string]discovery.Configs{"a": {mocks[0]}, "b": {mocks[1]}}
		if i%2 == 1 {
			cfg["c"] = discovery.Configs{static("foo:9090")}
		}
		require.NoError(t, m.ApplyConfig(cfg))
	}
	stopped := make(chan error, 1)
	go func() { stopped <- m.stop() }()
	for range 20 {
		if err := m.ApplyConfig(map[string]discovery.Configs{"a": {mocks[0]}}); err != nil {
			require.ErrorIs(t, err, discovery.ErrStopped)
		}
	}
	require.NoError(t, <-stopped)
	require.ErrorIs(t, m.ApplyConfig(map[string]discovery.Configs{}), discovery.ErrStopped)
	stopSending() // nothing runs the mocks any more
	wg.Wait()
}

// targetgroup_test.go: TestTargetGroupStrictJSONUnmarshal and
// TestTargetGroupYamlUnmarshal.
func TestPromGroupDecoding(t *testing.T) {
	for _, c := range []struct{ json, want, err string }{
		{`{"labels": {}, "targets": []}`, ": ", ""},
		{`{"labels": {"my": "label"}, "targets": ["localhost:9090", "localhost:9091"]}`, `: localhost:9090 localhost:9091 my="label"`, ""},
		{`{"label": {}, "targets": []}`, "", `unknown field "label"`},
		{`{"labels": {}, "target": []}`, "", `unknown field "target"`},
	} {
		var g discovery.Group
		err := json.Unmarshal([]byte(c.json), &g)
		if c.err != "" {
			require.ErrorContains(t, err, c.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, c.want, discoverytest.String([]*discovery.Group{&g}))
	}
	for _, c := range []struct{ yaml, want, err string }{
		{"labels:\ntargets:\n", ": ", ""},
		{"labels:\n  my:  label\ntargets:\n  ['localhost:9090', 'localhost:9191']", `: localhost:9090 localhost:9191 my="label"`, ""},
		{"labels:\ntargets:\n  'localhost:9090'", "", "cannot unmarshal"},
	} {
		var g discovery.Group
		err := yaml.Unmarshal([]byte(c.yaml), &g)
		if c.err != "" {
			require.ErrorContains(t, err, c.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, c.want, discoverytest.String([]*discovery.Group{&g}))
	}
}

// targetgroup_test.go: TestTargetGroupJSONMarshal, TestTargetGroupYamlMarshal
// and TestString: labels are left out when empty, targets are addresses,
// and String is the Source alone.
func TestPromGroupEncoding(t *testing.T) {
	b, err := json.Marshal(discovery.Group{})
	require.NoError(t, err)
	require.JSONEq(t, `{"targets": []}`, string(b))
	g := discovery.Group{Source: "<source>", Targets: []discovery.Labels{{discovery.AddressLabel: "localhost:9090"}, {discovery.AddressLabel: "localhost:9091"}}, Labels: discovery.Labels{"foo": "bar", "bar": "baz"}}
	b, err = json.Marshal(g)
	require.NoError(t, err)
	require.JSONEq(t, `{"targets": ["localhost:9090", "localhost:9091"], "labels": {"bar": "baz", "foo": "bar"}}`, string(b))
	y, err := yaml.Marshal(discovery.Group{})
	require.NoError(t, err)
	require.Equal(t, "targets: []\n", string(y))
	y, err = yaml.Marshal(g)
	require.NoError(t, err)
	require.Equal(t, "targets:\n    - localhost:9090\n    - localhost:9091\nlabels:\n    bar: baz\n    foo: bar\n", string(y))
	empty := discovery.Group{Source: "<source>", Targets: []discovery.Labels{}, Labels: discovery.Labels{}}
	require.Equal(t, "<source>", g.String())
	require.Equal(t, g.String(), empty.String())
	require.False(t, errors.Is(nil, discovery.ErrStopped))
}
