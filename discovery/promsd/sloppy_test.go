package promsd_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	promdisc "github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

// sloppyConfig is a Prometheus mechanism that breaks the rules a
// discovery.Discoverer keeps, in the ways its mode says.
type sloppyConfig struct {
	Mode     string        `yaml:"mode"`
	Password config.Secret `yaml:"password"`
	// left is closed once a goroutine left behind by Run has tried its
	// late send.
	left chan struct{}
}

func (*sloppyConfig) Name() string { return "sloppy" }

func (c *sloppyConfig) NewDiscovererMetrics(prometheus.Registerer, promdisc.RefreshMetricsInstantiator) promdisc.DiscovererMetrics {
	return &promdisc.NoopDiscovererMetrics{}
}

func (c *sloppyConfig) NewDiscoverer(o promdisc.DiscovererOptions) (promdisc.Discoverer, error) {
	return sloppyDiscoverer{c: c, log: o.Logger}, nil
}

type sloppyDiscoverer struct {
	c   *sloppyConfig
	log *slog.Logger
}

func group(source string, addrs ...string) *targetgroup.Group {
	g := &targetgroup.Group{Source: source}
	for _, a := range addrs {
		g.Targets = append(g.Targets, model.LabelSet{model.AddressLabel: model.LabelValue(a)})
	}
	return g
}

func (d sloppyDiscoverer) Run(ctx context.Context, ch chan<- []*targetgroup.Group) {
	switch d.c.Mode {
	case "leave-behind":
		// Sends from a goroutine it does not wait for, after Run returned.
		ch <- []*targetgroup.Group{group("a", "a:1")}
		<-ctx.Done()
		go func() {
			defer close(d.c.left)
			select {
			case ch <- []*targetgroup.Group{group("late", "late:1")}:
			case <-time.After(100 * time.Millisecond):
			}
		}()
	case "nil-and-duplicates":
		ch <- []*targetgroup.Group{nil, group("a", "a:1"), group("a", "a:2"), nil, group("b", "b:1")}
		<-ctx.Done()
	case "close":
		ch <- []*targetgroup.Group{group("a", "a:1")}
		close(ch)
		<-ctx.Done()
	case "panic":
		ch <- []*targetgroup.Group{group("a", "a:1")}
		panic("sloppy mechanism")
	case "log-secret":
		d.log.Error("refresh failed", "err", "GET http://u:hunter2-secret@host/: 401", "attempt", 3)
		d.log.Info("info records are not reported")
		ch <- []*targetgroup.Group{group("a", "a:1")}
		<-ctx.Done()
	}
}

func newSloppy(t *testing.T, mode string) (*promsd.Config[*sloppyConfig], *sloppyConfig) {
	t.Helper()
	sc := &sloppyConfig{Mode: mode, Password: "hunter2-secret", left: make(chan struct{})}
	c, err := promsd.New(sc, promsd.DefaultOptions())
	require.NoError(t, err)
	return c, sc
}

// A goroutine the mechanism leaves behind cannot send on the channel of
// the adapter's caller once Run returned.
func TestNoSendAfterReturn(t *testing.T) {
	c, sc := newSloppy(t, "leave-behind")
	d, err := c.NewDiscoverer(discovery.DiscovererOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	up := make(chan []*discovery.Group, 4)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, up) }()
	require.Equal(t, []string{"a:1"}, addresses(<-up))
	cancel()
	<-done
	<-sc.left // the late send was tried, and had nowhere to go
	select {
	case g := <-up:
		t.Fatalf("received %v after Run returned", addresses(g))
	default:
	}
}

func TestNilGroupsAndDuplicateSourcesDropped(t *testing.T) {
	c, _ := newSloppy(t, "nil-and-duplicates")
	groups := discoverytest.Run(t, c)
	require.Len(t, groups, 2)
	require.Equal(t, "a", groups[0].Source)
	require.Equal(t, []string{"a:2"}, addresses(groups[:1]), "the last group of a Source wins")
}

// A mechanism that closes its channel keeps running until cancelled; the
// adapter never closes the channel of its caller.
func TestClosedChannelOfMechanism(t *testing.T) {
	c, _ := newSloppy(t, "close")
	groups := discoverytest.Run(t, c)
	require.Equal(t, []string{"a:1"}, addresses(groups))
}

// A panic of the mechanism, on the goroutine the adapter runs it on,
// becomes a failed provider of the Manager.
func TestPanicOfMechanismFailsProvider(t *testing.T) {
	c, _ := newSloppy(t, "panic")
	m := startManager(t, map[string]discovery.Configs{"s": {c}})
	p := m.waitProvider("sloppy", "the panic", func(p discovery.ProviderInfo) bool {
		var pe *discovery.PanicError
		return p.LastError != nil && asPanic(p.LastError, &pe)
	})
	require.Contains(t, p.LastError.Error(), "sloppy mechanism")
}

func asPanic(err error, pe **discovery.PanicError) bool {
	for err != nil {
		if p, ok := err.(*discovery.PanicError); ok {
			*pe = p
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// syncBuffer is a log destination for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Error records reach ReportError; every record reaches the Manager's
// logger; a secret of the configuration appears in neither.
func TestLoggedRecordsForwardedAndScrubbed(t *testing.T) {
	c, _ := newSloppy(t, "log-secret")
	var logs syncBuffer
	d, err := c.NewDiscoverer(discovery.DiscovererOptions{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	var mu sync.Mutex
	var reported []error
	ctx, cancel := context.WithCancel(context.Background())
	ctx = discovery.WithErrorReporter(ctx, func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() })
	up := make(chan []*discovery.Group)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, up) }()
	<-up
	cancel()
	<-done
	require.Len(t, reported, 1, "only the error record is reported")
	var le *promsd.LoggedError
	require.ErrorAs(t, reported[0], &le)
	require.Equal(t, "sloppy", le.Mechanism)
	require.Equal(t, "refresh failed", le.Message)
	require.Contains(t, le.Attrs, "attempt=3")
	require.Contains(t, logs.String(), "refresh failed")
	require.Contains(t, logs.String(), "info records are not reported")
	require.NotContains(t, le.Error(), "hunter2-secret")
	require.Contains(t, le.Error(), "u:<secret>@host")
	require.NotContains(t, logs.String(), "hunter2-secret")
	require.Contains(t, logs.String(), "u:<secret>@host")
}
