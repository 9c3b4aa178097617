package discovery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// The phases of a Manager.
const (
	phaseNew = iota
	phaseRunning
	phaseStopping
	phaseStopped
)

// Manager runs the discoverers of a configuration of target sets and sends
// the targets of every set, as snapshots, on SyncCh.
//
// Each distinct Config runs as one provider, shared by every set whose
// configuration holds an identical Config. Each provider's updates land in
// its own mailbox (latest wins), so no discoverer waits for another, for the
// Manager's lock, or for the consumer. A single sender builds snapshots from
// the mailboxes that changed, at most one per UpdateInterval, sending the
// first change after a quiet interval at once.
//
// A Manager is safe for concurrent use. Several Managers coexist.
type Manager struct {
	opts ManagerOptions
	log  *slog.Logger
	tel  *telemetry.Registry

	syncCh chan map[string][]*Group
	ready  chan struct{}
	wake   chan struct{} // a change: build as soon as UpdateInterval allows
	soon   chan struct{} // a change that can wait: build within UpdateInterval

	// dirty is a lock-free stack of providers with changes the sender has
	// not seen, linked through provider.nextDirty.
	dirty     atomic.Pointer[provider]
	unsettled atomic.Int64 // providers not yet counted for Ready

	applyMu sync.Mutex // serializes ApplyConfig

	mu          sync.Mutex // guards the fields below; never held by discoverers' updates
	phase       int
	ctx         context.Context // Run's context
	sets        map[string][]*provider
	providers   map[string]*provider // active providers by config key
	retired     map[*provider]struct{}
	nextID      int
	configured  bool
	readyClosed bool
	dirtySets   map[string]struct{}
	removedSets map[string]struct{}
	handovers   map[string]*handover // sets still showing replaced providers
	wg          sync.WaitGroup       // supervisors
}

// NewManager returns a Manager with no configuration. It starts nothing:
// call ApplyConfig and Run, in either order.
func NewManager(opts ManagerOptions) (*Manager, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	tel := opts.Telemetry
	if tel == nil {
		tel = telemetry.Default()
	}
	return &Manager{
		opts:        opts,
		log:         opts.Logger,
		tel:         tel,
		syncCh:      make(chan map[string][]*Group),
		ready:       make(chan struct{}),
		wake:        make(chan struct{}, 1),
		soon:        make(chan struct{}, 1),
		sets:        make(map[string][]*provider),
		providers:   make(map[string]*provider),
		retired:     make(map[*provider]struct{}),
		dirtySets:   make(map[string]struct{}),
		removedSets: make(map[string]struct{}),
		handovers:   make(map[string]*handover),
	}, nil
}

// SyncCh returns the channel on which Run sends snapshots: for every
// configured target set, all its groups, ordered by the position of their
// Config in the set's Configs, then by Source. A set with no targets has an
// empty slice, so that a consumer drops what it had. A set removed by
// ApplyConfig comes once with an empty slice and is left out afterwards:
// the empty slice tells a consumer that keeps per-set state to drop it,
// and leaving the set out later keeps snapshots from growing with every
// set ever configured.
//
// A snapshot is sent only when some set changed. What the receiver owns
// and what it shares:
//
//   - The map is the receiver's from the moment it is sent: it may add,
//     delete and replace entries, and no later snapshot sees it.
//   - The slices, the groups, their Targets and every Labels map are
//     shared with other snapshots and with the Manager, and must be
//     treated as read-only; copy one to change it.
//
// A snapshot the consumer has not taken yet is replaced by a newer one, so
// a slow consumer gets the latest state and never holds up discoverers.
// The channel is closed when Run returns.
func (m *Manager) SyncCh() <-chan map[string][]*Group { return m.syncCh }

// Ready returns a channel closed once Run is running, ApplyConfig was
// called, and every provider of the configuration has sent its first full
// set, reported an error or failed, and the snapshot holding their groups
// has been built. A snapshot received from SyncCh after Ready is closed
// holds them all, and one is sent after it closes even when the last first
// set changed nothing. Providers added by later calls of ApplyConfig do not
// reopen it. A discoverer that never sends keeps it open.
func (m *Manager) Ready() <-chan struct{} { return m.ready }

// Run starts the providers and sends snapshots on SyncCh until ctx is
// cancelled. Then it cancels every discoverer, waits for each up to
// StopTimeout, closes SyncCh and returns: nil when every discoverer
// returned, otherwise a *LeakedError naming those that did not. Run may be
// called only once; a second call returns ErrRunTwice.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.phase != phaseNew {
		m.mu.Unlock()
		return ErrRunTwice
	}
	m.phase = phaseRunning
	m.ctx = ctx
	for _, p := range m.sortedProviders() {
		m.startLocked(p)
	}
	m.mu.Unlock()

	m.loop(ctx)

	m.mu.Lock()
	m.phase = phaseStopping
	for set := range m.handovers {
		m.endHandoverLocked(set)
	}
	for _, p := range m.providers {
		p.cancel()
	}
	m.mu.Unlock()
	m.wg.Wait()

	m.mu.Lock()
	m.phase = phaseStopped
	var leaked []string
	for _, p := range m.providers {
		if p.info(nil).Leaked > 0 {
			leaked = append(leaked, p.name)
		}
	}
	for p := range m.retired {
		leaked = append(leaked, p.name)
	}
	m.mu.Unlock()
	close(m.syncCh)
	if len(leaked) > 0 {
		slices.Sort(leaked)
		return &LeakedError{Providers: leaked, Timeout: m.opts.StopTimeout}
	}
	return nil
}

// startLocked starts p's supervisor.
func (m *Manager) startLocked(p *provider) {
	ctx, cancel := context.WithCancel(m.ctx)
	p.cancel = cancel
	d := p.first
	p.first = nil
	m.wg.Add(1)
	go p.supervise(ctx, d)
}

func (m *Manager) sortedProviders() []*provider {
	ps := slices.Collect(maps.Values(m.providers))
	slices.SortFunc(ps, func(a, b *provider) int { return cmp.Compare(a.id, b.id) })
	return ps
}

// ApplyConfig makes cfg, target sets by name, the Manager's configuration.
// Providers whose Config is unchanged keep running untouched; a Config that
// appears in several sets, or twice in one, runs once. New Configs get new
// providers (started at once if Run is running); providers whose Config is
// gone are cancelled and their targets leave the next snapshot. Where a set
// had such a provider replaced by a new one, the set keeps the old groups
// until the new provider sent its first full set, or SwapTimeout passed,
// and then shows the new groups in one snapshot: a reload never empties a
// set only because its discoverers were being swapped.
//
// ApplyConfig is all or nothing: if a Config is nil, cannot be encoded for
// comparison, or its NewDiscoverer fails, it returns an errors.Join of one
// *ConfigError per bad Config and the running configuration stays as it
// was. After Run has returned it returns ErrStopped.
func (m *Manager) ApplyConfig(cfg map[string]Configs) error {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	plan, err := planConfig(cfg)
	if err != nil {
		return err
	}
	created, nextID, err := m.buildProviders(plan)
	if err != nil {
		return err
	}
	return m.install(plan, created, nextID)
}

// wantedConfig is a config ApplyConfig keeps: the first of its key, with
// the set and index it was given at.
type wantedConfig struct {
	cfg   Config
	set   string
	index int
}

// configPlan is what a configuration asks for: its configs by key, the
// keys in the order they first appear (sets sorted by name), and each
// set's keys.
type configPlan struct {
	want    map[string]wantedConfig
	order   []string
	setKeys map[string][]string
}

// planConfig checks cfg and returns its plan, or an error joining a
// *ConfigError for each config that is nil or has no key.
func planConfig(cfg map[string]Configs) (configPlan, error) {
	plan := configPlan{want: make(map[string]wantedConfig), setKeys: make(map[string][]string, len(cfg))}
	var errs []error
	for _, set := range slices.Sorted(maps.Keys(cfg)) {
		keys := []string{}
		for i, c := range cfg[set] {
			if c == nil || isNilPointer(c) {
				errs = append(errs, &ConfigError{Set: set, Index: i, Err: errors.New("config is nil")})
				continue
			}
			key, err := configKey(c)
			if err != nil {
				errs = append(errs, &ConfigError{Set: set, Index: i, Name: c.Name(), Err: err})
				continue
			}
			if _, ok := plan.want[key]; !ok {
				plan.want[key] = wantedConfig{cfg: c, set: set, index: i}
				plan.order = append(plan.order, key)
			}
			if !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
		plan.setKeys[set] = keys
	}
	if len(errs) > 0 {
		return configPlan{}, errors.Join(errs...)
	}
	return plan, nil
}

// buildProviders builds the providers of the plan's keys that have none
// yet, with their discoverers, and returns them by key with the next
// provider ID. It runs without the lock: NewDiscoverer is the mechanism's
// code. It fails with ErrStopped once the manager stops, or with an error
// joining a *ConfigError for each discoverer that could not be built.
func (m *Manager) buildProviders(plan configPlan) (created map[string]*provider, nextID int, err error) {
	m.mu.Lock()
	if m.phase >= phaseStopping {
		m.mu.Unlock()
		return nil, 0, ErrStopped
	}
	id := m.nextID
	var fresh []string
	for _, key := range plan.order {
		if _, ok := m.providers[key]; !ok {
			fresh = append(fresh, key)
		}
	}
	m.mu.Unlock()
	created = make(map[string]*provider, len(fresh))
	var errs []error
	for _, key := range fresh {
		w := plan.want[key]
		p := &provider{m: m, id: id, config: w.cfg.Name(), cfg: w.cfg, state: StateStarting, active: true}
		p.name = fmt.Sprintf("%s/%d", p.config, id)
		id++
		d, err := w.cfg.NewDiscoverer(p.discovererOptions())
		if err == nil && d == nil {
			err = errors.New("NewDiscoverer returned a nil Discoverer")
		}
		if err != nil {
			errs = append(errs, &ConfigError{Set: w.set, Index: w.index, Name: p.config, Err: err})
			continue
		}
		p.first = d
		created[key] = p
	}
	if len(errs) > 0 {
		return nil, 0, errors.Join(errs...)
	}
	return created, id, nil
}

// install makes the plan the manager's configuration, under the lock:
// it drops the providers no set wants, adds the created ones, installs
// the sets, starts the new providers when the manager runs, and wakes the
// sender.
func (m *Manager) install(plan configPlan, created map[string]*provider, nextID int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.phase >= phaseStopping {
		return ErrStopped
	}
	m.nextID = nextID
	for key, p := range m.providers {
		if _, ok := plan.want[key]; !ok {
			delete(m.providers, key)
			p.active, p.sets, p.first = false, nil, nil
			if p.cancel != nil {
				p.cancel()
			}
			p.settle()
		}
	}
	isNew := make(map[*provider]bool, len(created))
	for key, p := range created {
		m.providers[key] = p
		m.unsettled.Add(1)
		isNew[p] = true
	}
	now := m.installSetsLocked(plan.setKeys, isNew)
	m.configured = true
	if m.phase == phaseRunning {
		for _, p := range created {
			m.startLocked(p)
		}
	}
	if now || len(created) == 0 {
		signal(m.wake)
	} else {
		signal(m.soon)
	}
	return nil
}

// installSetsLocked makes setKeys the manager's sets, marking the sets
// that change, and gives each provider its sets. It reports whether a
// snapshot must be built at once: a set lost a provider, or gained one
// that is not new (new providers have no groups yet). m.mu is held.
func (m *Manager) installSetsLocked(setKeys map[string][]string, isNew map[*provider]bool) (now bool) {
	sets := make(map[string][]*provider, len(setKeys))
	provSets := make(map[*provider][]string)
	for set, keys := range setKeys {
		ps := make([]*provider, len(keys))
		for i, key := range keys {
			ps[i] = m.providers[key]
			provSets[ps[i]] = append(provSets[ps[i]], set)
		}
		sets[set] = ps
		old, had := m.sets[set]
		if had && slices.Equal(old, ps) {
			continue
		}
		m.dirtySets[set] = struct{}{}
		delete(m.removedSets, set)
		if m.beginHandoverLocked(set, old, ps) {
			continue // it changes when the new providers have sent
		}
		// The set changes now unless all it gains are new providers,
		// which have no groups yet.
		for _, p := range old {
			if !slices.Contains(ps, p) {
				now = true
			}
		}
		for _, p := range ps {
			if !isNew[p] && !slices.Contains(old, p) {
				now = true
			}
		}
	}
	for set := range m.sets {
		if _, ok := sets[set]; !ok {
			m.endHandoverLocked(set)
			m.removedSets[set] = struct{}{}
			delete(m.dirtySets, set)
			now = true
		}
	}
	m.sets = sets
	for _, p := range m.providers {
		s := provSets[p]
		slices.Sort(s)
		p.sets = s
	}
	return now
}

func isNilPointer(c Config) bool {
	v := reflect.ValueOf(c)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// signal makes a non-blocking send on a channel of capacity 1.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// markDirty tells the sender that p changed. It takes no lock: p goes on
// the dirty stack once until the sender takes it.
func (m *Manager) markDirty(p *provider) {
	if p.queued.Swap(true) {
		return
	}
	for {
		head := m.dirty.Load()
		p.nextDirty = head
		if m.dirty.CompareAndSwap(head, p) {
			break
		}
	}
	signal(m.wake)
}

// Providers describes every provider of the configuration, and every
// removed one whose discoverer leaked, ordered by creation.
func (m *Manager) Providers() []ProviderInfo {
	m.mu.Lock()
	ps := slices.AppendSeq(slices.Collect(maps.Values(m.providers)), maps.Keys(m.retired))
	slices.SortFunc(ps, func(a, b *provider) int { return cmp.Compare(a.id, b.id) })
	sets := make([][]string, len(ps))
	for i, p := range ps {
		sets[i] = slices.Clone(p.sets)
	}
	m.mu.Unlock()
	out := make([]ProviderInfo, len(ps))
	for i, p := range ps {
		out[i] = p.info(sets[i])
	}
	return out
}

// sender is the state of the goroutine that builds and sends snapshots.
type sender struct {
	state     map[string][]*Group // every set as last built; never sent
	cur       map[string][]*Group // the snapshot to send: a copy of state, the receiver's once sent
	pending   bool                // cur was not received yet
	firstSeen time.Time           // first signal since the last delivery
	changed   int                 // sets changed since the last delivery
	last      time.Time           // when the last changing snapshot (cur, while pending) was built
	vanishing []string            // sets sent empty after removal, to leave out
}

// loop builds and sends snapshots until ctx is cancelled.
func (m *Manager) loop(ctx context.Context) {
	interval := m.opts.UpdateInterval
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var due time.Time // when the timer fires; zero when stopped
	s := &sender{state: map[string][]*Group{}}
	schedule := func(at time.Time) {
		if due.IsZero() || at.Before(due) {
			due = at
			timer.Reset(time.Until(at))
		}
	}
	build := func() {
		due = time.Time{}
		timer.Stop()
		m.build(ctx, s)
	}
	for {
		var out chan<- map[string][]*Group
		if s.pending {
			out = m.syncCh
		}
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
			now := time.Now()
			if s.firstSeen.IsZero() {
				s.firstSeen = now
			}
			if next := s.last.Add(interval); !s.last.IsZero() && now.Before(next) {
				schedule(next)
				continue
			}
			build()
		case <-m.soon:
			now := time.Now()
			if s.firstSeen.IsZero() {
				s.firstSeen = now
			}
			schedule(now.Add(interval))
		case <-timer.C:
			build()
		case out <- s.cur:
			now := time.Now()
			s.pending, s.cur = false, nil
			m.tel.Emit(ctx, SyncSent, []telemetry.Measurement{telemetry.Int("sets", int64(s.changed)), telemetry.Dur("latency", now.Sub(s.firstSeen))})
			s.changed, s.firstSeen = 0, time.Time{}
		}
	}
}

// build makes a snapshot of the sets that changed, if any did.
func (m *Manager) build(ctx context.Context, s *sender) {
	type update struct {
		set    string
		groups []*Group
	}
	var updates []update
	head := m.dirty.Swap(nil)
	// Sets sent empty after their removal by an earlier snapshot are left
	// out of the next snapshot that changes anything.
	wasVanishing := s.vanishing
	s.vanishing = nil

	m.mu.Lock()
	for p := head; p != nil; {
		next := p.nextDirty
		p.nextDirty = nil
		p.queued.Store(false)
		for _, set := range p.sets {
			m.dirtySets[set] = struct{}{}
		}
		p = next
	}
	m.settleHandoversLocked()
	for set := range m.dirtySets {
		groups := setSnapshot(m.shownLocked(set))
		if old, had := s.state[set]; had && sameGroups(old, groups) {
			continue
		}
		updates = append(updates, update{set, groups})
	}
	for set := range m.removedSets {
		if old, had := s.state[set]; had {
			if len(old) > 0 {
				updates = append(updates, update{set, []*Group{}})
			}
			s.vanishing = append(s.vanishing, set)
		}
	}
	clear(m.dirtySets)
	clear(m.removedSets)
	closeReady := !m.readyClosed && m.configured && m.unsettled.Load() == 0
	if closeReady {
		m.readyClosed = true
	}
	var vanished []string
	if len(updates) > 0 {
		for _, set := range wasVanishing {
			if _, back := m.sets[set]; !back {
				vanished = append(vanished, set)
			}
		}
	} else {
		s.vanishing = append(s.vanishing, wasVanishing...)
	}
	m.mu.Unlock()

	if len(updates) > 0 {
		now := time.Now()
		if s.pending {
			m.tel.Emit(ctx, SyncDelayed, []telemetry.Measurement{telemetry.Dur("waited", now.Sub(s.last))})
		}
		for _, set := range vanished {
			s.drop(set)
		}
		slices.SortFunc(updates, func(a, b update) int { return cmp.Compare(a.set, b.set) })
		report := m.tel.Enabled(SetSynced)
		for _, u := range updates {
			s.put(u.set, u.groups)
			if report {
				targets := 0
				for _, g := range u.groups {
					targets += len(g.Targets)
				}
				m.tel.Emit(ctx, SetSynced, []telemetry.Measurement{telemetry.Int("groups", int64(len(u.groups))), telemetry.Int("targets", int64(targets))},
					slog.String("set", u.set))
			}
		}
		s.offer(now)
		s.changed += len(updates)
	} else if closeReady && !s.pending {
		// The last first set changed nothing (an empty static config,
		// say), but a consumer waiting for Ready needs a snapshot taken
		// after it: send the current one again, as a map of its own.
		s.offer(time.Now())
	}
	if closeReady {
		close(m.ready)
	}
}

// offer makes a copy of the state the snapshot to send, unless one not yet
// sent holds it already. The copy is never touched again once sent: the
// map is the receiver's from the moment it is sent.
func (s *sender) offer(now time.Time) {
	if !s.pending { // a snapshot not yet sent already holds the state
		s.cur = maps.Clone(s.state)
	}
	s.pending, s.last = true, now
}

// put sets a set's groups in the state, and in the snapshot not yet sent,
// which is still the sender's.
func (s *sender) put(set string, groups []*Group) {
	s.state[set] = groups
	if s.pending {
		s.cur[set] = groups
	}
}

// drop removes a set from the state, and from the snapshot not yet sent.
func (s *sender) drop(set string) {
	delete(s.state, set)
	if s.pending {
		delete(s.cur, set)
	}
}

// setSnapshot concatenates the snapshots of a set's providers. A set with
// one contributing provider shares that provider's slice.
func setSnapshot(ps []*provider) []*Group {
	switch len(ps) {
	case 0:
		return []*Group{}
	case 1:
		if s := ps[0].snapshot(); s != nil {
			return s
		}
		return []*Group{}
	}
	snaps := make([][]*Group, len(ps))
	n, contributing, last := 0, 0, -1
	for i, p := range ps {
		snaps[i] = p.snapshot()
		if len(snaps[i]) > 0 {
			n += len(snaps[i])
			contributing++
			last = i
		}
	}
	switch contributing {
	case 0:
		return []*Group{}
	case 1:
		return snaps[last]
	}
	out := make([]*Group, 0, n)
	for _, s := range snaps {
		out = append(out, s...)
	}
	return out
}

// sameGroups reports whether two snapshots of a set hold equal groups.
func sameGroups(a, b []*Group) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] && !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
