package promsd_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

// fakeConsul serves the part of Consul's HTTP API that Prometheus's
// consul_sd uses: /v1/agent/self for the datacenter, /v1/catalog/services
// and /v1/health/service/<name>, both as blocking queries (a request with
// ?index=N waits until the state's index passes N, and every answer
// carries X-Consul-Index).
type fakeConsul struct {
	*httptest.Server
	mu       sync.Mutex
	index    uint64
	changed  chan struct{} // closed and replaced at every change
	services map[string][]consulInstance
}

type consulInstance struct {
	Node, NodeAddress string
	ID, Address       string
	Port              int
	Tags              []string
	Meta              map[string]string
	Status            string
}

func newFakeConsul(t testing.TB) *fakeConsul {
	f := &fakeConsul{index: 1, changed: make(chan struct{}), services: map[string][]consulInstance{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/agent/self", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 0, map[string]any{"Config": map[string]any{"Datacenter": "dc1"}})
	})
	mux.HandleFunc("GET /v1/catalog/services", func(w http.ResponseWriter, r *http.Request) {
		index, ok := f.wait(r)
		if !ok {
			return
		}
		f.mu.Lock()
		out := map[string][]string{}
		for name, insts := range f.services {
			tags := []string{}
			for _, in := range insts {
				tags = append(tags, in.Tags...)
			}
			out[name] = tags
		}
		f.mu.Unlock()
		writeJSON(w, index, out)
	})
	mux.HandleFunc("GET /v1/health/service/{name}", func(w http.ResponseWriter, r *http.Request) {
		index, ok := f.wait(r)
		if !ok {
			return
		}
		f.mu.Lock()
		insts := f.services[r.PathValue("name")]
		out := make([]map[string]any, 0, len(insts))
		for _, in := range insts {
			out = append(out, map[string]any{
				"Node": map[string]any{
					"Node": in.Node, "Address": in.NodeAddress, "Datacenter": "dc1",
					"TaggedAddresses": map[string]string{"lan": in.NodeAddress},
					"Meta":            map[string]string{"rack": "r1"},
				},
				"Service": map[string]any{
					"ID": in.ID, "Service": r.PathValue("name"), "Tags": in.Tags,
					"Address": in.Address, "Port": in.Port, "Meta": in.Meta,
				},
				"Checks": []map[string]any{{"Status": in.Status}},
			})
		}
		f.mu.Unlock()
		writeJSON(w, index, out)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// wait blocks a request carrying ?index=N until the index passes N or the
// request ends, and returns the index to answer with.
func (f *fakeConsul) wait(r *http.Request) (uint64, bool) {
	want, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	for {
		f.mu.Lock()
		index, changed := f.index, f.changed
		f.mu.Unlock()
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

// set replaces the instances of service (none removes it) and bumps the
// index, waking every blocking query.
func (f *fakeConsul) set(service string, insts ...consulInstance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(insts) == 0 {
		delete(f.services, service)
	} else {
		f.services[service] = insts
	}
	f.index++
	close(f.changed)
	f.changed = make(chan struct{})
}

func writeJSON(w http.ResponseWriter, index uint64, v any) {
	w.Header().Set("Content-Type", "application/json")
	if index > 0 {
		w.Header().Set("X-Consul-Index", strconv.FormatUint(index, 10))
	}
	_ = json.NewEncoder(w).Encode(v)
}

func TestConsulEndToEnd(t *testing.T) {
	c := newFakeConsul(t)
	c.set("web", consulInstance{Node: "n1", NodeAddress: "10.0.0.1", ID: "web-1", Port: 8080,
		Tags: []string{"blue", "canary"}, Meta: map[string]string{"version": "1.2"}, Status: "passing"})
	m := startManager(t, decodeSets(t, `
apps:
  consul_sd_configs:
    - server: `+strings.TrimPrefix(c.URL, "http://")+`
      refresh_interval: 10ms
`))

	first := m.waitSnapshot("web", func(s map[string][]*discovery.Group) bool {
		return strings.Join(addresses(s["apps"]), ",") == "10.0.0.1:8080"
	})
	got := targets(first["apps"])[0]
	for k, v := range map[string]string{
		"__meta_consul_service":                  "web",
		"__meta_consul_dc":                       "dc1",
		"__meta_consul_node":                     "n1",
		"__meta_consul_address":                  "10.0.0.1",
		"__meta_consul_service_id":               "web-1",
		"__meta_consul_service_port":             "8080",
		"__meta_consul_service_address":          "",
		"__meta_consul_tags":                     ",blue,canary,",
		"__meta_consul_health":                   "passing",
		"__meta_consul_metadata_rack":            "r1",
		"__meta_consul_service_metadata_version": "1.2",
		"__meta_consul_tagged_address_lan":       "10.0.0.1",
	} {
		require.Equal(t, v, got[k], "label %s", k)
	}
	require.Equal(t, "web", first["apps"][0].Source)

	// A service appears.
	c.set("db", consulInstance{Node: "n2", NodeAddress: "10.0.0.2", ID: "db-1", Address: "10.1.0.2", Port: 5432, Status: "passing"})
	m.waitSnapshot("db", func(s map[string][]*discovery.Group) bool {
		return strings.Join(sortedAddresses(s["apps"]), ",") == "10.0.0.1:8080,10.1.0.2:5432"
	})

	// A service changes: a second instance, the first turns critical.
	c.set("web",
		consulInstance{Node: "n1", NodeAddress: "10.0.0.1", ID: "web-1", Port: 8080, Status: "critical"},
		consulInstance{Node: "n3", NodeAddress: "10.0.0.3", ID: "web-2", Port: 8080, Status: "passing"})
	changed := m.waitSnapshot("web changed", func(s map[string][]*discovery.Group) bool {
		return strings.Join(sortedAddresses(s["apps"]), ",") == "10.0.0.1:8080,10.0.0.3:8080,10.1.0.2:5432"
	})
	for _, tg := range targets(changed["apps"]) {
		if tg["__meta_consul_service_id"] == "web-1" {
			require.Equal(t, "critical", tg["__meta_consul_health"])
		}
	}

	// A service goes.
	c.set("web")
	m.waitSnapshot("web gone", func(s map[string][]*discovery.Group) bool {
		return strings.Join(sortedAddresses(s["apps"]), ",") == "10.1.0.2:5432"
	})
}

func sortedAddresses(groups []*discovery.Group) []string {
	a := addresses(groups)
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if a[j] < a[i] {
				a[i], a[j] = a[j], a[i]
			}
		}
	}
	return a
}

func TestConsulConformance(t *testing.T) {
	c := newFakeConsul(t)
	c.set("web", consulInstance{Node: "n1", NodeAddress: "10.0.0.1", ID: "web-1", Port: 8080, Status: "passing"})
	// A fully defined service list: the mechanism watches it without the
	// catalog and its first send is the service's group.
	cfg := decodeOne(t, "consul_sd_configs: [{server: '"+strings.TrimPrefix(c.URL, "http://")+"', services: [web], datacenter: dc1}]")
	groups := discoverytest.Run(t, cfg)
	require.Equal(t, []string{"10.0.0.1:8080"}, addresses(groups))
}

// One Manager runs a set that mixes the native file_sd_configs and the
// adapted consul_sd_configs, decoded from one YAML document.
func TestMixedNativeAndAdapted(t *testing.T) {
	c := newFakeConsul(t)
	c.set("web", consulInstance{Node: "n1", NodeAddress: "10.0.0.1", ID: "web-1", Port: 8080, Status: "passing"})
	dir := t.TempDir()
	file := writeFile(t, dir, "targets.yaml", "- targets: ['file-1:9100']\n  labels: {from: file}\n")
	sets := decodeSets(t, `
mixed:
  file_sd_configs:
    - files: [`+file+`]
  consul_sd_configs:
    - server: `+strings.TrimPrefix(c.URL, "http://")+`
      services: [web]
`)
	require.Len(t, sets["mixed"], 2)
	m := startManager(t, sets)
	s := m.waitSnapshot("both mechanisms' targets", func(s map[string][]*discovery.Group) bool {
		return strings.Join(sortedAddresses(s["mixed"]), ",") == "10.0.0.1:8080,file-1:9100"
	})
	for _, tg := range targets(s["mixed"]) {
		if tg["__address__"] == "file-1:9100" {
			require.Equal(t, "file", tg["from"])
		} else {
			require.Equal(t, "web", tg["__meta_consul_service"])
		}
	}
}
