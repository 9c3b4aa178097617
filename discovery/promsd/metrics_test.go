package promsd_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promhttp "github.com/prometheus/prometheus/discovery/http"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

// metricNames returns the names of the metric families reg gathers, with
// the provider label of their first series.
func metricNames(t *testing.T, reg *prometheus.Registry) map[string]string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]string{}
	for _, mf := range mfs {
		provider := ""
		for _, lp := range mf.GetMetric()[0].GetLabel() {
			if lp.GetName() == "provider" {
				provider = lp.GetValue()
			}
		}
		out[mf.GetName()] = provider
	}
	return out
}

// The mechanism's metrics are registered on the Registerer of the options
// while its discoverer runs, labelled with the provider, and unregistered
// when it stops.
func TestMetricsRegisteredWhileRunning(t *testing.T) {
	srv := newSDServer(t, `[{"targets": ["a:1"]}]`)
	reg := prometheus.NewRegistry()
	opts := promsd.DefaultOptions()
	opts.Registerer = reg
	cfg, err := promsd.New(&promhttp.SDConfig{
		URL:              srv.URL,
		RefreshInterval:  promhttp.DefaultSDConfig.RefreshInterval,
		HTTPClientConfig: promhttp.DefaultSDConfig.HTTPClientConfig,
	}, opts)
	require.NoError(t, err)
	require.Equal(t, "prometheus_http", cfg.Name(), "the name registered for the type")

	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{Provider: "prometheus_http/7"})
	require.NoError(t, err)
	require.Empty(t, metricNames(t, reg), "nothing is registered before Run")

	ctx, cancel := context.WithCancel(context.Background())
	up := make(chan []*discovery.Group)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, up) }()
	select {
	case groups := <-up:
		require.Equal(t, []string{"a:1"}, addresses(groups))
	case <-time.After(30 * time.Second):
		t.Fatal("no first update")
	}
	names := metricNames(t, reg)
	require.Contains(t, names, "prometheus_sd_http_failures_total")
	require.Contains(t, names, "prometheus_sd_refresh_duration_seconds")
	require.Equal(t, "prometheus_http/7", names["prometheus_sd_http_failures_total"])

	cancel()
	<-done
	require.Empty(t, metricNames(t, reg), "everything is unregistered when Run returns")
}
