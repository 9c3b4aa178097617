package main

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery/file"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wantOutput = `prometheus.yml: jobs services (consul_sd_configs) and node (file_sd_configs, static_configs)
-- first snapshot
node: 2 targets
  db-1:9100 filepath=nodes.yml env=prod
  localhost:9100 env=local
services: 1 targets
  10.0.0.1:8080 consul_service=api consul_health=passing
-- Consul: service web registered with tag metrics
node: 2 targets
  db-1:9100 filepath=nodes.yml env=prod
  localhost:9100 env=local
services: 2 targets
  10.0.0.1:8080 consul_service=api consul_health=passing
  10.0.0.3:80 consul_service=web consul_health=passing
-- file: db-2 added to targets/nodes.yml
node: 3 targets
  db-1:9100 filepath=nodes.yml env=prod
  db-2:9100 filepath=nodes.yml env=prod
  localhost:9100 env=local
services: 2 targets
  10.0.0.1:8080 consul_service=api consul_health=passing
  10.0.0.3:80 consul_service=web consul_health=passing
`

// The demonstration, as go run runs it.
func TestDemo(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(t.Context(), nil, &out))
	require.Equal(t, wantOutput, out.String())
}

// A Prometheus configuration file is read as Prometheus reads its
// discovery sections; its relative paths resolve against its directory.
func TestLoadScrapeConfigs(t *testing.T) {
	sets, err := loadScrapeConfigs(filepath.Join("testdata", "prometheus.yml"))
	require.NoError(t, err)
	require.Len(t, sets["k8s-pods"], 1)
	require.Equal(t, "kubernetes", sets["k8s-pods"][0].Name())
	require.Len(t, sets["consul"], 1)
	require.Len(t, sets["files"], 2)
	abs, err := filepath.Abs(filepath.Join("testdata", "kubeconfig"))
	require.NoError(t, err)
	require.Equal(t, filepath.Join("testdata", "kubeconfig"), sets["k8s-pods"][0].(*promsd.Config[*kubernetes.SDConfig]).Prometheus().KubeConfig, "joined with the file's directory (%s)", abs)
	require.Equal(t, []string{filepath.Join("testdata", "targets", "*.json")}, sets["files"][0].(*file.Config).Files)

	_, err = loadScrapeConfigs(filepath.Join("testdata", "misspelt.yml"))
	require.ErrorContains(t, err, `unknown field "sever" (did you mean "server"?)`)
}

// -duration stops a run on a real configuration file. The run is on
// synctest's clock (static targets need no network), so the first
// snapshot is printed before the duration ends however busy the machine
// is.
func TestRunConfig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		start := time.Now()
		require.NoError(t, run(t.Context(), []string{"-config", filepath.Join("testdata", "static.yml"), "-duration", "300ms"}, &out))
		require.Equal(t, 300*time.Millisecond, time.Since(start), "the run ends after -duration")
		require.Contains(t, out.String(), "web: 2 targets\n  a:80\n  b:80\n")
	})
}
