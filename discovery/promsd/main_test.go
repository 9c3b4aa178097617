package promsd_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/discovery/consul"
	promhttp "github.com/prometheus/prometheus/discovery/http"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	_ "github.com/ecopatterns/ecopatterns/discovery/file"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

// leakOptions are the goroutines goleak tolerates in this package's tests,
// each started once per process by a dependency and not by a discoverer.
var leakOptions = []goleak.Option{
	// klog (linked by Kubernetes's client) flushes its buffers from a
	// goroutine started in its init.
	goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leakOptions...)
}

// testOptions reports a silent mechanism quickly, so that the
// unreachable-server tests do not wait a minute.
func testOptions() promsd.Options {
	o := promsd.DefaultOptions()
	o.FirstUpdateTimeout = 500 * time.Millisecond
	return o
}

func init() {
	// Prometheus's http_sd under an alias (ecopatterns serves "http"
	// natively), consul and kubernetes under their own names.
	must(promsd.RegisterAs("prometheus_http", &promhttp.SDConfig{}, testOptions()))
	must(promsd.Register(&consul.SDConfig{}, testOptions()))
	must(promsd.Register(&kubernetes.SDConfig{}, testOptions()))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// decodeSets decodes a YAML document of target sets.
func decodeSets(t testing.TB, doc string) map[string]discovery.Configs {
	t.Helper()
	var sets map[string]discovery.Configs
	require.NoError(t, yaml.Unmarshal([]byte(doc), &sets))
	return sets
}

// decodeOne decodes a YAML Configs document that holds one Config.
func decodeOne(t testing.TB, doc string) discovery.Config {
	t.Helper()
	var cfgs discovery.Configs
	require.NoError(t, yaml.Unmarshal([]byte(doc), &cfgs))
	require.Len(t, cfgs, 1)
	return cfgs[0]
}

// managerRun is a Manager running under a test.
type managerRun struct {
	*discovery.Manager
	t testing.TB
}

// startManager runs a Manager with sets applied until the test ends.
func startManager(t testing.TB, sets map[string]discovery.Configs) *managerRun {
	t.Helper()
	opts := discovery.DefaultManagerOptions()
	opts.UpdateInterval = 5 * time.Millisecond
	opts.RestartBackoff = 10 * time.Millisecond
	m, err := discovery.NewManager(opts)
	require.NoError(t, err)
	require.NoError(t, m.ApplyConfig(sets))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Errorf("Manager.Run did not return")
		}
	})
	return &managerRun{Manager: m, t: t}
}

// waitSnapshot receives snapshots until ok accepts one, and returns it.
func (m *managerRun) waitSnapshot(what string, ok func(map[string][]*discovery.Group) bool) map[string][]*discovery.Group {
	m.t.Helper()
	deadline := time.After(30 * time.Second)
	var last map[string][]*discovery.Group
	for {
		select {
		case s := <-m.SyncCh():
			last = s
			if ok(s) {
				return s
			}
		case <-deadline:
			m.t.Fatalf("no snapshot with %s within 30s; last: %v", what, describe(last))
			return nil
		}
	}
}

// waitProvider polls Providers until ok accepts the provider of config
// name, and returns it.
func (m *managerRun) waitProvider(config, what string, ok func(discovery.ProviderInfo) bool) discovery.ProviderInfo {
	m.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var seen []discovery.ProviderInfo
		for _, p := range m.Providers() {
			if p.Config == config {
				seen = append(seen, p)
				if ok(p) {
					return p
				}
			}
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("no %s provider with %s within 30s; providers: %+v", config, what, seen)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not hoping for one
	}
}

// targets returns the addresses of a set's targets, in group order, each
// with the group's labels merged under the target's own.
func targets(groups []*discovery.Group) []map[string]string {
	var out []map[string]string
	for _, g := range groups {
		for _, tg := range g.Targets {
			m := map[string]string{}
			for k, v := range g.Labels {
				m[k] = v
			}
			for k, v := range tg {
				m[k] = v
			}
			out = append(out, m)
		}
	}
	return out
}

func addresses(groups []*discovery.Group) []string {
	var out []string
	for _, t := range targets(groups) {
		out = append(out, t[discovery.AddressLabel])
	}
	return out
}

func describe(s map[string][]*discovery.Group) string {
	out := ""
	for set, groups := range s {
		out += fmt.Sprintf("%s=%v ", set, addresses(groups))
	}
	return out
}

// writeFile writes data to name in dir and returns its path.
func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(data), 0o600))
	return p
}

// isLogged reports whether err is a LoggedError whose text contains s.
func isLogged(err error, s string) bool {
	var le *promsd.LoggedError
	return errors.As(err, &le) && containsAll(le.Error(), s)
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
