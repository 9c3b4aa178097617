package all_test

import (
	"fmt"
	"os"
	"slices"
	"testing"

	promdisc "github.com/prometheus/prometheus/discovery"
	_ "github.com/prometheus/prometheus/discovery/install"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
	"github.com/ecopatterns/ecopatterns/discovery/promsd/all"
)

func TestMain(m *testing.M) {
	// Every test needs the mechanisms registered, in whatever order the
	// tests run (-shuffle included): register them once, here.
	if err := all.Register(promsd.DefaultOptions()); err != nil {
		fmt.Fprintln(os.Stderr, "all.Register:", err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m,
		// Started by packages that Prometheus's mechanisms link, once per
		// process, from their init functions.
		goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
		goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"),
	)
}

// Register covers every mechanism that Prometheus's install package
// registers with Prometheus, so an upgrade that adds one fails here.
// TestMain has called Register.
func TestRegisterCoversInstall(t *testing.T) {
	names := all.Names()
	ours := discovery.RegisteredNames()
	for _, name := range promdisc.RegisteredConfigNames() {
		if name == "static" {
			continue
		}
		alias, ok := names[name]
		require.True(t, ok, "Prometheus mechanism %q is not in all.Register", name)
		require.True(t, slices.Contains(ours, alias), "%q is not registered as %q", name, alias)
		if slices.Contains(promsd.NativeNames, name) {
			require.Equal(t, all.AliasPrefix+name, alias)
		} else {
			require.Equal(t, name, alias)
		}
	}
	require.Len(t, names, len(promdisc.RegisteredConfigNames())-1)

	// A second call names what was already registered.
	err := all.Register(promsd.DefaultOptions())
	require.ErrorIs(t, err, promsd.ErrRegistered)

	// A Prometheus configuration using several of them decodes as is.
	var sets map[string]discovery.Configs
	require.NoError(t, yaml.Unmarshal([]byte(`
job:
  ec2_sd_configs:
    - region: eu-west-1
  dockerswarm_sd_configs:
    - host: unix:///var/run/docker.sock
      role: tasks
  prometheus_file_sd_configs:
    - files: [targets.json]
`), &sets))
	require.Len(t, sets["job"], 3)
	require.Equal(t, "prometheus_file", sets["job"][2].Name())
}
