// Command service is a small uptime prober: it probes a set of HTTP targets
// on an interval for a fixed duration and prints what it saw.
//
// With no flags it probes endpoints of an HTTP server it starts itself on
// 127.0.0.1 (one healthy, one slow, one failing), so it needs no network and
// exits 0 after a few seconds:
//
//	go run ./examples/service
//	go run ./examples/service -prober.duration=10s -prober.interval=250ms
//	PROBER_TIMEOUT=50ms go run ./examples/service
//
// Its configuration follows the options idiom: DefaultOptions, overridden by
// environment variables (PROBER_*) and then flags (-prober.*), validated
// before anything starts, with the non-default values logged once. Every
// goroutine (the demo server, each probe) runs under one stopper.Stopper,
// which it stops with a deadline at the end; probe rounds and probes are
// telemetry spans, logged through telemetry.SlogHandler (one line per round,
// every event with -prober.verbose).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Options configures the prober.
type Options struct {
	// Targets are the URLs to probe. Empty means the built-in demo server's
	// endpoints.
	Targets []string `usage:"comma-separated URLs to probe (empty: a built-in demo server)"`
	// Interval is the time between probe rounds; it must be > 0.
	Interval time.Duration `usage:"time between probe rounds"`
	// Timeout bounds one probe; it must be > 0.
	Timeout time.Duration `usage:"deadline of one probe"`
	// Duration is how long to run before exiting; it must be > 0.
	Duration time.Duration `usage:"how long to run before exiting"`
	// Verbose logs every telemetry event instead of one line per round.
	Verbose bool `usage:"log every telemetry event, not only rounds"`
}

// DefaultOptions returns the prober's defaults.
func DefaultOptions() Options {
	return Options{
		Interval: 500 * time.Millisecond,
		Timeout:  200 * time.Millisecond,
		Duration: 2 * time.Second,
	}
}

// Validate reports every bad field.
func (o Options) Validate() error {
	var c options.Collector
	options.Positive(&c, "Interval", o.Interval)
	options.Positive(&c, "Timeout", o.Timeout)
	options.Positive(&c, "Duration", o.Duration)
	for i, t := range o.Targets {
		ok := strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://")
		if !ok {
			c.Add(fmt.Sprintf("Targets[%d]", i), t, "must be an http:// or https:// URL")
		}
	}
	return c.Err()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is main without the process: it parses args, probes until the
// configured duration passes or ctx is cancelled, and writes a summary to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	logger := slog.New(slog.NewTextHandler(out, nil))

	opts := DefaultOptions()
	if err := options.LoadEnv("PROBER", &opts); err != nil {
		return err
	}
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := options.BindFlags(fs, "prober", &opts); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	logger.Info("starting", "non-default options", options.Diff(DefaultOptions(), opts))

	// Telemetry: one registry for the whole process. By default one line per
	// probe round; with -prober.verbose every event, the stopper's included.
	reg, err := telemetry.New(telemetry.DefaultOptions())
	if err != nil {
		return err
	}
	patterns := []string{roundSpan.Stop.String()}
	if opts.Verbose {
		patterns = []string{"prober", "ecopatterns"}
	}
	if err := reg.Attach("log", patterns, telemetry.SlogHandler(logger, slog.LevelInfo)); err != nil {
		return err
	}

	// Every goroutine of the program runs under one Stopper.
	sopts := stopper.DefaultOptions()
	sopts.Name = "prober"
	sopts.Logger = logger
	sopts.Telemetry = reg
	s, err := stopper.New(sopts)
	if err != nil {
		return err
	}

	targets := opts.Targets
	if len(targets) == 0 {
		urls, err := startDemoServer(ctx, s, opts.Timeout)
		if err != nil {
			return err
		}
		targets = urls
	}
	client := &http.Client{Timeout: opts.Timeout, Transport: &http.Transport{}}
	s.AddCloser(stopper.CloserFn(client.CloseIdleConnections))

	// The deadline only stops new rounds; a round in flight finishes, bounded
	// by the probe timeout, so its results are complete.
	deadline := time.NewTimer(opts.Duration)
	defer deadline.Stop()
	outcomes := map[string]map[string]int{} // target -> outcome -> count
	ticker := time.NewTicker(opts.Interval)
	defer ticker.Stop()
	rounds := 0
	for done := false; !done; {
		rounds++
		results, err := probeRound(ctx, reg, s, client, targets, rounds)
		if err != nil {
			return err
		}
		for _, r := range results {
			if outcomes[r.target] == nil {
				outcomes[r.target] = map[string]int{}
			}
			outcomes[r.target][r.outcome]++
		}
		select {
		case <-ctx.Done():
			done = true
		case <-deadline.C:
			done = true
		case <-ticker.C:
		}
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	began := time.Now()
	if err := s.Stop(stopCtx); err != nil {
		return err
	}
	printSummary(out, rounds, outcomes, time.Since(began))
	return nil
}

// The program's own events.
var (
	roundSpan = telemetry.MustSpanName("prober.round")
	probeSpan = telemetry.MustSpanName("prober.probe")
)

type result struct {
	target  string
	outcome string
}

// probeRound probes every target concurrently, each probe a task of s
// inside a probe span, and returns the results in target order.
func probeRound(ctx context.Context, reg *telemetry.Registry, s *stopper.Stopper, client *http.Client, targets []string, n int) ([]result, error) {
	results := make([]result, len(targets))
	err := reg.Span(ctx, roundSpan, []slog.Attr{slog.Int("round", n)}, func(ctx context.Context, sc *telemetry.Scope) error {
		var wg sync.WaitGroup
		for i, target := range targets {
			wg.Add(1)
			err := s.RunAsyncTask(ctx, "prober: probe", func(ctx context.Context) {
				defer wg.Done()
				_ = reg.Span(ctx, probeSpan, []slog.Attr{slog.String("target", target)}, func(ctx context.Context, sc *telemetry.Scope) error {
					outcome := probe(ctx, client, target)
					sc.AddMetadata(slog.String("outcome", outcome))
					results[i] = result{target: target, outcome: outcome}
					return nil
				})
			})
			if err != nil {
				wg.Done()
				results[i] = result{target: target, outcome: "not-started"}
			}
		}
		wg.Wait()
		failed := 0
		for _, r := range results {
			if r.outcome != "ok" {
				failed++
			}
		}
		sc.AddMeasurements(telemetry.Int("targets", int64(len(results))), telemetry.Int("failed", int64(failed)))
		return nil
	})
	return results, err
}

func probe(ctx context.Context, client *http.Client, target string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "bad-request"
	}
	resp, err := client.Do(req)
	if err != nil {
		var nerr net.Error
		if errors.As(err, &nerr) && nerr.Timeout() {
			return "timeout"
		}
		if ctx.Err() != nil {
			return "cancelled"
		}
		return "unreachable"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return "ok"
	}
	return fmt.Sprintf("http-%d", resp.StatusCode)
}

// startDemoServer serves /healthy, /slow (slower than the probe timeout) and
// /failing on a loopback port, as tasks of s: the server shuts down when s
// quiesces.
func startDemoServer(ctx context.Context, s *stopper.Stopper, timeout time.Duration) ([]string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("service: demo server: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * timeout):
		case <-r.Context().Done():
		}
		fmt.Fprintln(w, "late")
	})
	mux.HandleFunc("/failing", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
	if err := s.RunAsyncTask(ctx, "prober.demo: serve", func(context.Context) { _ = srv.Serve(ln) }); err != nil {
		ln.Close()
		return nil, err
	}
	if err := s.RunAsyncTask(ctx, "prober.demo: shut down on quiesce", func(ctx context.Context) {
		<-ctx.Done()
		_ = srv.Close()
	}); err != nil {
		_ = srv.Close()
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	return []string{base + "/healthy", base + "/slow", base + "/failing"}, nil
}

func printSummary(out io.Writer, rounds int, outcomes map[string]map[string]int, stopTime time.Duration) {
	fmt.Fprintf(out, "summary: %d rounds, stopped in %s\n", rounds, stopTime.Round(time.Millisecond))
	targets := make([]string, 0, len(outcomes))
	for t := range outcomes {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		names := make([]string, 0, len(outcomes[t]))
		for o := range outcomes[t] {
			names = append(names, o)
		}
		slices.Sort(names)
		parts := make([]string, len(names))
		for i, o := range names {
			parts[i] = fmt.Sprintf("%s=%d", o, outcomes[t][o])
		}
		fmt.Fprintf(out, "  %s: %s\n", t, strings.Join(parts, " "))
	}
}
