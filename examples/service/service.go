package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/file"
	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// environment is what the process gives the service; tests give their own.
type environment struct {
	// out receives the log and the summary.
	out io.Writer
	// mode is the job client's mode; "" means testmode.Disabled, jobs on
	// a MemoryEngine.
	mode testmode.Mode
	// transport, when not nil, carries the probes instead of the network,
	// and no demo server starts. Tests give one that answers with the demo
	// handler in the probing goroutine, so that no probe timeout can
	// overtake an answer however busy the machine is.
	transport http.RoundTripper
}

// The set of targets in the discovery configuration, and the queue of
// probe jobs.
const (
	targetSet  = "probes"
	probeQueue = "probes"
)

// service is the prober while it runs.
type service struct {
	opts    Options
	log     *slog.Logger
	reg     *telemetry.Registry
	stopper *stopper.Stopper
	dir     *fileops.Dir
	tempDir string // removed at stop when the service created it
	state   *stateStore
	results *results
	engine  *testmode.MemoryEngine // nil unless mode is Disabled
	jobs    *testmode.Client

	mu        sync.Mutex
	targets   []string      // sorted
	changed   chan struct{} // closed and replaced at every change of targets
	published bool          // targets received from discovery at least once
}

// start opens the state directory, starts the demo server, the job engine
// and discovery, and returns once the first set of targets is known.
func start(ctx context.Context, opts Options, env environment) (_ *service, err error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	svc := &service{opts: opts, changed: make(chan struct{})}
	svc.log = slog.New(slog.NewTextHandler(env.out, &slog.HandlerOptions{ReplaceAttr: oneLineErrors}))
	svc.log.Info("starting", "non-default options", options.Diff(DefaultOptions(), opts))

	// One telemetry registry for the whole process: every package below
	// emits into it. By default only this program's events are logged.
	if svc.reg, err = telemetry.New(telemetry.DefaultOptions()); err != nil {
		return nil, err
	}
	patterns := []string{"prober"}
	if opts.Verbose {
		patterns = append(patterns, "ecopatterns")
	}
	if err := svc.reg.Attach("log", patterns, telemetry.SlogHandler(svc.log, slog.LevelInfo)); err != nil {
		return nil, err
	}

	// Every goroutine of the program runs under one Stopper.
	sopts := stopper.DefaultOptions()
	sopts.Name = "prober"
	sopts.Logger = svc.log
	sopts.Telemetry = svc.reg
	if svc.stopper, err = stopper.New(sopts); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.StopTimeout)
			defer cancel()
			err = errors.Join(err, svc.stopper.Stop(stopCtx), svc.release())
		}
	}()

	if err := svc.openState(ctx); err != nil {
		return nil, err
	}
	client, err := svc.httpClient(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := svc.startJobs(env, client); err != nil {
		return nil, err
	}
	if err := svc.startDiscovery(ctx); err != nil {
		return nil, err
	}
	return svc, nil
}

// openState locks and recovers the state directory, logs what an earlier
// run left, and writes the targets file on the first run.
func (svc *service) openState(ctx context.Context) error {
	path := svc.opts.StateDir
	if path == "" {
		tmp, err := os.MkdirTemp("", "prober-")
		if err != nil {
			return fmt.Errorf("service: state directory: %w", err)
		}
		svc.tempDir, path = tmp, tmp
	}
	fopts := fileops.DefaultOptions()
	fopts.Logger = svc.log
	fopts.Telemetry = svc.reg
	dir, err := fileops.Open(path, fopts)
	if err != nil {
		return err
	}
	svc.dir = dir
	svc.state = &stateStore{dir: dir}
	svc.log.Info("state directory open", "dir", path, "recovery", dir.Recovered())
	prev, ok, err := svc.state.previous(ctx)
	if err != nil {
		return err
	}
	if ok {
		svc.log.Info("previous run", "round", prev.Round, "targets", len(prev.Targets), "updated_at", prev.UpdatedAt)
	}
	created, err := svc.state.ensureTargets(ctx)
	if err != nil {
		return err
	}
	if created {
		svc.log.Info("wrote the targets file; edit it while the prober runs", "path", filepath.Join(path, targetsFile))
	}
	return nil
}

// httpClient starts the demo server when asked and returns the client that
// probes use.
func (svc *service) httpClient(ctx context.Context, env environment) (*http.Client, error) {
	if env.transport != nil {
		return &http.Client{Transport: env.transport}, nil
	}
	demoAddr := ""
	if svc.opts.Demo {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("service: demo server: %w", err)
		}
		demoAddr = ln.Addr().String()
		if err := serveDemo(ctx, svc.stopper, ln, svc.opts.Timeout); err != nil {
			return nil, err
		}
	}
	transport := &http.Transport{DialContext: demoDialer(demoAddr), MaxIdleConnsPerHost: svc.opts.Concurrency}
	svc.stopper.AddCloser(stopper.CloserFn(transport.CloseIdleConnections))
	return &http.Client{Transport: transport}, nil
}

// startJobs registers the probe worker and creates the job client; in
// Disabled mode the jobs run on a MemoryEngine whose stopper is a child of
// the service's, so it stops first.
func (svc *service) startJobs(env environment, client *http.Client) error {
	svc.results = newResults(svc.reg, func(rep roundReport) {
		// The rounds' reporters write the state in turn; a failed write
		// is logged and the next round tries again.
		if err := svc.state.write(context.Background(), svc.results.snapshot()); err != nil {
			svc.log.Error("writing state", "err", err)
		}
	})
	workers := testmode.NewWorkers()
	p := &prober{client: client, timeout: svc.opts.Timeout, interval: svc.opts.Interval, results: svc.results}
	if err := testmode.AddWorker(workers, p); err != nil {
		return err
	}
	mode := env.mode
	if mode == "" {
		mode = testmode.Disabled
	}
	cfg := testmode.DefaultConfig()
	cfg.Mode = mode
	cfg.Workers = workers
	cfg.MaxAttempts = svc.opts.MaxAttempts
	cfg.Telemetry = svc.reg
	if mode == testmode.Disabled {
		eopts := testmode.DefaultMemoryOptions()
		eopts.Name = "probes"
		eopts.Queues = map[string]testmode.QueueOptions{probeQueue: {Limit: svc.opts.Concurrency}}
		eopts.Workers = workers
		eopts.ShutdownGrace = svc.opts.Timeout
		eopts.Parent = svc.stopper
		eopts.Logger = svc.log
		eopts.Telemetry = svc.reg
		engine, err := testmode.NewMemoryEngine(eopts)
		if err != nil {
			return err
		}
		svc.engine, cfg.Engine = engine, engine
	}
	jobs, err := testmode.NewClient(cfg)
	if err != nil {
		return err
	}
	svc.jobs = jobs
	return nil
}

// startDiscovery runs a discovery manager over the static targets and the
// targets file, and waits for the first set of targets.
func (svc *service) startDiscovery(ctx context.Context) error {
	mopts := svc.opts.Discovery
	mopts.Logger = svc.log
	mopts.Telemetry = svc.reg
	m, err := discovery.NewManager(mopts)
	if err != nil {
		return err
	}
	static := make(discovery.StaticConfig, 0, len(svc.opts.Targets))
	for i, t := range svc.opts.Targets {
		static = append(static, &discovery.Group{
			Source:  fmt.Sprint(i),
			Targets: []discovery.Labels{{discovery.AddressLabel: t}},
		})
	}
	fileCfg := file.DefaultConfig()
	fileCfg.Files = []string{filepath.Join(svc.dir.Path(), targetsFile)}
	if err := m.ApplyConfig(map[string]discovery.Configs{targetSet: {static, fileCfg}}); err != nil {
		return err
	}
	ready := make(chan struct{})
	if err := svc.stopper.RunAsyncTask(ctx, "prober.discovery: run", func(ctx context.Context) {
		if err := m.Run(ctx); err != nil && ctx.Err() == nil {
			svc.log.Error("discovery stopped", "err", err)
		}
	}); err != nil {
		return err
	}
	if err := svc.stopper.RunAsyncTask(ctx, "prober.discovery: apply target sets", func(ctx context.Context) {
		// A snapshot taken once Ready is closed holds the groups of every
		// discoverer, the targets file's included: the first round waits
		// for it.
		for waiting := true; ; {
			select {
			case sets := <-m.SyncCh():
				svc.setTargets(ctx, sets[targetSet])
				if waiting && isClosed(m.Ready()) {
					waiting = false
					close(ready)
				}
			case <-ctx.Done():
				return
			}
		}
	}); err != nil {
		return err
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// setTargets replaces the targets with those of groups. A target that is
// not an http(s) URL is logged and skipped.
func (svc *service) setTargets(ctx context.Context, groups []*discovery.Group) {
	set := map[string]bool{}
	for _, g := range groups {
		for _, t := range g.Targets {
			addr := t[discovery.AddressLabel]
			if err := checkTarget(addr); err != nil {
				svc.log.Warn("skipping target", "target", addr, "source", g.Source, "err", err)
				continue
			}
			set[addr] = true
		}
	}
	next := slices.Sorted(maps.Keys(set))
	svc.mu.Lock()
	prev := svc.targets
	if svc.published && slices.Equal(prev, next) {
		svc.mu.Unlock()
		return
	}
	svc.targets, svc.published = next, true
	changed := svc.changed
	svc.changed = make(chan struct{})
	svc.mu.Unlock()
	// Watchers hear of the change once it has been reported.
	defer close(changed)

	var added, removed []string
	for _, t := range next {
		if !slices.Contains(prev, t) {
			added = append(added, t)
		}
	}
	for _, t := range prev {
		if !slices.Contains(next, t) {
			removed = append(removed, t)
		}
	}
	if len(added)+len(removed) == 0 {
		return
	}
	svc.reg.Emit(ctx, targetsChanged, []telemetry.Measurement{telemetry.Int("targets", int64(len(next)))},
		slog.Any("added", added), slog.Any("removed", removed))
}

// watch returns a channel closed at the next change of the targets.
func (svc *service) watch() <-chan struct{} {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	return svc.changed
}

// currentTargets returns the targets, sorted.
func (svc *service) currentTargets() []string {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	return svc.targets
}

// loop runs a round at once and then every Interval, until Duration passes
// or ctx ends.
func (svc *service) loop(ctx context.Context) {
	var end <-chan time.Time
	if svc.opts.Duration > 0 {
		t := time.NewTimer(svc.opts.Duration)
		defer t.Stop()
		end = t.C
	}
	tick := time.NewTicker(svc.opts.Interval)
	defer tick.Stop()
	for {
		if err := svc.probeRound(ctx); err != nil {
			svc.log.Error("round", "err", err)
		}
		select {
		case <-tick.C:
		case <-end:
			return
		case <-ctx.Done():
			return
		}
	}
}

// probeRound inserts one probe job per target. In Inline mode the jobs
// run before it returns; a probe that failed is a result, not an error.
func (svc *service) probeRound(ctx context.Context) error {
	targets := svc.currentTargets()
	n := svc.results.start(len(targets), time.Now())
	params := make([]testmode.InsertParams, len(targets))
	for i, t := range targets {
		params[i] = testmode.InsertParams{
			Args: ProbeArgs{Target: t, Round: n},
			Opts: &testmode.InsertOpts{Queue: probeQueue, Tags: []string{"round"}},
		}
	}
	_, err := svc.jobs.InsertMany(ctx, params)
	var jobErr *testmode.JobError
	if errors.As(err, &jobErr) {
		return nil
	}
	return err
}

// stop stops every goroutine with a deadline, writes the final state and
// returns the summary.
func (svc *service) stop(ctx context.Context) (summary, error) {
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), svc.opts.StopTimeout)
	defer cancel()
	began := time.Now()
	err := svc.stopper.Stop(stopCtx)
	took := time.Since(began)
	sum := svc.results.summary()
	sum.targets = len(svc.currentTargets())
	sum.stopTook = took
	sum.statePath = filepath.Join(svc.dir.Path(), stateFile)
	if svc.engine != nil {
		sum.pending = len(svc.engine.Pending())
	}
	if werr := svc.state.write(stopCtx, svc.results.snapshot()); werr != nil {
		err = errors.Join(err, werr)
	}
	if svc.tempDir != "" {
		sum.statePath += " (removed with its temporary directory)"
	}
	return sum, errors.Join(err, svc.release())
}

// release closes the state directory and removes it if it is temporary.
func (svc *service) release() error {
	var errs []error
	if svc.dir != nil {
		errs = append(errs, svc.dir.Close())
	}
	if svc.tempDir != "" {
		errs = append(errs, os.RemoveAll(svc.tempDir))
	}
	return errors.Join(errs...)
}

// oneLineErrors logs every error as its code, message and hints
// (errprio.LogValue) rather than as slog's default %+v of it, which for
// cockroachdb/errors chains is a dump of every layer: a log record stays
// one short line, and the dump stays for when someone prints %+v.
func oneLineErrors(_ []string, a slog.Attr) slog.Attr {
	if err, ok := a.Value.Any().(error); ok {
		a.Value = errprio.LogValue(err)
	}
	return a
}
