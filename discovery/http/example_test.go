package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	_ "github.com/ecopatterns/ecopatterns/discovery/http" // registers http_sd_configs
)

// Targets served by an HTTP endpoint, configured under http_sd_configs and
// run under a Manager.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"env": "prod"}}]`)
	}))
	defer srv.Close()

	var sets map[string]discovery.Configs
	config := "nodes:\n  http_sd_configs:\n    - url: " + srv.URL + "/targets\n      refresh_interval: 30s\n"
	if err := yaml.Unmarshal([]byte(config), &sets); err != nil {
		fmt.Println(err)
		return
	}
	m, _ := discovery.NewManager(discovery.DefaultManagerOptions())
	if err := m.ApplyConfig(sets); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	<-m.Ready()
	snapshot := <-m.SyncCh()
	fmt.Println(strings.ReplaceAll(discoverytest.String(snapshot["nodes"]), srv.URL, "URL"))
	cancel()
	for range m.SyncCh() {
	}
	fmt.Println("run:", <-done)
	// Output:
	// URL/targets:0: 10.0.0.1:9100 10.0.0.2:9100 __meta_url="URL/targets" env="prod"
	// run: <nil>
}
