package promsd_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	promhttp "github.com/prometheus/prometheus/discovery/http"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

// sdServer serves Prometheus's http_sd format from a body the test
// changes.
type sdServer struct {
	*httptest.Server
	mu          sync.Mutex
	body        string
	status      int
	contentType string
	requests    int
}

func newSDServer(t testing.TB, body string) *sdServer {
	s := &sdServer{body: body, status: http.StatusOK, contentType: "application/json"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		body, status, ct := s.body, s.status, s.contentType
		s.requests++
		s.mu.Unlock()
		if ct == "echo-authorization" {
			// Puts the credentials the client sent into the error the
			// mechanism logs, to show they are scrubbed.
			ct = "text/x-" + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sdServer) set(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func TestHTTPEndToEnd(t *testing.T) {
	srv := newSDServer(t, `[
		{"targets": ["a:1", "b:1"], "labels": {"env": "prod"}},
		{"targets": ["c:1"]}
	]`)
	m := startManager(t, decodeSets(t, `
web:
  prometheus_http_sd_configs:
    - url: `+srv.URL+`/sd
      refresh_interval: 100ms
`))

	first := m.waitSnapshot("the first set", func(s map[string][]*discovery.Group) bool { return len(addresses(s["web"])) == 3 })
	require.ElementsMatch(t, []string{"a:1", "b:1", "c:1"}, addresses(first["web"]))
	for _, g := range first["web"] {
		require.True(t, strings.HasPrefix(g.Source, srv.URL+"/sd:"), "Source %q is Prometheus's <url>:<index>", g.Source)
		require.Equal(t, srv.URL+"/sd", g.Labels["__meta_url"])
	}
	require.Contains(t, targets(first["web"]), map[string]string{"__address__": "a:1", "env": "prod", "__meta_url": srv.URL + "/sd"})

	srv.set(http.StatusOK, `[{"targets": ["a:1", "d:1"], "labels": {"env": "prod"}}, {"targets": ["c:1"]}]`)
	changed := m.waitSnapshot("the change", func(s map[string][]*discovery.Group) bool {
		return strings.Join(addresses(s["web"]), ",") == "a:1,d:1,c:1"
	})
	require.Len(t, changed["web"], 2)

	srv.set(http.StatusOK, `[{"targets": ["a:1", "d:1"], "labels": {"env": "prod"}}]`)
	m.waitSnapshot("the second group removed", func(s map[string][]*discovery.Group) bool {
		return len(s["web"]) == 1 && strings.Join(addresses(s["web"]), ",") == "a:1,d:1"
	})

	// A failing server: the provider reports the mechanism's logged
	// error and keeps the last groups.
	srv.set(http.StatusInternalServerError, `oops`)
	p := m.waitProvider("prometheus_http", "the refresh error", func(p discovery.ProviderInfo) bool {
		return p.State == discovery.StateErroring && isLogged(p.LastError, "500 Internal Server Error")
	})
	require.Equal(t, 2, p.Targets, "the last good targets are kept while the server fails")
	require.Contains(t, p.LastError.Error(), "promsd: prometheus_http: Unable to refresh target groups")

	srv.set(http.StatusOK, `[{"targets": ["e:1"]}]`)
	m.waitSnapshot("the recovery", func(s map[string][]*discovery.Group) bool {
		return strings.Join(addresses(s["web"]), ",") == "e:1"
	})
	m.waitProvider("prometheus_http", "running again", func(p discovery.ProviderInfo) bool { return p.State == discovery.StateRunning })
}

func TestHTTPConformance(t *testing.T) {
	srv := newSDServer(t, `[{"targets": ["a:1"]}, {"targets": ["b:1"], "labels": {"x": "y"}}]`)
	cfg := decodeOne(t, "prometheus_http_sd_configs: [{url: '"+srv.URL+"', refresh_interval: 1m}]")
	groups := discoverytest.Run(t, cfg)
	require.Equal(t, []string{"a:1", "b:1"}, addresses(groups))
}

// The credentials of a configuration appear neither in the errors its
// mechanism reports nor in its printed forms.
func TestHTTPSecretsNeverShown(t *testing.T) {
	const secret = "s3cr3t-token"
	srv := newSDServer(t, `[]`)
	srv.contentType = "echo-authorization"
	doc := `
web:
  prometheus_http_sd_configs:
    - url: ` + srv.URL + `
      refresh_interval: 100ms
      authorization: {credentials: ` + secret + `}
`
	sets := decodeSets(t, doc)
	cfg := sets["web"][0]
	for _, printed := range []string{
		cfg.(interface{ String() string }).String(),
		string(must2(cfg.(interface{ MarshalJSON() ([]byte, error) }).MarshalJSON())),
	} {
		require.NotContains(t, printed, secret)
		require.Contains(t, printed, "<secret>")
	}

	m := startManager(t, sets)
	p := m.waitProvider("prometheus_http", "the content-type error", func(p discovery.ProviderInfo) bool {
		return isLogged(p.LastError, "unsupported content type")
	})
	require.NotContains(t, p.LastError.Error(), secret)
	require.Contains(t, p.LastError.Error(), "text/x-<secret>", "the server did echo the credentials, which were scrubbed")
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Registering under a native name is refused; so is a second
// registration of a type or a name.
func TestRegisterRefusesNativeAndTakenNames(t *testing.T) {
	err := promsd.Register(&promHTTPConfig{}, promsd.DefaultOptions())
	require.ErrorIs(t, err, promsd.ErrNative)
	require.Contains(t, err.Error(), `RegisterAs`)
	require.ErrorIs(t, promsd.RegisterAs("file", &promHTTPConfig{}, promsd.DefaultOptions()), promsd.ErrNative)
	require.ErrorIs(t, promsd.RegisterAs("other_http", &promHTTPConfig{}, promsd.DefaultOptions()), promsd.ErrRegistered,
		"the type is registered as prometheus_http")
	require.ErrorContains(t, promsd.RegisterAs("Bad-Name", &promHTTPConfig{}, promsd.DefaultOptions()), "lower-case")
	err = promsd.RegisterAs("consul", &sloppyConfig{}, promsd.DefaultOptions())
	require.ErrorIs(t, err, promsd.ErrRegistered, "the name is taken by Prometheus's consul")
	require.Contains(t, err.Error(), `"consul"`)
}

type promHTTPConfig = promhttp.SDConfig
