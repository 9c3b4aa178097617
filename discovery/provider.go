package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// ProviderState is where a provider is in its life.
type ProviderState string

// The provider states.
const (
	// StateStarting: the discoverer (first or restarted) has not yet sent
	// its first full set.
	StateStarting ProviderState = "starting"
	// StateRunning: the discoverer has sent its first full set and its last
	// update was clean.
	StateRunning ProviderState = "running"
	// StateErroring: the discoverer reported an error with ReportError (or
	// sent a nil group) and has sent no update since.
	StateErroring ProviderState = "erroring"
	// StateFailed: the discoverer's Run returned early, panicked or closed
	// its channel, or building it again failed. With RestartFailed it is
	// waiting to be restarted.
	StateFailed ProviderState = "failed"
	// StateStopping: the provider was cancelled and the Manager is waiting
	// up to StopTimeout for its Run to return.
	StateStopping ProviderState = "stopping"
	// StateStopped: the provider was cancelled and its Run returned.
	StateStopped ProviderState = "stopped"
	// StateLeaked: the provider was cancelled and its Run did not return
	// within StopTimeout. Its goroutine still runs.
	StateLeaked ProviderState = "leaked"
)

// ProviderInfo describes one provider: a running discoverer, shared by the
// target sets whose configurations hold an identical Config.
type ProviderInfo struct {
	// Name identifies the provider: the Config's name and a number unique
	// within the Manager, such as "file/3".
	Name string
	// Config is the Config's Name.
	Config string
	// Sets are the target sets the provider serves, sorted; empty once it
	// was removed by ApplyConfig.
	Sets []string
	// State is the provider's state.
	State ProviderState
	// Groups and Targets count what the provider currently contributes.
	Groups, Targets int
	// LastError is the most recent error: reported with ReportError, or
	// why the discoverer failed. It stays after the provider recovers.
	LastError error
	// LastErrorAt is when LastError happened.
	LastErrorAt time.Time
	// Restarts counts the restarts after failures.
	Restarts int
	// Leaked counts runs of this provider's discoverers that were
	// cancelled, did not return within StopTimeout, and are still running.
	Leaked int
}

// provider runs the discoverers of one Config and keeps the groups they
// sent. Its supervisor goroutine receives their updates, so a provider's
// state is written by one goroutine and read by the Manager's sender.
type provider struct {
	m      *Manager
	id     int
	name   string
	config string
	cfg    Config

	// Guarded by m.mu.
	sets   []string
	active bool
	cancel context.CancelFunc
	first  Discoverer // built by ApplyConfig, run by the first start

	// queued is set while the provider is on the Manager's dirty stack;
	// nextDirty links it there.
	queued    atomic.Bool
	nextDirty *provider
	// settled is set once the provider counts as started for Ready.
	settled atomic.Bool
	// sentFirst is set once a discoverer of the provider sent its first
	// full set, which ends the handovers waiting for it.
	sentFirst atomic.Bool

	mu        sync.Mutex
	groups    groupStore
	state     ProviderState
	lastErr   error
	lastErrAt time.Time
	restarts  int
	leaked    int
}

// The states of a run's goroutine, in run.exited.
const (
	runRunning int32 = iota
	runReturned
	runLeaked
)

// run is one call of a discoverer's Run.
type run struct {
	p      *provider
	ctx    context.Context
	cancel context.CancelFunc
	up     chan []*Group
	errs   chan reported // from ReportError
	done   chan struct{} // closed when Run returned
	err    error         // why Run returned; read after done
	exited atomic.Int32
}

func (p *provider) discovererOptions() DiscovererOptions {
	return DiscovererOptions{Logger: p.m.log.With(slog.String("provider", p.name)), Provider: p.name}
}

// supervise runs the provider's discoverers until ctx is cancelled:
// the first, then a new one after each failure if RestartFailed.
func (p *provider) supervise(ctx context.Context, d Discoverer) {
	defer p.m.wg.Done()
	opts := &p.m.opts
	backoff := opts.RestartBackoff
	var err error
	for {
		started := time.Now()
		if d != nil {
			r := p.start(ctx, d)
			if err = p.receive(ctx, r); err == nil {
				p.stop(ctx, r)
				return
			}
			// Run may still be going, after closing its channel.
			r.cancel()
			if !p.drain(r) {
				p.leak(ctx, r)
			}
		}
		p.fail(ctx, err)
		if !opts.RestartFailed {
			return
		}
		if time.Since(started) > opts.MaxRestartBackoff {
			backoff = opts.RestartBackoff
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			p.setState(ctx, StateStopped)
			return
		case <-t.C:
		}
		wait := backoff
		backoff = min(2*backoff, opts.MaxRestartBackoff)
		d, err = p.cfg.NewDiscoverer(p.discovererOptions())
		if err == nil && d == nil {
			err = errors.New("NewDiscoverer returned a nil Discoverer")
		}
		if err != nil {
			d, err = nil, fmt.Errorf("discovery: provider %s: restart: %w", p.name, err)
		} else {
			p.setState(ctx, StateStarting)
		}
		p.mu.Lock()
		p.restarts++
		n := p.restarts
		p.mu.Unlock()
		p.m.tel.Emit(ctx, ProviderRestarted, []telemetry.Measurement{telemetry.Int("restarts", int64(n)), telemetry.Dur("backoff", wait)},
			slog.String("provider", p.name), slog.String("config", p.config))
		p.m.log.Info("discovery: restarting provider", slog.String("provider", p.name), slog.Int("restarts", n))
	}
}

// start runs d in a new goroutine.
func (p *provider) start(ctx context.Context, d Discoverer) *run {
	rctx, cancel := context.WithCancel(ctx)
	r := &run{p: p, cancel: cancel, up: make(chan []*Group, upBuffer), errs: make(chan reported), done: make(chan struct{})}
	r.ctx = context.WithValue(rctx, reporterKey{}, r)
	go r.exec(d)
	return r
}

// exec calls d.Run and records how it ended.
func (r *run) exec(d Discoverer) {
	defer func() {
		if v := recover(); v != nil {
			r.err = &PanicError{Provider: r.p.name, Value: v, Stack: debug.Stack()}
		} else {
			r.err = fmt.Errorf("%w (provider %s)", ErrReturnedEarly, r.p.name)
		}
		r.cancel()
		close(r.done)
		if !r.exited.CompareAndSwap(runRunning, runReturned) {
			r.p.leakEnded(r)
		}
	}()
	d.Run(r.ctx, r.up)
}

// upBuffer is the capacity of a run's update channel. A buffer lets a
// discoverer hand over several updates without waiting for the supervisor
// to be scheduled for each, and lets the supervisor apply them in one go.
const upBuffer = 16

// receive applies the updates of r until ctx is cancelled (nil) or the run
// fails (its error).
func (p *provider) receive(ctx context.Context, r *run) error {
	first := true
	batch := make([][]*Group, 0, upBuffer+1)
	// flush applies the updates waiting in the channel, and reports the
	// channel closed if it found it so.
	flush := func() (closed bool) {
		closed = collect(r.up, &batch)
		if len(batch) > 0 {
			p.apply(ctx, batch, first)
			first = false
			clear(batch)
			batch = batch[:0]
		}
		return closed
	}
	closedErr := func() error {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%w (provider %s)", ErrChannelClosed, p.name)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case groups, ok := <-r.up:
			if !ok {
				return closedErr()
			}
			batch = append(batch, groups)
			if flush() {
				return closedErr()
			}
		case e := <-r.errs:
			// What the discoverer sent before reporting waits in the
			// channel: apply it first, so that the error is the latest.
			if flush() {
				return closedErr()
			}
			p.recordError(e)
		case <-r.done:
			if ctx.Err() != nil {
				return nil
			}
			if flush() { // closed, then returned: name the first fault
				return closedErr()
			}
			return r.err
		}
	}
}

// collect appends the updates waiting in up to batch, up to its capacity,
// without blocking. It reports whether it found up closed.
func collect(up chan []*Group, batch *[][]*Group) (closed bool) {
	for len(*batch) < cap(*batch) {
		select {
		case groups, ok := <-up:
			if !ok {
				return true
			}
			*batch = append(*batch, groups)
		default:
			return false
		}
	}
	return false
}

// stop waits, after cancellation, for r to return.
func (p *provider) stop(ctx context.Context, r *run) {
	p.setState(ctx, StateStopping)
	if p.drain(r) {
		p.setState(ctx, StateStopped)
		return
	}
	if p.leak(ctx, r) {
		p.setState(ctx, StateLeaked)
		p.m.mu.Lock()
		if !p.active {
			p.m.retired[p] = struct{}{}
		}
		p.m.mu.Unlock()
		return
	}
	p.setState(ctx, StateStopped)
}

// drain receives and drops r's sends, so that a discoverer that sends
// without watching its context can still see it, until r returns (true)
// or StopTimeout passes (false).
func (p *provider) drain(r *run) bool {
	t := time.NewTimer(p.m.opts.StopTimeout)
	defer t.Stop()
	up := r.up
	for {
		select {
		case <-r.done:
			return true
		case _, ok := <-up:
			if !ok {
				up = nil
			}
		case <-t.C:
			return false
		}
	}
}

// leak records that r did not return within StopTimeout. It reports false
// if r returned just now after all.
func (p *provider) leak(ctx context.Context, r *run) bool {
	if !r.exited.CompareAndSwap(runRunning, runLeaked) {
		return false
	}
	p.mu.Lock()
	p.leaked++
	n := p.leaked
	p.mu.Unlock()
	p.m.tel.Emit(ctx, ProviderLeaked, []telemetry.Measurement{telemetry.Int("leaked", int64(n))},
		slog.String("provider", p.name), slog.String("config", p.config))
	p.m.log.Error("discovery: discoverer did not return after cancellation; its goroutine is leaked",
		slog.String("provider", p.name), slog.Duration("waited", p.m.opts.StopTimeout))
	return true
}

// leakEnded runs when a leaked run finally returns.
func (p *provider) leakEnded(r *run) {
	p.mu.Lock()
	p.leaked--
	n := p.leaked
	prev := p.state
	if n == 0 && prev == StateLeaked {
		p.state = StateStopped
	}
	p.mu.Unlock()
	if n == 0 && prev == StateLeaked {
		p.emitChanged(r.ctx, StateStopped, prev)
	}
	if n == 0 {
		p.m.mu.Lock()
		delete(p.m.retired, p)
		p.m.mu.Unlock()
	}
}

// fail records a failed run.
func (p *provider) fail(ctx context.Context, err error) {
	p.mu.Lock()
	prev := p.state
	p.state = StateFailed
	p.lastErr, p.lastErrAt = err, time.Now()
	restarts := p.restarts
	dropped := !p.m.opts.KeepFailedTargets && len(p.groups.entries) > 0
	if dropped {
		p.groups.clear()
	}
	p.mu.Unlock()
	if prev != StateFailed {
		p.emitChanged(ctx, StateFailed, prev)
	}
	p.m.tel.Emit(ctx, ProviderFailed, []telemetry.Measurement{telemetry.Int("restarts", int64(restarts))},
		slog.String("provider", p.name), slog.String("config", p.config), slog.Any("error", err))
	p.m.log.Warn("discovery: discoverer failed", slog.String("provider", p.name), slog.Any("error", err),
		slog.Bool("restart", p.m.opts.RestartFailed))
	if p.settle() || dropped {
		p.m.markDirty(p)
	}
}

// reportError hands an error reported with ReportError to the supervisor,
// which handles it in order with the run's updates. A cancelled run's
// errors are dropped: they are about its cancellation.
func (r *run) reportError(ctx context.Context, err error) {
	select {
	case r.errs <- reported{ctx, err}:
	case <-r.ctx.Done():
	}
}

// reported is an error passed to ReportError, with the context it came
// with (for telemetry).
type reported struct {
	ctx context.Context
	err error
}

// recordError records an error reported by the current run.
func (p *provider) recordError(e reported) {
	p.mu.Lock()
	prev := p.state
	p.state = StateErroring
	p.lastErr, p.lastErrAt = e.err, time.Now()
	p.mu.Unlock()
	p.errored(e.ctx, e.err, prev)
	if p.settle() {
		p.m.markDirty(p)
	}
}

func (p *provider) errored(ctx context.Context, err error, prev ProviderState) {
	if prev != StateErroring {
		p.emitChanged(ctx, StateErroring, prev)
	}
	p.m.tel.Emit(ctx, ProviderErrored, nil,
		slog.String("provider", p.name), slog.String("config", p.config), slog.Any("error", err))
	p.m.log.Warn("discovery: discoverer reported an error", slog.String("provider", p.name), slog.Any("error", err))
}

// settle counts the provider as started for Ready, once; it reports
// whether this call did.
func (p *provider) settle() bool {
	if p.settled.CompareAndSwap(false, true) {
		p.m.unsettled.Add(-1)
		return true
	}
	return false
}

func (p *provider) setState(ctx context.Context, s ProviderState) {
	p.mu.Lock()
	prev := p.state
	p.state = s
	p.mu.Unlock()
	if prev != s {
		p.emitChanged(ctx, s, prev)
	}
}

func (p *provider) emitChanged(ctx context.Context, s, prev ProviderState) {
	if p.m.tel.Enabled(ProviderChanged) {
		p.m.tel.Emit(ctx, ProviderChanged, nil, slog.String("provider", p.name), slog.String("config", p.config),
			slog.String("state", string(s)), slog.String("previous", string(prev)))
	}
}

// apply merges updates, in order, into the provider's groups. The first
// update of a run is a full set: it replaces the groups a previous run
// left.
func (p *provider) apply(ctx context.Context, updates [][]*Group, first bool) {
	var counts [upBuffer + 1]int // changed groups per update
	p.mu.Lock()
	changed, nils, lastNils := 0, 0, 0
	for i, groups := range updates {
		var c int
		if i == 0 && first && len(p.groups.entries) > 0 {
			c, lastNils = p.groups.replace(groups)
		} else {
			c, lastNils = p.groups.merge(groups)
		}
		if i < len(counts) {
			counts[i] = c
		}
		changed += c
		nils += lastNils
	}
	if changed > 0 {
		p.groups.stale = true
	}
	prev := p.state
	var err error
	if nils > 0 {
		err = fmt.Errorf("%w (provider %s, %d in %d update(s))", ErrNilGroup, p.name, nils, len(updates))
		p.lastErr, p.lastErrAt = err, time.Now()
	}
	// The last update decides: a clean one clears an earlier error.
	p.state = StateRunning
	if lastNils > 0 {
		p.state = StateErroring
	}
	state := p.state
	p.mu.Unlock()

	if err != nil {
		p.errored(ctx, err, prev)
		if state == StateRunning {
			p.emitChanged(ctx, StateRunning, StateErroring)
		}
	} else if state != prev {
		p.emitChanged(ctx, state, prev)
	}
	settled := first && p.settle()
	firstEver := first && p.sentFirst.CompareAndSwap(false, true)
	if changed > 0 || settled || firstEver {
		p.m.markDirty(p)
	}
	if p.m.tel.Enabled(UpdateReceived) {
		for i, groups := range updates {
			p.m.tel.Emit(ctx, UpdateReceived, []telemetry.Measurement{telemetry.Int("groups", int64(len(groups))), telemetry.Int("changed", int64(counts[min(i, len(counts)-1)]))},
				slog.String("provider", p.name))
		}
	}
}

// snapshot returns the provider's groups in Source order. The slice is
// shared until the groups change, and never modified.
func (p *provider) snapshot() []*Group {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.groups.snapshot()
}

// info describes the provider; sets is its set list, read under m.mu.
func (p *provider) info(sets []string) ProviderInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return ProviderInfo{
		Name:        p.name,
		Config:      p.config,
		Sets:        sets,
		State:       p.state,
		Groups:      len(p.groups.entries),
		Targets:     p.groups.targets,
		LastError:   p.lastErr,
		LastErrorAt: p.lastErrAt,
		Restarts:    p.restarts,
		Leaked:      p.leaked,
	}
}
