package promsd_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

// fakeKubernetes serves pods the way the API server does for a client
// that lists and watches them in JSON: GET /api/v1/pods lists them; with
// ?watch=true it streams events, opening with the current pods and a
// bookmark when the client asks for initial events (the watch-list
// protocol), then one event per change until the request ends.
type fakeKubernetes struct {
	*httptest.Server
	mu      sync.Mutex
	version int
	pods    map[string]map[string]any
	watches []chan string
}

func newFakeKubernetes(t testing.TB) *fakeKubernetes {
	f := &fakeKubernetes{version: 1, pods: map[string]map[string]any{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeKubernetes) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/pods" {
		http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	q := r.URL.Query()
	if q.Get("watch") != "true" {
		f.mu.Lock()
		items := make([]map[string]any, 0, len(f.pods))
		for _, p := range f.pods {
			items = append(items, p)
		}
		body := map[string]any{"kind": "PodList", "apiVersion": "v1",
			"metadata": map[string]any{"resourceVersion": fmt.Sprint(f.version)}, "items": items}
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	events := make(chan string, 64)
	f.mu.Lock()
	if q.Get("sendInitialEvents") == "true" {
		for _, p := range f.pods {
			events <- event("ADDED", p)
		}
		events <- event("BOOKMARK", map[string]any{"kind": "Pod", "apiVersion": "v1", "metadata": map[string]any{
			"resourceVersion": fmt.Sprint(f.version),
			"annotations":     map[string]string{"k8s.io/initial-events-end": "true"},
		}})
	}
	f.watches = append(f.watches, events)
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	for {
		select {
		case e := <-events:
			_, _ = w.Write([]byte(e + "\n"))
			w.(http.Flusher).Flush()
		case <-r.Context().Done():
			return
		}
	}
}

func event(typ string, obj map[string]any) string {
	b, _ := json.Marshal(map[string]any{"type": typ, "object": obj})
	return string(b)
}

// setPod adds or replaces a pod and tells every watch.
func (f *fakeKubernetes) setPod(name, ip string, port int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	typ := "MODIFIED"
	if _, ok := f.pods[name]; !ok {
		typ = "ADDED"
	}
	p := map[string]any{
		"kind": "Pod", "apiVersion": "v1",
		"metadata": map[string]any{"name": name, "namespace": "default", "uid": "uid-" + name,
			"resourceVersion": fmt.Sprint(f.version), "labels": map[string]string{"app": "web"}},
		"spec": map[string]any{"nodeName": "node-1", "containers": []map[string]any{{
			"name": "app", "image": "app:1", "ports": []map[string]any{{"name": "http", "containerPort": port, "protocol": "TCP"}},
		}}},
		"status": map[string]any{"phase": "Running", "podIP": ip, "hostIP": "192.168.0.1"},
	}
	f.pods[name] = p
	for _, w := range f.watches {
		select {
		case w <- event(typ, p):
		default:
		}
	}
}

// kubeconfig writes a kubeconfig file for server and returns its path.
func kubeconfig(t testing.TB, server string) string {
	return writeFile(t, t.TempDir(), "kubeconfig", `
apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: {server: "`+server+`"}
users:
  - name: fake
    user: {token: kube-t0ken}
contexts:
  - name: fake
    context: {cluster: fake, user: fake}
current-context: fake
`)
}

func TestKubernetesPodsFromFakeAPIServer(t *testing.T) {
	k := newFakeKubernetes(t)
	k.setPod("web-1", "10.0.0.5", 8080)
	cfg := decodeOne(t, "kubernetes_sd_configs: [{role: pod, kubeconfig_file: '"+kubeconfig(t, k.URL)+"'}]")
	groups := discoverytest.Run(t, cfg)
	require.Equal(t, []string{"10.0.0.5:8080"}, addresses(groups))
	got := targets(groups)[0]
	require.Equal(t, "web-1", got["__meta_kubernetes_pod_name"])
	require.Equal(t, "default", got["__meta_kubernetes_namespace"])
	require.Equal(t, "web", got["__meta_kubernetes_pod_label_app"])
	require.Equal(t, "pod/default/web-1", groups[0].Source)

	m := startManager(t, map[string]discovery.Configs{"k8s": {cfg}})
	m.waitSnapshot("the pod", func(s map[string][]*discovery.Group) bool {
		return strings.Join(addresses(s["k8s"]), ",") == "10.0.0.5:8080"
	})
	k.setPod("web-2", "10.0.0.6", 8080)
	m.waitSnapshot("the second pod, watched", func(s map[string][]*discovery.Group) bool {
		return strings.Join(sortedAddresses(s["k8s"]), ",") == "10.0.0.5:8080,10.0.0.6:8080"
	})
}

// A Kubernetes discoverer whose API server does not answer sends nothing;
// the adapter reports that once FirstUpdateTimeout passed.
func TestKubernetesUnreachableIsReported(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	// client-go's reflector, which Prometheus's Kubernetes mechanism runs,
	// sleeps out its retry backoff (up to 30 s) without watching its stop
	// channel, so its goroutines outlive the discoverer's Run by that
	// long after a failed watch. Wait for them rather than ignore them.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		start := time.Now()
		for {
			err := goleak.Find(append([]goleak.Option{ignore}, leakOptions...)...)
			if err == nil {
				t.Logf("client-go's goroutines ended %s after the discoverer stopped", time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Since(start) > time.Minute {
				t.Errorf("goroutines still running a minute after the discoverer stopped: %v", err)
				return
			}
		}
	})

	m := startManager(t, map[string]discovery.Configs{"k8s": {
		decodeOne(t, "kubernetes_sd_configs: [{role: pod, kubeconfig_file: '"+kubeconfig(t, "http://"+addr)+"'}]"),
	}})
	p := m.waitProvider("kubernetes", "the report", func(p discovery.ProviderInfo) bool { return p.LastError != nil })
	require.True(t, errors.Is(p.LastError, promsd.ErrNoFirstUpdate), "%v", p.LastError)
	require.Equal(t, discovery.StateErroring, p.State)
	require.Contains(t, p.LastError.Error(), "kubernetes sent nothing within")
}

func TestKubernetesBadKubeconfigFailsToBuild(t *testing.T) {
	path := writeFile(t, t.TempDir(), "kubeconfig", "not: [a kubeconfig")
	cfg := decodeOne(t, "kubernetes_sd_configs: [{role: pod, kubeconfig_file: '"+path+"'}]")
	_, err := cfg.NewDiscoverer(discovery.DiscovererOptions{Provider: "kubernetes/0"})
	require.ErrorContains(t, err, "promsd: kubernetes:")
}
