package benchmarks

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	promdisc "github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// The discovery cases run the same discoverers under ecopatterns'
// Manager and Prometheus's, each fed through its own group type. A target
// set holds one discoverer; a discoverer sends discoveryGroups groups of
// discoveryTargets targets. Version labels tell the consumer which send it
// is looking at.
const (
	discoveryGroups  = 10
	discoveryTargets = 5
	// discoveryFanIn discoverers each send a full set and then
	// discoveryIncrements one-group changes in the fan-in case.
	discoveryFanIn       = 1000
	discoveryIncrements  = 100
	discoveryStormResend = 5
	// discoveryFanInThrottle is the sync interval of both Managers in the
	// fan-in case: ecopatterns' UpdateInterval and Prometheus's Updatert.
	discoveryFanInThrottle = 5 * time.Millisecond
	// discoveryThrottle is the sync interval of both Managers in the storm
	// case: ecopatterns' default UpdateInterval, and Prometheus's Updatert
	// (its default of 5 s would make the case wait seconds for its sync).
	discoveryThrottle = 100 * time.Millisecond
)

// discoveryDriver is a discoverer for either Manager. It waits for start,
// sends its script (a full set first) and marks sent, then sends every
// batch that arrives on feed, marking each batch's done.
type discoveryDriver[G any] struct {
	start  <-chan struct{}
	script [][]*G
	sent   *sync.WaitGroup // may be nil
	feed   chan discoveryBatch[G]
}

type discoveryBatch[G any] struct {
	sends [][]*G
	done  *sync.WaitGroup
}

func (d *discoveryDriver[G]) Run(ctx context.Context, up chan<- []*G) {
	select {
	case <-d.start:
	case <-ctx.Done():
		return
	}
	for _, groups := range d.script {
		select {
		case up <- groups:
		case <-ctx.Done():
			return
		}
	}
	if d.sent != nil {
		d.sent.Done()
	}
	for {
		select {
		case b := <-d.feed:
			for _, groups := range b.sends {
				select {
				case up <- groups:
				case <-ctx.Done():
					return
				}
			}
			b.done.Done()
		case <-ctx.Done():
			return
		}
	}
}

// discoveryScript builds, in both group types, a full set of version 0
// and increments that each change group k%discoveryGroups to version k+1.
// Scripts are shared by all discoverers: neither Manager modifies groups.
func discoveryScript(increments int) (ours [][]*discovery.Group, theirs [][]*targetgroup.Group) {
	ourGroup := func(i, version int) *discovery.Group {
		g := &discovery.Group{Source: "g" + strconv.Itoa(i), Labels: discovery.Labels{"v": strconv.Itoa(version)}}
		for t := range discoveryTargets {
			g.Targets = append(g.Targets, discovery.Labels{discovery.AddressLabel: fmt.Sprintf("10.0.%d.%d:%d", i, t, 9000+version)})
		}
		return g
	}
	theirGroup := func(i, version int) *targetgroup.Group {
		g := &targetgroup.Group{Source: "g" + strconv.Itoa(i), Labels: model.LabelSet{"v": model.LabelValue(strconv.Itoa(version))}}
		for t := range discoveryTargets {
			g.Targets = append(g.Targets, model.LabelSet{model.AddressLabel: model.LabelValue(fmt.Sprintf("10.0.%d.%d:%d", i, t, 9000+version))})
		}
		return g
	}
	var fullOurs []*discovery.Group
	var fullTheirs []*targetgroup.Group
	for i := range discoveryGroups {
		fullOurs = append(fullOurs, ourGroup(i, 0))
		fullTheirs = append(fullTheirs, theirGroup(i, 0))
	}
	ours = append(ours, fullOurs)
	theirs = append(theirs, fullTheirs)
	for k := range increments {
		ours = append(ours, []*discovery.Group{ourGroup(k%discoveryGroups, k+1)})
		theirs = append(theirs, []*targetgroup.Group{theirGroup(k%discoveryGroups, k+1)})
	}
	return ours, theirs
}

// discoveryCase runs discoverers under one Manager: it starts them, reads
// snapshots, and stops everything.
type discoveryCase interface {
	// next returns the next snapshot's version of group source in every
	// set, by set name (-1 where the group is missing).
	next(source string) map[string]int
	// feed hands a batch to discoverer i.
	feed(i int, sends int, done *sync.WaitGroup)
	stop()
}

// ourDiscoveryCase runs drivers under an ecopatterns Manager.
type ourDiscoveryCase struct {
	m       *discovery.Manager
	drivers []*discoveryDriver[discovery.Group]
	batches [][][]*discovery.Group // feed batches by size, built once
	cancel  context.CancelFunc
	done    chan error
}

// benchDiscoveryConfig is the Config of one driver; its ID makes it
// distinct.
type benchDiscoveryConfig struct {
	ID int `json:"id"`
	d  *discoveryDriver[discovery.Group]
}

func (*benchDiscoveryConfig) Name() string { return "bench" }

func (c *benchDiscoveryConfig) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	return c.d, nil
}

func newOurDiscoveryCase(tb testing.TB, n int, interval time.Duration, script, resend [][]*discovery.Group, start <-chan struct{}, sent *sync.WaitGroup) *ourDiscoveryCase {
	opts := discovery.DefaultManagerOptions()
	if interval > 0 {
		opts.UpdateInterval = interval
	}
	m, err := discovery.NewManager(opts)
	require.NoError(tb, err)
	c := &ourDiscoveryCase{m: m, done: make(chan error, 1), batches: [][][]*discovery.Group{resend}}
	cfg := make(map[string]discovery.Configs, n)
	for i := range n {
		d := &discoveryDriver[discovery.Group]{start: start, script: script, sent: sent, feed: make(chan discoveryBatch[discovery.Group], 1)}
		c.drivers = append(c.drivers, d)
		cfg["s"+strconv.Itoa(i)] = discovery.Configs{&benchDiscoveryConfig{ID: i, d: d}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() { c.done <- m.Run(ctx) }()
	require.NoError(tb, m.ApplyConfig(cfg))
	return c
}

func (c *ourDiscoveryCase) next(source string) map[string]int {
	s := <-c.m.SyncCh()
	out := make(map[string]int, len(s))
	for set, groups := range s {
		out[set] = -1
		for _, g := range groups {
			if g.Source == source {
				out[set], _ = strconv.Atoi(g.Labels["v"])
			}
		}
	}
	return out
}

func (c *ourDiscoveryCase) feed(i, batch int, done *sync.WaitGroup) {
	c.drivers[i].feed <- discoveryBatch[discovery.Group]{sends: c.batches[batch], done: done}
}

func (c *ourDiscoveryCase) stop() {
	c.cancel()
	for range c.m.SyncCh() {
	}
	<-c.done
}

// promDiscoveryCase runs drivers under a Prometheus Manager.
type promDiscoveryCase struct {
	m       *promdisc.Manager
	drivers []*discoveryDriver[targetgroup.Group]
	batches [][][]*targetgroup.Group
	cancel  context.CancelFunc
}

// newPromDiscoveryCase starts a Prometheus Manager, with its own metrics
// registry, and a provider per driver. updatert 0 keeps its default.
func newPromDiscoveryCase(tb testing.TB, n int, updatert time.Duration, script, resend [][]*targetgroup.Group, start <-chan struct{}, sent *sync.WaitGroup) *promDiscoveryCase {
	reg := prometheus.NewRegistry()
	sd, err := promdisc.CreateAndRegisterSDMetrics(reg)
	require.NoError(tb, err)
	var opts []func(*promdisc.Manager)
	if updatert > 0 {
		opts = append(opts, promdisc.Updatert(updatert))
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := promdisc.NewManager(ctx, nil, reg, sd, opts...)
	require.NotNil(tb, m)
	c := &promDiscoveryCase{m: m, cancel: cancel, batches: [][][]*targetgroup.Group{resend}}
	go func() { _ = m.Run() }()
	for i := range n {
		d := &discoveryDriver[targetgroup.Group]{start: start, script: script, sent: sent, feed: make(chan discoveryBatch[targetgroup.Group], 1)}
		c.drivers = append(c.drivers, d)
		m.StartCustomProvider(ctx, "s"+strconv.Itoa(i), d)
	}
	return c
}

func (c *promDiscoveryCase) next(source string) map[string]int {
	s := <-c.m.SyncCh()
	out := make(map[string]int, len(s))
	for set, groups := range s {
		out[set] = -1
		for _, g := range groups {
			if g.Source == source {
				out[set], _ = strconv.Atoi(string(g.Labels["v"]))
			}
		}
	}
	return out
}

func (c *promDiscoveryCase) feed(i, batch int, done *sync.WaitGroup) {
	c.drivers[i].feed <- discoveryBatch[targetgroup.Group]{sends: c.batches[batch], done: done}
}

func (c *promDiscoveryCase) stop() {
	c.cancel()
	for range c.m.SyncCh() { // closed by its sender once it sees the cancellation
	}
}

// awaitVersion reads snapshots until every one of n sets shows version
// want of group source, and returns how many snapshots that took.
func awaitVersion(c discoveryCase, n int, source string, want int) int {
	seen := make(map[string]bool, n)
	syncs := 0
	for len(seen) < n {
		syncs++
		for set, v := range c.next(source) {
			if v == want {
				seen[set] = true
			}
		}
	}
	return syncs
}

// BenchmarkDiscoveryFanIn measures one op of 1,000 discoverers each
// sending a full set and 100 one-group changes, from the first send to the
// snapshot that shows every last change. Both Managers sync at most every
// discoveryFanInThrottle, so that the op measures their work rather than
// their timers (Prometheus still waits its fixed 100 ms initial backoff
// before its first sync). It reports the snapshots the consumer received
// (syncs/op), the allocations per snapshot (allocs/sync), and how long the
// Manager took to accept every send (intake-ms), which excludes the wait
// for the last snapshot.
func BenchmarkDiscoveryFanIn(b *testing.B) {
	ours, theirs := discoveryScript(discoveryIncrements)
	last := discoveryIncrements - 1
	source := "g" + strconv.Itoa(last%discoveryGroups)
	run := func(b *testing.B, start func(gate <-chan struct{}, sent *sync.WaitGroup) discoveryCase) {
		b.ReportAllocs()
		var syncs int
		var mallocs uint64
		var intake time.Duration
		var ms runtime.MemStats
		for range b.N {
			b.StopTimer()
			gate := make(chan struct{})
			var sent sync.WaitGroup
			sent.Add(discoveryFanIn)
			c := start(gate, &sent)
			runtime.GC()
			runtime.ReadMemStats(&ms)
			before := ms.Mallocs
			b.StartTimer()
			begin := time.Now()
			close(gate)
			accepted := make(chan time.Duration, 1)
			go func() {
				sent.Wait()
				accepted <- time.Since(begin)
			}()
			syncs += awaitVersion(c, discoveryFanIn, source, last+1)
			b.StopTimer()
			intake += <-accepted
			runtime.ReadMemStats(&ms)
			mallocs += ms.Mallocs - before
			c.stop()
			b.StartTimer()
		}
		b.ReportMetric(float64(syncs)/float64(b.N), "syncs/op")
		b.ReportMetric(float64(mallocs)/float64(syncs), "allocs/sync")
		b.ReportMetric(float64(intake)/float64(b.N)/float64(time.Millisecond), "intake-ms")
	}
	b.Run("ecopatterns", func(b *testing.B) {
		run(b, func(gate <-chan struct{}, sent *sync.WaitGroup) discoveryCase {
			return newOurDiscoveryCase(b, discoveryFanIn, discoveryFanInThrottle, ours, nil, gate, sent)
		})
	})
	b.Run("prometheus", func(b *testing.B) {
		run(b, func(gate <-chan struct{}, sent *sync.WaitGroup) discoveryCase {
			return newPromDiscoveryCase(b, discoveryFanIn, discoveryFanInThrottle, theirs, nil, gate, sent)
		})
	})
}

// discoveryLatencyGaps are the quiet periods before each change in
// BenchmarkDiscoveryLatency: longer than ecopatterns' UpdateInterval, and
// short enough to keep the case cheap. Prometheus's wait depends on where
// its backoff stands, which grows after every sync up to its 5 s
// Updatert; longer gaps make it wait longer.
var discoveryLatencyGaps = []time.Duration{250 * time.Millisecond, time.Second}

// BenchmarkDiscoveryLatency measures the delivery of a single change after
// a quiet period, with both Managers at their default options (100 discoverers).
// An op is one change after each gap of discoveryLatencyGaps; the timer
// runs only from the change to its delivery, so ns/op is the summed
// latency. It reports the latencies' median and 99th percentile over the
// run (p50-ms, p99-ms).
func BenchmarkDiscoveryLatency(b *testing.B) {
	const n = 100
	ours, theirs := discoveryScript(0)
	run := func(b *testing.B, c discoveryCase, change func(i, version int)) {
		defer c.stop()
		awaitVersion(c, n, "g0", 0)
		var latencies []time.Duration
		version := 0
		b.ResetTimer()
		for range b.N {
			for _, gap := range discoveryLatencyGaps {
				b.StopTimer()
				time.Sleep(gap)
				version++
				b.StartTimer()
				begin := time.Now()
				change(version%n, version)
				for {
					if v := c.next("g0")["s"+strconv.Itoa(version%n)]; v == version {
						break
					}
				}
				latencies = append(latencies, time.Since(begin))
			}
		}
		b.StopTimer()
		slices.Sort(latencies)
		pct := func(p float64) float64 { // nearest rank
			i := int(math.Ceil(p*float64(len(latencies)))) - 1
			return float64(latencies[max(i, 0)]) / float64(time.Millisecond)
		}
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
	}
	b.Run("ecopatterns", func(b *testing.B) {
		gate := make(chan struct{})
		close(gate)
		c := newOurDiscoveryCase(b, n, 0, ours, nil, gate, nil)
		run(b, c, func(i, version int) {
			g := *ours[0][0]
			g.Labels = discovery.Labels{"v": strconv.Itoa(version)}
			var done sync.WaitGroup
			done.Add(1)
			c.drivers[i].feed <- discoveryBatch[discovery.Group]{sends: [][]*discovery.Group{{&g}}, done: &done}
		})
	})
	b.Run("prometheus", func(b *testing.B) {
		gate := make(chan struct{})
		close(gate)
		c := newPromDiscoveryCase(b, n, 0, theirs, nil, gate, nil)
		run(b, c, func(i, version int) {
			g := *theirs[0][0]
			g.Labels = model.LabelSet{"v": model.LabelValue(strconv.Itoa(version))}
			var done sync.WaitGroup
			done.Add(1)
			c.drivers[i].feed <- discoveryBatch[targetgroup.Group]{sends: [][]*targetgroup.Group{{&g}}, done: &done}
		})
	})
}

// BenchmarkDiscoveryNoopStorm measures 1,000 discoverers re-sending, five
// times each, groups equal to what they sent before (new values, same
// content), as pollers do. ns/op runs until every re-send was received;
// syncs/op counts the snapshots the storm caused, counted until 300 ms
// after it, enough for Prometheus's sender, at Updatert 100 ms, to flush.
func BenchmarkDiscoveryNoopStorm(b *testing.B) {
	const window = 300 * time.Millisecond
	ours, theirs := discoveryScript(0)
	oursAgain, theirsAgain := discoveryScript(0) // equal content, new values
	var ourResend [][]*discovery.Group
	var theirResend [][]*targetgroup.Group
	for i := range discoveryStormResend {
		ourResend = append(ourResend, [][]*discovery.Group{ours[0], oursAgain[0]}[i%2])
		theirResend = append(theirResend, [][]*targetgroup.Group{theirs[0], theirsAgain[0]}[i%2])
	}
	run := func(b *testing.B, c discoveryCase, syncCount func() int64) {
		defer c.stop()
		var syncs int64
		b.ResetTimer()
		for range b.N {
			before := syncCount()
			var done sync.WaitGroup
			done.Add(discoveryFanIn)
			for i := range discoveryFanIn {
				c.feed(i, 0, &done)
			}
			done.Wait()
			b.StopTimer()
			time.Sleep(window)
			syncs += syncCount() - before
			b.StartTimer()
		}
		b.ReportMetric(float64(syncs)/float64(b.N), "syncs/op")
	}
	// count drains snapshots in the background once the initial state
	// arrived and the Manager went quiet.
	count := func(c discoveryCase, syncCh func() bool) func() int64 {
		awaitVersion(c, discoveryFanIn, "g0", 0)
		time.Sleep(window)
		var n atomic.Int64
		go func() {
			for syncCh() {
				n.Add(1)
			}
		}()
		time.Sleep(window)
		n.Store(0)
		return n.Load
	}
	b.Run("ecopatterns", func(b *testing.B) {
		gate := make(chan struct{})
		close(gate)
		c := newOurDiscoveryCase(b, discoveryFanIn, discoveryThrottle, ours, ourResend, gate, nil)
		run(b, c, count(c, func() bool { _, ok := <-c.m.SyncCh(); return ok }))
	})
	b.Run("prometheus", func(b *testing.B) {
		gate := make(chan struct{})
		close(gate)
		c := newPromDiscoveryCase(b, discoveryFanIn, discoveryThrottle, theirs, theirResend, gate, nil)
		run(b, c, count(c, func() bool { _, ok := <-c.m.SyncCh(); return ok }))
	})
}
