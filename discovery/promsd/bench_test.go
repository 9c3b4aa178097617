package promsd_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	promdisc "github.com/prometheus/prometheus/discovery"
	promhttp "github.com/prometheus/prometheus/discovery/http"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

// benchRefresh is the refresh_interval of the http_sd mechanism on both
// sides.
const benchRefresh = 20 * time.Millisecond

// benchGap is the time between two changes in BenchmarkChangeToSnapshot.
const benchGap = 500 * time.Millisecond

// benchTargets is the size of the target list the server returns.
const benchTargets = 1000

// benchServer serves benchTargets targets labelled with a version. With
// churn, every request bumps the version first, so that every refresh is
// an update.
type benchServer struct {
	*httptest.Server
	version  atomic.Int64
	requests atomic.Int64
	churn    atomic.Bool
}

func newBenchServer(b *testing.B) *benchServer {
	s := &benchServer{}
	var mu sync.Mutex
	var cache []byte
	cached := int64(-1)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.churn.Load() {
			s.version.Add(1)
		}
		v := s.version.Load()
		mu.Lock()
		if v != cached {
			var sb strings.Builder
			sb.WriteString(`[{"labels": {"v": "` + strconv.FormatInt(v, 10) + `"}, "targets": [`)
			for i := range benchTargets {
				if i > 0 {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, `"10.0.%d.%d:9100"`, i/250, i%250)
			}
			sb.WriteString("]}]")
			cache, cached = []byte(sb.String()), v
		}
		body := cache
		mu.Unlock()
		s.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(s.Close)
	return s
}

// sdCase is one Manager running the mechanism against the server.
type sdCase interface {
	// version waits for the next snapshot and returns the version label of
	// its group, or -1.
	version() int64
	stop()
}

type oursCase struct {
	m      *discovery.Manager
	cancel context.CancelFunc
	done   chan error
}

func startOurs(b *testing.B, url string) sdCase {
	cfg := promhttp.DefaultSDConfig
	cfg.URL = url
	cfg.RefreshInterval = model.Duration(benchRefresh)
	c, err := promsd.New(&cfg, promsd.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	m, err := discovery.NewManager(discovery.DefaultManagerOptions())
	if err != nil {
		b.Fatal(err)
	}
	if err := m.ApplyConfig(map[string]discovery.Configs{"job": {c}}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	oc := &oursCase{m: m, cancel: cancel, done: make(chan error, 1)}
	go func() { oc.done <- m.Run(ctx) }()
	return oc
}

func (c *oursCase) version() int64 {
	s := <-c.m.SyncCh()
	for _, g := range s["job"] {
		if v, err := strconv.ParseInt(g.Labels["v"], 10, 64); err == nil {
			return v
		}
	}
	return -1
}

func (c *oursCase) stop() { c.cancel(); <-c.done }

type promCase struct {
	m      *promdisc.Manager
	cancel context.CancelFunc
}

func startPrometheus(b *testing.B, url string) sdCase {
	reg := prometheus.NewRegistry()
	sd, err := promdisc.CreateAndRegisterSDMetrics(reg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := promdisc.NewManager(ctx, nil, reg, sd)
	go func() { _ = m.Run() }()
	cfg := promhttp.DefaultSDConfig
	cfg.URL = url
	cfg.RefreshInterval = model.Duration(benchRefresh)
	cfg.HTTPClientConfig = config.DefaultHTTPClientConfig
	if err := m.ApplyConfig(map[string]promdisc.Configs{"job": {&cfg}}); err != nil {
		b.Fatal(err)
	}
	return &promCase{m: m, cancel: cancel}
}

func (c *promCase) version() int64 {
	s := <-c.m.SyncCh()
	for _, g := range s["job"] {
		if v, err := strconv.ParseInt(string(g.Labels["v"]), 10, 64); err == nil {
			return v
		}
	}
	return -1
}

func (c *promCase) stop() {
	c.cancel()
	for range c.m.SyncCh() {
	}
}

// floorCase is Prometheus's http_sd discoverer alone, with no Manager: a
// goroutine receives every update it sends, as soon as it sends it, and
// keeps the version of the latest. It is what any Manager running the
// mechanism costs at least.
type floorCase struct {
	latest chan int64 // the version of the latest update; holds at most one
	cancel context.CancelFunc
	done   chan struct{} // closed when the receiving goroutine returned
}

func startFloor(b *testing.B, url string) sdCase {
	cfg := promhttp.DefaultSDConfig
	cfg.URL = url
	cfg.RefreshInterval = model.Duration(benchRefresh)
	cfg.HTTPClientConfig = config.DefaultHTTPClientConfig
	reg := prometheus.NewRegistry()
	d, err := cfg.NewDiscoverer(promdisc.DiscovererOptions{
		Logger:  slog.New(slog.DiscardHandler),
		Metrics: cfg.NewDiscovererMetrics(reg, promdisc.NewRefreshMetrics(reg)),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &floorCase{latest: make(chan int64, 1), cancel: cancel, done: make(chan struct{})}
	up := make(chan []*targetgroup.Group)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		d.Run(ctx, up)
	}()
	go func() {
		defer close(c.done)
		for {
			select {
			case <-ran:
				return
			case tgs := <-up:
				v := int64(-1)
				for _, g := range tgs {
					if n, err := strconv.ParseInt(string(g.Labels["v"]), 10, 64); err == nil {
						v = n
					}
				}
				// This goroutine alone sends on latest: once emptied,
				// the send cannot block.
				select {
				case <-c.latest:
				default:
				}
				c.latest <- v
			}
		}
	}()
	return c
}

func (c *floorCase) version() int64 { return <-c.latest }

func (c *floorCase) stop() { c.cancel(); <-c.done }

// sdCases run in this order, so that ours can report its ratios to the
// two before it.
var sdCases = []struct {
	name  string
	start func(*testing.B, string) sdCase
}{
	{"floor", startFloor},
	{"prometheus", startPrometheus},
	{"ours", startOurs},
}

// ratios reports, for the sub-benchmark name, metric value as a ratio to
// the last value of each case that ran before it in this run of the
// benchmark (as "<name>/<case>"), and records it for the cases after it.
type ratios map[string]float64

func (r ratios) report(b *testing.B, name string, value float64) {
	for _, tc := range sdCases {
		if tc.name == name {
			break
		}
		if before, ok := r[tc.name]; ok && before > 0 {
			b.ReportMetric(value/before, name+"/"+tc.name)
		}
	}
	r[name] = value
}

// BenchmarkChangeToSnapshot measures, for one op, the time from a change
// of the HTTP SD server's answer to the consumer's snapshot that shows it,
// with Prometheus's http_sd refreshing every 20 ms under each Manager with
// its default options, the changes benchGap apart (the wait is not timed).
// Prometheus's Manager backs off from 100 ms to 5 s between snapshots
// while changes keep coming; ecopatterns's sends a change after a quiet
// UpdateInterval (100 ms) at once.
//
// The floor is the mechanism alone: its first update after the change.
// Prometheus and ours report their ratios to it, and ours its ratio to
// Prometheus.
func BenchmarkChangeToSnapshot(b *testing.B) {
	r := ratios{}
	for _, tc := range sdCases {
		b.Run(tc.name, func(b *testing.B) {
			srv := newBenchServer(b)
			c := tc.start(b, srv.URL)
			defer c.stop()
			for c.version() != 0 {
			}
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				time.Sleep(benchGap)
				b.StartTimer()
				want := int64(i + 1)
				srv.version.Store(want)
				for c.version() != want {
				}
			}
			ms := float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
			b.ReportMetric(ms, "ms/change")
			r.report(b, tc.name, ms)
		})
	}
}

// BenchmarkUpdate1000Targets measures the allocations of the whole
// process per refresh of 1,000 targets that changed, the mechanism's
// request and JSON decoding included (the same on both sides): the server
// changes its answer at every request, and an op ends at the snapshot that
// shows the op's last version. It reports allocs/refresh: the allocations
// of the run divided by the refreshes the server answered in it.
//
// The floor is the mechanism alone, every update read from its channel:
// the allocations of its request and decoding, and of the test server,
// which no Manager can avoid. Prometheus and ours report their ratios to
// it (prometheus/floor, ours/floor), and ours its ratio to Prometheus
// (ours/prometheus).
func BenchmarkUpdate1000Targets(b *testing.B) {
	r := ratios{}
	for _, tc := range sdCases {
		b.Run(tc.name, func(b *testing.B) {
			srv := newBenchServer(b)
			c := tc.start(b, srv.URL)
			defer c.stop()
			for c.version() != 0 {
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			req0 := srv.requests.Load()
			b.ResetTimer()
			srv.churn.Store(true)
			for c.version() < int64(b.N) {
			}
			srv.churn.Store(false)
			b.StopTimer()
			runtime.ReadMemStats(&after)
			refreshes := srv.requests.Load() - req0
			perRefresh := float64(after.Mallocs-before.Mallocs) / float64(refreshes)
			b.ReportMetric(perRefresh, "allocs/refresh")
			b.ReportMetric(float64(refreshes), "refreshes")
			r.report(b, tc.name, perRefresh)
		})
	}
}
