package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// prometheusYML is the demonstration's configuration: what a Prometheus
// user already has, only the Consul address is the fake agent's.
const prometheusYML = `global:
  scrape_interval: 15s

scrape_configs:
  - job_name: services
    scrape_interval: 30s
    consul_sd_configs:
      - server: %s
        refresh_interval: 1s
        tags: [metrics]
    relabel_configs:
      - source_labels: [__meta_consul_service]
        target_label: service

  - job_name: node
    file_sd_configs:
      - files: [targets/*.yml]
    static_configs:
      - targets: ["localhost:9100"]
        labels: {env: local}
`

// demo writes prometheus.yml and a targets file in a temporary directory,
// serves a fake Consul agent, and prints the targets before and after a
// service appears in Consul and a target is added to the file.
func demo(ctx context.Context, out io.Writer) error {
	agent := newAgent()
	agent.set("api", instance{Node: "node-1", Address: "10.0.0.1", Port: 8080, Tags: []string{"metrics"}, Status: "passing"})
	agent.set("cache", instance{Node: "node-2", Address: "10.0.0.2", Port: 6379, Tags: []string{"internal"}, Status: "passing"})
	srv := httptest.NewServer(agent)
	defer srv.Close()

	dir, err := os.MkdirTemp("", "prometheus-sd")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Mkdir(filepath.Join(dir, "targets"), 0o755); err != nil {
		return err
	}
	targetsFile := filepath.Join(dir, "targets", "nodes.yml")
	if err := os.WriteFile(targetsFile, []byte("- targets: [\"db-1:9100\"]\n  labels: {env: prod}\n"), 0o644); err != nil {
		return err
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(prometheusYML, strings.TrimPrefix(srv.URL, "http://"))), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(out, "prometheus.yml: jobs services (consul_sd_configs) and node (file_sd_configs, static_configs)")
	sets, err := loadScrapeConfigs(config)
	if err != nil {
		return err
	}

	// Each step changes the world, then waits for the snapshot that shows
	// it and prints that.
	steps := []struct {
		title  string
		change func() error
		want   string // a line the snapshot must hold
	}{
		{"first snapshot", func() error { return nil }, "10.0.0.1:8080"},
		{"Consul: service web registered with tag metrics", func() error {
			agent.set("web", instance{Node: "node-3", Address: "10.0.0.3", Port: 80, Tags: []string{"metrics"}, Status: "passing"})
			return nil
		}, "10.0.0.3:80"},
		{"file: db-2 added to targets/nodes.yml", func() error {
			return os.WriteFile(targetsFile, []byte("- targets: [\"db-1:9100\", \"db-2:9100\"]\n  labels: {env: prod}\n"), 0o644)
		}, "db-2:9100"},
	}
	step := 0
	if err := steps[0].change(); err != nil {
		return err
	}
	var stepErr error
	ctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	err = watch(ctx, sets, out, func(s map[string][]*discovery.Group) bool {
		var b strings.Builder
		print(&b, s)
		if !complete(s) || !strings.Contains(b.String(), steps[step].want) {
			return true
		}
		fmt.Fprintf(out, "-- %s\n%s", steps[step].title, b.String())
		step++
		if step == len(steps) {
			return false
		}
		if stepErr = steps[step].change(); stepErr != nil {
			return false
		}
		return true
	})
	if stepErr != nil {
		return stepErr
	}
	if err != nil {
		return err
	}
	if step < len(steps) {
		return fmt.Errorf("step %q did not show within %s", steps[step].title, waitFor)
	}
	return nil
}

// complete reports whether both jobs have targets.
func complete(s map[string][]*discovery.Group) bool {
	n := 0
	for _, job := range []string{"services", "node"} {
		for _, g := range s[job] {
			if len(g.Targets) > 0 {
				n++
				break
			}
		}
	}
	return n == 2
}

// agent is a fake Consul agent: the catalog and health endpoints that
// Prometheus's consul_sd reads, with blocking queries (?index=N waits
// until the catalog changes past N).
type agent struct {
	mu       sync.Mutex
	index    uint64
	changed  chan struct{}
	services map[string][]instance
}

type instance struct {
	Node, Address string
	Port          int
	Tags          []string
	Status        string
}

func newAgent() *agent {
	return &agent{index: 1, changed: make(chan struct{}), services: map[string][]instance{}}
}

func (a *agent) set(service string, insts ...instance) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.services[service] = insts
	a.index++
	close(a.changed)
	a.changed = make(chan struct{})
}

func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/v1/agent/self":
		reply(w, 0, map[string]any{"Config": map[string]any{"Datacenter": "dc1"}})
	case r.URL.Path == "/v1/catalog/services":
		index, ok := a.wait(r)
		if !ok {
			return
		}
		a.mu.Lock()
		out := map[string][]string{}
		for name, insts := range a.services {
			out[name] = insts[0].Tags
		}
		a.mu.Unlock()
		reply(w, index, out)
	case strings.HasPrefix(r.URL.Path, "/v1/health/service/"):
		index, ok := a.wait(r)
		if !ok {
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/v1/health/service/")
		a.mu.Lock()
		entries := []map[string]any{}
		for _, in := range a.services[name] {
			entries = append(entries, map[string]any{
				"Node":    map[string]any{"Node": in.Node, "Address": in.Address, "Datacenter": "dc1"},
				"Service": map[string]any{"ID": name + "-1", "Service": name, "Tags": in.Tags, "Port": in.Port},
				"Checks":  []map[string]any{{"Status": in.Status}},
			})
		}
		a.mu.Unlock()
		reply(w, index, entries)
	default:
		http.NotFound(w, r)
	}
}

func (a *agent) wait(r *http.Request) (uint64, bool) {
	want, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	for {
		a.mu.Lock()
		index, changed := a.index, a.changed
		a.mu.Unlock()
		if index > want {
			return index, true
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return 0, false
		}
	}
}

func reply(w http.ResponseWriter, index uint64, v any) {
	w.Header().Set("Content-Type", "application/json")
	if index > 0 {
		w.Header().Set("X-Consul-Index", strconv.FormatUint(index, 10))
	}
	_ = json.NewEncoder(w).Encode(v)
}
