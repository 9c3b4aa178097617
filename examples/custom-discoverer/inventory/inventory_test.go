package inventory_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/examples/custom-discoverer/inventory"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// writeHosts writes one file per host into dir.
func writeHosts(t *testing.T, dir string, hosts map[string]string) {
	t.Helper()
	for name, content := range hosts {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
}

// run runs d in a goroutine with an error reporter, and returns its update
// channel, the errors it reports, and a function that stops it and waits.
func run(t *testing.T, d discovery.Discoverer) (up chan []*discovery.Group, reported chan error, stop func()) {
	reported = make(chan error, 1)
	ctx, cancel := context.WithCancel(discovery.WithErrorReporter(t.Context(), func(err error) { reported <- err }))
	up = make(chan []*discovery.Group)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, up)
	}()
	return up, reported, func() {
		cancel()
		<-done
	}
}

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	writeHosts(t, dir, map[string]string{
		"web-1":      "role: web\n",
		"db-1":       "role: db\nzone: b\n",
		"bare":       "",
		".hidden":    "role: skipped\n",
		"web-2.tmp":  "role: skipped\n",
		"README.tmp": "not a host",
	})
	require.NoError(t, os.Mkdir(filepath.Join(dir, "subdir"), 0o755))

	cfg := inventory.DefaultConfig()
	cfg.Dir = dir
	groups := discoverytest.Run(t, cfg)
	require.Equal(t, `bare: bare:9100 __meta_inventory_host="bare"
db-1: db-1:9100 __meta_inventory_host="db-1" role="db" zone="b"
web-1: web-1:9100 __meta_inventory_host="web-1" role="web"`, discoverytest.String(groups))
}

func TestConformanceEmptyDirectory(t *testing.T) {
	cfg := inventory.DefaultConfig()
	cfg.Dir = t.TempDir()
	require.Empty(t, discoverytest.Run(t, cfg))
}

func TestDecodeYAML(t *testing.T) {
	var sets map[string]discovery.Configs
	require.NoError(t, yaml.Unmarshal([]byte(`
nodes:
  inventory_sd_configs:
    - dir: /etc/inventory
    - dir: /srv/inventory
      port: 22
      refresh_interval: 5s
`), &sets))
	require.Len(t, sets["nodes"], 2)
	require.Equal(t, &inventory.Config{Dir: "/etc/inventory", Port: 9100, RefreshInterval: 30 * time.Second}, sets["nodes"][0])
	require.Equal(t, &inventory.Config{Dir: "/srv/inventory", Port: 22, RefreshInterval: 5 * time.Second}, sets["nodes"][1])
}

func TestDecodeYAMLRejectsBadEntries(t *testing.T) {
	var sets map[string]discovery.Configs
	err := yaml.Unmarshal([]byte(`
nodes:
  inventory_sd_configs:
    - port: 0
      refresh_interval: 0s
`), &sets)
	require.EqualError(t, err, "discovery: inventory_sd_configs[0]: "+
		"options: dir = \"\": must not be empty\n"+
		"options: port = 0: must be between 1 and 65535\n"+
		"options: refresh_interval = 0s: must be > 0")

	err = yaml.Unmarshal([]byte("nodes: {inventory_sd_configs: [{dir: /x, ports: 22}]}"), &sets)
	require.ErrorContains(t, err, `unknown field "ports"`)
	require.ErrorContains(t, err, `did you mean "port"?`)
}

// A file that breaks keeps its host's last good labels and is reported;
// the next read sends only what changed.
func TestBrokenFileKeepsLastGoodGroup(t *testing.T) {
	dir := t.TempDir()
	writeHosts(t, dir, map[string]string{"web-1": "role: web\n", "db-1": "role: db\n"})
	cfg := inventory.Config{Dir: dir, Port: 22, RefreshInterval: time.Minute}
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{})
	require.NoError(t, err)

	synctest.Test(t, func(t *testing.T) {
		up, reported, stop := run(t, d)

		require.Equal(t, `db-1: db-1:22 __meta_inventory_host="db-1" role="db"
web-1: web-1:22 __meta_inventory_host="web-1" role="web"`, discoverytest.String(<-up))

		writeHosts(t, dir, map[string]string{"db-1": "role: [db\n", "cache-1": "role: cache\n"})
		time.Sleep(time.Minute) // the next read, in the bubble's fake time
		require.Equal(t, `cache-1: cache-1:22 __meta_inventory_host="cache-1" role="cache"`, discoverytest.String(<-up))
		require.ErrorContains(t, <-reported, "inventory: host db-1: want a mapping of label names to values")

		writeHosts(t, dir, map[string]string{"db-1": "role: db\nzone: b\n"})
		require.NoError(t, os.Remove(filepath.Join(dir, "web-1")))
		time.Sleep(time.Minute)
		require.Equal(t, `db-1: db-1:22 __meta_inventory_host="db-1" role="db" zone="b"
web-1: `, discoverytest.String(<-up))

		stop()
	})
}

func TestNewDiscovererRejectsBadConfig(t *testing.T) {
	_, err := (&inventory.Config{}).NewDiscoverer(discovery.DiscovererOptions{})
	require.ErrorContains(t, err, `options: dir = "": must not be empty`)
}

func TestReservedLabelNamesAreReported(t *testing.T) {
	dir := t.TempDir()
	writeHosts(t, dir, map[string]string{"web-1": "__address__: elsewhere:1\n", "web-2": "role: web\n"})
	cfg := inventory.Config{Dir: dir, Port: 80, RefreshInterval: time.Minute}
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{})
	require.NoError(t, err)

	synctest.Test(t, func(t *testing.T) {
		up, reported, stop := run(t, d)
		require.Equal(t, `web-2: web-2:80 __meta_inventory_host="web-2" role="web"`, discoverytest.String(<-up))
		require.EqualError(t, <-reported, `refresh: inventory: host web-1: label "__address__": names must not be empty or start with __`)
		stop()
	})
}
