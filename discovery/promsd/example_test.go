package promsd_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/prometheus/discovery/consul"
	promhttp "github.com/prometheus/prometheus/discovery/http"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

// A Prometheus http_sd_configs section, registered under the alias
// prometheus_http (ecopatterns serves http_sd_configs natively), run by an
// ecopatterns Manager.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"env": "prod"}}]`)
	}))
	defer srv.Close()

	// In a program: promsd.RegisterAs("prometheus_http", &http.SDConfig{}, promsd.DefaultOptions()),
	// once, before decoding. This package's tests did it already.
	doc := `
node:
  prometheus_http_sd_configs:
    - url: ` + srv.URL + `
      refresh_interval: 30s
`
	var sets map[string]discovery.Configs
	if err := yaml.Unmarshal([]byte(doc), &sets); err != nil {
		fmt.Println(err)
		return
	}
	m, err := discovery.NewManager(discovery.DefaultManagerOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.ApplyConfig(sets); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()

	for _, g := range (<-m.SyncCh())["node"] {
		fmt.Println(strings.TrimPrefix(g.Source, srv.URL), addresses([]*discovery.Group{g}), g.Labels["env"])
	}
	cancel()
	fmt.Println("run:", <-done)
	// Output:
	// :0 [10.0.0.1:9100 10.0.0.2:9100] prod
	// run: <nil>
}

// A misspelt key fails with its line and the closest field, and secrets
// are printed as <secret>.
func ExampleConfig_UnmarshalYAML() {
	var cfgs discovery.Configs
	err := yaml.Unmarshal([]byte(`
consul_sd_configs:
  - server: consul.service:8500
    tokn: s3cr3t
`), &cfgs)
	fmt.Println(err)

	err = yaml.Unmarshal([]byte(`
consul_sd_configs:
  - server: consul.service:8500
    token: s3cr3t
    services: [web]
`), &cfgs)
	fmt.Println(err)
	c := cfgs[0].(*promsd.Config[*consul.SDConfig])
	fmt.Println(c.Prometheus().Services, c.Prometheus().RefreshInterval, "(Prometheus's default)")
	fmt.Println(strings.Contains(c.String(), "token: <secret>"), strings.Contains(c.String(), "s3cr3t"))
	// Output:
	// discovery: consul_sd_configs[0]: promsd: line 4: unknown field "tokn" (did you mean "token"?)
	// <nil>
	// [web] 30s (Prometheus's default)
	// true false
}

// A Prometheus configuration built in code, run without a Manager.
func ExampleNew() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"targets": ["a:1"]}]`)
	}))
	defer srv.Close()

	entry := promhttp.DefaultSDConfig
	entry.URL = srv.URL
	cfg, err := promsd.New(&entry, promsd.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	up := make(chan []*discovery.Group)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, up) }()
	groups := <-up
	cancel()
	<-done
	fmt.Println(cfg.Name(), addresses(groups))
	// Output:
	// prometheus_http [a:1]
}
