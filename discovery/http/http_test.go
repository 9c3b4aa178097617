package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	httpsd "github.com/ecopatterns/ecopatterns/discovery/http"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// server is an httptest server on 127.0.0.1 whose response a test sets.
type server struct {
	*httptest.Server
	mu      sync.Mutex
	status  int
	ctype   string
	body    string
	headers []http.Header // of every request
}

func newServer(t *testing.T, body string) *server {
	s := &server{status: 200, ctype: "application/json", body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Clone())
		status, ctype, body := s.status, s.ctype, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) set(status int, ctype, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.ctype, s.body = status, ctype, body
}

func (s *server) lastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers[len(s.headers)-1]
}

// config polls url every 5 ms: tests wait for what the next refreshes
// bring, and the interval only sets how soon.
func config(url string) *httpsd.Config {
	c := httpsd.DefaultConfig()
	c.URL = url
	c.RefreshInterval = 5 * time.Millisecond
	return c
}

// render renders groups with the server's URL replaced by "URL" and the
// URL label left out.
func render(groups []*discovery.Group, url string) string {
	var lines []string
	for _, line := range strings.Split(discoverytest.String(groups), "\n") {
		if i := strings.Index(line, " "+httpsd.URLLabel); i >= 0 {
			line = line[:i]
		}
		lines = append(lines, strings.ReplaceAll(line, url, "URL"))
	}
	return strings.Join(lines, "\n")
}

func TestConformance(t *testing.T) {
	s := newServer(t, `[{"targets": ["a:1", "b:1"], "labels": {"env": "prod"}}, {"targets": []}]`)
	groups := discoverytest.Run(t, config(s.URL))
	require.Equal(t, s.URL+`:0: a:1 b:1 `+httpsd.URLLabel+`="`+s.URL+`" env="prod"`, discoverytest.String(groups))
}

// The first set, then only changes: a changed group, a removed one (the
// list shrank), and an empty list removing every group.
func TestFirstSetChangesAndRemovals(t *testing.T) {
	s := newServer(t, `[{"targets": ["a:1"]}, {"targets": ["b:1"]}]`)
	r := discoverytest.Start(t, config(s.URL))
	ctx := t.Context()
	next := func() string {
		t.Helper()
		g, err := r.NextUpdate(ctx)
		require.NoError(t, err)
		return render(g, s.URL)
	}
	require.Equal(t, "URL:0: a:1\nURL:1: b:1", next())
	s.set(200, "application/json", `[{"targets": ["a:2"]}, {"targets": ["b:1"]}]`)
	require.Equal(t, "URL:0: a:2", next(), "only the changed group")
	s.set(200, "application/json; charset=utf-8", `[{"targets": ["a:2"]}]`)
	require.Equal(t, "URL:1: ", next(), "a shrunk list deletes its missing groups")
	s.set(200, "application/json", `[]`)
	require.Equal(t, "URL:0: ", next(), "an empty list deletes every group")
	require.Empty(t, r.Groups())
	for _, e := range r.Events() {
		require.NoError(t, e.Err)
	}
	h := s.lastHeader()
	require.Equal(t, "application/json", h.Get("Accept"))
	require.Equal(t, "0.005", h.Get("X-Prometheus-Refresh-Interval-Seconds"))
}

// Every kind of failed refresh is reported and keeps the last good groups;
// a good response afterwards is sent as a change.
func TestFailuresKeepLastGoodGroups(t *testing.T) {
	s := newServer(t, `[{"targets": ["a:1"]}]`)
	cfg := config(s.URL)
	cfg.MaxBodySize = 100
	cfg.MaxTargets = 3
	r := discoverytest.Start(t, cfg)
	ctx := t.Context()
	first, err := r.NextUpdate(ctx)
	require.NoError(t, err)
	require.Equal(t, "URL:0: a:1", render(first, s.URL))
	for _, c := range []struct {
		status      int
		ctype, body string
		want        string
	}{
		{500, "application/json", `[]`, "status 500 Internal Server Error, want 200 OK"},
		{200, "text/plain", `[]`, `content type "text/plain", want application/json`},
		{200, "application/json", `[{"targets": ["a:1"]`, "want a JSON list of groups"},
		{200, "application/json", `{"targets": []}`, "want a JSON list of groups"},
		{200, "application/json", `[{"targets": ["a:1"], "lables": {}}]`, `unknown field "lables" (did you mean "labels"?)`},
		{200, "application/json", `[null]`, "entry 0 is null"},
		{200, "application/json", `[` + strings.Repeat(`{"targets": []},`, 10) + `{"targets": []}]`, "body larger than max_body_size (100 bytes)"},
		{200, "application/json", `[{"targets": ["a:1", "b:1"]}, {"targets": ["c:1", "d:1"]}]`, "more than max_targets (3) targets"},
	} {
		s.set(c.status, c.ctype, c.body)
		reported, err := r.NextError(ctx)
		require.NoError(t, err)
		require.ErrorContains(t, reported, "http: GET "+s.URL+": ")
		require.ErrorContains(t, reported, c.want)
		require.Equal(t, "URL:0: a:1", render(r.Groups(), s.URL), "the last good groups are kept after %q", c.want)
	}
	for _, e := range r.Events()[1:] {
		require.Nil(t, e.Groups, "a failed refresh sends nothing")
	}
	s.set(200, "application/json", `[{"targets": ["z:1"]}]`)
	g, err := r.NextUpdate(ctx)
	require.NoError(t, err)
	require.Equal(t, "URL:0: z:1", render(g, s.URL))
}

// A server slower than Timeout fails the refresh, reported; a discoverer
// cancelled while a request is in flight returns promptly.
func TestSlowServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	cfg := config(srv.URL)
	cfg.Timeout = 20 * time.Millisecond
	r := discoverytest.Start(t, cfg)
	reported, err := r.NextError(t.Context())
	require.NoError(t, err)
	require.ErrorContains(t, reported, "context deadline exceeded")

	cfg = config(srv.URL)
	cfg.Timeout = time.Hour
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		d.Run(ctx, make(chan []*discovery.Group))
	}()
	cancel()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled during a request")
	}
}

// Credentials are read from their files at every request and appear in no
// message.
func TestAuthentication(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(token, []byte("s3cret-token\n"), 0o600))
	s := newServer(t, `[]`)
	cfg := config(s.URL)
	cfg.BearerTokenFile = token
	r := discoverytest.Start(t, cfg)
	_, err := r.NextUpdate(t.Context())
	require.NoError(t, err)
	require.Equal(t, "Bearer s3cret-token", s.lastHeader().Get("Authorization"))
	require.NoError(t, os.WriteFile(token, []byte("rotated"), 0o600))
	require.Eventually(t, func() bool { return s.lastHeader().Get("Authorization") == "Bearer rotated" }, 10*time.Second, time.Millisecond)
	require.NoError(t, os.Remove(token))
	reported, err := r.NextError(t.Context())
	require.NoError(t, err)
	require.ErrorContains(t, reported, "reading bearer_token_file")
	r.Stop()

	password := filepath.Join(dir, "password")
	require.NoError(t, os.WriteFile(password, []byte("pa55word"), 0o600))
	cfg = config(s.URL)
	cfg.BasicAuth = &httpsd.BasicAuth{Username: "prom", PasswordFile: password}
	r = discoverytest.Start(t, cfg)
	_, err = r.NextUpdate(t.Context())
	require.NoError(t, err)
	req := &http.Request{Header: s.lastHeader()}
	user, pass, ok := req.BasicAuth()
	require.True(t, ok)
	require.Equal(t, "prom", user)
	require.Equal(t, "pa55word", pass)
	s.set(500, "text/plain", "")
	reported, err = r.NextError(t.Context())
	require.NoError(t, err)
	require.NotContains(t, reported.Error(), "pa55word")
}

// A password in the URL stays out of labels, Sources and messages.
func TestURLPasswordIsRedacted(t *testing.T) {
	s := newServer(t, `[{"targets": ["a:1"]}]`)
	url := strings.Replace(s.URL, "http://", "http://user:hunter2@", 1)
	r := discoverytest.Start(t, config(url))
	g, err := r.NextUpdate(t.Context())
	require.NoError(t, err)
	require.NotContains(t, discoverytest.String(g), "hunter2")
	s.set(500, "text/plain", "")
	reported, err := r.NextError(t.Context())
	require.NoError(t, err)
	require.NotContains(t, reported.Error(), "hunter2")
	require.Contains(t, reported.Error(), "user:xxxxx@")
	require.Equal(t, "Basic "+"dXNlcjpodW50ZXIy", s.lastHeader().Get("Authorization"), "the URL's user information is still sent")
}

// Redirects are followed up to max_redirects.
func TestRedirectsAreLimited(t *testing.T) {
	s := newServer(t, `[{"targets": ["a:1"]}]`)
	hops := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/%d", &n)
		if n == 0 {
			http.Redirect(w, r, s.URL, http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/%d", n-1), http.StatusFound)
	}))
	t.Cleanup(hops.Close)
	cfg := config(hops.URL + "/2") // three redirects in all
	cfg.MaxRedirects = 3
	require.Len(t, discoverytest.Run(t, cfg), 1)
	cfg.MaxRedirects = 2
	r := discoverytest.Start(t, cfg)
	reported, err := r.NextError(t.Context())
	require.NoError(t, err)
	require.ErrorContains(t, reported, "stopped after 2 redirect(s), the max_redirects")
}

func TestConfigValidation(t *testing.T) {
	c := &httpsd.Config{URL: "ftp://x", MaxRedirects: -1, BearerTokenFile: "t", BasicAuth: &httpsd.BasicAuth{}}
	err := c.Validate()
	for _, want := range []string{
		`url = "ftp://x": must be an "http" or "https" URL`,
		"refresh_interval = 0s: must be > 0",
		"timeout = 0s: must be > 0",
		"max_body_size = 0: must be > 0",
		"max_targets = 0: must be > 0",
		"max_redirects = -1: must be >= 0",
		`bearer_token_file = "t": must be empty when basic_auth is set`,
		`basic_auth.username = "": must not be empty`,
		`basic_auth.password_file = "": must name a file`,
	} {
		require.ErrorContains(t, err, want)
	}
	for url, want := range map[string]string{"": "must not be empty", "http://": "must name a host", "http://a b/": "is not a URL"} {
		c := config(url)
		require.ErrorContains(t, c.Validate(), want, url)
	}
	c = config("http://user:pw@example.com/x")
	c.Timeout = 0
	require.NotContains(t, c.Validate().Error(), "pw@")
	require.NoError(t, config("https://example.com/targets").Validate())
}

func TestDecodeFromYAML(t *testing.T) {
	var sets map[string]discovery.Configs
	require.NoError(t, yaml.Unmarshal([]byte(`
web:
  http_sd_configs:
    - url: https://example.com/a
    - url: https://example.com/b
      refresh_interval: 15s
      basic_auth: {username: u, password_file: /p}
`), &sets))
	want := httpsd.DefaultConfig()
	want.URL = "https://example.com/a"
	require.Equal(t, want, sets["web"][0])
	want = httpsd.DefaultConfig()
	want.URL, want.RefreshInterval, want.BasicAuth = "https://example.com/b", 15*time.Second, &httpsd.BasicAuth{Username: "u", PasswordFile: "/p"}
	require.Equal(t, want, sets["web"][1])
	err := yaml.Unmarshal([]byte("web:\n  http_sd_configs: [{urll: https://x}]\n"), &sets)
	require.ErrorContains(t, err, `unknown field "urll" (did you mean "url"?)`)
	err = yaml.Unmarshal([]byte("web:\n  http_sd_configs: [{url: https://x, basic_auth: {usrname: u}}]\n"), &sets)
	require.ErrorContains(t, err, `http_sd_configs[0].basic_auth: line 2: unknown field "usrname" (did you mean "username"?)`)
}
