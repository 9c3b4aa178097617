package dns_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/dns"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeResolver answers from maps that a test changes between lookups.
type fakeResolver struct {
	mu      sync.Mutex
	srv     map[string][]*net.SRV
	ips     map[string][]netip.Addr // by network + " " + host
	fail    map[string]error
	lookups []string
}

func newFake() *fakeResolver {
	return &fakeResolver{srv: map[string][]*net.SRV{}, ips: map[string][]netip.Addr{}, fail: map[string]error{}}
}

func (f *fakeResolver) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, "SRV "+name)
	if err := f.fail[name]; err != nil {
		return "", nil, err
	}
	if service != "" || proto != "" {
		return "", nil, errors.New("unexpected service or proto")
	}
	r, ok := f.srv[name]
	if !ok {
		return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return name, r, nil
}

func (f *fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, network+" "+host)
	if err := f.fail[host]; err != nil {
		return nil, err
	}
	r, ok := f.ips[network+" "+host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return r, nil
}

func (f *fakeResolver) set(fn func(f *fakeResolver)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func TestSRV(t *testing.T) {
	r := newFake()
	r.srv["_m._tcp.example.com"] = []*net.SRV{{Target: "b.example.com.", Port: 9100}, {Target: "a.example.com.", Port: 9100}}
	cfg := dns.DefaultConfig()
	cfg.Names = []string{"_m._tcp.example.com", "_none._tcp.example.com"}
	cfg.Resolver = r
	groups := discoverytest.Run(t, cfg)
	require.Len(t, groups, 1)
	require.Equal(t, "_m._tcp.example.com", groups[0].Source)
	require.Equal(t, []discovery.Labels{
		{"__address__": "a.example.com:9100", dns.NameLabel: "_m._tcp.example.com", dns.SRVTargetLabel: "a.example.com.", dns.SRVPortLabel: "9100"},
		{"__address__": "b.example.com:9100", dns.NameLabel: "_m._tcp.example.com", dns.SRVTargetLabel: "b.example.com.", dns.SRVPortLabel: "9100"},
	}, groups[0].Targets)
}

func TestAAndAAAA(t *testing.T) {
	r := newFake()
	r.ips["ip4 db.example.com"] = []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.1")}
	r.ips["ip6 db.example.com"] = []netip.Addr{netip.MustParseAddr("2001:db8::1")}
	for typ, want := range map[string]string{"A": "db.example.com: 10.0.0.1:5432 10.0.0.2:5432", "AAAA": "db.example.com: [2001:db8::1]:5432"} {
		cfg := dns.Config{Names: []string{"db.example.com"}, Type: typ, Port: 5432, RefreshInterval: time.Minute, Resolver: r}
		groups := discoverytest.Run(t, &cfg)
		require.Equal(t, want, discoverytest.String(groups))
		require.Equal(t, "db.example.com", groups[0].Targets[0][dns.NameLabel])
	}
}

// A failed lookup keeps the name's last good group and is reported; a
// name that no longer exists is deleted. Lookups repeat every
// RefreshInterval.
func TestRefreshAndFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newFake()
		r.ips["ip4 a"] = []netip.Addr{netip.MustParseAddr("10.0.0.1")}
		r.ips["ip4 b"] = []netip.Addr{netip.MustParseAddr("10.0.0.2")}
		cfg := dns.Config{Names: []string{"a", "b"}, Type: "A", Port: 80, RefreshInterval: 30 * time.Second, Resolver: r}
		m, err := discovery.NewManager(discovery.DefaultManagerOptions())
		require.NoError(t, err)
		require.NoError(t, m.ApplyConfig(map[string]discovery.Configs{"web": {&cfg}}))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		defer func() {
			cancel()
			require.NoError(t, <-done)
		}()
		synctest.Wait()
		require.Equal(t, "a: 10.0.0.1:80\nb: 10.0.0.2:80", discoverytest.String((<-m.SyncCh())["web"]))

		boom := errors.New("server misbehaving")
		r.set(func(f *fakeResolver) {
			f.fail["a"] = boom
			f.ips["ip4 b"] = []netip.Addr{netip.MustParseAddr("10.0.0.3")}
		})
		time.Sleep(30 * time.Second)
		synctest.Wait()
		require.Equal(t, "a: 10.0.0.1:80\nb: 10.0.0.3:80", discoverytest.String((<-m.SyncCh())["web"]), "a keeps its last good group")
		p := m.Providers()[0]
		require.Equal(t, discovery.StateErroring, p.State)
		require.ErrorIs(t, p.LastError, boom)
		require.ErrorContains(t, p.LastError, "dns: lookup a: server misbehaving")

		r.set(func(f *fakeResolver) {
			delete(f.fail, "a")
			delete(f.ips, "ip4 a")
		})
		time.Sleep(30 * time.Second)
		synctest.Wait()
		require.Equal(t, "b: 10.0.0.3:80", discoverytest.String((<-m.SyncCh())["web"]), "a name that does not exist is deleted")
		require.Equal(t, discovery.StateRunning, m.Providers()[0].State)

		r.mu.Lock()
		require.Len(t, r.lookups, 6, "two names, three refreshes: %v", r.lookups)
		r.mu.Unlock()
	})
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		cfg  dns.Config
		want []string
	}{
		{dns.Config{Type: "SRV", RefreshInterval: time.Second}, []string{"names = []: must name at least one DNS name"}},
		{dns.Config{Names: []string{"x"}, Type: "SRV", Port: 80, RefreshInterval: time.Second}, []string{"port = 80: must be 0 with type SRV"}},
		{dns.Config{Names: []string{"x"}, Type: "A", RefreshInterval: time.Second}, []string{"port = 0: must be between 1 and 65535"}},
		{dns.Config{Names: []string{""}, Type: "MX"}, []string{`names[0] = "": must be a DNS name`, `type = "MX": must be "SRV", "A" or "AAAA"`, "refresh_interval = 0s: must be > 0"}},
	}
	for _, c := range cases {
		_, err := c.cfg.NewDiscoverer(discovery.DiscovererOptions{})
		for _, w := range c.want {
			require.ErrorContains(t, err, w)
		}
	}
	def := dns.DefaultConfig()
	def.Names = []string{"_x._tcp.example.com"}
	require.NoError(t, def.Validate())
}

func TestDecodeFromYAML(t *testing.T) {
	var cs discovery.Configs
	require.NoError(t, yaml.Unmarshal([]byte(`
dns_sd_configs:
  - names: [_m._tcp.example.com]
  - names: [db.example.com]
    type: A
    port: 5432
    refresh_interval: 1m
`), &cs))
	require.Len(t, cs, 2)
	srv := cs[0].(*dns.Config)
	require.Equal(t, "SRV", srv.Type)
	require.Equal(t, 30*time.Second, srv.RefreshInterval)
	a := cs[1].(*dns.Config)
	require.Equal(t, dns.Config{Names: []string{"db.example.com"}, Type: "A", Port: 5432, RefreshInterval: time.Minute}, *a)

	err := yaml.Unmarshal([]byte("dns_sd_configs: [{names: [x], type: A}]"), &cs)
	require.ErrorContains(t, err, "discovery: dns_sd_configs[0]: options: port = 0: must be between 1 and 65535")
	err = yaml.Unmarshal([]byte("dns_sd_configs: [{name: [x]}]"), &cs)
	require.ErrorContains(t, err, `unknown field "name" (did you mean "names"?)`)
}
